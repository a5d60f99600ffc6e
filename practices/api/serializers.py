"""Serializers of cases. Only published cases reach them; ``submitted_by`` is never shown."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from benchmarks.api.serializers import IndicatorBriefSerializer
from cset.reference.api.serializers import (
    OrganisationBriefSerializer,
    PlaceBriefSerializer,
    SourceBriefSerializer,
    ThemeBriefSerializer,
    api_link,
)

from ..models import Attachment, BestPractice, Impact, PracticeLink, ProgressUpdate


class PracticeBriefSerializer(serializers.ModelSerializer):
    url = api_link("api-practice-detail", "slug")

    class Meta:
        model = BestPractice
        fields = ["id", "slug", "url", "title"]


class ImpactSerializer(serializers.ModelSerializer):
    indicator = IndicatorBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Impact
        fields = [
            "id",
            "metric",
            "indicator",
            "value",
            "unit",
            "period",
            "baseline",
            "basis",
            "energy_basis",
            "verification",
            "source",
        ]


class ProgressUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressUpdate
        fields = ["id", "period", "period_start", "period_end", "assessment", "text"]


class PracticeLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = PracticeLink
        fields = ["url", "title"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["title", "file", "content_type", "size", "uploaded_at"]


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(source="contact_name")
    email = serializers.EmailField(source="contact_email")


class PracticeSerializer(serializers.ModelSerializer):
    url = api_link("api-practice-detail", "slug")
    places = PlaceBriefSerializer(many=True, read_only=True)
    themes = ThemeBriefSerializer(many=True, read_only=True)
    organisations = OrganisationBriefSerializer(many=True, read_only=True)

    class Meta:
        model = BestPractice
        fields = [
            "id",
            "slug",
            "url",
            "title",
            "summary",
            "implementation",
            "start_year",
            "end_year",
            "language",
            "published_at",
            "places",
            "themes",
            "organisations",
            "licence",
        ]


class PracticeDetailSerializer(PracticeSerializer):
    impacts = ImpactSerializer(many=True, read_only=True)
    progress_updates = ProgressUpdateSerializer(many=True, read_only=True)
    links = PracticeLinkSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    source = SourceBriefSerializer(read_only=True, allow_null=True)
    contact = serializers.SerializerMethodField(
        help_text=_("Whom to ask about the case; null unless the submitter made it public.")
    )

    class Meta(PracticeSerializer.Meta):
        fields = [
            *PracticeSerializer.Meta.fields,
            "context",
            "actions",
            "results",
            "costs",
            "lessons",
            "replication",
            "impacts",
            "progress_updates",
            "links",
            "attachments",
            "contact",
            "source",
            "attribution",
            "updated_at",
        ]

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_contact(self, practice: BestPractice) -> dict | None:
        # Contacts are personal data: shown only as the submitter allowed.
        if not practice.contact_is_public:
            return None
        return ContactSerializer(practice).data
