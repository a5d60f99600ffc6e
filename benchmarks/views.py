"""Pages of indicators: the list grouped by theme, and one indicator's page, which compares
places among their peers (a chart, a ranked table, downloads in CSV, XLSX and JSON)."""

import logging
from dataclasses import dataclass

from django import forms
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cset.reference.choices import PlaceTier
from cset.reference.models import Place, Source, Theme
from cset.reference.pages import (
    FacetChoice,
    filter_data,
    page_of,
    query_without,
    requested_page,
)

from .choices import Notation, QualityFlag, QuantityKind
from .derived import DERIVED
from .filters import IndicatorFilterSet
from .forms import ComparisonForm
from .models import Indicator, Measurement
from .peers import (
    POPULATION_BANDS,
    Comparison,
    Spread,
    Standing,
    compare,
    default_year,
    value_years,
)
from .scorecard import standings_by_year

logger = logging.getLogger(__name__)

FLAG_LABELS = dict(QualityFlag.choices)

DERIVED_BY_CODE = {spec.indicator.code: spec for spec in DERIVED}

# The ranked table's rows per page; the downloads hold every row.
RANKED_PER_PAGE = 50

# Above this many places the chart draws the quartiles and the chosen place, not every place.
CHART_POINTS_MAX = 5000

# The comparison's downloads (benchmarks.downloads).
DOWNLOAD_FORMATS = ("csv", "xlsx", "json")

# The form's fields that narrow the group beyond tier and place: folded away when unused.
NARROWING_FIELDS = (
    "country",
    "subdivision",
    "region",
    "continent",
    "population",
    "network",
    "peer_group",
    "all_countries",
)


def indicator_list(request: HttpRequest):
    """Every indicator, grouped by theme, with how many places have a value for it."""
    data = filter_data(request)
    indicators = Indicator.objects.select_related("theme").annotate(
        place_count=Coalesce(Subquery(_places_with_values()), 0)
    )
    filterset = IndicatorFilterSet(data, queryset=indicators)
    rows = filterset.qs.order_by(
        F("theme__position").asc(nulls_last=True),
        F("theme__name").asc(nulls_last=True),
        "theme_id",
        "name",
        "pk",
    )
    context = {
        "filterset": filterset,
        "groups": _group_by_theme(rows),
        "theme_facet": _theme_facet(data),
        "kind_facet": _quantity_kind_facet(data),
        "search": data.get("search", ""),
        "is_filtered": any(data.get(name) for name in filterset.filters),
    }
    return render(request, "benchmarks/indicator_list.html", context)


def _places_with_values() -> QuerySet:
    """How many distinct places have a value of the outer query's indicator.

    A correlated subquery rather than ``Count`` over a join: on SQLite, Django groups a
    joined count by every selected column, which sorted all 400,000 measurements of the real
    data into a temporary B-tree (6.5 s); the subquery counts one indicator at a time.
    """
    return (
        Measurement.objects.filter(indicator=OuterRef("pk"), value_canonical__isnull=False)
        .order_by()
        .values("indicator")
        .annotate(count=Count("place", distinct=True))
        .values("count")
    )


@dataclass
class ThemeGroup:
    """Indicators of one theme (``theme`` is None for those without one)."""

    theme: Theme | None
    indicators: list[Indicator]


def _group_by_theme(indicators: QuerySet) -> list[ThemeGroup]:
    groups: list[ThemeGroup] = []
    for indicator in indicators:
        if not groups or groups[-1].theme != indicator.theme:
            groups.append(ThemeGroup(indicator.theme, []))
        groups[-1].indicators.append(indicator)
    return groups


def _facet_counts(data: QueryDict, name: str, field: str) -> dict:
    """Indicators per value of ``field`` under every filter but ``name`` (one query)."""
    others = data.copy()
    others.pop(name, None)
    filterset = IndicatorFilterSet(others, queryset=Indicator.objects.all())
    counts = filterset.qs.order_by().values(field).annotate(count=Count("pk"))
    return {row[field]: row["count"] for row in counts}


