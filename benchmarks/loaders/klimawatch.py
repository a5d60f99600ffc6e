"""CO2 balances and targets of German cities, transcribed by Klimawatch (Code for Münster).

The file stacks one small table per city: a year, a sector in German (28
spellings across the cities), whether the row is measured (``real``), planned
(``geplant``, a target) or the population (``Einwohner``), and the value as
written. Two committed tables say what the file means: ``klimawatch_categories.csv``
maps every sector spelling to an indicator, ``klimawatch_cities.csv`` maps every
city file to its AGS and says which balance it is. Berlin publishes two balances
that measure different things, so its source-based one has indicators of its own.

Each city-year's sectors are checked against its total. Values are written with
``.`` as decimal mark, except where a city used a German thousands separator;
the two can only be told apart by the total, so a year that does not add up is
tried again with such values read as thousands, and the reading that reconciles
it is kept (and flagged). A year that still does not add up is flagged
``inconsistent_total``.
"""

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from cset.reference.choices import IdentifierScheme
from cset.reference.loading import LoadReport, parse_float, read_csv
from cset.reference.models import Source

from ..choices import Direction, Method, QualityFlag, QuantityKind, Verification
from ..units import UnitError
from .common import (
    POPULATION,
    POPULATION_SPEC,
    IndicatorSpec,
    MeasurementWriter,
    ensure_indicators,
    parse_year,
    place_ids,
    write_targets,
)

logger = logging.getLogger(__name__)

SOURCE = "klimawatch"
DATA_FILE = "de_city_co2_balances_klimawatch.csv"
CATEGORIES_FILE = "klimawatch_categories.csv"
CITIES_FILE = "klimawatch_cities.csv"

REAL, PLANNED, POPULATION_ROW = "real", "geplant", "Einwohner"
CO2_UNIT = "kt CO2"
POPULATION_UNIT = "person"
TOTAL = "de-co2-total"
SOURCE_BASED = "source"
SOURCE_BASED_SUFFIX = "-source-based"

# More than 1 % between the sectors' sum and the total is an inconsistency.
TOLERANCE = 0.01
# "1.953" may be 1.953 kt or, with a German thousands separator, 1,953 kt.
THOUSANDS = re.compile(r"^\d{1,3}\.\d{3}$")
# Readings are tried subset by subset; a city-year has at most a handful of sectors.
MAX_CANDIDATES = 10


# Every sector indicator: its name, what emits, and its theme where one clearly applies.
SECTORS: dict[str, tuple[str, str, str]] = {
    TOTAL: ("CO2 emissions, total (city balance)", "by the whole city", ""),
    "de-co2-transport": ("CO2 emissions, transport", "by transport", "transport"),
    "de-co2-industry": ("CO2 emissions, industry", "by industry", ""),
    "de-co2-economy": (
        "CO2 emissions, economy",
        "by industry, commerce, trade and services together",
        "",
    ),
    "de-co2-commerce": (
        "CO2 emissions, commerce, trade and services",
        "by commerce, trade and services",
        "",
    ),
    "de-co2-households": (
        "CO2 emissions, households",
        "by private households",
        "building-efficiency",
    ),
    "de-co2-households-commerce": (
        "CO2 emissions, households with commerce and services",
        "by private households together with commerce, trade and services",
        "",
    ),
    "de-co2-buildings": ("CO2 emissions, buildings", "by buildings", "building-efficiency"),
    "de-co2-electricity": ("CO2 emissions, electricity", "by the use of electricity", ""),
    "de-co2-heat": ("CO2 emissions, heat", "by the use of heat", ""),
    "de-co2-energy": ("CO2 emissions, energy sector", "by power and heat plants", ""),
    "de-co2-municipal": (
        "CO2 emissions, municipal administration",
        "by the municipality's own buildings and facilities",
        "",
    ),
    "de-co2-municipal-fleet": (
        "CO2 emissions, municipal fleet",
        "by the municipality's own vehicles",
        "transport",
    ),
    "de-co2-other": ("CO2 emissions, other sectors", "by sectors the city lists as other", ""),
}
_BALANCES = {
    False: ("", "consumer-based balance: emissions counted where energy is used"),
    True: (
        " (source-based balance)",
        "source-based balance: emissions counted where they arise, power plants included",
    ),
}


def sector_spec(code: str, *, source_based: bool = False) -> IndicatorSpec:
    """The indicator of a sector code, in the consumer-based or the source-based balance."""
    name, what, theme = SECTORS[code]
    name_suffix, balance = _BALANCES[source_based]
    return IndicatorSpec(
        code=code + (SOURCE_BASED_SUFFIX if source_based else ""),
        country="DE",
        name=name + name_suffix,
        unit=CO2_UNIT,
        direction=Direction.LOWER_IS_BETTER,
        quantity_kind=QuantityKind.EMISSIONS,
        theme=theme,
        definition=(
            f"CO2 emitted {what} in a year, in kilotonnes, as the city's own energy and CO2 "
            f"balance reports it ({balance})."
        ),
    )


