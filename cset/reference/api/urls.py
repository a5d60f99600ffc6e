"""The reference data's API resources, registered in the one router of ``cset.api_urls``."""

from .views import CountryViewSet, OrganisationViewSet, PlaceViewSet, SourceViewSet, ThemeViewSet

# (address prefix, viewset, basename): URL names are "<basename>-list" and "<basename>-detail".
routes = [
    ("places", PlaceViewSet, "api-place"),
    ("countries", CountryViewSet, "api-country"),
    ("organisations", OrganisationViewSet, "api-organisation"),
    ("themes", ThemeViewSet, "api-theme"),
    ("sources", SourceViewSet, "api-source"),
]
