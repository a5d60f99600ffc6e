"""POST /api/v1/measurements/import/: curators import a CSV or XLSX file of measurements.

The same service as the import pages (``benchmarks.imports``): a dry run says row by row
what the file would do; ``dry_run=false`` writes every row or none. Signed in with the
session and its CSRF token, like the other writes.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import imports
from ..import_files import body_too_large, too_large_message
from ..models import IMPORT_PERMISSION, ImportBatch, ImportStatus


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The stored data changed since the dry run."
    default_code = "conflict"


class CanImportMeasurements(BasePermission):
    message = "Only curators may import measurements."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(IMPORT_PERMISSION))


class MeasurementImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A CSV (UTF-8, `,` or `;` separated) or XLSX file; the first row names "
        "the columns."
    )
    dry_run = serializers.BooleanField(
        default=True,
        help_text="true (the default): say what the file would do and write nothing; "
        "false: write every row, or none when any row is refused.",
    )


class MeasurementImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row's number in the file (the header is 1).")
    outcome = serializers.ChoiceField(choices=imports.Outcome.choices)
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why it is refused.")
    place = serializers.CharField()
    place_slug = serializers.CharField(allow_blank=True)
    indicator = serializers.CharField(allow_blank=True)
    year = serializers.CharField(help_text="The year; as written when it is refused.")
    source = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True, help_text="The value as written.")
    unit = serializers.CharField(allow_blank=True)
    value_canonical = serializers.FloatField(allow_null=True)
    canonical_unit = serializers.CharField(allow_blank=True)
    notation = serializers.CharField(allow_blank=True)
    method = serializers.CharField()
    verification = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    measurement = serializers.IntegerField(
        allow_null=True, help_text="The id of the stored measurement the row meets."
    )
    changes = serializers.DictField(
        child=serializers.ListField(),
        help_text="For an update, each changed field with its [old, new] values.",
    )


class MeasurementImportTotalsSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    create = serializers.IntegerField()
    update = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    refused = serializers.IntegerField()


class MeasurementImportResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField(help_text="The import's record in the history.")
    status = serializers.ChoiceField(choices=ImportStatus.choices)
    file_name = serializers.CharField()
    checksum = serializers.CharField(help_text="SHA-256 of the file.")
    totals = MeasurementImportTotalsSerializer()
    rows = MeasurementImportRowSerializer(
        many=True, help_text="Every row; when the answer is 400, the refused rows only."
    )


class MeasurementImportFileRefusalSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.CharField())
    batch = serializers.IntegerField(allow_null=True)


def _result(batch: ImportBatch, *, refused_only: bool = False) -> dict:
    rows = batch.changes or []
    if refused_only:
        rows = [row for row in rows if row.get("outcome") == imports.Outcome.REFUSED]
    return {
        "batch": batch.pk,
        "status": batch.status,
        "file_name": batch.file_name,
        "checksum": batch.checksum,
        "totals": {
            "rows": batch.row_count,
            "create": batch.created_count,
            "update": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "refused": batch.refused_count,
        },
        "rows": rows,
    }


class MeasurementImportView(APIView):
    """Import measurements from a CSV or XLSX file (curators)."""

    permission_classes = [CanImportMeasurements]
    parser_classes = [MultiPartParser, FormParser]

    def initial(self, request: Request, *args, **kwargs) -> None:
        # Authentication checks CSRF, which parses the whole body: an oversized one is
        # refused on its declared size first, unread.
        if body_too_large(request.META.get("CONTENT_LENGTH")):
            raise PayloadTooLarge(too_large_message())
        super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Import measurements (dry run or commit)",
        description=(
            "Curators only (the `benchmarks.import_measurement` permission). Columns: "
            "place_scheme + place_id, or place_name + country (+ subdivision); indicator; "
            "year; value + unit, or notation (NO, IE, NE, C, NR); source; method; "
            "verification; note. Each import is recorded in the history whatever its outcome."
        ),
        request={"multipart/form-data": MeasurementImportSerializer},
        responses={
            200: OpenApiResponse(MeasurementImportResultSerializer, description="The dry run."),
            201: OpenApiResponse(
                MeasurementImportResultSerializer, description="Written, every row."
            ),
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="MeasurementImportRefusal",
                    serializers=[
                        MeasurementImportResultSerializer,
                        MeasurementImportFileRefusalSerializer,
                    ],
                    resource_type_field_name=None,
                ),
                description="Rows are refused (the refused rows with their reasons; nothing "
                "written), or the file cannot be read (`file` says why).",
            ),
            403: OpenApiResponse(description="Not signed in as a curator."),
            409: OpenApiResponse(description="The stored data changed while importing."),
            413: OpenApiResponse(description="The file is over the size limit."),
        },
    )
    def post(self, request: Request) -> Response:
        body = MeasurementImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload, dry_run = body.validated_data["file"], body.validated_data["dry_run"]
        service = imports.prepare if dry_run else imports.import_now
        try:
            batch = service(upload, request.user)
        except imports.FileRefused as refusal:
            answer = {"file": [str(refusal)], "batch": refusal.batch.pk if refusal.batch else None}
            code = 413 if refusal.code == "too_large" else 400
            return Response(answer, status=code)
        except imports.ImportRefused as refusal:
            raise Conflict(str(refusal) or _("Nothing was imported.")) from refusal

        if batch.status == ImportStatus.REFUSED:
            return Response(_result(batch, refused_only=True), status=status.HTTP_400_BAD_REQUEST)
        code = status.HTTP_201_CREATED if batch.status == ImportStatus.COMMITTED else 200
        return Response(_result(batch), status=code)
