"""German municipalities: their places, then their population and installed renewable capacity.

The places (states, districts, municipalities, keyed by AGS) are made by the
reference app's loader; this module adds the measurements of the two files:
the population of every AGS (Destatis) and the photovoltaic, onshore wind,
biomass and hydro capacity registered in the Marktstammdatenregister, with their
sum per row as a loaded value of its own.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cset.reference.choices import IdentifierScheme
from cset.reference.loaders.germany import load_german_places
from cset.reference.loading import LoadReport, parse_float, read_csv
from cset.reference.models import Source

from ..choices import Direction, Method, QualityFlag, QuantityKind, Verification
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

POPULATION_SOURCE = "de-population"
RENEWABLES_SOURCE = "de-renewables"
POPULATION_FILE = "de_municipal_population.csv.gz"
RENEWABLES_FILE = "de_municipal_renewables_kw.csv.gz"

# Germany as a whole is in both files; the portal has no place for it.
GERMANY_AGS = "DG000000"
CAPACITY_UNIT = "kW"


@dataclass(frozen=True)
class CapacityColumn:
    """A technology column of the renewables file and the indicator it feeds."""

    header: str
    spec: IndicatorSpec


def _capacity(code: str, name: str, what: str) -> IndicatorSpec:
    return IndicatorSpec(
        code=code,
        country="DE",
        name=name,
        unit=CAPACITY_UNIT,
        direction=Direction.HIGHER_IS_BETTER,
        quantity_kind=QuantityKind.CAPACITY,
        theme="renewable-generation",
        definition=(
            f"Electrical capacity of the {what} in operation in the place on 31 December, "
            "as registered in the Bundesnetzagentur's Marktstammdatenregister, in kW."
        ),
    )


CAPACITY_COLUMNS = (
    CapacityColumn(
        "pv_kw", _capacity("de-capacity-pv", "Photovoltaic capacity", "photovoltaic systems")
    ),
    CapacityColumn(
        "wind_onshore_kw",
        _capacity("de-capacity-wind-onshore", "Onshore wind capacity", "onshore wind turbines"),
    ),
    CapacityColumn(
        "biomass_kw", _capacity("de-capacity-biomass", "Biomass capacity", "biomass plants")
    ),
    CapacityColumn(
        "hydro_kw", _capacity("de-capacity-hydro", "Hydropower capacity", "hydropower plants")
    ),
)
TOTAL_SPEC = _capacity(
    "de-capacity-renewable-total",
    "Renewable capacity, total",
    "photovoltaic, onshore wind, biomass and hydropower plants together",
)


def _place(
    row: dict[str, str], places: dict[str, int], label: str, report: LoadReport
) -> int | None:
    """The place id of a row's AGS, or None after refusing the row."""
    ags = (row.get("ags") or "").strip()
    if ags == GERMANY_AGS:
        report.refuse(label, "Germany as a whole (DG000000) is not a place of the portal")
        return None
    place_id = places.get(ags)
    if place_id is None:
        report.refuse(label, f"no place has the AGS {ags!r}")
    return place_id


def _year(row: dict[str, str], column: str, label: str, report: LoadReport) -> int | None:
    """The row's year, or None after refusing the row."""
    try:
        return parse_year(row.get(column))
    except ValueError as error:
        report.refuse(label, f"bad year {row.get(column)!r}: {error}")
        return None


def load_population(path: Path, source: Source, places: dict[str, int]) -> LoadReport:
    """The population of every AGS and year, on the common population indicator."""
    report = LoadReport(name=f"{path.name} (measurements)")
    indicator = ensure_indicators([POPULATION_SPEC])[POPULATION]
    writer = MeasurementWriter(
        source, report, method=Method.REPORTED, verification=Verification.THIRD_PARTY_VERIFIED
    )
    for number, row in read_csv(path):
        report.read += 1
        label = f"row {number}"
        place_id = _place(row, places, label, report)
        year = _year(row, "year", label, report) if place_id is not None else None
        if year is None:
            continue
        text = row.get("population")
        try:
            value = parse_float(text)
        except ValueError:
            report.refuse(label, f"population {text!r} is not a number")
            continue
        if value is None:
            continue
        if value < 0:
            report.refuse(label, f"population {text!r} is negative")
            continue
        writer.add(place_id, indicator, year, value, "person")
    writer.finish()
    logger.info("%s: %s measurements created", path.name, report.created)
    return report


