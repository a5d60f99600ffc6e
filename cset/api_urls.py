"""The API's addresses: /api/v1/ lists every resource, each app adds its own.

Each app's ``api/urls.py`` names its resources in ``routes``; they are all
registered in one router here, whose root view (``api-root``) lists them.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from benchmarks.api.import_views import MeasurementImportView
from benchmarks.api.urls import paths as benchmark_paths
from benchmarks.api.urls import routes as benchmark_routes
from cset.reference.api.urls import routes as reference_routes
from events.api.urls import routes as event_routes
from practices.api.urls import routes as practice_routes


class APIRouter(DefaultRouter):
    # Formats are chosen by the Accept header; ".json" suffixes would double every address.
    include_format_suffixes = False

    def get_api_root_view(self, api_urls=None):
        """The root lists the router's resources and the comparison beside them."""
        listed = {
            prefix: self.routes[0].name.format(basename=basename)
            for prefix, _viewset, basename in self.registry
        }
        return self.APIRootView.as_view(api_root_dict={**listed, **EXTRA_ROOT_ENTRIES})


# Resources outside the router that the root should still name (name: URL name).
EXTRA_ROOT_ENTRIES = {"benchmarks": "api-benchmarks"}

router = APIRouter()
for prefix, viewset, basename in [
    *reference_routes,
    *practice_routes,
    *benchmark_routes,
    *event_routes,
]:
    router.register(prefix, viewset, basename=basename)

# The documentation pages answer GET and HEAD only: OPTIONS on the Swagger page made
# DRF look for a template it has no name for.
READ_ONLY = ["get", "head"]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(http_method_names=READ_ONLY), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", http_method_names=READ_ONLY),
        name="api-docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(
            url_name="api-schema", template_name="api/redoc.html", http_method_names=READ_ONLY
        ),
        name="api-redoc",
    ),
    *benchmark_paths,
    path("measurements/import/", MeasurementImportView.as_view(), name="api-measurement-import"),
    *router.urls,
]
