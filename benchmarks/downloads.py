"""Downloads of an indicator's page: the comparison it shows as CSV, XLSX or JSON, with
the sources' licences and attribution, and every value of a year as CSV."""

import csv
import io
import logging

from django.db.models import Count, F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cset.reference.pages import csv_response, spreadsheet_safe

from .filters import MeasurementFilterSet
from .forms import ComparisonForm
from .models import Indicator, Measurement
from .peers import Comparison, Spread, value_years
from .views import chosen_comparison, comparison_form, query_with

logger = logging.getLogger(__name__)

# How the by-year values CSV may be sorted; the first is the default. Missing values come
# last in both directions and the id breaks ties, as in the API's ``ordering``.
VALUE_SORTS = {
    "-value": (F("value_canonical").desc(nulls_last=True), F("pk").asc()),
    "value": (F("value_canonical").asc(nulls_last=True), F("pk").asc()),
    "place": (F("place__name").asc(), F("pk").asc()),
    "-place": (F("place__name").desc(), F("pk").asc()),
}


DOWNLOAD_COLUMNS = [
    "place",
    "place_slug",
    "country",
    "year",
    "value",
    "unit",
    "rank",
    "percentile",
    "verification",
    "method",
    "source",
    "licence",
]


def comparison_download(request: HttpRequest, code: str, fmt: str):
    """The whole ranked group the page shows (every page of it) as CSV, XLSX or JSON, with
    the indicator, the group and the sources' attribution."""
    indicator = get_object_or_404(Indicator, code=code)
    years = value_years(indicator)
    form = comparison_form(request, years)
    if not form.is_valid():
        return _bad_request(form, fmt)
    if years:
        comparison = chosen_comparison(indicator, form, years)
    else:
        comparison = Comparison(
            indicator=indicator,
            year=None,
            group=form.group(),
            verified_only=form.cleaned_data["verified"],
            spread=Spread(size=0),
        )
    rows, sources = download_rows(comparison)
    about = _about(request, comparison, sources)
    file_name = f"{indicator.code}-{comparison.year or 'none'}-comparison.{fmt}"
    logger.info("comparison download %s %s %s", indicator.code, comparison.year, fmt)
    return DOWNLOADERS[fmt](file_name, about, rows, sources)


def _bad_request(form: ComparisonForm, fmt: str) -> HttpResponse:
    """The form's errors as the download's clients read them: JSON for JSON, text else."""
    if fmt == "json":
        return JsonResponse(
            {name: list(messages) for name, messages in form.errors.items()}, status=400
        )
    lines = [
        f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
        for name, messages in form.errors.items()
    ]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


def download_rows(comparison: Comparison) -> tuple[list[list], list[dict]]:
    """The rows of the download in the table's order, and the sources they come from.

    One query reads the details of every value of the year for places of the group's tier
    (a superset of the group, without a long list of ids); the standings pick theirs.
    """
    if comparison.year is None:
        return [], []
    details = {
        row[0]: row[1:]
        for row in Measurement.objects.filter(
            indicator=comparison.indicator,
            year=comparison.year,
            value_canonical__isnull=False,
            place__tier=comparison.group.tier,
        ).values_list(*DETAIL_FIELDS)
    }
    rows, sources = [], {}
    for standing in comparison.standings:
        name, slug, country, verification, method, *source = details[standing.measurement_id]
        rows.append(
            [
                name,
                slug,
                country,
                standing.year,
                standing.value,
                comparison.indicator.unit,
                standing.rank,
                standing.percentile,
                verification,
                method,
                source[1],
                source[2],
            ]
        )
        sources[source[0]] = dict(zip(SOURCE_KEYS, source[1:], strict=True))
    return rows, sorted(sources.values(), key=lambda source: source["title"])


DETAIL_FIELDS = [
    "pk",
    "place__name",
    "place__slug",
    "place__country_id",
    "verification",
    "method",
    "source_id",
    "source__title",
    "source__licence",
    "source__attribution",
    "source__url",
]
SOURCE_KEYS = ["title", "licence", "attribution", "url"]