@dataclass(frozen=True)
class CityFile:
    """A city file of the stacked data set: the place it describes and its kind of balance."""

    source_file: str
    ags: str
    balance: str


@dataclass(eq=False)
class Entry:
    """One row of the file, parsed; the reconciliation may still change its value."""

    row: int
    source_file: str
    place_id: int
    year: int
    kind: str
    category: str
    base_code: str
    code: str
    raw: str
    value: float
    note: str
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"row {self.row} ({self.source_file} {self.year} {self.category})"

    @property
    def is_target(self) -> bool:
        return self.kind == PLANNED

    @property
    def is_co2(self) -> bool:
        return self.base_code != POPULATION


def read_cities(path: Path) -> dict[str, CityFile]:
    """The committed table of city files (``source_file``, ``ags``, ``balance``)."""
    return {
        row["source_file"].strip(): CityFile(
            source_file=row["source_file"].strip(),
            ags=(row.get("ags") or "").strip(),
            balance=(row.get("balance") or "").strip(),
        )
        for _number, row in read_csv(path)
    }


def read_categories(path: Path, report: LoadReport) -> dict[str, str]:
    """The committed table of sector spellings and the indicator code each one feeds."""
    categories = {}
    for number, row in read_csv(path):
        category, code = row["category"].strip(), row["indicator"].strip()
        if code != POPULATION and code not in SECTORS:
            report.refuse(f"{path.name} row {number}", f"unknown indicator code {code!r}")
            continue
        categories[category] = code
    return categories


class _Parser:
    """Turns rows of the data file into entries, refusing what cannot be loaded."""

    def __init__(
        self,
        cities: dict[str, CityFile],
        categories: dict[str, str],
        places: dict[str, int],
        report: LoadReport,
    ) -> None:
        self.cities = cities
        self.categories = categories
        self.places = places
        self.report = report

    def parse(self, number: int, row: dict[str, str]) -> Entry | None:
        source_file = (row.get("source_file") or "").strip()
        category = (row.get("category") or "").strip()
        kind = (row.get("type") or "").strip()
        raw = (row.get("value_raw") or "").strip()
        label = f"row {number} ({source_file} {row.get('year')} {category})"
        refuse = self.report.refuse

        city = self.cities.get(source_file)
        if city is None:
            refuse(label, f"{source_file!r} is not in {CITIES_FILE}")
            return None
        if not city.ags:
            refuse(label, "not a city")
            return None
        place_id = self.places.get(city.ags)
        if place_id is None:
            refuse(label, f"no place has the AGS {city.ags!r}")
            return None
        try:
            year = parse_year(row.get("year"))
        except ValueError as error:
            refuse(label, f"bad year {row.get('year')!r}: {error}")
            return None
        if kind not in (REAL, PLANNED, POPULATION_ROW):
            refuse(label, f"unknown type {kind!r}")
            return None
        base_code = self.categories.get(category)
        if base_code is None:
            refuse(label, f"category {category!r} is not in {CATEGORIES_FILE}")
            return None
        try:
            value = parse_float(raw)
        except ValueError:
            refuse(label, f"{raw!r} is not a number")
            return None
        if value is None:
            refuse(label, "no value")
            return None

        code = base_code
        if city.balance == SOURCE_BASED and base_code != POPULATION:
            code = base_code + SOURCE_BASED_SUFFIX
        return Entry(
            row=number,
            source_file=source_file,
            place_id=place_id,
            year=year,
            kind=kind,
            category=category,
            base_code=base_code,
            code=code,
            raw=raw,
            value=value,
            note=(row.get("note") or "").strip(),
        )


def collapse_duplicates(entries: list[Entry], report: LoadReport) -> list[Entry]:
    """One entry per place, indicator, year and kind: identical rows collapse into one.

    Rows that say different things about the same value are refused, the first kept.
    """
    kept: dict[tuple, Entry] = {}
    for entry in entries:
        key = (entry.place_id, entry.code, entry.year, entry.is_target)
        first = kept.get(key)
        if first is None:
            kept[key] = entry
        elif first.value == entry.value:
            first.note = first.note or entry.note
            report.flag(entry.label, f"identical to row {first.row}: one value kept")
        else:
            report.refuse(
                entry.label, f"{entry.raw} contradicts {first.raw} of row {first.row}; first kept"
            )
    return list(kept.values())


def _agrees(parts: float, total: float) -> bool:
    return abs(parts - total) <= TOLERANCE * abs(total)


