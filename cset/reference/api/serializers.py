"""Serializers of the reference data.

A related object appears in brief (``*BriefSerializer``: its key, its API
address and its display name); the other apps nest these briefs too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list
from rest_framework import serializers

from ..choices import NameKind, OrganisationKind, PlaceKind
from ..models import (
    Country,
    Membership,
    Network,
    Organisation,
    Place,
    PlaceIdentifier,
    PlaceName,
    Source,
    Theme,
)


class NamedChoiceField(serializers.ChoiceField):
    """A read-only choice whose schema is the enum named after its ``TextChoices`` class.

    Several models have a ``kind`` with different choices; the schema generator
    names enums after the field, so without this their names collide.
    """

    def __init__(self, choices_class: type[models.TextChoices], **kwargs) -> None:
        self.choices_class = choices_class
        kwargs.setdefault("read_only", True)
        super().__init__(choices=choices_class.choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        choices = self.target.choices_class
        component = ResolvedComponent(
            name=f"{choices.__name__}Enum",
            type=ResolvedComponent.SCHEMA,
            object=choices,
            schema={
                "type": "string",
                "enum": list(choices.values),
                "description": build_choice_description_list(choices.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def api_link(view_name: str, lookup_field: str = "pk") -> serializers.HyperlinkedIdentityField:
    """The absolute API address of the object being serialized."""
    return serializers.HyperlinkedIdentityField(
        view_name=view_name,
        lookup_field=lookup_field,
        help_text=_("Address of this object in the API."),
    )


class CountryBriefSerializer(serializers.ModelSerializer):
    url = api_link("api-country-detail", "code")

    class Meta:
        model = Country
        fields = ["code", "url", "name"]


class PlaceBriefSerializer(serializers.ModelSerializer):
    url = api_link("api-place-detail", "slug")

    class Meta:
        model = Place
        fields = ["id", "slug", "url", "name"]


class OrganisationBriefSerializer(serializers.ModelSerializer):
    url = api_link("api-organisation-detail", "slug")

    class Meta:
        model = Organisation
        fields = ["id", "slug", "url", "name"]


class ThemeBriefSerializer(serializers.ModelSerializer):
    url = api_link("api-theme-detail", "slug")

    class Meta:
        model = Theme
        fields = ["id", "slug", "url", "name"]


class SourceBriefSerializer(serializers.ModelSerializer):
    url = api_link("api-source-detail")

    class Meta:
        model = Source
        fields = ["id", "url", "title"]


class NetworkBriefSerializer(serializers.ModelSerializer):
    website = serializers.URLField(source="url", read_only=True)

    class Meta:
        model = Network
        fields = ["id", "slug", "name", "website"]


class CountrySerializer(serializers.ModelSerializer):
    url = api_link("api-country-detail", "code")

    class Meta:
        model = Country
        fields = ["code", "url", "name", "continent"]


class PlaceSerializer(serializers.ModelSerializer):
    url = api_link("api-place-detail", "slug")
    kind = NamedChoiceField(PlaceKind)
    country = CountryBriefSerializer(read_only=True)
    parent = PlaceBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Place
        fields = [
            "id",
            "slug",
            "url",
            "name",
            "kind",
            "tier",
            "country",
            "parent",
            "subdivision_code",
            "statistical_region",
            "population",
            "population_year",
            "latitude",
            "longitude",
            "timezone",
        ]


class PlaceNameSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(NameKind)

    class Meta:
        model = PlaceName
        fields = ["name", "kind"]


class PlaceIdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaceIdentifier
        fields = ["scheme", "value"]


class PlaceMembershipSerializer(serializers.ModelSerializer):
    network = NetworkBriefSerializer(read_only=True)
    group = OrganisationBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "network",
            "status",
            "joined_on",
            "ended_on",
            "external_id",
            "network_code",
            "name_in_network",
            "commitments",
            "declared_population",
            "group",
        ]


class PlaceDetailSerializer(PlaceSerializer):
    combined_authority = PlaceBriefSerializer(read_only=True, allow_null=True)
    names = PlaceNameSerializer(many=True, read_only=True)
    identifiers = PlaceIdentifierSerializer(many=True, read_only=True)
    memberships = PlaceMembershipSerializer(many=True, read_only=True)
    children_count = serializers.IntegerField(
        read_only=True, help_text=_("How many places have this place as their parent.")
    )

    class Meta(PlaceSerializer.Meta):
        fields = [
            *PlaceSerializer.Meta.fields,
            "combined_authority",
            "admin1_code",
            "names",
            "identifiers",
            "memberships",
            "children_count",
        ]


class OrganisationSerializer(serializers.ModelSerializer):
    url = api_link("api-organisation-detail", "slug")
    kind = NamedChoiceField(OrganisationKind)
    country = CountryBriefSerializer(read_only=True, allow_null=True)
    website = serializers.URLField(source="url", read_only=True)
    source = SourceBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = ["id", "slug", "url", "name", "kind", "country", "website", "source"]


class OrganisationDetailSerializer(OrganisationSerializer):
    places = PlaceBriefSerializer(many=True, read_only=True)

    class Meta(OrganisationSerializer.Meta):
        fields = [*OrganisationSerializer.Meta.fields, "places"]


class ThemeSerializer(serializers.ModelSerializer):
    url = api_link("api-theme-detail", "slug")

    class Meta:
        model = Theme
        fields = ["id", "slug", "url", "name", "description", "position"]


class SourceSerializer(serializers.ModelSerializer):
    url = api_link("api-source-detail")
    dataset_url = serializers.URLField(
        source="url", read_only=True, help_text=_("Where the publisher offers the data set.")
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "slug",
            "url",
            "title",
            "publisher",
            "dataset_url",
            "licence",
            "licence_url",
            "attribution",
            "description",
            "retrieved_on",
            "loaded_at",
        ]
