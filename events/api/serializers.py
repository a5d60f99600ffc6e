"""Serializers of events. Related cases are listed only when published."""

from rest_framework import serializers

from cset.reference.api.serializers import (
    NamedChoiceField,
    OrganisationBriefSerializer,
    PlaceBriefSerializer,
    SourceBriefSerializer,
    api_link,
)
from practices.api.serializers import PracticeBriefSerializer

from ..choices import EventKind
from ..models import Event


class EventSerializer(serializers.ModelSerializer):
    url = api_link("api-event-detail", "slug")
    kind = NamedChoiceField(EventKind)
    venue = PlaceBriefSerializer(read_only=True, allow_null=True)
    organisers = OrganisationBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "slug",
            "url",
            "title",
            "kind",
            "start_date",
            "end_date",
            "date_precision",
            "starts_at",
            "ends_at",
            "timezone",
            "venue",
            "venue_name",
            "online_url",
            "organisers",
        ]


class EventDetailSerializer(EventSerializer):
    practices = PracticeBriefSerializer(many=True, read_only=True)
    source = SourceBriefSerializer(read_only=True, allow_null=True)

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "description", "agenda", "practices", "source"]
