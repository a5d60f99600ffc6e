"""Measurements imported by curators from CSV or XLSX files: planned, then committed.

The pages and the API share these steps. ``read`` (benchmarks.import_files) turns an
upload into rows of raw cells. ``plan`` resolves every row (place, indicator, source,
year, value, unit) and says what it would do: create, update (old → new), leave
unchanged, or refuse, with every reason. ``commit`` plans again inside one transaction,
refuses when the stored data no longer match the dry run, writes all rows or none, and
recomputes the derived values. ``prepare`` and ``commit_batch`` record each upload as an
``ImportBatch`` (the history curators read).

Columns (case-insensitive; spaces and hyphens count as ``_``)
    The place: ``place_scheme`` and ``place_id`` (a scheme of PlaceIdentifier: geonames,
    gcom, de-ags, gb-la, gb-gss; ``place_id`` may also be written ``gb-gss/E08000003``),
    or ``place_name`` and ``country`` (ISO 3166-1 alpha-2), optionally narrowed by
    ``subdivision`` (ISO 3166-2, e.g. DE-BY). A name is compared folded (accents and case
    ignored) with every name of every place of that country; no match, or more than one,
    refuses the row and names the candidates. Given with an identifier, a name or a country
    must agree with the place found.
    ``indicator`` (code), ``year`` (1900–2100), ``value`` and ``unit``, or ``notation``
    (NO, IE, NE, C, NR) for a missing value: exactly one of the two. ``source`` (slug of an
    existing source). Optional: ``method``, ``verification`` and ``note``; left empty (or
    without a column) they keep what is stored, and a new value takes reported,
    self_reported and no note. A row is keyed by place, indicator, year and source; a key
    twice in one file refuses both rows. Derived indicators are computed, not imported.
    Values convert into the indicator's canonical unit when the units measure the same
    thing, and must not be negative for energy, capacity, shares, counts, areas and
    populations.
"""

import hashlib
import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import timedelta
from functools import lru_cache

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cset.reference.choices import IdentifierScheme
from cset.reference.loading import BULK_BATCH_SIZE
from cset.reference.models import Country, Place, PlaceIdentifier, PlaceName, Source
from cset.reference.text import fold

from .choices import Method, Notation, Verification
from .import_files import (
    COLUMNS,
    Cell,
    FileRefused,
    Row,
    Table,
    cell_text,
    clean_file_name,
    parse_number,
    parse_year,
    read,
    read_content,
)
from .models import IMPORT_PERMISSION, ImportBatch, ImportStatus, Indicator, Measurement
from .rules import country_refusal, derived_refusal, sign_refusal, year_refusal
from .services import measurements_written
from .units import UnitError, conversion_factor, convert, known_units

__all__ = [
    "COLUMNS",
    "AlreadyImported",
    "FileRefused",
    "ImportRefused",
    "Outcome",
    "Plan",
    "RowPlan",
    "StoredDataChanged",
    "Table",
    "check_can_import",
    "commit",
    "commit_batch",
    "import_now",
    "plan",
    "prepare",
    "read",
    "read_content",
]

logger = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 2000
# Rows looked up per query: well under SQLite's limit of variables per statement.
LOOKUP_CHUNK = 500

# The longest place reference a plan shows and keeps.
MAX_SHOWN = 200

# What an import compares with a stored measurement, and writes.
COMPARED = ("value", "unit", "value_canonical", "notation", "method", "verification", "note")


# UK codes are upper case; a curator may type them otherwise.
UPPER_CASE_SCHEMES = {IdentifierScheme.GB_GSS, IdentifierScheme.GB_LA}

# The glossary's values, read once (TextChoices.values builds a new list at every call).
SCHEMES = tuple(IdentifierScheme.values)
NOTATIONS = tuple(Notation.values)
METHODS = tuple(Method.values)
VERIFICATIONS = tuple(Verification.values)
# What a new value takes when its row leaves these empty; an update keeps the stored ones.
UNSTATED_DEFAULTS = {
    "method": Method.REPORTED.value,
    "verification": Verification.SELF_REPORTED.value,
    "note": "",
}


