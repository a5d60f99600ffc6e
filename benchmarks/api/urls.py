"""The benchmarks' API resources, registered in the one router of ``cset.api_urls``."""

from django.urls import path

from .views import BenchmarkView, IndicatorViewSet, MeasurementViewSet

routes = [
    ("indicators", IndicatorViewSet, "api-indicator"),
    ("measurements", MeasurementViewSet, "api-measurement"),
]

# Addresses that are not a model's list and detail, beside the router's.
paths = [
    path("benchmarks/", BenchmarkView.as_view(), name="api-benchmarks"),
]