def load_renewables(path: Path, source: Source, places: dict[str, int]) -> LoadReport:
    """Installed capacity per technology, and their sum, for every AGS and cutoff year."""
    report = LoadReport(name=f"{path.name} (measurements)")
    specs = [column.spec for column in CAPACITY_COLUMNS] + [TOTAL_SPEC]
    indicators = ensure_indicators(specs, source)
    writer = MeasurementWriter(
        source, report, method=Method.REPORTED, verification=Verification.THIRD_PARTY_VERIFIED
    )
    rows = []
    for number, row in read_csv(path):
        report.read += 1
        label = f"row {number}"
        place_id = _place(row, places, label, report)
        year = _year(row, "cutoff_year", label, report) if place_id is not None else None
        if year is not None:
            rows.append((label, place_id, year, _capacities(row, label, report)))
    repeated = _repeating_earlier_years(rows)
    for label, place_id, year, values in rows:
        flags = [QualityFlag.REPEATS_EARLIER_YEAR] if (place_id, year) in repeated else []
        for column in CAPACITY_COLUMNS:
            if values.get(column.header) is not None:
                _add(
                    writer,
                    label,
                    place_id,
                    indicators[column.spec.code],
                    year,
                    values[column.header],
                    flags,
                )
        # The total is a value of the same row: without all four parts there is none.
        # Rounding drops the binary noise of the sum (the parts have three decimals).
        if len(values) == len(CAPACITY_COLUMNS) and None not in values.values():
            total = round(sum(values.values()), 6)
            _add(writer, label, place_id, indicators[TOTAL_SPEC.code], year, total, flags)
        else:
            report.flag(label, "a technology has no value: no total capacity for this row")
    writer.finish()
    logger.info("%s: %s measurements created", path.name, report.created)
    return report


def _repeating_earlier_years(rows: list[tuple]) -> set[tuple[int, int]]:
    """(place id, year) of the rows whose capacities, every technology, are those of the
    place's previous year in the file. Installations grow every year; a whole row
    unchanged mostly means the source was not updated (2024 repeats 2023 for 96 % of
    the municipalities), which readers of a change of ±0 should be told."""
    by_place = defaultdict(dict)
    for _label, place_id, year, values in rows:
        by_place[place_id][year] = values
    repeated = set()
    for place_id, years in by_place.items():
        ordered = sorted(years)
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if years[later] and years[later] == years[earlier]:
                repeated.add((place_id, later))
    return repeated


def _capacities(row: dict[str, str], label: str, report: LoadReport) -> dict[str, float | None]:
    """The row's capacities by column; a cell that is not a number (or negative) is refused."""
    values = {}
    for column in CAPACITY_COLUMNS:
        text = row.get(column.header)
        try:
            value = parse_float(text)
        except ValueError:
            report.refuse(f"{label}, {column.header}", f"{text!r} is not a number")
            continue
        if value is not None and value < 0:
            report.refuse(f"{label}, {column.header}", f"{text!r} is negative")
            continue
        values[column.header] = value
    return values


def _add(
    writer: MeasurementWriter,
    label: str,
    place_id: int,
    indicator: Indicator,
    year: int,
    value: float,
    flags: list[str],
) -> None:
    try:
        writer.add(place_id, indicator, year, value, CAPACITY_UNIT, quality_flags=flags)
    except UnitError as error:
        writer.report.refuse(label, str(error))


def load_german_measurements(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """The population and renewables files, for places that already carry their AGS."""
    places = place_ids(IdentifierScheme.DE_AGS)
    return [
        load_population(data_dir / POPULATION_FILE, sources[POPULATION_SOURCE], places),
        load_renewables(data_dir / RENEWABLES_FILE, sources[RENEWABLES_SOURCE], places),
    ]


def load_german_municipalities(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """Step function: the German places first, then their measurements."""
    reports = load_german_places(data_dir, sources)
    return [*reports, *load_german_measurements(data_dir, sources)]
