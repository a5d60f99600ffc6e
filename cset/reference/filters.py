"""FilterSets of the reference data, shared by the pages and the API.

The filter classes defined here are the building blocks the other apps' FilterSets
use too: folded-name search, integer ids and years, and relation filters by slug.
"""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .choices import Commitment, Continent, OrganisationKind, PlaceKind, PlaceTier
from .models import Country, Membership, Organisation, Place
from .text import fold

SEARCH_MAX_LENGTH = 200

# The largest value a signed 64-bit key can hold: a larger id would make the
# database fail instead of finding nothing.
MAX_ID = 2**63 - 1


class GivenOnceForm(forms.Form):
    """Refuses a parameter of one value given twice (``?country=DE&country=GB``): the
    form would read the last and quietly drop the others."""

    def clean(self):
        cleaned = super().clean()
        repeated = [
            name
            for name, field in self.fields.items()
            if not isinstance(field, MULTIPLE_VALUE_FIELDS)
            and hasattr(self.data, "getlist")
            and len(self.data.getlist(name)) > 1
        ]
        for name in repeated:
            self.add_error(name, _("Give this once: it takes a single value."))
        return cleaned


# The form fields that take a parameter given several times (?theme=a&theme=b).
MULTIPLE_VALUE_FIELDS = (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)


class PortalFilterSet(django_filters.FilterSet):
    """A FilterSet that reads an empty parameter (``?theme=``) as no filter at all, and
    refuses a single-valued one given twice (GivenOnceForm).

    A form submitted with an empty select sends such parameters; a multiple-choice
    filter would otherwise refuse the empty string as an unknown choice.
    """

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (form_class, GivenOnceForm), {})

    def __init__(self, data=None, *args, **kwargs):
        if isinstance(data, QueryDict):
            data = data.copy()
            for key in list(data.keys()):
                values = [value for value in data.getlist(key) if value.strip()]
                if values:
                    data.setlist(key, values)
                else:
                    del data[key]
        elif data is not None:
            data = {key: value for key, value in data.items() if str(value).strip()}
        super().__init__(data, *args, **kwargs)


class FoldedSearchFilter(django_filters.CharFilter):
    """Rows whose folded name contains the folded text ("sao paulo" finds São Paulo).

    Text made only of spaces applies no filter. The form field refuses NUL bytes
    and more than ``SEARCH_MAX_LENGTH`` characters, so neither reaches the database.
    """

    def __init__(self, field_name: str = "name_folded", **kwargs) -> None:
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault(
            "help_text", _("Part of the name, in any script; accents and case are ignored.")
        )
        super().__init__(field_name=field_name, lookup_expr="contains", **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return super().filter(qs, fold(value))


class IdFilter(django_filters.NumberFilter):
    """A primary key: a whole positive number (``place_id=42``)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class YearFilter(django_filters.NumberFilter):
    """A calendar year between 1900 and 2100."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


class SlugFilter(django_filters.CharFilter):
    """A related object by its slug or code (``place=muenster``); unknown values find nothing."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 220)
        super().__init__(*args, **kwargs)


class CountryCodeFilter(SlugFilter):
    """A country by its ISO 3166-1 alpha-2 code, in either case (``country=DE``)."""

    def __init__(self, field_name: str = "country", **kwargs) -> None:
        kwargs.setdefault("label", _("Country"))
        kwargs.setdefault("help_text", _("ISO 3166-1 alpha-2 code, e.g. DE."))
        kwargs["max_length"] = 2
        super().__init__(field_name=field_name, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return super().filter(qs, value.upper() if value else value)


class _StrictBooleanSelect(forms.NullBooleanSelect):
    """Passes an unknown value on to the field, which refuses it, instead of reading it as
    "unknown" (no filter), as Django's select does."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return value.strip().lower() if isinstance(value, str) else value


class _StrictBooleanField(forms.NullBooleanField):
    widget = _StrictBooleanSelect
    default_error_messages = {"invalid": _("Choose true or false.")}

    def to_python(self, value):
        if value in (None, "", "unknown"):
            return None
        if value in (True, "true", "1", "yes", "on", "2"):
            return True
        if value in (False, "false", "0", "no", "off", "3"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    """true or false (also 1/0, yes/no); anything else is an error naming the parameter,
    not a filter silently left out."""

    field_class = _StrictBooleanField


class CountryFilterSet(PortalFilterSet):
    search = FoldedSearchFilter()
    continent = django_filters.ChoiceFilter(choices=Continent.choices)

    class Meta:
        model = Country
        fields = ["search", "continent"]


class PlaceFilterSet(PortalFilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label=_("Search"),
        help_text=_("Part of any of the place's names, in any script; accents and case ignored."),
    )
    country = CountryCodeFilter()
    kind = django_filters.ChoiceFilter(choices=PlaceKind.choices)
    tier = django_filters.ChoiceFilter(choices=PlaceTier.choices)
    parent = SlugFilter(
        field_name="parent__slug", label=_("Parent"), help_text=_("Slug of the parent place.")
    )
    parent_id = IdFilter(field_name="parent_id", label=_("Parent id"))
    subdivision = django_filters.CharFilter(
        field_name="subdivision_code",
        lookup_expr="iexact",
        max_length=10,
        label=_("Subdivision"),
        help_text=_("ISO 3166-2 code of the first-level subdivision, e.g. DE-BY."),
    )
    network = SlugFilter(
        method="filter_network",
        label=_("Network"),
        help_text=_("Slug of a network the place is (or was) a member of."),
    )
    commitment = django_filters.ChoiceFilter(
        choices=Commitment.choices,
        method="filter_commitment",
        label=_("Commitment"),
        help_text=_("A commitment the place took in a network (the Covenant of Mayors')."),
    )
    has_coordinates = StrictBooleanFilter(
        method="filter_has_coordinates", label=_("Has coordinates")
    )

    class Meta:
        model = Place
        fields = [
            "search",
            "country",
            "kind",
            "tier",
            "parent",
            "parent_id",
            "subdivision",
            "network",
            "commitment",
            "has_coordinates",
        ]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)

    def filter_network(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A subquery rather than a join, so that a town that adhered twice stays one row;
        # and "IN" rather than a correlated EXISTS, which SQLite plans as a scan of the
        # network's memberships for every place (minutes over the real data).
        members = Membership.objects.filter(network__slug=value, place__isnull=False)
        return queryset.filter(pk__in=members.values("place_id"))

    def filter_commitment(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Commitments are a JSON list of codes. SQLite has no JSON containment lookup, so
        # the list's text is searched for the quoted code: the codes come from a fixed
        # choice, none is part of another, and the same lookup works on PostgreSQL.
        members = Membership.objects.filter(
            commitments__icontains=f'"{value}"', place__isnull=False
        )
        return queryset.filter(pk__in=members.values("place_id"))

    def filter_has_coordinates(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        located = Q(latitude__isnull=False, longitude__isnull=False)
        return queryset.filter(located) if value else queryset.exclude(located)


class OrganisationFilterSet(PortalFilterSet):
    search = FoldedSearchFilter()
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    country = CountryCodeFilter()

    class Meta:
        model = Organisation
        fields = ["search", "kind", "country"]
