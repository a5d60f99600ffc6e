"""The FilterSet of cases, shared by the practice pages and the API.

Relations to places, themes and organisations are many-to-many: every filter on
them is a subquery on the link table, so that a case matching twice (two
themes, two places in one country) is still one row and counts stay right.
"""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cset.reference.filters import (
    CountryCodeFilter,
    FoldedSearchFilter,
    IdFilter,
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


class PracticeFilterSet(django_filters.FilterSet):
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