def _theme_facet(data: QueryDict) -> list[FacetChoice]:
    counts = _facet_counts(data, "theme", "theme__slug")
    themes = Theme.objects.filter(indicators__isnull=False).distinct().order_by("position", "name")
    selected = data.get("theme", "")
    return [
        FacetChoice(theme.slug, theme.name, counts.get(theme.slug, 0), theme.slug == selected)
        for theme in themes
    ]


def _quantity_kind_facet(data: QueryDict) -> list[FacetChoice]:
    counts = _facet_counts(data, "quantity_kind", "quantity_kind")
    selected = data.get("quantity_kind", "")
    return [
        FacetChoice(value, label, counts[value], value == selected)
        for value, label in QuantityKind.choices
        if counts.get(value) or value == selected
    ]


def indicator_detail(request: HttpRequest, code: str):
    """One indicator: what it means, where it comes from, and where places stand among
    their peers in a chosen year (a chart, a ranked table and downloads)."""
    indicator = get_object_or_404(
        Indicator.objects.select_related("theme", "source", "country").prefetch_related("mappings"),
        code=code,
    )
    years = value_years(indicator)
    form = comparison_form(request, years)
    context = {
        "indicator": indicator,
        "sources": _indicator_sources(indicator),
        "derived_inputs": derived_inputs(indicator),
        "years": years,
        "form": form,
        "open_narrowing": any(form[name].value() or form[name].errors for name in NARROWING_FIELDS),
    }
    if not form.is_valid():
        return render(request, "benchmarks/indicator_detail.html", context, status=400)
    if years:
        context.update(_comparison_context(request, indicator, form, years))
    return render(request, "benchmarks/indicator_detail.html", context)


def derived_inputs(indicator: Indicator) -> dict | None:
    """The numerator and denominator indicators of a derived indicator, else None."""
    spec = DERIVED_BY_CODE.get(indicator.code)
    if spec is None:
        return None
    inputs = Indicator.objects.in_bulk([spec.numerator, spec.denominator], field_name="code")
    if len(inputs) < 2:
        return None
    return {
        "numerator": inputs[spec.numerator],
        "denominator": inputs[spec.denominator],
        "denominator_sources": sorted(spec.denominator_sources.items()),
    }


def comparison_form(request: HttpRequest, years: list[int]) -> ComparisonForm:
    """The comparison chosen by the query string, validated; a year must have values.

    Without a tier, a place or a saved group, the peers are the local places: the tier
    most places belong to. The form shows the tier as not chosen, so that a place typed in
    later brings its own.
    """
    form = ComparisonForm(request.GET, default_tier=PlaceTier.LOCAL)
    form.fields["year"].widget = forms.Select(choices=_year_choices(years))
    if form.is_valid():
        form.check_year(years)
    return form


def _year_choices(years: list[int]) -> list[tuple]:
    # The latest year of the group or of the chosen place: the comparison's heading says which.
    return [("", _("Latest with values")), *((year, year) for year in years)]


def chosen_comparison(
    indicator: Indicator, form: ComparisonForm, years: list[int], **lines
) -> Comparison:
    """The comparison the valid ``form`` asks for, of its year or the default one (the
    place's latest, else the group's; ``peers.default_year``); ``lines`` say which lines of
    its list to fetch (``peers.compare``)."""
    data = form.cleaned_data
    group, verified_only = form.group(), data["verified"]
    year = data["year"]
    if year is None:
        found = default_year(indicator, group, data["place"], verified_only=verified_only)
        year = found or years[0]
    return compare(indicator, year, group, verified_only=verified_only, **lines)


@dataclass
class RankedRow:
    """A row of the ranked table: a place's standing and the measurement behind it."""

    standing: Standing
    measurement: Measurement
    chosen: bool

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS.get(flag, flag)) for flag in self.measurement.quality_flags]

    @property
    def shown_value(self) -> str:
        return format_number(self.standing.value)


