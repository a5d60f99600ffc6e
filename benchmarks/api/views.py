"""Read-only API of indicators, measurements and peer comparisons."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cset.reference.api.pagination import CappedLimitOffsetPagination
from cset.reference.api.views import UNICODE_SLUG

from ..filters import IndicatorFilterSet, MeasurementFilterSet, has_values
from ..forms import ComparisonForm
from ..models import Indicator, Measurement
from ..peers import (
    Comparison,
    PeerGroup,
    Spread,
    Standing,
    compare,
    default_year,
    refusal,
    value_years,
)
from ..scorecard import standings_by_year
from .pagination import MeasurementPagination
from .serializers import BenchmarkSerializer, IndicatorSerializer, MeasurementSerializer


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """Indicators measured for places, by code, with the catalogue's definitions and mappings."""

    queryset = (
        Indicator.objects.select_related("theme", "source")
        .prefetch_related("mappings")
        .annotate(has_values=has_values())
    )
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    lookup_field = "code"
    lookup_value_regex = UNICODE_SLUG
    ordering_fields = ["code", "name", "id"]
    ordering = ["code", "pk"]


class MeasurementViewSet(viewsets.ReadOnlyModelViewSet):
    """Values of indicators for places and years, by id; ``?cursor=`` for large pulls."""

    queryset = Measurement.objects.select_related("place", "indicator", "source")
    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilterSet
    pagination_class = MeasurementPagination
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["year", "value_canonical", "id"]
    ordering = ["year", "pk"]


# Peer comparison --------------------------------------------------------------------------


class BenchmarkForm(ComparisonForm):
    """The comparison's choices, and the indicator compared (required)."""

    indicator = forms.SlugField(
        label=_("Indicator"),
        max_length=Indicator._meta.get_field("code").max_length,
        help_text=_("Code of the indicator compared, such as gb-co2-per-person."),
    )

    def clean_indicator(self) -> Indicator:
        indicator = Indicator.objects.filter(code=self.cleaned_data["indicator"]).first()
        if indicator is None:
            raise forms.ValidationError(_("There is no indicator with this code."))
        return indicator


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    """The form's errors as DRF writes a 400: messages by field."""
    return {
        "non_field_errors" if name == NON_FIELD_ERRORS else name: list(messages)
        for name, messages in form.errors.items()
    }


def _schema_parameters() -> list[OpenApiParameter]:
    """The query parameters, read from the form so that schema and validation agree."""
    types = {forms.IntegerField: OpenApiTypes.INT, forms.BooleanField: OpenApiTypes.BOOL}
    parameters = []
    for name, field in BenchmarkForm.base_fields.items():
        choices = getattr(field, "choices", None)
        parameters.append(
            OpenApiParameter(
                name,
                type=types.get(type(field), OpenApiTypes.STR),
                location=OpenApiParameter.QUERY,
                required=field.required,
                description=field.help_text or field.label,
                enum=[value for value, _label in choices if value] if choices else None,
            )
        )
    most = {
        "default": CappedLimitOffsetPagination.default_limit,
        "most": CappedLimitOffsetPagination.max_limit,
    }
    limit = _("Standings per page: %(default)s by default, at most %(most)s.") % most
    offset = _("Standings to skip, from the best.")
    for name, description in (("limit", limit), ("offset", offset)):
        parameters.append(OpenApiParameter(name, OpenApiTypes.INT, description=description))
    return parameters