def _about(request: HttpRequest, comparison: Comparison, sources: list[dict]) -> list[tuple]:
    """What a download holds, as (label, value) pairs: indicator, year, group, spread,
    whether it is ranked, the sources' attribution and the page it was taken from."""
    indicator, spread = comparison.indicator, comparison.spread
    page = reverse("indicators:detail", args=[indicator.code]) + query_with(request)
    ranking = comparison.refusal or _(
        "Rank 1 is best; percentile 100 is best, whichever way the indicator points."
    )
    return [
        ("indicator", f"{indicator.name} ({indicator.code})"),
        ("unit", indicator.unit),
        ("direction", str(indicator.get_direction_display())),
        ("year", comparison.year),
        ("peer_group", comparison.group.describe()),
        ("verified_only", comparison.verified_only),
        ("places_with_values", spread.size),
        ("minimum", spread.minimum),
        ("lower_quartile", spread.lower_quartile),
        ("median", spread.median),
        ("upper_quartile", spread.upper_quartile),
        ("maximum", spread.maximum),
        ("ranking", str(ranking)),
        ("sources", "; ".join(source["attribution"] or source["title"] for source in sources)),
        ("page", request.build_absolute_uri(page)),
    ]


def _csv_download(file_name: str, about: list[tuple], rows: list[list], _sources) -> HttpResponse:
    """CSV with the description first, each line starting with "#" (``comment="#"`` in
    pandas, ``grep -v`` elsewhere), then the header and the rows."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    for label, value in about:
        if isinstance(value, bool):
            value = "true" if value else "false"  # as the JSON download and the API say
        text = " ".join(str("" if value is None else value).split())
        buffer.write(f"# {label}: {text}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DOWNLOAD_COLUMNS)
    writer.writerows([[spreadsheet_safe(value) for value in row] for row in rows])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, file_name)


def _xlsx_download(file_name: str, about: list[tuple], rows: list[list], _sources) -> HttpResponse:
    """A workbook with the rows on one sheet and their description on another."""
    workbook = Workbook(write_only=True)
    table = workbook.create_sheet(_("Comparison")[:31])
    table.append(DOWNLOAD_COLUMNS)
    for row in rows:
        table.append([_xlsx_cell(table, value) for value in row])
    description = workbook.create_sheet(_("About")[:31])
    for label, value in about:
        description.append([label, _xlsx_cell(description, value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    return _attachment(response, file_name)


def _xlsx_cell(sheet, value):
    """Text stays text: a name starting with "=" must never become a formula."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def _json_download(
    file_name: str, about: list[tuple], rows: list[list], sources: list[dict]
) -> HttpResponse:
    body = {
        **dict(about),
        "sources": sources,
        "columns": DOWNLOAD_COLUMNS,
        "rows": [dict(zip(DOWNLOAD_COLUMNS, row, strict=True)) for row in rows],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    return _attachment(response, file_name)


def _attachment(response: HttpResponse, file_name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADERS = {"csv": _csv_download, "xlsx": _xlsx_download, "json": _json_download}


def indicator_values_csv(request: HttpRequest, code: str):
    """Every measurement of the indicator in a year, from every source, missing values with
    their notation, in the chosen sort, as CSV (the rows of the measurements API)."""
    indicator = get_object_or_404(Indicator, code=code)
    try:
        year = _chosen_year(request, _years_with_values(indicator))
        sort = _chosen_sort(request)
    except ValueError as refusal:
        return HttpResponseBadRequest(str(refusal), content_type="text/plain; charset=utf-8")
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


def _chosen_year(request: HttpRequest, years: list[dict]) -> int | None:
    """The year asked for, else the latest year with a value; ValueError, saying why, for
    a year that is not a number or has no rows."""
    default = next((row["year"] for row in years if row["values"]), None)
    if default is None and years:
        default = years[0]["year"]
    text = request.GET.get("year", "").strip()
    if not text:
        return default
    available = sorted(row["year"] for row in years)
    if not text.isdigit() or int(text) not in available:
        if not available:
            raise ValueError(_("year: This indicator has no values in any year."))
        raise ValueError(
            _("year: Give a year with values, from %(first)s to %(last)s.")
            % {"first": available[0], "last": available[-1]}
        )
    return int(text)


def _chosen_sort(request: HttpRequest) -> str:
    """The sort asked for, else by value; ValueError for one we do not offer."""
    sort = request.GET.get("sort", "").strip()
    if not sort:
        return next(iter(VALUE_SORTS))
    if sort not in VALUE_SORTS:
        raise ValueError(_("sort: Sort by one of %(sorts)s.") % {"sorts": ", ".join(VALUE_SORTS)})
    return sort
