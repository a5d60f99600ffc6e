"""UK local-authority CO2 emissions 2005–2020 (mySociety, from DESNZ/BEIS statistics).

One indicator per value column of the file. The header of a column carries its
unit after the last ``:``, but the suffixes are terse and ambiguous (``t`` means
tonnes per person, ``kt`` kilotonnes per km², ``000s`` thousands of people), so
the units are spelt out here, never guessed from the header. The file's
population column feeds the common population indicator: it is the denominator
of every per-person value of UK places.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify

from cset.reference.choices import IdentifierScheme
from cset.reference.loading import LoadReport, parse_float, read_csv
from cset.reference.models import Source

from ..choices import Direction, Method, QuantityKind, Verification
from ..models import Indicator
from ..units import UnitError
from .common import (
    POPULATION,
    POPULATION_SPEC,
    IndicatorSpec,
    MeasurementWriter,
    ensure_indicators,
    parse_year,
    place_ids,
)

logger = logging.getLogger(__name__)

SOURCE = "uk-emissions"
FILE_NAME = "uk_la_emissions_2005_2020.csv.gz"
YEAR, CODE, NAME = "Year", "local-authority-code", "official-name"

# Every sector and fuel column is "<what>:kt CO2"; its indicator is derived from <what>.
SECTOR_SUFFIX = ":kt CO2"
SECTOR_UNIT = "kt CO2"
_DEFINITION = (
    "CO2 emitted {what} within the local authority's area in a year, in kilotonnes "
    "(UK local authority greenhouse gas statistics, subset dataset)."
)

AREA_SPEC = IndicatorSpec(
    code="area",
    name="Area",
    unit="km²",
    direction=Direction.CONTEXT,
    quantity_kind=QuantityKind.AREA,
    definition="Land area of the place (the denominator of per-km² values).",
)

# Indicators every source shares; they belong to no single source.
COMMON_INDICATORS = (POPULATION, AREA_SPEC.code)


@dataclass(frozen=True)
class Column:
    """A value column of the file: the indicator it feeds and the unit its values are in."""

    header: str
    spec: IndicatorSpec
    unit: str


# The columns that are not a sector total in kilotonnes, with the unit their values are in.
SPECIAL_COLUMNS: dict[str, tuple[IndicatorSpec, str]] = {
    "Total Emissions:kt CO2": (
        IndicatorSpec(
            code="gb-co2-total",
            country="GB",
            name="CO2 emissions, total",
            unit=SECTOR_UNIT,
            direction=Direction.LOWER_IS_BETTER,
            quantity_kind=QuantityKind.EMISSIONS,
            definition=_DEFINITION.format(what="by all sectors together"),
        ),
        SECTOR_UNIT,
    ),
    "Population:000s": (POPULATION_SPEC, "thousand persons"),
    "Per Person Emissions:t": (
        IndicatorSpec(
            code="gb-co2-per-person",
            country="GB",
            name="CO2 emissions per person",
            unit="t CO2/person",
            direction=Direction.LOWER_IS_BETTER,
            quantity_kind=QuantityKind.INTENSITY,
            definition="Total CO2 emissions of the area divided by its population, in tonnes.",
        ),
        "t CO2/person",
    ),
    "Area:km2": (AREA_SPEC, "km²"),
    "Emissions per km2:kt": (
        IndicatorSpec(
            code="gb-co2-per-km2",
            country="GB",
            name="CO2 emissions per km²",
            unit="kt CO2/km²",
            direction=Direction.LOWER_IS_BETTER,
            quantity_kind=QuantityKind.INTENSITY,
            definition="Total CO2 emissions of the area divided by its area, in kilotonnes.",
        ),
        "kt CO2/km²",
    ),
}


def _sector_theme(what: str) -> str:
    """The theme of a sector column, where one clearly applies."""
    if what.startswith(("Transport", "Road Transport")):
        return "transport"
    if what.startswith("Domestic"):
        return "building-efficiency"
    return ""


def sector_column(header: str) -> Column:
    """The column ``<what>:kt CO2`` as an indicator ``gb-co2-<what>`` in kilotonnes."""
    what = header.removesuffix(SECTOR_SUFFIX).strip()
    spec = IndicatorSpec(
        code=f"gb-co2-{slugify(what)}",
        country="GB",
        name=f"CO2 emissions, {what}",
        unit=SECTOR_UNIT,
        direction=Direction.LOWER_IS_BETTER,
        quantity_kind=QuantityKind.EMISSIONS,
        theme=_sector_theme(what),
        definition=_DEFINITION.format(what=f"by “{what}”"),
    )
    return Column(header=header, spec=spec, unit=SECTOR_UNIT)


def value_columns(headers: list[str], report: LoadReport) -> list[Column]:
    """The value columns of a header row; a column we do not know is reported and left out."""
    columns = []
    for header in headers:
        if header in (YEAR, CODE, NAME):
            continue
        if header in SPECIAL_COLUMNS:
            spec, unit = SPECIAL_COLUMNS[header]
            columns.append(Column(header=header, spec=spec, unit=unit))
        elif header.endswith(SECTOR_SUFFIX):
            columns.append(sector_column(header))
        else:
            report.flag(f"column {header!r}", "unknown column, its values were not loaded")
    return columns


def _ensure(columns: list[Column], source: Source) -> dict:
    """The indicators of the columns; population and area are common, owned by no source."""
    common = [column.spec for column in columns if column.spec.code in COMMON_INDICATORS]
    own = [column.spec for column in columns if column.spec.code not in COMMON_INDICATORS]
    return {**ensure_indicators(own, source), **ensure_indicators(common)}


def load_emissions_file(path: Path, source: Source) -> LoadReport:
    """Load one emissions file: every value of every row becomes a measurement."""
    report = LoadReport(name=path.name)
    places = place_ids(IdentifierScheme.GB_LA)
    writer = MeasurementWriter(
        source,
        report,
        method=Method.MODELLED,
        verification=Verification.THIRD_PARTY_VERIFIED,
    )
    columns: list[Column] | None = None
    indicators: dict = {}

    for number, row in read_csv(path):
        if columns is None:
            columns = value_columns(list(row), report)
            indicators = _ensure(columns, source)
        report.read += 1
        label = f"row {number}"
        try:
            year = parse_year(row.get(YEAR))
        except ValueError as error:
            report.refuse(label, f"bad year {row.get(YEAR)!r}: {error}")
            continue
        code = (row.get(CODE) or "").strip()
        place_id = places.get(code)
        if place_id is None:
            report.refuse(label, f"no place has the UK local-authority code {code!r}")
            continue
        for column in columns:
            indicator = indicators[column.spec.code]
            _add_value(writer, f"{label}, {column.header}", place_id, indicator, year, column, row)

    writer.finish()
    logger.info("%s: %s measurements created", path.name, report.created)
    return report


def _add_value(
    writer: MeasurementWriter,
    label: str,
    place_id: int,
    indicator: Indicator,
    year: int,
    column: Column,
    row: dict[str, str],
) -> None:
    """Queue one cell; a cell that is not a number is refused, an empty one means no value."""
    text = row.get(column.header)
    try:
        value = parse_float(text)
    except ValueError:
        writer.report.refuse(label, f"{text!r} is not a number")
        return
    if value is None:
        return
    try:
        writer.add(place_id, indicator, year, value, column.unit)
    except UnitError as error:
        writer.report.refuse(label, str(error))


def load_uk_emissions(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """Step function: the UK local-authority emissions file."""
    return [load_emissions_file(data_dir / FILE_NAME, sources[SOURCE])]
