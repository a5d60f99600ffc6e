"""What every measurement loader shares: indicators declared once, and measurements
written in bulk with created / updated / unchanged counts."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from django.db import connection
from django.utils import timezone

from cset.reference.loading import BULK_BATCH_SIZE, LoadReport, insert_rows
from cset.reference.models import Country, PlaceIdentifier, Source, Theme
from cset.reference.text import fold

from ..choices import Direction, Method, Notation, QuantityKind, Verification
from ..models import Indicator, Measurement, Target
from ..units import convert

POPULATION = "population"
# The years a measurement may have (the model's constraint).
FIRST_YEAR, LAST_YEAR = 1900, 2100


def place_ids(scheme: str) -> dict[str, int]:
    """Every place id by its identifier in ``scheme``, read once."""
    identifiers = PlaceIdentifier.objects.filter(scheme=scheme).order_by()
    return dict(identifiers.values_list("value", "place_id"))


def parse_year(text: str | None) -> int:
    """A year within the range measurements accept; ValueError otherwise."""
    year = int((text or "").strip())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return year


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator as a loader declares it."""

    code: str
    name: str
    unit: str
    direction: str = Direction.CONTEXT
    quantity_kind: str = QuantityKind.EMISSIONS
    theme: str = ""
    definition: str = ""
    # A national statistic's country (ISO code): only its places can have values.
    country: str = ""


POPULATION_SPEC = IndicatorSpec(
    code=POPULATION,
    name="Population",
    unit="person",
    direction=Direction.CONTEXT,
    quantity_kind=QuantityKind.POPULATION,
    definition="Number of people living in the place (the denominator of per-person values).",
)


def ensure_indicators(specs: Iterable[IndicatorSpec], source: Source | None = None) -> dict:
    """Create the indicators that do not exist yet; return every one by code.

    Existing indicators are left as curators may have edited them.
    """
    specs = list(specs)
    existing = Indicator.objects.in_bulk([spec.code for spec in specs], field_name="code")
    themes = Theme.objects.in_bulk([spec.theme for spec in specs if spec.theme], field_name="slug")
    # A country not loaded (yet) is no country: the indicator learns it on a later load.
    countries = set(
        Country.objects.filter(code__in={spec.country for spec in specs}).values_list(
            "code", flat=True
        )
    )
    new = [
        Indicator(
            code=spec.code,
            name=spec.name,
            name_folded=fold(spec.name),
            unit=spec.unit,
            direction=spec.direction,
            quantity_kind=spec.quantity_kind,
            definition=spec.definition,
            theme=themes.get(spec.theme),
            source=None if spec.code == POPULATION else source,
            country_id=spec.country if spec.country in countries else None,
        )
        for spec in specs
        if spec.code not in existing
    ]
    Indicator.objects.bulk_create(new)
    # Indicators made before they knew their country learn it; a curator's choice stays.
    for spec in specs:
        found = existing.get(spec.code)
        if spec.country in countries and found is not None and found.country_id is None:
            Indicator.objects.filter(pk=found.pk).update(country_id=spec.country)
    return Indicator.objects.in_bulk([spec.code for spec in specs], field_name="code")


