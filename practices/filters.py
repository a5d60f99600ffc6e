"""The FilterSet of cases, shared by the practice pages and the API.

Relations to places, themes and organisations are many-to-many: every filter on
them is a subquery on the link table, so that a case matching twice (two
themes, two places in one country) is still one row and counts stay right.
"""

import django_filters
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, TextChoices
from django.utils.translation import gettext_lazy as _

from cset.reference.filters import (
    CountryCodeFilter,
    FoldedSearchFilter,
    IdFilter,
    PortalFilterSet,
    SlugFilter,
    YearFilter,
)
from cset.reference.models import Theme

from .choices import Implementation
from .models import BestPractice

PracticePlace = BestPractice.places.through
PracticeTheme = BestPractice.themes.through
PracticeOrganisation = BestPractice.organisations.through


def _linked(queryset: QuerySet, link_rows: QuerySet) -> QuerySet:
    return queryset.filter(pk__in=link_rows.values("bestpractice_id"))


class PracticeFilterSet(PortalFilterSet):
    search = FoldedSearchFilter(
        field_name="title_folded",
        help_text=_("Part of the title; accents and case are ignored."),
    )
    theme = django_filters.ModelMultipleChoiceFilter(
        queryset=Theme.objects.all(),
        to_field_name="slug",
        method="filter_theme",
        label=_("Theme"),
        help_text=_("Theme slug; repeat the parameter for cases in any of several themes."),
    )
    theme_id = IdFilter(method="filter_theme_id", label=_("Theme id"))
    country = CountryCodeFilter(
        method="filter_country", help_text=_("Cases with a place in this country (ISO code).")
    )
    place = SlugFilter(
        method="filter_place", label=_("Place"), help_text=_("Slug of one of the case's places.")
    )
    place_id = IdFilter(method="filter_place_id", label=_("Place id"))
    organisation = SlugFilter(
        method="filter_organisation",
        label=_("Organisation"),
        help_text=_("Slug of one of the case's organisations."),
    )
    organisation_id = IdFilter(method="filter_organisation_id", label=_("Organisation id"))
    language = django_filters.CharFilter(
        max_length=12, label=_("Language"), help_text=_("Language code of the case, e.g. en.")
    )
    implementation = django_filters.ChoiceFilter(choices=Implementation.choices)
    year = YearFilter(
        method="filter_year",
        label=_("Running in year"),
        help_text=_(
            "Cases running in this year: started in or before it, and ended in or after it "
            "or not ended. Cases without a start year are left out."
        ),
    )

    class Meta:
        model = BestPractice
        fields = [
            "search",
            "theme",
            "theme_id",
            "country",
            "place",
            "place_id",
            "organisation",
            "organisation_id",
            "language",
            "implementation",
            "year",
        ]

    def filter_queryset_except(self, queryset: QuerySet, names: set[str]) -> QuerySet:
        """``queryset`` narrowed by every valid filter of the request except ``names``.

        Facet counts need this: the count of a theme's choices is taken over the cases
        that every *other* filter leaves. Call only after ``is_valid()``.
        """
        for name, value in self.form.cleaned_data.items():
            if name not in names:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_theme(self, queryset: QuerySet, name: str, value: list) -> QuerySet:
        if not value:
            return queryset
        return _linked(queryset, PracticeTheme.objects.filter(theme__in=value))

    def filter_theme_id(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return _linked(queryset, PracticeTheme.objects.filter(theme_id=value))

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _linked(queryset, PracticePlace.objects.filter(place__country_id=value.upper()))

    def filter_place(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _linked(queryset, PracticePlace.objects.filter(place__slug=value))

    def filter_place_id(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return _linked(queryset, PracticePlace.objects.filter(place_id=value))

    def filter_organisation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _linked(queryset, PracticeOrganisation.objects.filter(organisation__slug=value))

    def filter_organisation_id(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return _linked(queryset, PracticeOrganisation.objects.filter(organisation_id=value))

    def filter_year(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        not_ended = Q(end_year__isnull=True) | Q(end_year__gte=value)
        return queryset.filter(Q(start_year__lte=value) & not_ended)


class PracticeSort(TextChoices):
    """The orders the practice pages offer (``?sort=``)."""

    NEWEST = "newest", _("Newest first")
    TITLE = "title", _("Title")
    PLACE = "place", _("Place")


def first_place_name() -> Subquery:
    """The folded name of a case's first place, as the pages list its places (by name).

    A subquery rather than a join, so that a case with several places stays one row.
    """
    links = PracticePlace.objects.filter(bestpractice_id=OuterRef("pk"))
    return Subquery(
        links.order_by("place__name_folded", "place_id").values("place__name_folded")[:1]
    )


def sort_practices(queryset: QuerySet, sort: str) -> QuerySet:
    """``queryset`` in the order ``sort`` names (newest when unknown), ties broken by pk.

    Titles and place names compare folded, so that "Öffentlichkeit" sorts with the Os on
    SQLite as well as PostgreSQL; cases without a place or date come last.
    """
    if sort == PracticeSort.TITLE:
        return queryset.order_by("title_folded", "title", "pk")
    if sort == PracticeSort.PLACE:
        return queryset.annotate(first_place=first_place_name()).order_by(
            F("first_place").asc(nulls_last=True), "title_folded", "pk"
        )
    return queryset.order_by(F("published_at").desc(nulls_last=True), "pk")
