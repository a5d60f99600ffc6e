"""Serializers of indicators and measurements."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cset.reference.api.serializers import (
    PlaceBriefSerializer,
    SourceBriefSerializer,
    ThemeBriefSerializer,
    api_link,
)

from ..models import Indicator, IndicatorMapping, Measurement


class IndicatorBriefSerializer(serializers.ModelSerializer):
    url = api_link("api-indicator-detail", "code")

    class Meta:
        model = Indicator
        fields = ["code", "url", "name", "unit"]


class IndicatorMappingSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorMapping
        fields = ["scheme", "code", "match"]


class IndicatorSerializer(serializers.ModelSerializer):
    url = api_link("api-indicator-detail", "code")
    theme = ThemeBriefSerializer(read_only=True, allow_null=True)
    source = SourceBriefSerializer(read_only=True, allow_null=True)
    mappings = IndicatorMappingSerializer(
        many=True,
        read_only=True,
        help_text=_("Counterparts in external frameworks (ISO 37120, ISO 37122, U4SSC, SDG)."),
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "url",
            "name",
            "theme",
            "unit",
            "direction",
            "quantity_kind",
            "definition",
            "source",
            "mappings",
        ]


class MeasurementSerializer(serializers.ModelSerializer):
    url = api_link("api-measurement-detail")
    place = PlaceBriefSerializer(read_only=True)
    indicator = IndicatorBriefSerializer(read_only=True)
    source = SourceBriefSerializer(read_only=True)
    unit_canonical = serializers.CharField(
        source="indicator.unit",
        read_only=True,
        help_text=_("The indicator's canonical unit, the unit of value_canonical."),
    )
    quality_flags = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("e.g. inconsistent_total")
    )

    class Meta:
        model = Measurement
        fields = [
            "id",
            "url",
            "place",
            "indicator",
            "year",
            "value",
            "unit",
            "value_canonical",
            "unit_canonical",
            "notation",
            "method",
            "verification",
            "quality_flags",
            "note",
            "source",
        ]