class Outcome(models.TextChoices):
    CREATE = "create", gettext_lazy("Create")
    UPDATE = "update", gettext_lazy("Update")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")
    REFUSED = "refused", gettext_lazy("Refused")


class ImportRefused(Exception):
    """Nothing was written: rows are refused, or the batch cannot be committed."""


class StoredDataChanged(ImportRefused):
    """The stored data differ from what the dry run saw."""


class AlreadyImported(ImportRefused):
    """The batch was committed before (a second click, or another curator)."""


class ImportBusy(ImportRefused):
    """Another writer held the database for longer than SQLite waits (a large import)."""


def check_can_import(actor) -> None:
    """Only curators (and superusers) import measurements."""
    if not (actor is not None and actor.is_authenticated and actor.has_perm(IMPORT_PERMISSION)):
        raise PermissionDenied(_("Only curators may import measurements."))


@lru_cache(maxsize=256)
def accepted_units(canonical_unit: str) -> tuple[str, ...]:
    """The units a value of an indicator in ``canonical_unit`` may be given in."""
    accepted = []
    for unit in known_units():
        try:
            conversion_factor(unit, canonical_unit)
        except UnitError:
            continue
        accepted.append(unit)
    return tuple(accepted)


# Planning ----------------------------------------------------------------------------------


@dataclass
class RowPlan:
    """What one row would do, and why; ``changes`` maps a field to [old, new] on updates."""

    row: int
    outcome: str = Outcome.REFUSED
    reasons: list[str] = field(default_factory=list)
    place: str = ""
    place_slug: str = ""
    indicator: str = ""
    year: int | str = ""
    source: str = ""
    value: str = ""
    unit: str = ""
    value_canonical: float | None = None
    canonical_unit: str = ""
    notation: str = ""
    method: str = ""
    verification: str = ""
    note: str = ""
    measurement: int | None = None
    changes: dict = field(default_factory=dict)
    # Resolved along the way; not part of what is recorded.
    number: float | None = field(default=None, repr=False)
    place_id: int | None = field(default=None, repr=False)
    indicator_obj: Indicator | None = field(default=None, repr=False)
    source_id: int | None = field(default=None, repr=False)
    place_ref: tuple | None = field(default=None, repr=False)
    place_check: tuple[str, str] = field(default=("", ""), repr=False)
    identifier_was_number: bool = field(default=False, repr=False)
    stored: dict | None = field(default=None, repr=False)
    key: tuple | None = field(default=None, repr=False)

    def refuse(self, reason: str) -> None:
        self.reasons.append(reason)

    def settle_key(self) -> None:
        """Place, indicator, year and source, once all four are known."""
        parts = (
            self.place_id,
            self.indicator_obj.pk if self.indicator_obj else None,
            self.year if isinstance(self.year, int) else None,
            self.source_id,
        )
        self.key = parts if None not in parts else None

    def new_values(self) -> dict:
        return {
            "value": self.number,
            "unit": self.unit,
            "value_canonical": self.value_canonical,
            "notation": self.notation,
            "method": self.method,
            "verification": self.verification,
            "note": self.note,
        }

    def as_record(self) -> dict:
        """The row as ImportBatch.changes and the API keep it (JSON)."""
        names = [item.name for item in fields(self) if item.repr]
        return {name: getattr(self, name) for name in names}


