"""The portal's indicator catalogue (data/indicator_catalogue.toml).

Its ``[[indicator]]`` entries are the indicators the portal defines itself, whether or
not any place has a value for them yet; its ``[[loaded]]`` entries give a theme, a
definition and external counterparts to indicators that other steps load or that
``benchmarks.derived`` computes. The file is the truth for what it lists: a changed
entry updates its indicator, and its mappings become exactly those of the file. The
step runs only when the file changed, so edits curators make in the admin last until
then.
"""

import logging
import re
import tomllib
from pathlib import Path

from cset.reference.loading import LoadReport, Outcome, changed_fields
from cset.reference.models import Source, Theme
from cset.reference.text import clean_name, clean_text

from ..choices import Direction, MappingMatch, MappingScheme, QuantityKind
from ..derived import DERIVED
from ..models import Indicator, IndicatorMapping
from ..units import known_units
from .common import ensure_indicators

logger = logging.getLogger(__name__)

SOURCE = "indicator-catalogue"
CATALOGUE_FILE = "indicator_catalogue.toml"

# Shares have one scale, percent: 42 % is stored as 42, never as 0.42.
SHARE_UNIT = "%"

_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE_LENGTH = Indicator._meta.get_field("code").max_length
_NAME_LENGTH = Indicator._meta.get_field("name").max_length
_MAPPING_CODE_LENGTH = IndicatorMapping._meta.get_field("code").max_length

INDICATOR_KEYS = {
    "code",
    "name",
    "theme",
    "unit",
    "direction",
    "quantity_kind",
    "definition",
    "mappings",
}
LOADED_KEYS = {"code", "theme", "definition", "mappings"}

# A mapping as the file gives it: (scheme, code) → match.
Mappings = dict[tuple[str, str], str]


class EntryError(ValueError):
    """An entry of the catalogue that cannot be loaded; the message says why."""


def read_catalogue(path: Path) -> dict[str, list[dict]]:
    """The catalogue's entries: ``indicator`` and ``loaded`` lists of tables."""
    with open(path, "rb") as handle:
        catalogue = tomllib.load(handle)
    return {"indicator": catalogue.get("indicator", []), "loaded": catalogue.get("loaded", [])}