class BenchmarkView(APIView):
    """Where each place of a peer group stands for one indicator and year: rank (1 is best),
    direction-aware percentile (100 is best), and the group's quartiles and median.

    The peers are places of one tier (a place alone means its tier in its country),
    narrowed by any other criterion, or a saved peer group. Fewer than 5 places with values
    get no ranking, and ``refusal`` says why; an indicator without values answers an empty
    comparison, not an error.
    """

    @extend_schema(
        operation_id="benchmarks_compare",
        parameters=_schema_parameters(),
        responses={
            200: BenchmarkSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description=_("Messages by parameter, for each bad one.")
            ),
        },
    )
    def get(self, request: Request) -> Response:
        form = BenchmarkForm(request.query_params)
        if form.is_valid():
            form.check_year(value_years(form.cleaned_data["indicator"]))
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        data = form.cleaned_data
        indicator, place, verified_only = data["indicator"], data["place"], data["verified"]
        group = form.group()
        year = data["year"] or default_year(indicator, group, place, verified_only=verified_only)
        paginator = CappedLimitOffsetPagination()
        lines = {
            # Past the end anyway; a database integer would overflow on more.
            "offset": min(paginator.get_offset(request), 2**31 - 1),
            "limit": paginator.get_limit(request),
            "place_id": place.pk if place else None,
        }
        comparison = _compare(indicator, year, group, verified_only, lines)

        page = paginator.paginate_queryset(comparison.as_list(), request, view=self)
        own = [comparison.place] if comparison.place else []
        rows = _standing_rows([*page, *own], indicator)
        body = {
            "indicator": indicator,
            "year": year,
            "peer_group": _peer_group(group, data["peer_group"]),
            "verified_only": verified_only,
            "ranked": comparison.ranked,
            "refusal": comparison.refusal,
            "spread": comparison.spread,
            "place": rows[-1] if own else None,
            "place_by_year": _place_by_year(place, indicator, group, verified_only),
            "count": paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": rows[: len(page)],
        }
        return Response(BenchmarkSerializer(body, context={"request": request}).data)


def _compare(
    indicator: Indicator, year: int | None, group: PeerGroup, verified_only: bool, lines: dict
) -> Comparison:
    """The comparison of ``year`` with the ``lines`` asked for (``peers.compare``); without
    a year (no values at all), an empty one."""
    if year is not None:
        return compare(indicator, year, group, verified_only=verified_only, **lines)
    return Comparison(
        indicator=indicator,
        year=year,
        group=group,
        verified_only=verified_only,
        spread=Spread(size=0),
        refusal=refusal(indicator, 0),
    )


def _place_by_year(place, indicator: Indicator, group: PeerGroup, verified_only: bool) -> list:
    """The place's standing in the same group in every year it has a value, oldest first."""
    if place is None:
        return []
    return [
        {
            "year": row.year,
            "measurement": row.measurement.pk,
            "value": row.measurement.value_canonical,
            "rank": row.standing.rank if row.standing else None,
            "percentile": row.standing.percentile if row.standing else None,
            "group_size": row.standing.group_size if row.standing else None,
        }
        for row in standings_by_year(place, indicator, group, verified_only=verified_only)
    ]


def _peer_group(group: PeerGroup, saved) -> dict:
    return {
        "description": group.describe(),
        "criteria": {
            "tier": group.tier,
            "country": group.country,
            "subdivision": group.subdivision,
            "region": group.region,
            "continent": group.continent,
            "population": group.band,
            "network": group.network,
            "peer_group": saved.slug if saved else None,
        },
    }


def _standing_rows(standings: list[Standing], indicator: Indicator) -> list[dict]:
    """The standings with their place, source and verification: one query for them all."""
    measurements: QuerySet = (
        Measurement.objects.filter(pk__in={row.measurement_id for row in standings})
        .select_related("place", "source")
        .only("verification", "place__slug", "place__name", "source__slug")
    )
    by_id = {measurement.pk: measurement for measurement in measurements}
    rows = []
    for standing in standings:
        measurement = by_id[standing.measurement_id]
        rows.append(
            {
                "place": measurement.place,
                "measurement": measurement.pk,
                "value": standing.value,
                "unit": indicator.unit,
                "rank": standing.rank,
                "percentile": standing.percentile,
                "verification": measurement.verification,
                "source": measurement.source.slug,
            }
        )
    return rows
