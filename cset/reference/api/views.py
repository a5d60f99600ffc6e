"""Read-only API of the reference data: countries, places, organisations, themes, sources."""

from django.db.models import Count, Prefetch
from rest_framework import viewsets

from ..filters import CountryFilterSet, OrganisationFilterSet, PlaceFilterSet
from ..models import Country, Membership, Organisation, Place, Source, Theme
from .serializers import (
    CountrySerializer,
    OrganisationDetailSerializer,
    OrganisationSerializer,
    PlaceDetailSerializer,
    PlaceSerializer,
    SourceSerializer,
    ThemeSerializer,
)

# Unicode slugs (서울, москва): DRF's default lookup pattern stops at the first "/" or ".",
# this one takes letters of every script, digits, "_" and "-".
UNICODE_SLUG = r"[-\w]+"


class DetailSerializerMixin:
    """Use ``detail_serializer_class`` for a single object and ``serializer_class`` for lists."""

    detail_serializer_class = None

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return super().get_serializer_class()


class CountryViewSet(viewsets.ReadOnlyModelViewSet):
    """Countries, by ISO 3166-1 alpha-2 code."""

    queryset = Country.objects.all()
    serializer_class = CountrySerializer
    filterset_class = CountryFilterSet
    lookup_field = "code"
    lookup_value_regex = "[A-Z]{2}"
    ordering_fields = ["name", "code"]
    ordering = ["name", "code"]


class PlaceViewSet(DetailSerializerMixin, viewsets.ReadOnlyModelViewSet):
    """Regions, districts, cities, towns and villages, by slug."""

    queryset = Place.objects.select_related("country", "parent")
    serializer_class = PlaceSerializer
    detail_serializer_class = PlaceDetailSerializer
    filterset_class = PlaceFilterSet
    lookup_field = "slug"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["name", "population", "slug", "id"]
    ordering = ["name", "pk"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "retrieve":
            return queryset
        memberships = Membership.objects.select_related("network", "group")
        return (
            queryset.select_related("combined_authority")
            .prefetch_related(
                "names",
                "identifiers",
                Prefetch("memberships", queryset=memberships),
            )
            .annotate(children_count=Count("children"))
        )


class OrganisationViewSet(DetailSerializerMixin, viewsets.ReadOnlyModelViewSet):
    """Governments, agencies, networks, groups of authorities and companies, by slug."""

    queryset = Organisation.objects.select_related("country", "source")
    serializer_class = OrganisationSerializer
    detail_serializer_class = OrganisationDetailSerializer
    filterset_class = OrganisationFilterSet
    lookup_field = "slug"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["name", "id"]
    ordering = ["name", "pk"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("places")
        return queryset


class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    """The sector taxonomy, by slug."""

    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    lookup_field = "slug"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["position", "name", "id"]
    ordering = ["position", "name", "pk"]


class SourceViewSet(viewsets.ReadOnlyModelViewSet):
    """The published data sets the portal loaded, with their licences, by id."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["title", "retrieved_on", "id"]
    ordering = ["title", "pk"]
