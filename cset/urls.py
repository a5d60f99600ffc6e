"""Root URL configuration: pages, the API under /api/v1/, and the admin."""

from django.contrib import admin
from django.urls import include, path, register_converter

from cset.reference.converters import UnicodeSlugConverter

register_converter(UnicodeSlugConverter, "uslug")

urlpatterns = [
    path("practices/", include("practices.urls")),
    path("review/", include("practices.review_urls")),
    path("places/", include("cset.reference.urls")),
    path("indicators/import/", include("benchmarks.import_urls")),
    path("indicators/", include("benchmarks.urls")),
    path("events/", include("events.urls")),
    path("accounts/", include("cset.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("submit/", include("practices.submit_urls")),
    path("api/v1/", include("cset.api_urls")),
    path("admin/", admin.site.urls),
    path("", include("cset.site.urls")),
]

# An address under /api/ that matches no resource answers in JSON, as the API does.
handler404 = "cset.site.views.not_found"