def load_catalogue(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """Create or update the catalogue's indicators and the mappings of every entry."""
    report = LoadReport(name=CATALOGUE_FILE)
    catalogue = read_catalogue(data_dir / CATALOGUE_FILE)
    themes = Theme.objects.in_bulk(field_name="slug")
    outcome = Outcome()
    wanted: dict[int, Mappings] = {}
    codes: set[str] = set()

    for number, entry in enumerate(catalogue["indicator"], start=1):
        report.read += 1
        label = str(entry.get("code") or f"indicator {number}")
        try:
            indicator = _sync_indicator(entry, themes, codes, outcome)
        except EntryError as error:
            report.refuse(label, str(error))
            continue
        wanted[indicator.pk] = _mappings(entry)

    loaded = _loaded_indicators(catalogue["loaded"], outcome)
    for number, entry in enumerate(catalogue["loaded"], start=1):
        report.read += 1
        label = str(entry.get("code") or f"loaded {number}")
        try:
            indicator = _annotate_loaded(entry, loaded, themes, codes, outcome)
        except EntryError as error:
            report.refuse(label, str(error))
            continue
        wanted[indicator.pk] = _mappings(entry)

    outcome.updated |= _sync_mappings(wanted)
    outcome.count(report)
    logger.info(
        "indicator catalogue: created %s, updated %s, refused %s",
        report.created,
        report.updated,
        len(report.refused),
    )
    return [report]


def _sync_indicator(entry: dict, themes: dict, codes: set[str], outcome: Outcome) -> Indicator:
    """The entry's indicator, created or brought up to date with the file."""
    values = _indicator_values(entry, themes)
    code = values.pop("code")
    _check_first(code, codes)
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        indicator = Indicator.objects.create(code=code, **values)
        outcome.created.add(indicator.pk)
        outcome.seen.add(indicator.pk)
        return indicator

    outcome.seen.add(indicator.pk)
    # Stored values are in the old unit: changing it would silently change their meaning.
    if values["unit"] != indicator.unit and indicator.measurements.exists():
        raise EntryError(
            f"its unit would change from {indicator.unit} to {values['unit']}, but it has "
            "values stored in the old unit"
        )
    if changed_fields(indicator, values):
        indicator.save()
        outcome.updated.add(indicator.pk)
    return indicator


def _indicator_values(entry: dict, themes: dict) -> dict:
    """The model fields an ``[[indicator]]`` entry gives; EntryError when one is wrong."""
    _check_keys(entry, INDICATOR_KEYS, required=INDICATOR_KEYS - {"mappings"})
    code = _code(entry)
    name = clean_name(str(entry["name"]))
    if not name or len(name) > _NAME_LENGTH:
        raise EntryError(f"a name needs 1 to {_NAME_LENGTH} characters")
    unit = entry["unit"]
    if unit not in known_units():
        raise EntryError(f"unknown unit {unit!r}")
    direction = _choice(entry, "direction", Direction)
    quantity_kind = _choice(entry, "quantity_kind", QuantityKind)
    if quantity_kind == QuantityKind.SHARE and unit != SHARE_UNIT:
        raise EntryError(f"a share is given in {SHARE_UNIT} (42 % as 42), not in {unit!r}")
    _mappings(entry)
    return {
        "code": code,
        "name": name,
        "theme": _theme(entry, themes),
        "unit": unit,
        "direction": direction,
        "quantity_kind": quantity_kind,
        "definition": clean_text(str(entry.get("definition", ""))),
    }


def _loaded_indicators(entries: list[dict], outcome: Outcome) -> dict[str, Indicator]:
    """The indicators ``[[loaded]]`` entries name, by code.

    The derived indicators are computed after every step of the initial load, this one
    included: they are created here from their declaration in ``benchmarks.derived`` so
    that their mappings need not wait for the next change of the catalogue.
    """
    codes = {str(entry.get("code", "")) for entry in entries}
    existing = Indicator.objects.in_bulk(codes, field_name="code")
    missing_derived = [
        spec.indicator
        for spec in DERIVED
        if spec.indicator.code in codes and spec.indicator.code not in existing
    ]
    if missing_derived:
        created = ensure_indicators(missing_derived)
        outcome.created |= {indicator.pk for indicator in created.values()}
        existing.update(created)
    return existing


def _annotate_loaded(
    entry: dict, loaded: dict, themes: dict, codes: set[str], outcome: Outcome
) -> Indicator:
    """The loaded indicator of a ``[[loaded]]`` entry, with the entry's theme and definition."""
    _check_keys(entry, LOADED_KEYS, required={"code"})
    code = _code(entry)
    _mappings(entry)
    indicator = loaded.get(code)
    if indicator is None:
        raise EntryError("no step has loaded this indicator")
    _check_first(code, codes)
    outcome.seen.add(indicator.pk)

    values = {}
    if "theme" in entry:
        values["theme"] = _theme(entry, themes)
    if "definition" in entry:
        values["definition"] = clean_text(str(entry["definition"]))
    if changed_fields(indicator, values):
        indicator.save()
        outcome.updated.add(indicator.pk)
    return indicator


def _check_keys(entry: dict, allowed: set[str], *, required: set[str]) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise EntryError(f"unknown field(s) {', '.join(unknown)}")
    absent = sorted(name for name in required if not entry.get(name))
    if absent:
        raise EntryError(f"missing field(s) {', '.join(absent)}")
    not_text = sorted(
        name for name, value in entry.items() if name != "mappings" and not isinstance(value, str)
    )
    if not_text:
        raise EntryError(f"field(s) {', '.join(not_text)} must be text")


def _check_first(code: str, codes: set[str]) -> None:
    """Refuse a second entry for one code: the first one counts."""
    if code in codes:
        raise EntryError("a second entry for this code (the first one counts)")
    codes.add(code)


def _code(entry: dict) -> str:
    code = str(entry["code"])
    if len(code) > _CODE_LENGTH or not _CODE.match(code):
        raise EntryError(
            f"a code is lower-case letters, digits and single hyphens, at most {_CODE_LENGTH}"
        )
    return code


def _choice(entry: dict, name: str, choices) -> str:
    value = entry.get(name, "")
    if value not in choices.values:
        raise EntryError(f"{name} {value!r} is not one of {', '.join(choices.values)}")
    return value


def _theme(entry: dict, themes: dict) -> Theme | None:
    slug = entry.get("theme", "")
    if not slug:
        return None
    if slug not in themes:
        raise EntryError(f"unknown theme {slug!r}")
    return themes[slug]


def _mappings(entry: dict) -> Mappings:
    """The entry's mappings by (scheme, code); EntryError on an unknown scheme or match."""
    mappings: Mappings = {}
    entries = entry.get("mappings", [])
    if not isinstance(entries, list):
        raise EntryError("mappings are a list")
    for mapping in entries:
        if not isinstance(mapping, dict) or set(mapping) != {"scheme", "code", "match"}:
            raise EntryError("a mapping is { scheme = …, code = …, match = … }")
        scheme = _choice(mapping, "scheme", MappingScheme)
        match = _choice(mapping, "match", MappingMatch)
        # Unquoted, 7.10 would be read as the number 7.1.
        if not isinstance(mapping["code"], str):
            raise EntryError('a mapping code is quoted text, such as "7.10"')
        code = mapping["code"].strip()
        if not code or len(code) > _MAPPING_CODE_LENGTH:
            raise EntryError(f"a mapping code needs 1 to {_MAPPING_CODE_LENGTH} characters")
        if (scheme, code) in mappings:
            raise EntryError(f"the mapping {scheme} {code} is given twice")
        mappings[(scheme, code)] = match
    return mappings


def _sync_mappings(wanted: dict[int, Mappings]) -> set[int]:
    """Make each indicator's mappings exactly ``wanted``; return the indicators changed."""
    stored: dict[int, dict[tuple[str, str], IndicatorMapping]] = {pk: {} for pk in wanted}
    for mapping in IndicatorMapping.objects.filter(indicator_id__in=list(wanted)).order_by():
        stored[mapping.indicator_id][(mapping.scheme, mapping.code)] = mapping

    new, changed, gone = [], [], []
    for indicator_id, mappings in wanted.items():
        existing = stored[indicator_id]
        for key, match in mappings.items():
            mapping = existing.pop(key, None)
            if mapping is None:
                scheme, code = key
                new.append(
                    IndicatorMapping(
                        indicator_id=indicator_id, scheme=scheme, code=code, match=match
                    )
                )
            elif mapping.match != match:
                mapping.match = match
                changed.append(mapping)
        gone += existing.values()

    IndicatorMapping.objects.bulk_create(new)
    IndicatorMapping.objects.bulk_update(changed, ["match"])
    IndicatorMapping.objects.filter(pk__in=[mapping.pk for mapping in gone]).delete()
    return {mapping.indicator_id for mapping in [*new, *changed, *gone]}
