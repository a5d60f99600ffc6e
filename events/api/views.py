"""Read-only API of events."""

from django.db.models import Prefetch
from rest_framework import viewsets

from cset.reference.api.views import UNICODE_SLUG, DetailSerializerMixin
from practices.models import BestPractice

from ..filters import EventFilterSet
from ..models import Event
from .serializers import EventDetailSerializer, EventSerializer


class EventViewSet(DetailSerializerMixin, viewsets.ReadOnlyModelViewSet):
    """Workshops, summits, side events, meetings, webinars and study visits, by slug."""

    serializer_class = EventSerializer
    detail_serializer_class = EventDetailSerializer
    filterset_class = EventFilterSet
    lookup_field = "slug"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["start_date", "end_date", "title", "id"]
    ordering = ["-start_date", "pk"]

    def get_queryset(self):
        queryset = Event.objects.select_related("venue").prefetch_related("organisers")
        if self.action != "retrieve":
            return queryset
        # Related cases follow the public rule too: only published ones exist.
        practices = BestPractice.objects.published().order_by("title", "pk")
        return queryset.select_related("source").prefetch_related(
            Prefetch("practices", queryset=practices)
        )
