"""The benchmarks' API resources, registered in the one router of ``cset.api_urls``."""

from .views import IndicatorViewSet, MeasurementViewSet

routes = [
    ("indicators", IndicatorViewSet, "api-indicator"),
    ("measurements", MeasurementViewSet, "api-measurement"),
]