@dataclass
class Plan:
    """The outcome of every row of a file, and a digest of what it found stored."""

    table: Table
    rows: list[RowPlan]
    fingerprint: str

    @classmethod
    def recorded(cls, table: Table, fingerprint: str) -> "Plan":
        """A dry run as a batch recorded it: its file and fingerprint."""
        return cls(table, [], fingerprint)

    @property
    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(Outcome.values, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return {"rows": len(self.rows), **counts}

    @property
    def refused(self) -> bool:
        return any(row.outcome == Outcome.REFUSED for row in self.rows)


def plan(table: Table, actor, *, lock: bool = False) -> Plan:
    """Say what each row of ``table`` would do, writing nothing.

    The lookups are made in bulk (a few queries per 500 rows, never one per row). With
    ``lock`` the stored measurements the rows meet are locked until the transaction ends.
    """
    check_can_import(actor)
    rows = [_parse_row(row, table.decimal_mark) for row in table.rows]

    lookups = _Lookups.load(rows)
    for row in rows:
        _resolve(row, lookups)

    _refuse_duplicates(rows)
    _compare_with_stored(rows, lock)
    return Plan(table, rows, _fingerprint(rows))


def _parse_row(row: Row, decimal_mark: str | None) -> RowPlan:
    """Everything a row says that needs no lookup, checked."""
    texts = {name: cell_text(cell) for name, cell in row.cells.items()}
    result = RowPlan(row=row.number, reasons=list(row.problems))
    result.indicator = texts.get("indicator", "").lower()
    result.source = texts.get("source", "").lower()
    result.unit = texts.get("unit", "")
    result.value = texts.get("value", "")
    result.note = texts.get("note", "")
    _parse_place(result, texts, row.cells.get("place_id"))

    if not result.indicator:
        result.refuse(_("Give the indicator's code."))
    if not result.source:
        result.refuse(_("Give the source's slug."))
    try:
        result.year = parse_year(row.cells.get("year"))
    except ValueError as error:
        result.year = texts.get("year", "")[:80]
        result.refuse(str(error))
    else:
        if refusal := year_refusal(result.year):
            result.refuse(refusal)

    _parse_value(result, row.cells.get("value"), texts.get("notation", ""), decimal_mark)
    result.method = _choice(result, texts.get("method", ""), METHODS, "method")
    result.verification = _choice(
        result, texts.get("verification", ""), VERIFICATIONS, "verification"
    )
    if len(result.note) > MAX_NOTE_LENGTH:
        result.refuse(
            _("The note is longer than %(count)s characters.") % {"count": MAX_NOTE_LENGTH}
        )
    return result


def _parse_place(result: RowPlan, texts: dict, identifier_cell: Cell) -> None:
    scheme = texts.get("place_scheme", "").lower()
    identifier = texts.get("place_id", "")
    if not scheme and "/" in identifier:
        prefix, _slash, rest = identifier.partition("/")
        if prefix.lower() in SCHEMES:
            scheme, identifier = prefix.lower(), rest.strip()
    name, country = texts.get("place_name", ""), texts.get("country", "").upper()
    # Shown and kept in the batch's plan: a 100,000-character cell is cut short there.
    place = f"{scheme}/{identifier}" if identifier else f"{name} ({country})".strip()
    result.place = place if len(place) <= MAX_SHOWN else place[: MAX_SHOWN - 1] + "…"

    if identifier:
        if scheme not in SCHEMES:
            result.refuse(
                _("“%(scheme)s” is not a place identifier scheme; say one of %(schemes)s.")
                % {"scheme": scheme[:40], "schemes": ", ".join(SCHEMES)}
            )
            return
        if scheme in UPPER_CASE_SCHEMES:
            identifier = identifier.upper()
        result.place_ref = ("identifier", scheme, identifier)
        result.place_check = (fold(name), country)
        result.identifier_was_number = isinstance(identifier_cell, int | float)
    elif name:
        if not country:
            result.refuse(_("Give the country (ISO 3166-1 alpha-2 code, such as GB) of the place."))
            return
        subdivision = texts.get("subdivision", "").upper()
        result.place_ref = ("name", country, fold(name), subdivision)
    else:
        result.refuse(_("Name the place: place_scheme and place_id, or place_name and country."))


def _parse_value(result: RowPlan, cell: Cell, notation: str, decimal_mark: str | None) -> None:
    notation = notation.upper()
    if notation and notation not in NOTATIONS:
        result.refuse(
            _("“%(notation)s” is not a notation; say one of %(notations)s.")
            % {"notation": notation[:40], "notations": ", ".join(NOTATIONS)}
        )
    if result.value:
        try:
            result.number = parse_number(cell, decimal_mark)
        except ValueError as error:
            result.refuse(str(error))
    if result.value and notation:
        result.refuse(_("Give a value or a notation for a missing value, not both."))
    elif not result.value and not notation:
        result.refuse(
            _("Give a value, or a notation (NO, IE, NE, C, NR) saying why it is missing.")
        )
    result.notation = "" if result.value else notation


def _choice(result: RowPlan, text: str, values: tuple[str, ...], column: str) -> str:
    """A glossary value, or "" when the cell is empty (see ``_fill_unstated``)."""
    value = text.lower()
    if value and value not in values:
        result.refuse(
            _("“%(value)s” is not a %(column)s; say one of %(values)s.")
            % {"value": text[:40], "column": column, "values": ", ".join(values)}
        )
    return value


def _chunks(values: Iterable) -> Iterator[list]:
    ordered = sorted(values)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        yield ordered[start : start + LOOKUP_CHUNK]


@dataclass
class _Lookups:
    """Everything the rows refer to, read in bulk."""

    by_identifier: dict = field(default_factory=dict)
    by_name: dict = field(default_factory=lambda: defaultdict(set))
    places: dict = field(default_factory=dict)
    place_names: dict = field(default_factory=lambda: defaultdict(set))
    countries: set = field(default_factory=set)
    indicators: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    @classmethod
    def load(cls, rows: list[RowPlan]) -> "_Lookups":
        found = cls()
        refs = [row.place_ref for row in rows if row.place_ref]
        found._load_identifiers([ref for ref in refs if ref[0] == "identifier"])
        found._load_names([ref for ref in refs if ref[0] == "name"])
        checked = {
            found.by_identifier.get(row.place_ref[1:])
            for row in rows
            if row.place_ref and row.place_ref[0] == "identifier" and row.place_check[0]
        }
        found._load_places(set(found.by_identifier.values()) | found._named_places(), checked)
        codes = {row.indicator for row in rows if row.indicator}
        slugs = {row.source for row in rows if row.source}
        for chunk in _chunks(codes):
            found.indicators.update(Indicator.objects.in_bulk(chunk, field_name="code"))
        for chunk in _chunks(slugs):
            found.sources.update(Source.objects.filter(slug__in=chunk).values_list("slug", "id"))
        return found

    def _load_identifiers(self, refs: list[tuple]) -> None:
        by_scheme = defaultdict(set)
        for _kind, scheme, value in refs:
            by_scheme[scheme].add(value)
        for scheme, values in by_scheme.items():
            for chunk in _chunks(values):
                found = PlaceIdentifier.objects.filter(scheme=scheme, value__in=chunk)
                for value, place_id in found.values_list("value", "place_id"):
                    self.by_identifier[(scheme, value)] = place_id

    def _load_names(self, refs: list[tuple]) -> None:
        countries = {ref[1] for ref in refs}
        for chunk in _chunks(countries):
            self.countries.update(
                Country.objects.filter(code__in=chunk).values_list("code", flat=True)
            )
        names = {ref[2] for ref in refs}
        for chunk in _chunks(names):
            places = Place.objects.filter(country_id__in=countries, name_folded__in=chunk)
            other_names = PlaceName.objects.filter(
                place__country_id__in=countries, name_folded__in=chunk
            )
            for place_id, country, folded in [
                *places.values_list("id", "country_id", "name_folded"),
                *other_names.values_list("place_id", "place__country_id", "name_folded"),
            ]:
                self.by_name[(country, folded)].add(place_id)

    def _named_places(self) -> set[int]:
        return {place_id for ids in self.by_name.values() for place_id in ids}

    def _load_places(self, ids: set[int], checked: set) -> None:
        for chunk in _chunks(ids):
            rows = Place.objects.filter(pk__in=chunk).values_list(
                "id", "name", "slug", "country_id", "subdivision_code", "name_folded"
            )
            for place_id, name, slug, country, subdivision, folded in rows:
                self.places[place_id] = (name, slug, country, subdivision)
                self.place_names[place_id].add(folded)
        for chunk in _chunks(checked - {None}):
            names = PlaceName.objects.filter(place_id__in=chunk).values_list(
                "place_id", "name_folded"
            )
            for place_id, folded in names:
                self.place_names[place_id].add(folded)


def _resolve(row: RowPlan, lookups: _Lookups) -> None:
    _resolve_place(row, lookups)

    indicator = lookups.indicators.get(row.indicator)
    if row.indicator and indicator is None:
        row.refuse(_("No indicator has the code “%(code)s”.") % {"code": row.indicator[:80]})
    elif refusal := derived_refusal(row.indicator):
        row.refuse(refusal)
    else:
        row.indicator_obj = indicator
        _check_country(row, indicator, lookups)

    row.source_id = lookups.sources.get(row.source)
    if row.source and row.source_id is None:
        row.refuse(_("No source has the slug “%(slug)s”.") % {"slug": row.source[:80]})
    if row.indicator_obj is not None:
        _convert(row, row.indicator_obj)
    row.settle_key()


def _check_country(row: RowPlan, indicator: Indicator, lookups: _Lookups) -> None:
    if row.place_id is None:
        return
    refusal = country_refusal(indicator, row.place, lookups.places[row.place_id][2])
    if refusal:
        row.refuse(refusal)


def _resolve_place(row: RowPlan, lookups: _Lookups) -> None:
    if row.place_ref is None:
        return
    if row.place_ref[0] == "identifier":
        place_id = _identified_place(row, lookups)
    else:
        place_id = _named_place(row, lookups)
    if place_id is not None:
        row.place_id = place_id
        row.place, row.place_slug = lookups.places[place_id][:2]


def _identified_place(row: RowPlan, lookups: _Lookups) -> int | None:
    _kind, scheme, value = row.place_ref
    place_id = lookups.by_identifier.get((scheme, value))
    if place_id is None:
        reason = _("No place has the %(scheme)s identifier “%(value)s”.") % {
            "scheme": scheme,
            "value": value[:80],
        }
        if row.identifier_was_number:
            reason += " " + _(
                "The cell is a number: a leading zero may have been lost; format the column "
                "as text."
            )
        row.refuse(reason)
        return None

    name, _slug, country, _subdivision = lookups.places[place_id]
    folded_name, given_country = row.place_check
    if given_country and given_country != country:
        row.refuse(
            _("%(identifier)s is %(place)s in %(country)s, not in %(given)s.")
            % {
                "identifier": row.place,
                "place": name,
                "country": country,
                "given": given_country[:10],
            }
        )
        return None
    if folded_name and folded_name not in lookups.place_names[place_id]:
        row.refuse(
            _("%(identifier)s is %(place)s, which is not also called as the place_name says.")
            % {"identifier": row.place, "place": name}
        )
        return None
    return place_id


def _named_place(row: RowPlan, lookups: _Lookups) -> int | None:
    _kind, country, folded, subdivision = row.place_ref
    if country not in lookups.countries:
        row.refuse(
            _("“%(country)s” is not a country code (ISO 3166-1 alpha-2, such as GB).")
            % {"country": country[:10]}
        )
        return None
    candidates = lookups.by_name.get((country, folded), set())
    if subdivision:
        candidates = {pk for pk in candidates if lookups.places[pk][3] == subdivision}
    if len(candidates) == 1:
        return next(iter(candidates))

    if not candidates:
        row.refuse(_("No place in %(country)s is called so.") % {"country": country})
    else:
        slugs = sorted(lookups.places[pk][1] for pk in candidates)
        row.refuse(
            _(
                "%(count)s places in %(country)s are called so (%(slugs)s): give place_scheme "
                "and place_id instead."
            )
            % {"count": len(slugs), "country": country, "slugs": ", ".join(slugs[:5])}
        )
    return None


def _convert(row: RowPlan, indicator: Indicator) -> None:
    """The value in the indicator's canonical unit; the unit must measure the same thing."""
    row.canonical_unit = indicator.unit
    if not row.unit and row.number is None:
        row.unit = indicator.unit
        return
    if not row.unit:
        row.refuse(
            _("Give the unit of the value (this indicator's is %(unit)s).")
            % {"unit": indicator.unit}
        )
        return
    try:
        canonical = convert(1.0 if row.number is None else row.number, row.unit, indicator.unit)
    except UnitError as error:
        accepted = ", ".join(accepted_units(indicator.unit))
        row.refuse(f"{error} " + _("This indicator accepts %(units)s.") % {"units": accepted})
        return
    if row.number is None:
        return
    if not math.isfinite(canonical):
        row.refuse(_("The number is beyond what can be stored (about 1.8e308)."))
    elif refusal := sign_refusal(indicator, canonical):
        row.refuse(refusal)
    else:
        row.value_canonical = canonical


def _refuse_duplicates(rows: list[RowPlan]) -> None:
    by_key = defaultdict(list)
    for row in rows:
        if row.key is not None:
            by_key[row.key].append(row)
    for group in by_key.values():
        for row in group if len(group) > 1 else ():
            others = ", ".join(str(other.row) for other in group if other is not row)
            row.refuse(
                _("Row %(rows)s has the same place, indicator, year and source.") % {"rows": others}
            )


def _compare_with_stored(rows: list[RowPlan], lock: bool) -> None:
    stored = _stored_measurements({row.key for row in rows if row.key}, lock)
    for row in rows:
        found = stored.get(row.key) if row.key else None
        if found is not None:
            row.measurement, row.stored = found
        _fill_unstated(row)
        if row.reasons:
            row.outcome = Outcome.REFUSED
        elif found is None:
            row.outcome = Outcome.CREATE
        else:
            new = row.new_values()
            row.changes = {
                name: [row.stored[name], new[name]]
                for name in COMPARED
                if row.stored[name] != new[name]
            }
            row.outcome = Outcome.UPDATE if row.changes else Outcome.UNCHANGED


def _fill_unstated(row: RowPlan) -> None:
    """Method, verification and note left empty keep what is stored (a file of corrected
    values does not downgrade a verification); a new value takes the defaults."""
    for name, default in UNSTATED_DEFAULTS.items():
        if not getattr(row, name):
            setattr(row, name, row.stored[name] if row.stored else default)


def _stored_measurements(keys: set[tuple], lock: bool) -> dict[tuple, tuple[int, dict]]:
    """The stored measurements of ``keys`` (place, indicator, year, source)."""
    if not keys:
        return {}
    indicator_ids, years, source_ids = ({key[index] for key in keys} for index in (1, 2, 3))
    found = {}
    for chunk in _chunks({key[0] for key in keys}):
        queryset = Measurement.objects.filter(
            place_id__in=chunk,
            indicator_id__in=indicator_ids,
            year__in=years,
            source_id__in=source_ids,
        ).order_by()
        if lock:
            queryset = queryset.select_for_update()
        for pk, *columns in queryset.values_list(
            "id", "place_id", "indicator_id", "year", "source_id", *COMPARED
        ):
            key = tuple(columns[:4])
            if key in keys:
                found[key] = (pk, dict(zip(COMPARED, columns[4:], strict=True)))
    return found


def _fingerprint(rows: list[RowPlan]) -> str:
    """A digest of each row's outcome, of what it would write, and of what it found stored:
    equal digests mean the dry run and the commit see the same."""
    digest = hashlib.sha256()
    for row in rows:
        seen = [row.row, row.outcome, row.key, row.measurement, row.stored, row.new_values()]
        digest.update(json.dumps(seen, sort_keys=True, default=str).encode())
    return digest.hexdigest()


# Committing --------------------------------------------------------------------------------


def commit(dry_run: Plan, actor) -> Plan:
    """Write the rows of ``dry_run`` all or none, and recompute the derived values.

    The file is planned again inside the transaction, with the measurements it meets
    locked; when that plan's fingerprint differs from the dry run's, the stored data
    changed in between and nothing is written (StoredDataChanged), so that what is written
    is what the dry run showed. A refused row refuses the whole file (ImportRefused).
    """
    check_can_import(actor)
    try:
        with transaction.atomic():
            fresh = plan(dry_run.table, actor, lock=True)
            if fresh.refused:
                count = fresh.totals[Outcome.REFUSED]
                raise ImportRefused(
                    ngettext(
                        "Nothing was imported: %(count)s row is refused.",
                        "Nothing was imported: %(count)s rows are refused.",
                        count,
                    )
                    % {"count": count}
                )
            if fresh.fingerprint != dry_run.fingerprint:
                raise StoredDataChanged(_changed_message())
            _write(fresh.rows)
            measurements_written(_written_pairs(fresh.rows))
    except IntegrityError as error:
        # Another writer added one of these measurements after the plan was made.
        raise StoredDataChanged(_changed_message()) from error
    return fresh


def _written_pairs(rows: list[RowPlan]) -> set[tuple[int, int]]:
    """The (indicator id, year) pairs the rows wrote."""
    return {
        (row.indicator_obj.pk, row.year)
        for row in rows
        if row.outcome in (Outcome.CREATE, Outcome.UPDATE)
    }


def _changed_message() -> str:
    return _(
        "The stored data changed since the dry run: nothing was imported. Run the dry "
        "run again and check what it says."
    )


def _write(rows: list[RowPlan]) -> None:
    now = timezone.now()
    new = [
        Measurement(
            place_id=row.place_id,
            indicator=row.indicator_obj,
            year=row.year,
            source_id=row.source_id,
            quality_flags=[],
            **row.new_values(),
        )
        for row in rows
        if row.outcome == Outcome.CREATE
    ]
    changed = [
        Measurement(pk=row.measurement, updated_at=now, **row.new_values())
        for row in rows
        if row.outcome == Outcome.UPDATE
    ]
    Measurement.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    Measurement.objects.bulk_update(changed, [*COMPARED, "updated_at"], batch_size=BULK_BATCH_SIZE)


# Batches: what the pages and the API call ----------------------------------------------


def _record_plan(batch: ImportBatch, result: Plan) -> None:
    totals = result.totals
    batch.row_count = totals["rows"]
    batch.created_count = totals[Outcome.CREATE]
    batch.updated_count = totals[Outcome.UPDATE]
    batch.unchanged_count = totals[Outcome.UNCHANGED]
    batch.refused_count = totals[Outcome.REFUSED]
    batch.fingerprint = result.fingerprint
    batch.changes = [row.as_record() for row in result.rows]


def _record_dry_run(batch: ImportBatch, table: Table, actor) -> Plan:
    """Plan ``table`` and record it on ``batch``: ``dry_run`` when every row may be
    imported, ``refused`` otherwise. Only a batch that may be committed keeps its file, to
    be read again then."""
    result = plan(table, actor)
    _record_plan(batch, result)
    batch.status = ImportStatus.REFUSED if result.refused else ImportStatus.DRY_RUN
    batch.content = b"" if result.refused else table.content
    return result


def prepare(upload, actor) -> ImportBatch:
    """The dry run of an upload, recorded as an ImportBatch: ``dry_run`` when every row may
    be imported, ``refused`` otherwise. A file that cannot be read is recorded as refused
    too, and FileRefused is raised with the batch attached."""
    check_can_import(actor)
    name = clean_file_name(upload.name)
    try:
        table = read(upload)
    except FileRefused as refusal:
        refusal.batch = ImportBatch.objects.create(
            status=ImportStatus.REFUSED,
            file_name=name,
            size=upload.size or 0,
            message=str(refusal),
            created_by=actor,
        )
        logger.info("import %s refused (%s)", refusal.batch.pk, refusal.code)
        raise

    batch = ImportBatch(
        file_name=table.file_name,
        file_format=table.file_format,
        size=len(table.content),
        checksum=table.checksum,
        created_by=actor,
    )
    result = _record_dry_run(batch, table, actor)
    batch.save()
    logger.info("import %s planned: %s", batch.pk, result.totals)
    return batch


def commit_batch(batch_pk: int, actor) -> ImportBatch:
    """Commit the dry run ``batch_pk``: the file it kept is read and planned again, and
    written only if nothing changed since (see ``commit``). A batch commits once: a second
    request waits for the first (the batch row is locked) and gets AlreadyImported."""
    check_can_import(actor)
    try:
        batch, result = _commit_locked(batch_pk, actor)
    except StoredDataChanged:
        _plan_again(batch_pk, actor)
        raise StoredDataChanged(
            _(
                "The stored data changed since the dry run: nothing was imported. The dry run "
                "was run again on the data as they are now: check it before you commit."
            )
        ) from None
    except OperationalError as error:
        if not _is_sqlite_busy(error):
            raise
        raise ImportBusy(
            _(
                "Another import is being written right now: nothing was imported from this "
                "file. Try again in a minute."
            )
        ) from error
    logger.info("import %s committed by user %s: %s", batch.pk, actor.pk, result.totals)
    return batch


def _is_sqlite_busy(error: OperationalError) -> bool:
    return connection.vendor == "sqlite" and "locked" in str(error)


def _commit_locked(batch_pk: int, actor) -> tuple[ImportBatch, Plan]:
    """The commit, in one transaction, under the batch's row lock where there is one."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_pk)
        if batch.status == ImportStatus.COMMITTED:
            raise AlreadyImported(_("This file was already imported."))
        if batch.status == ImportStatus.EXPIRED:
            raise ImportRefused(
                _("This dry run is too old and its file was dropped: upload the file again.")
            )
        if batch.status != ImportStatus.DRY_RUN:
            raise ImportRefused(_("This dry run refused the file: correct it and upload it again."))
        table = read_content(batch.file_name, bytes(batch.content))
        if table.checksum != batch.checksum:
            raise ImportRefused(_("The stored file is not the one checked: upload it again."))
        result = commit(Plan.recorded(table, batch.fingerprint), actor)

        # Where rows cannot be locked (SQLite), the state still changes only once.
        now = timezone.now()
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.DRY_RUN).update(
            status=ImportStatus.COMMITTED, committed_by=actor, committed_at=now
        )
        if not claimed:
            raise AlreadyImported(_("This file was already imported."))
        batch.status, batch.committed_by, batch.committed_at = ImportStatus.COMMITTED, actor, now
        _record_plan(batch, result)
        batch.save(update_fields=[*_COUNTS, "fingerprint", "changes"])
    return batch, result


def _plan_again(batch_pk: int, actor) -> None:
    """Redo a dry run on the stored data as they are now, so that its page shows what a
    commit would write rather than the plan it refused."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_pk)
        if batch.status != ImportStatus.DRY_RUN:
            return
        result = _record_dry_run(batch, read_content(batch.file_name, bytes(batch.content)), actor)
        batch.save(update_fields=[*_COUNTS, "fingerprint", "changes", "status", "content"])
    logger.info("import %s planned again: %s", batch_pk, result.totals)


def expire_dry_runs(days: int) -> int:
    """Drop the files of dry runs older than ``days`` (their plans stay, as history); the
    number of dry runs expired. Committed files are kept: they say what was imported."""
    cutoff = timezone.now() - timedelta(days=days)
    expired = ImportBatch.objects.filter(status=ImportStatus.DRY_RUN, created_at__lt=cutoff)
    count = expired.update(status=ImportStatus.EXPIRED, content=b"")
    logger.info("expired %s import dry runs older than %s days", count, days)
    return count


_COUNTS = ("row_count", "created_count", "updated_count", "unchanged_count", "refused_count")


def import_now(upload, actor) -> ImportBatch:
    """Dry run and commit in one go (the API's ``dry_run=false``): a file with a refused row
    is recorded as refused and nothing is written."""
    batch = prepare(upload, actor)
    if batch.status == ImportStatus.DRY_RUN:
        batch = commit_batch(batch.pk, actor)
    return batch
