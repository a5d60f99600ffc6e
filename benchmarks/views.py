"""Pages of indicators: the list grouped by theme, and one indicator's values across places."""

from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from cset.reference.models import Source, Theme
from cset.reference.pages import FacetChoice, csv_response, filter_data, paginate, query_without

from .choices import QualityFlag, QuantityKind
from .filters import IndicatorFilterSet, MeasurementFilterSet
from .models import Indicator, Measurement

VALUES_PER_PAGE = 50

# How the values table may be sorted; the first is the default. Missing values come last in
# both directions and the id breaks ties, as in the API's ``ordering``.
VALUE_SORTS = {
    "-value": (F("value_canonical").desc(nulls_last=True), F("pk").asc()),
    "value": (F("value_canonical").asc(nulls_last=True), F("pk").asc()),
    "place": (F("place__name").asc(), F("pk").asc()),
    "-place": (F("place__name").desc(), F("pk").asc()),
}

SORT_LABELS = {
    "-value": gettext_lazy("value, largest first"),
    "value": gettext_lazy("value, smallest first"),
    "place": gettext_lazy("place, A to Z"),
    "-place": gettext_lazy("place, Z to A"),
}

FLAG_LABELS = dict(QualityFlag.choices)


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
    """One indicator: what it means, where it comes from, and its values for one year."""
    indicator = get_object_or_404(
        Indicator.objects.select_related("theme", "source").prefetch_related("mappings"),
        code=code,
    )
    years = _years_with_values(indicator)
    year, year_refused = _chosen_year(request, years)
    sort = _chosen_sort(request)
    page = paginate_values(request, indicator, year, sort) if year is not None else None
    context = {
        "indicator": indicator,
        "sources": _indicator_sources(indicator),
        "years": [row["year"] for row in years],
        "year": year,
        "year_refused": year_refused,
        "sort": sort,
        "sort_label": SORT_LABELS[sort],
        "page": page,
        "query": query_without(request, "page"),
        "sort_query": query_without(request, "page", "sort"),
    }
    return render(request, "benchmarks/indicator_detail.html", context)


def indicator_values_csv(request: HttpRequest, code: str):
    """The rows of the values table for the chosen year and sort, all pages, as CSV."""
    indicator = get_object_or_404(Indicator, code=code)
    year, _refused = _chosen_year(request, _years_with_values(indicator))
    sort = _chosen_sort(request)
    rows = Measurement.objects.none() if year is None else indicator_values(indicator, year, sort)
    header = [
        "place_slug",
        "place_name",
        "country",
        "year",
        "value",
        "unit",
        "notation",
        "source",
        "licence",
        "method",
        "verification",
        "quality_flags",
    ]
    # Plain tuples, not model instances: a year of population has 12,000 rows.
    fields = [
        "place__slug",
        "place__name",
        "place__country_id",
        "year",
        "value_canonical",
        "notation",
        "source__title",
        "source__licence",
        "method",
        "verification",
        "quality_flags",
    ]
    lines = (
        [*row[:5], indicator.unit if row[4] is not None else "", *row[5:10], ";".join(row[10])]
        for row in rows.values_list(*fields).iterator(chunk_size=2000)
    )
    return csv_response(f"{indicator.code}-{year or 'none'}.csv", header, lines)


def indicator_values(indicator: Indicator, year: int, sort: str) -> QuerySet:
    """The indicator's measurements of ``year``, one row per place and source, sorted.

    The rows are those of ``/api/v1/measurements/?indicator=<code>&year=<year>``: the same
    FilterSet selects them.
    """
    filterset = MeasurementFilterSet(
        {"indicator": indicator.code, "year": year},
        queryset=Measurement.objects.all(),
    )
    return filterset.qs.order_by(*VALUE_SORTS[sort])


def paginate_values(request: HttpRequest, indicator: Indicator, year: int, sort: str) -> Page:
    """The requested page of the values table, with the labels of each row's quality flags.

    The database sorts and pages only the ids (narrow rows, so a sort of a whole year stays
    cheap); then one query loads the page's rows with their place, country and source.
    """
    ids = indicator_values(indicator, year, sort).values_list("pk", flat=True)
    page = paginate(request, ids, per_page=VALUES_PER_PAGE)
    rows = Measurement.objects.select_related("place__country", "source").in_bulk(
        list(page.object_list)
    )
    page.object_list = [rows[pk] for pk in page.object_list]
    for measurement in page.object_list:
        measurement.flag_labels = [
            FLAG_LABELS.get(flag, flag) for flag in measurement.quality_flags
        ]
    return page


def _years_with_values(indicator: Indicator) -> list[dict]:
    """Years with any row, newest first, each saying whether it has a value (one query)."""
    rows = (
        Measurement.objects.filter(indicator=indicator)
        .order_by()
        .values("year")
        .annotate(values=Count("value_canonical"))
        .order_by("-year")
    )
    return list(rows)


def _chosen_year(request: HttpRequest, years: list[dict]) -> tuple[int | None, str]:
    """The year asked for if it has rows, else the latest year with a value.

    Returns the year and, when the request asked for another one, what it asked for (so
    that the page can say why it shows a different year). A malformed year is not an error.
    """
    available = {row["year"] for row in years}
    default = next((row["year"] for row in years if row["values"]), None)
    if default is None and years:
        default = years[0]["year"]
    raw = request.GET.get("year", "")
    if not raw:
        return default, ""
    try:
        asked = int(raw)
    except ValueError:
        return default, raw[:20]
    if asked in available:
        return asked, ""
    return default, raw[:20]


def _chosen_sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in VALUE_SORTS else next(iter(VALUE_SORTS))


def _indicator_sources(indicator: Indicator) -> list[Source]:
    """The indicator's own source, or else every source its values come from."""
    if indicator.source is not None:
        return [indicator.source]
    # Two short queries rather than one IN (subquery), which SQLite plans as a probe per
    # source, four times slower. The model ordering is cleared: it would add columns to
    # the DISTINCT.
    source_ids = (
        Measurement.objects.filter(indicator=indicator)
        .order_by()
        .values_list("source_id", flat=True)
        .distinct()
    )
    return list(Source.objects.filter(pk__in=list(source_ids)).order_by("title", "pk"))