@dataclass
class MeasurementWriter:
    """Collects the measurements of one source and writes them in bulk.

    A measurement is found again by place, indicator, year and source; it is
    created, updated or counted unchanged. ``add`` converts the value into the
    indicator's canonical unit and raises ``UnitError`` when it cannot.
    """

    source: Source
    report: LoadReport
    method: str = Method.REPORTED
    verification: str = Verification.SELF_REPORTED
    _existing: dict = field(default_factory=dict, init=False)
    _new: list = field(default_factory=list, init=False)
    _changed: list = field(default_factory=list, init=False)
    _seen: set = field(default_factory=set, init=False)

    _INSERTED = (
        "place_id",
        "indicator_id",
        "year",
        "source_id",
        "value",
        "unit",
        "value_canonical",
        "notation",
        "method",
        "verification",
        "quality_flags",
        "note",
        "created_at",
        "updated_at",
    )
    _COMPARED = (
        "value",
        "unit",
        "value_canonical",
        "notation",
        "method",
        "verification",
        "quality_flags",
        "note",
    )

    def __post_init__(self):
        # No ordering: the model's default sorts by place, which joins the places table
        # and makes PostgreSQL choose a plan that takes minutes over 200,000 rows.
        existing = (
            Measurement.objects.filter(source=self.source)
            .order_by()
            .only("id", "place_id", "indicator_id", "year", *self._COMPARED)
        )
        for measurement in existing.iterator(chunk_size=5000):
            key = (measurement.place_id, measurement.indicator_id, measurement.year)
            self._existing[key] = measurement

    def add(
        self,
        place_id: int,
        indicator: Indicator,
        year: int,
        value: float | None,
        unit: str,
        *,
        notation: str = "",
        quality_flags: Iterable[str] = (),
        note: str = "",
    ) -> None:
        """Queue one value (or, with ``value=None``, a notation saying why it is missing)."""
        if value is None and notation not in Notation.values:
            raise ValueError("a missing value needs a notation")
        canonical = None if value is None else convert(value, unit, indicator.unit)
        key = (place_id, indicator.pk, year)
        if key in self._seen:
            self.report.flag(
                f"{indicator.code} {year} place {place_id}", "duplicate row, the first one kept"
            )
            return
        self._seen.add(key)
        values = {
            "value": value,
            "unit": unit,
            "value_canonical": canonical,
            "notation": "" if value is not None else notation,
            "method": self.method,
            "verification": self.verification,
            "quality_flags": sorted(set(quality_flags)),
            "note": note,
        }
        existing = self._existing.get(key)
        if existing is None:
            self._new.append((place_id, indicator.pk, year, values))
            self.report.created += 1
            return
        changed = [name for name, value in values.items() if getattr(existing, name) != value]
        if not changed:
            self.report.unchanged += 1
            return
        for name in changed:
            setattr(existing, name, values[name])
        self._changed.append(existing)
        self.report.updated += 1

    def finish(self) -> None:
        """Write what was queued: new rows as plain tuples (hundreds of thousands of model
        instances would cost more than the whole load may), changed ones in bulk."""
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        flags_field = Measurement._meta.get_field("quality_flags")
        as_json = cache(lambda flags: flags_field.get_db_prep_save(list(flags), connection))
        rows = [
            (
                place_id,
                indicator_id,
                year,
                self.source.pk,
                *(values[name] for name in ("value", "unit", "value_canonical", "notation")),
                values["method"],
                values["verification"],
                as_json(tuple(values["quality_flags"])),
                values["note"],
                now,
                now,
            )
            for place_id, indicator_id, year, values in self._new
        ]
        insert_rows(Measurement, self._INSERTED, rows)
        Measurement.objects.bulk_update(
            self._changed, [*self._COMPARED, "updated_at"], batch_size=BULK_BATCH_SIZE
        )
        self._new, self._changed = [], []


def write_targets(
    source: Source, rows: Iterable[tuple[int, Indicator, int, float, str, str]], report: LoadReport
) -> None:
    """Create or update targets ``(place_id, indicator, year, value, unit, note)`` of a source."""
    existing = {
        (target.place_id, target.indicator_id, target.year): target
        for target in Target.objects.filter(source=source).order_by()
    }
    new, changed = [], []
    for place_id, indicator, year, value, unit, note in rows:
        values = {
            "value": value,
            "unit": unit,
            "value_canonical": convert(value, unit, indicator.unit),
            "note": note,
        }
        target = existing.get((place_id, indicator.pk, year))
        if target is None:
            new.append(
                Target(place_id=place_id, indicator=indicator, year=year, source=source, **values)
            )
            report.created += 1
        elif any(getattr(target, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(target, name, value)
            changed.append(target)
            report.updated += 1
        else:
            report.unchanged += 1
    Target.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    Target.objects.bulk_update(changed, ["value", "unit", "value_canonical", "note"])
