"""Read-only API of published cases."""

from django.db.models import Prefetch
from rest_framework import viewsets

from cset.reference.api.views import UNICODE_SLUG, DetailSerializerMixin

from ..filters import PracticeFilterSet
from ..models import BestPractice, Impact
from .serializers import PracticeDetailSerializer, PracticeSerializer


class PracticeViewSet(DetailSerializerMixin, viewsets.ReadOnlyModelViewSet):
    """Published best practices, by slug. Cases in any other state do not exist here."""

    serializer_class = PracticeSerializer
    detail_serializer_class = PracticeDetailSerializer
    filterset_class = PracticeFilterSet
    lookup_field = "slug"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["title", "published_at", "start_year", "end_year", "id"]
    ordering = ["-published_at", "pk"]

    def get_queryset(self):
        queryset = BestPractice.objects.published().prefetch_related(
            "places", "themes", "organisations"
        )
        if self.action != "retrieve":
            return queryset
        impacts = Impact.objects.select_related("indicator")
        return queryset.select_related("source").prefetch_related(
            Prefetch("impacts", queryset=impacts), "progress_updates", "links", "attachments"
        )
