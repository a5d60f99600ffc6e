"""Serializers of cases. ``submitted_by`` is never shown.

The public sees published cases only; a case's submitter and the curators also see
its ``workflow``: state, version and the steps they may take. Writes are checked
here for types and shape; the models' rules run in the services they are handed to
(practices.services for the case, practices.rows for its impacts, costs, financing
and links).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from benchmarks.api.serializers import IndicatorBriefSerializer
from benchmarks.models import Indicator
from benchmarks.units import UNIT_EXPRESSIONS
from cset.reference.api.serializers import (
    OrganisationBriefSerializer,
    PlaceBriefSerializer,
    SourceBriefSerializer,
    ThemeBriefSerializer,
    api_link,
)
from cset.reference.models import Organisation, Place, Theme

from ..choices import Status
from ..models import (
    SECTION_FIELDS,
    SECTION_MAX_LENGTH,
    Attachment,
    BestPractice,
    Cost,
    Financing,
    Impact,
    PracticeLink,
    ProgressUpdate,
    is_curator,
    validate_web_address,
)
from ..rows import MAX_ROWS
from ..services import STEPS, allowed_transitions


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


class ImpactWriteSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Indicator.objects.all(),
        required=False,
        allow_null=True,
        help_text=_(
            "The code of the indicator the impact moves; the unit must then convert into "
            "the indicator's unit."
        ),
    )
    unit = serializers.ChoiceField(choices=list(UNIT_EXPRESSIONS))

    class Meta:
        model = Impact
        fields = [
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


class CostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cost
        fields = ["kind", "item", "amount", "currency", "price_year"]


class FinancingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Financing
        fields = ["kind", "funder", "amount", "currency"]


class WebAddressField(serializers.URLField):
    """An http or https address; ``javascript:`` and the like are refused in words of
    their own rather than as "Enter a valid URL."."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            validate_web_address(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value


class ProgressUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressUpdate
        fields = ["id", "period", "period_start", "period_end", "assessment", "text"]


class PracticeLinkSerializer(serializers.ModelSerializer):
    url = WebAddressField(max_length=500)

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


class WorkflowSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    version = serializers.IntegerField(help_text=_("Send it back with your next change."))
    editable = serializers.BooleanField(help_text=_("Whether you may change the case now."))
    transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(STEPS)),
        help_text=_("The steps you may take now: POST to the case's address plus the verb."),
    )


class PracticeSerializer(serializers.ModelSerializer):
    url = api_link("api-practice-detail", "slug")
    places = PlaceBriefSerializer(many=True, read_only=True)
    themes = ThemeBriefSerializer(many=True, read_only=True)
    organisations = OrganisationBriefSerializer(many=True, read_only=True)
    workflow = serializers.SerializerMethodField(
        help_text=_("Null for the public; for the case's submitter and the curators, its state.")
    )

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
            "workflow",
        ]

    @extend_schema_field(WorkflowSerializer(allow_null=True))
    def get_workflow(self, practice: BestPractice) -> dict | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if practice.submitted_by_id != user.pk and not is_curator(user):
            return None
        return {
            "status": practice.status,
            "version": practice.version,
            "editable": practice.is_editable_by(user),
            "transitions": allowed_transitions(practice, user),
        }


class PracticeDetailSerializer(PracticeSerializer):
    impacts = ImpactSerializer(many=True, read_only=True)
    cost_items = CostSerializer(many=True, read_only=True)
    financing = FinancingSerializer(many=True, read_only=True)
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
            "cost_items",
            "financing",
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


_SECTION_LIMITS = {name: {"max_length": SECTION_MAX_LENGTH} for name in SECTION_FIELDS}


def _rows_help(rows: str):
    return format_lazy(
        _(
            "Optional. When given, this list replaces all the case's {rows}: leave it out "
            "to keep them, send [] to remove them all. At most {limit}."
        ),
        rows=rows,
        limit=MAX_ROWS,
    )


class PracticeWriteSerializer(serializers.ModelSerializer):
    places = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Place.objects.all(), required=False, help_text=_("Place ids.")
    )
    themes = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Theme.objects.all(), required=False
    )
    organisations = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Organisation.objects.all(),
        required=False,
        help_text=_("Organisation ids."),
    )
    impacts = ImpactWriteSerializer(
        many=True, required=False, max_length=MAX_ROWS, help_text=_rows_help(_("impacts"))
    )
    cost_items = CostSerializer(
        many=True, required=False, max_length=MAX_ROWS, help_text=_rows_help(_("costs"))
    )
    financing = FinancingSerializer(
        many=True,
        required=False,
        max_length=MAX_ROWS,
        help_text=_rows_help(_("sources of financing")),
    )
    links = PracticeLinkSerializer(
        many=True, required=False, max_length=MAX_ROWS, help_text=_rows_help(_("links"))
    )

    class Meta:
        model = BestPractice
        fields = [
            "title",
            "summary",
            "context",
            "actions",
            "results",
            "costs",
            "lessons",
            "replication",
            "implementation",
            "start_year",
            "end_year",
            "language",
            "places",
            "themes",
            "organisations",
            "contact_name",
            "contact_email",
            "contact_is_public",
            "licence",
            "impacts",
            "cost_items",
            "financing",
            "links",
        ]
        extra_kwargs = _SECTION_LIMITS


class PracticeCreateSerializer(PracticeWriteSerializer):
    submission_key = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=_(
            "A UUID the client makes once per case and sends with every try: a repeated "
            "request with the same key answers with the case the first one created."
        ),
    )

    class Meta(PracticeWriteSerializer.Meta):
        fields = [*PracticeWriteSerializer.Meta.fields, "submission_key"]


class PracticeUpdateSerializer(PracticeWriteSerializer):
    version = serializers.IntegerField(
        min_value=1,
        help_text=_("The version you started from (workflow.version); a newer one answers 409."),
    )

    class Meta(PracticeWriteSerializer.Meta):
        fields = [*PracticeWriteSerializer.Meta.fields, "version"]

    def validate(self, attrs: dict) -> dict:
        # A partial update skips required fields; the version is never optional.
        if "version" not in attrs:
            raise serializers.ValidationError({"version": _("This field is required.")})
        return attrs


class TransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5_000,
        help_text=_("Why: shown to the submitter or the curators, and kept in the record."),
    )
