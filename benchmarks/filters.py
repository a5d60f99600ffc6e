"""FilterSets of indicators and measurements, shared by the benchmark pages and the API."""

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cset.reference.filters import (
    SEARCH_MAX_LENGTH,
    IdFilter,
    PortalFilterSet,
    SlugFilter,
    StrictBooleanFilter,
    YearFilter,
)
from cset.reference.text import fold

from .choices import Direction, MappingScheme, Method, Notation, QuantityKind, Verification
from .models import Indicator, IndicatorMapping, Measurement


def has_values() -> Exists:
    """Whether the outer query's indicator has a value for any place and year.

    An EXISTS per indicator stops at the first value it finds in the coverage index;
    counting them would read every value.
    """
    values = Measurement.objects.filter(indicator=OuterRef("pk"), value_canonical__isnull=False)
    return Exists(values)


class IndicatorFilterSet(PortalFilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label=_("Search"),
        help_text=_("Part of the indicator's name or code."),
    )
    theme = SlugFilter(field_name="theme__slug", label=_("Theme"), help_text=_("Theme slug."))
    theme_id = IdFilter(field_name="theme_id", label=_("Theme id"))
    quantity_kind = django_filters.ChoiceFilter(choices=QuantityKind.choices)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    has_values = StrictBooleanFilter(
        method="filter_has_values",
        label=_("Has values"),
        help_text=_("false lists the catalogue's indicators no place has a value for yet."),
    )
    mapping_scheme = django_filters.ChoiceFilter(
        choices=MappingScheme.choices,
        method="filter_mapping_scheme",
        label=_("Mapped to"),
        help_text=_("Indicators with a counterpart in this external framework."),
    )

    class Meta:
        model = Indicator
        fields = [
            "search",
            "theme",
            "theme_id",
            "quantity_kind",
            "direction",
            "has_values",
            "mapping_scheme",
        ]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key = fold(value)
        if not key:
            return queryset
        return queryset.filter(Q(name_folded__contains=key) | Q(code__contains=key))

    def filter_has_values(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(has_values()) if value else queryset.exclude(has_values())

    def filter_mapping_scheme(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # IN rather than a join: an indicator with two mappings of the scheme stays one row.
        mapped = IndicatorMapping.objects.filter(scheme=value).values("indicator_id")
        return queryset.filter(pk__in=mapped)


class MeasurementFilterSet(PortalFilterSet):
    place = SlugFilter(field_name="place__slug", label=_("Place"), help_text=_("Place slug."))
    place_id = IdFilter(field_name="place_id", label=_("Place id"))
    indicator = SlugFilter(
        field_name="indicator__code", label=_("Indicator"), help_text=_("Indicator code.")
    )
    indicator_id = IdFilter(field_name="indicator_id", label=_("Indicator id"))
    year = YearFilter(field_name="year", label=_("Year"))
    year_min = YearFilter(field_name="year", lookup_expr="gte", label=_("From year"))
    year_max = YearFilter(field_name="year", lookup_expr="lte", label=_("To year"))
    source = IdFilter(field_name="source_id", label=_("Source id"))
    verification = django_filters.ChoiceFilter(choices=Verification.choices)
    method = django_filters.ChoiceFilter(choices=Method.choices)
    has_value = StrictBooleanFilter(
        field_name="value",
        lookup_expr="isnull",
        exclude=True,
        label=_("Has a value"),
        help_text=_("false lists the missing values, which carry a notation saying why."),
    )
    notation = django_filters.ChoiceFilter(choices=Notation.choices)

    class Meta:
        model = Measurement
        fields = [
            "place",
            "place_id",
            "indicator",
            "indicator_id",
            "year",
            "year_min",
            "year_max",
            "source",
            "verification",
            "method",
            "has_value",
            "notation",
        ]