def thousands_reading(sectors: list[Entry], total: float) -> list[Entry] | None:
    """The sectors that, read with a thousands separator, make the year add up.

    The total is the reference and is read as written. The smallest set of
    candidates that reconciles the year wins; when two sets of that size both
    would, nothing is guessed.
    """
    candidates = [entry for entry in sectors if THOUSANDS.match(entry.raw)]
    if len(candidates) > MAX_CANDIDATES:
        return None
    for size in range(1, len(candidates) + 1):
        readings = [
            chosen
            for chosen in combinations(candidates, size)
            if _agrees(sum(_as_thousands(e) if e in chosen else e.value for e in sectors), total)
        ]
        if len(readings) == 1:
            return list(readings[0])
        if readings:
            return None
    return None


def _as_thousands(entry: Entry) -> float:
    return float(entry.raw.replace(".", ""))


def reconcile(entries: list[Entry], report: LoadReport) -> None:
    """Check every city-year's sectors against its total; read or flag what disagrees."""
    years: dict[tuple[str, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.kind == REAL and entry.is_co2:
            years[(entry.source_file, entry.year)].append(entry)

    for (source_file, year), group in sorted(years.items()):
        totals = [entry for entry in group if entry.base_code == TOTAL]
        sectors = [entry for entry in group if entry.base_code != TOTAL]
        if len(totals) != 1 or not sectors:
            continue
        total = totals[0].value
        parts = sum(entry.value for entry in sectors)
        if _agrees(parts, total):
            continue

        reading = thousands_reading(sectors, total)
        if reading:
            for entry in reading:
                entry.value = _as_thousands(entry)
                entry.flags.add(QualityFlag.THOUSANDS_SEPARATOR_READ)
                entry.note = " ".join(
                    part
                    for part in (
                        f"Written “{entry.raw}”: read with a German thousands separator, "
                        f"as the total of {total:g} kt requires.",
                        entry.note,
                    )
                    if part
                )
                report.flag(entry.label, f"{entry.raw} read as {entry.value:g} kt")
            continue

        for entry in group:
            entry.flags.add(QualityFlag.INCONSISTENT_TOTAL)
        apart = abs(parts - total) / abs(total) * 100 if total else float("inf")
        report.flag(
            f"{source_file} {year}",
            f"sectors add up to {parts:g} kt, the total is {total:g} kt ({apart:.1f} % apart)",
        )


def _indicators(entries: list[Entry], source: Source) -> dict:
    """The indicators the entries need, created where missing."""
    specs = {}
    for entry in entries:
        if entry.is_co2 and entry.code not in specs:
            source_based = entry.code != entry.base_code
            specs[entry.code] = sector_spec(entry.base_code, source_based=source_based)
    return {**ensure_indicators(specs.values(), source), **ensure_indicators([POPULATION_SPEC])}


def load_klimawatch_file(
    path: Path, source: Source, *, categories_path: Path, cities_path: Path
) -> list[LoadReport]:
    """Load the stacked city balances: measurements, and targets in a report of their own."""
    report = LoadReport(name=path.name)
    targets_report = LoadReport(name=f"{path.name} (targets)")
    parser = _Parser(
        read_cities(cities_path),
        read_categories(categories_path, report),
        place_ids(IdentifierScheme.DE_AGS),
        report,
    )

    entries = []
    for number, row in read_csv(path):
        report.read += 1
        if (row.get("type") or "").strip() == PLANNED:
            targets_report.read += 1
        entry = parser.parse(number, row)
        if entry is not None:
            entries.append(entry)
    entries = collapse_duplicates(entries, report)
    reconcile(entries, report)
    indicators = _indicators(entries, source)

    writer = MeasurementWriter(
        source, report, method=Method.REPORTED, verification=Verification.SELF_REPORTED
    )
    targets = []
    for entry in entries:
        unit = CO2_UNIT if entry.is_co2 else POPULATION_UNIT
        indicator = indicators[entry.code]
        if entry.is_target:
            targets.append((entry.place_id, indicator, entry.year, entry.value, unit, entry.note))
            continue
        try:
            writer.add(
                entry.place_id,
                indicator,
                entry.year,
                entry.value,
                unit,
                quality_flags=entry.flags,
                note=entry.note,
            )
        except UnitError as error:
            report.refuse(entry.label, str(error))
    writer.finish()
    write_targets(source, targets, targets_report)
    logger.info(
        "%s: %s measurements and %s targets created",
        path.name,
        report.created,
        targets_report.created,
    )
    return [report, targets_report]


def load_klimawatch(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """Step function: the Klimawatch city balances with their two committed tables."""
    return load_klimawatch_file(
        data_dir / DATA_FILE,
        sources[SOURCE],
        categories_path=data_dir / CATEGORIES_FILE,
        cities_path=data_dir / CITIES_FILE,
    )
