"""The cases' API resources, registered in the one router of ``cset.api_urls``."""

from .views import PracticeViewSet

routes = [
    ("practices", PracticeViewSet, "api-practice"),
]
