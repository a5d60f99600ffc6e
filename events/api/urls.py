"""The events' API resources, registered in the one router of ``cset.api_urls``."""

from .views import EventViewSet

routes = [
    ("events", EventViewSet, "api-event"),
]
