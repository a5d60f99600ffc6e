"""The FilterSet of events, shared by the event pages and the API."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cset.reference.filters import (
    CountryCodeFilter,
    FoldedSearchFilter,
    PortalFilterSet,
    StrictBooleanFilter,
    YearFilter,
)

from .choices import EventKind
from .models import Event


class EventFilterSet(PortalFilterSet):
    search = FoldedSearchFilter(
        field_name="title_folded", help_text=_("Part of the title; accents and case are ignored.")
    )
    kind = django_filters.ChoiceFilter(choices=EventKind.choices)
    country = CountryCodeFilter(
        field_name="venue__country", help_text=_("Country of the venue (ISO code).")
    )
    year = YearFilter(
        field_name="start_date__year",
        label=_("Year"),
        help_text=_("Events starting in this year."),
    )
    upcoming = StrictBooleanFilter(
        method="filter_upcoming",
        label=_("Upcoming"),
        help_text=_("true: events not yet over (ending today or later); false: past events."),
    )

    class Meta:
        model = Event
        fields = ["search", "kind", "country", "year", "upcoming"]

    def filter_upcoming(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        today = timezone.localdate()
        return (
            queryset.filter(end_date__gte=today) if value else queryset.filter(end_date__lt=today)
        )
