"""Read-only API of indicators and measurements."""

from rest_framework import viewsets

from cset.reference.api.views import UNICODE_SLUG

from ..filters import IndicatorFilterSet, MeasurementFilterSet
from ..models import Indicator, Measurement
from .serializers import IndicatorSerializer, MeasurementSerializer


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """Indicators measured for places, by code."""

    queryset = Indicator.objects.select_related("theme", "source").prefetch_related("mappings")
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    lookup_field = "code"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["code", "name", "id"]
    ordering = ["code", "pk"]


class MeasurementViewSet(viewsets.ReadOnlyModelViewSet):
    """Values of indicators for places and years, by id."""

    queryset = Measurement.objects.select_related("place", "indicator", "source")
    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilterSet
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["year", "value_canonical", "id"]
    ordering = ["year", "pk"]