def _comparison_context(
    request: HttpRequest, indicator: Indicator, form: ComparisonForm, years: list[int]
) -> dict:
    place = form.cleaned_data["place"]
    number = requested_page(request)
    comparison = chosen_comparison(
        indicator,
        form,
        years,
        offset=(number - 1) * RANKED_PER_PAGE,
        limit=RANKED_PER_PAGE,
        place_id=place.pk if place else None,
        every_value_up_to=CHART_POINTS_MAX,
    )
    chosen = comparison.place
    page = page_of(comparison.as_list(), number, RANKED_PER_PAGE)
    page.object_list = _ranked_rows(page.object_list, place)
    query = query_without(request, "page")
    return {
        "comparison": comparison,
        "place": place,
        "chosen": chosen,
        "chosen_value": format_number(chosen.value) if chosen else "",
        "shown_spread": _shown_spread(comparison.spread),
        "chosen_page": chosen.ordinal // RANKED_PER_PAGE + 1 if chosen is not None else None,
        "place_in_tier": place is None or place.tier == comparison.group.tier,
        "page": page,
        "query": query,
        # A row's "compare" link puts its place in place of the chosen one.
        "compare_query": query_without(request, "page", "place"),
        "chart": _chart_data(comparison, place, chosen),
        "by_year": _place_by_year(request, comparison, place),
        "missing": missing_notations(comparison),
        "bands": _band_links(request),
        "narrower": _narrower_links(request, place),
        "downloads": {
            name: reverse(f"indicators:comparison-{name}", args=[indicator.code])
            + (f"?{query}" if query else "")
            for name in DOWNLOAD_FORMATS
        },
    }


def _shown_spread(spread: Spread) -> dict:
    """The spread's figures written for readers (empty when no place has a value)."""
    if not spread.size:
        return {}
    names = ["minimum", "lower_quartile", "median", "upper_quartile", "maximum"]
    return {name: format_number(getattr(spread, name)) for name in names}


def _ranked_rows(standings: list[Standing], place: Place | None) -> list[RankedRow]:
    """The page's standings with their measurements, places and sources (one query)."""
    measurements = Measurement.objects.select_related("place__country", "source").in_bulk(
        [standing.measurement_id for standing in standings]
    )
    return [
        RankedRow(
            standing,
            measurements[standing.measurement_id],
            place is not None and standing.place_id == place.pk,
        )
        for standing in standings
    ]


def missing_notations(comparison: Comparison) -> list[dict]:
    """The places of the group that give, instead of a value for the year, only a notation
    saying why (one query): how many, by notation."""
    year = comparison.year
    with_value = Measurement.objects.filter(
        indicator=comparison.indicator, year=year, value_canonical__isnull=False
    ).values("place_id")
    missing = Measurement.objects.filter(
        indicator=comparison.indicator, year=year, value_canonical__isnull=True
    )
    counts = (
        comparison.group.keep(missing)
        .exclude(place__in=with_value)
        .order_by()
        .values("notation")
        .annotate(places=Count("place", distinct=True))
        .order_by("notation")
    )
    labels = dict(Notation.choices)
    return [
        {"notation": row["notation"], "label": labels.get(row["notation"]), "places": row["places"]}
        for row in counts
    ]


def _chart_data(comparison: Comparison, place: Place | None, chosen: Standing | None) -> dict:
    """What static/js/charts.js draws: the box of the quartiles, every value as a strip
    (up to ``CHART_POINTS_MAX``) and the chosen place, with the chart's words translated."""
    spread = comparison.spread
    # A single value, or values all alike, make no picture: the table says it all.
    if not spread.size or spread.minimum == spread.maximum:
        return {}
    values = [float(f"{value:.6g}") for value in comparison.values]
    box = [
        spread.minimum,
        spread.lower_quartile,
        spread.median,
        spread.upper_quartile,
        spread.maximum,
    ]
    return {
        "unit": comparison.indicator.unit,
        "box": box,
        "values": values,
        "place": {"name": place.name, "value": chosen.value} if chosen else None,
        "labels": {
            "box": _("Spread"),
            "strip": _("Places"),
            "minimum": _("Minimum"),
            "lower_quartile": _("Lower quartile"),
            "median": _("Median"),
            "upper_quartile": _("Upper quartile"),
            "maximum": _("Maximum"),
            "value": _("Value"),
        },
    }


