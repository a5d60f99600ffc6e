"""Serializers of indicators, measurements and peer comparisons."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cset.reference.api.serializers import (
    PlaceBriefSerializer,
    SourceBriefSerializer,
    ThemeBriefSerializer,
    api_link,
)
from cset.reference.choices import Continent, PlaceTier

from ..choices import Verification
from ..derived import DERIVED_INPUTS
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


class DerivedFromSerializer(serializers.Serializer):
    numerator = serializers.CharField(help_text=_("Code of the indicator divided."))
    denominator = serializers.CharField(help_text=_("Code of the indicator divided by."))


class IndicatorSerializer(serializers.ModelSerializer):
    url = api_link("api-indicator-detail", "code")
    theme = ThemeBriefSerializer(read_only=True, allow_null=True)
    source = SourceBriefSerializer(read_only=True, allow_null=True)
    mappings = IndicatorMappingSerializer(
        many=True,
        read_only=True,
        help_text=_("Counterparts in external frameworks (ISO 37120, ISO 37122, U4SSC, SDG)."),
    )
    has_values = serializers.BooleanField(
        read_only=True,
        help_text=_("Whether any place has a value; catalogue indicators may have none yet."),
    )
    derived_from = serializers.SerializerMethodField(
        help_text=_("For a value computed per person or per 1,000 inhabitants: its inputs.")
    )
    country = serializers.CharField(
        source="country_id",
        read_only=True,
        allow_null=True,
        help_text=_("For a national statistic: the country whose places alone have values."),
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
            "country",
            "source",
            "mappings",
            "has_values",
            "derived_from",
        ]

    @extend_schema_field(DerivedFromSerializer(allow_null=True))
    def get_derived_from(self, indicator: Indicator) -> dict | None:
        inputs = DERIVED_INPUTS.get(indicator.code)
        if inputs is None:
            return None
        return {"numerator": inputs[0], "denominator": inputs[1]}


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
    numerator = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text=_("For a derived value: id of the measurement it was computed from."),
    )
    denominator = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text=_("For a derived value: id of the measurement it was divided by (population)."),
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
            "numerator",
            "denominator",
        ]


# Peer comparison (/api/v1/benchmarks/) ----------------------------------------------------


class BenchmarkIndicatorSerializer(IndicatorBriefSerializer):
    class Meta(IndicatorBriefSerializer.Meta):
        fields = [*IndicatorBriefSerializer.Meta.fields, "direction"]


class PeerCriteriaSerializer(serializers.Serializer):
    """The criteria of the group compared, after the defaults a place brings."""

    tier = serializers.ChoiceField(choices=PlaceTier.choices)
    country = serializers.CharField(allow_blank=True)
    subdivision = serializers.CharField(allow_blank=True)
    region = serializers.CharField(allow_blank=True)
    continent = serializers.ChoiceField(choices=Continent.choices, allow_blank=True)
    population = serializers.CharField(allow_blank=True, help_text=_("Population band key."))
    network = serializers.CharField(allow_blank=True)
    peer_group = serializers.CharField(
        allow_null=True, help_text=_("Slug of the saved peer group compared, if one is.")
    )


class PeerGroupSerializer(serializers.Serializer):
    description = serializers.CharField(help_text=_("The group in words."))
    criteria = PeerCriteriaSerializer()


class SpreadSerializer(serializers.Serializer):
    """The values of the places of the group: quartiles and median by linear interpolation."""

    size = serializers.IntegerField(help_text=_("How many places of the group have a value."))
    minimum = serializers.FloatField(allow_null=True)
    lower_quartile = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    upper_quartile = serializers.FloatField(allow_null=True)
    maximum = serializers.FloatField(allow_null=True)


class StandingSerializer(serializers.Serializer):
    place = PlaceBriefSerializer()
    measurement = serializers.IntegerField(help_text=_("Id of the measurement that counts."))
    value = serializers.FloatField(help_text=_("In the indicator's canonical unit."))
    unit = serializers.CharField()
    rank = serializers.IntegerField(
        allow_null=True, help_text=_("1 is best; ties share a rank. Null when not ranked.")
    )
    percentile = serializers.FloatField(
        allow_null=True,
        help_text=_("Direction-aware percent rank: 100 is best. Null when not ranked."),
    )
    verification = serializers.ChoiceField(choices=Verification.choices)
    source = serializers.SlugField(help_text=_("Slug of the value's source."))


class YearStandingSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    measurement = serializers.IntegerField(help_text=_("Id of the measurement that counts."))
    value = serializers.FloatField(help_text=_("In the indicator's canonical unit."))
    rank = serializers.IntegerField(
        allow_null=True, help_text=_("1 is best. Null when not ranked or not in the group.")
    )
    percentile = serializers.FloatField(
        allow_null=True, help_text=_("100 is best. Null when not ranked or not in the group.")
    )
    group_size = serializers.IntegerField(
        allow_null=True,
        help_text=_("Places of the group with a value that year; null when not in it."),
    )


class BenchmarkSerializer(serializers.Serializer):
    indicator = BenchmarkIndicatorSerializer()
    year = serializers.IntegerField(
        allow_null=True, help_text=_("The year compared; null when the indicator has no values.")
    )
    peer_group = PeerGroupSerializer()
    verified_only = serializers.BooleanField()
    ranked = serializers.BooleanField(help_text=_("False when there is no ranking: see refusal."))
    refusal = serializers.CharField(
        allow_blank=True, help_text=_("Why there is no ranking; empty when there is one.")
    )
    spread = SpreadSerializer()
    place = StandingSerializer(
        allow_null=True,
        help_text=_("The standing of the place asked for; null without one or without a value."),
    )
    place_by_year = YearStandingSerializer(
        many=True,
        help_text=_(
            "The place's standing in the same group in every year it has a value, oldest "
            "first, each year ranked on its own; empty without a place."
        ),
    )
    count = serializers.IntegerField(help_text=_("How many places have a standing."))
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StandingSerializer(many=True, help_text=_("Standings, best first."))