def _place_by_year(request: HttpRequest, comparison: Comparison, place: Place | None) -> dict:
    """The chosen place's standing in the same group in every year it has a value: a table
    whose years link to their comparison, and the percentiles as a line chart."""
    if place is None:
        return {}
    found = standings_by_year(
        place, comparison.indicator, comparison.group, verified_only=comparison.verified_only
    )
    if not found:
        return {}
    rows = [
        {
            "year": row.year,
            "value": format_number(row.measurement.value_canonical),
            "standing": row.standing,
            "current": row.year == comparison.year,
            "url": query_with(request, year=str(row.year)) + "#standing",
        }
        for row in found
    ]
    percentiles = [row.standing.percentile if row.standing else None for row in found]
    ranked_years = sum(percentile is not None for percentile in percentiles)
    chart = {}
    if ranked_years >= 2:
        chart = {
            "name": _("Percentile"),
            "unit": "",
            "years": [row.year for row in found],
            "values": percentiles,
            "min": 0,
            "max": 100,
        }
    return {"rows": rows, "chart": chart, "ranked": ranked_years > 0}


def query_with(request: HttpRequest, **changes: str) -> str:
    """The current query string with ``changes`` (an empty value removes the name), without
    the page number, as a link's ``?…``."""
    data = request.GET.copy()
    data.pop("page", None)
    for name, value in changes.items():
        data.pop(name, None)
        if value:
            data[name] = value
    return "?" + data.urlencode()


def _band_links(request: HttpRequest) -> list[dict]:
    """Links narrowing the group to each population band, or to any population."""
    current = request.GET.get("population", "")
    bands = [(key, label) for key, label, _low, _high in POPULATION_BANDS]
    return [
        {"label": label, "url": query_with(request, population=key), "current": key == current}
        for key, label in [*bands, ("", gettext_lazy("any population"))]
    ]


def _narrower_links(request: HttpRequest, place: Place | None) -> list[dict]:
    """Links to the chosen place's own region or subdivision, and across its borders."""
    if place is None:
        return []
    links = []
    if place.statistical_region:
        links.append(
            {
                "label": _("only %(region)s") % {"region": place.statistical_region},
                "url": query_with(request, region=place.statistical_region),
            }
        )
    if place.subdivision_code:
        links.append(
            {
                "label": _("only %(code)s") % {"code": place.subdivision_code},
                "url": query_with(request, subdivision=place.subdivision_code),
            }
        )
    links.append(
        {
            "label": _("all of %(country)s") % {"country": place.country.name},
            "url": query_with(request, region="", subdivision="", all_countries=""),
        }
    )
    links.append(
        {
            "label": _("every country"),
            "url": query_with(request, region="", subdivision="", all_countries="on"),
        }
    )
    return links


def format_number(value: float) -> str:
    """A value with the decimals its size deserves, grouped as the reader's language does."""
    magnitude = abs(value)
    if float(value).is_integer() or magnitude >= 1000:
        decimals = 0
    elif magnitude >= 100:
        decimals = 1
    elif magnitude >= 1:
        decimals = 2
    else:
        decimals = 3
    return formats.number_format(
        round(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


def _indicator_sources(indicator: Indicator) -> list[Source]:
    """The indicator's own source, or else every source its values come from.

    One probe of the (indicator, source) index per source, rather than reading every value
    of the indicator to find a handful of sources.
    """
    if indicator.source is not None:
        return [indicator.source]
    used = Measurement.objects.filter(indicator=indicator, source=OuterRef("pk"))
    return list(Source.objects.filter(Exists(used)).order_by("title", "pk"))
