"""Step 3 of the initial load: the register of UK local authorities (data/LOADING.md).

Only current authorities become places; a past authority is refused with the reason
"not a current authority" (the file keeps them for the history of codes, and the
emissions file maps former authorities to current ones already).

Tiers follow the authority type: counties (``CTY``) are tier ``county``, combined
authorities and the Greater London Authority (``COMB``, ``SRA``) tier ``combined``,
every other authority tier ``local``. A local authority whose short name is the name
of a GeoNames place within 15 km of the authority's position *is* that place: the
place gains the register's identifiers, names and figures but keeps its GeoNames
name, kind, position and time zone. Any other local authority is a new ``district``;
counties and combined authorities are new ``region`` places and never merge.

A place is found again through its ``gb-la`` identifier.
"""

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..choices import IdentifierScheme, PlaceKind, PlaceTier
from ..gazetteer import Gazetteer, SlugAllocator
from ..loading import BULK_BATCH_SIZE, LoadReport, changed_fields, parse_float, read_csv
from ..models import Place, PlaceIdentifier, Source
from ..text import clean_name, fold
from .geonames import NAME_MAX_LENGTH, NameWriter, identified_places, place_names

logger = logging.getLogger(__name__)

SOURCE = "uk-local-authorities"
FILE_NAME = "uk_local_authorities.csv"
MERGE_WITHIN_KM = 15
POPULATION_YEAR = 2020
TIMEZONE = "Europe/London"
TIERS = {"CTY": PlaceTier.COUNTY, "COMB": PlaceTier.COMBINED, "SRA": PlaceTier.COMBINED}
# The nation column, as GeoNames' first-level code and as ISO 3166-2 code.
NATIONS = {
    "England": ("ENG", "GB-ENG"),
    "Scotland": ("SCT", "GB-SCT"),
    "Wales": ("WLS", "GB-WLS"),
    "Northern Ireland": ("NIR", "GB-NIR"),
}
# Alternative names are separated by a bare comma; a comma followed by a space belongs to
# a name ("Bristol, City of").
ALT_NAME_SEPARATOR = re.compile(r",(?! )")
# Names that arrived double-encoded with their letter already lost (the UTF-8 bytes of
# U+FFFD read as Latin-1), and what data/SOURCES.md says they meant.
KNOWN_REPAIRS = {"Sir Ynys M\ufffdn": "Sir Ynys Môn"}
# Fields the register sets on a GeoNames place it merges with; the rest stay GeoNames'.
MERGED_FIELDS = (
    "subdivision_code",
    "statistical_region",
    "population",
    "population_year",
    "parent_id",
    "combined_authority_id",
)


@dataclass
class Authority:
    """One current authority of the register, as the loader needs it."""

    row: str
    code: str
    gss_code: str
    name: str
    official_name: str
    names: list[str]
    tier: str
    county_code: str
    combined_code: str
    values: dict


def load_uk_register(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """Create or update a place for every current UK local authority."""
    report = LoadReport(name=FILE_NAME)
    authorities = _read_authorities(data_dir / FILE_NAME, report)
    gazetteer = Gazetteer.from_database(countries=["GB"])
    places = Place.objects.filter(country_id="GB").in_bulk()
    geonames_ids = identified_places(IdentifierScheme.GEONAMES) & set(places)
    registered_ids = identified_places(IdentifierScheme.GB_LA)
    names = NameWriter.for_places(set(places))

    found: dict[str, Place] = {}
    for authority in authorities:
        candidate = gazetteer.find_identifier(IdentifierScheme.GB_LA, authority.code)
        if candidate is not None:
            found[authority.code] = places[candidate.id]
    merges = _merge_candidates(
        [a for a in authorities if a.code not in found],
        gazetteer,
        geonames_ids - registered_ids,
        report,
    )
    for code, place_id in merges.items():
        found[code] = places[place_id]

    created = _create_new_places(authorities, found)
    _update_places(authorities, found, created, geonames_ids, names, report)
    _add_identifiers(authorities, found)
    names.write()
    logger.info(
        "UK register: %s places created, %s merged with GeoNames places, %s updated",
        report.created,
        len(merges),
        report.updated,
    )
    return [report]


def _read_authorities(path: Path, report: LoadReport) -> list[Authority]:
    """The current authorities of the register; others are refused with a reason."""
    authorities = []
    for number, row in read_csv(path):
        report.read += 1
        code = clean_name(row.get("local-authority-code"))
        label = f"row {number} ({code or 'no code'})"
        if clean_name(row.get("current-authority")) != "True":
            report.refuse(label, "not a current authority")
            continue
        authority, reason = _parse_authority(label, code, row, report)
        if reason:
            report.refuse(label, reason)
        else:
            authorities.append(authority)
    return authorities


def _parse_authority(
    label: str, code: str, row: dict[str, str], report: LoadReport
) -> tuple[Authority | None, str]:
    name = clean_name(row.get("nice-name"))
    official_name = clean_name(row.get("official-name")) or name
    nation = clean_name(row.get("nation"))
    if not code:
        return None, "no local-authority-code"
    if not name or len(name) > NAME_MAX_LENGTH:
        return None, "no usable nice-name"
    if nation not in NATIONS:
        return None, f"unknown nation {nation!r}"
    try:
        population = parse_float(row.get("pop-2020"))
        latitude = parse_float(row.get("lat"))
        longitude = parse_float(row.get("long"))
    except ValueError as error:
        return None, f"not a number: {error}"
    if (latitude is None) != (longitude is None):
        return None, "only one of lat and long"
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, f"position out of range ({latitude}, {longitude})"
    if population is not None and population < 0:
        return None, f"negative population {population}"

    tier = TIERS.get(clean_name(row.get("local-authority-type")), PlaceTier.LOCAL)
    admin1, subdivision = NATIONS[nation]
    alt_names = []
    for alt in ALT_NAME_SEPARATOR.split(row.get("alt-names") or ""):
        repaired = repair_double_encoding(clean_name(alt))
        if repaired is None:
            report.flag(label, f"alternative name left out, its letters are lost: {alt!r}")
        else:
            alt_names.append(repaired)
    values = {
        "name": name,
        "name_folded": fold(name),
        "kind": PlaceKind.DISTRICT if tier == PlaceTier.LOCAL else PlaceKind.REGION,
        "tier": tier,
        "country_id": "GB",
        "admin1_code": admin1,
        "subdivision_code": subdivision,
        "statistical_region": clean_name(row.get("region")),
        "population": round(population) if population is not None else None,
        "population_year": POPULATION_YEAR if population is not None else None,
        "latitude": latitude,
        "longitude": longitude,
        "timezone": TIMEZONE,
    }
    authority = Authority(
        row=label,
        code=code,
        gss_code=clean_name(row.get("gss-code")),
        name=name,
        official_name=official_name,
        names=place_names(name, [official_name, *alt_names], report, label),
        tier=tier,
        county_code=clean_name(row.get("county-la")),
        combined_code=clean_name(row.get("combined-authority")),
        values=values,
    )
    return authority, ""


def repair_double_encoding(text: str) -> str | None:
    """Undo UTF-8 read as Latin-1 ("MÃ´n" → "Môn"); None when the letter is lost for good.

    A text that is not such a misreading comes back unchanged.
    """
    try:
        repaired = text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text
    if "\ufffd" in repaired:
        return KNOWN_REPAIRS.get(repaired)
    return repaired


def _merge_candidates(
    authorities: list[Authority], gazetteer: Gazetteer, free_ids: set[int], report: LoadReport
) -> dict[str, int]:
    """The GeoNames place each local authority is, by its main name within 15 km; unique only.

    A GeoNames place two authorities would claim is given to neither, and reported.
    """
    proposals: dict[str, int] = {}
    for authority in authorities:
        latitude, longitude = authority.values["latitude"], authority.values["longitude"]
        if authority.tier != PlaceTier.LOCAL or latitude is None:
            continue
        near = gazetteer.find_near(
            "GB", authority.name, latitude, longitude, within_km=MERGE_WITHIN_KM
        )
        # The GeoNames place's own name, not one of its alternative names: those
        # would make Thanet a village in it and Camden the neighbourhood Camden Town.
        ids = sorted(
            {
                place.id
                for _, place in near
                if place.id in free_ids and place.name_folded == fold(authority.name)
            }
        )
        if len(ids) == 1:
            proposals[authority.code] = ids[0]
        elif len(ids) > 1:
            report.flag(
                authority.row,
                f"{len(ids)} GeoNames places named {authority.name!r} within "
                f"{MERGE_WITHIN_KM} km; a new place was made",
            )
    claims = Counter(proposals.values())
    for code, place_id in list(proposals.items()):
        if claims[place_id] > 1:
            report.flag(code, f"GeoNames place {place_id} claimed by several authorities")
            del proposals[code]
    return proposals


def _create_new_places(authorities: list[Authority], found: dict[str, Place]) -> set[str]:
    """Create the authorities that are neither registered yet nor a GeoNames place, slugs
    largest population first, and return their codes. Parents, combined authorities,
    names and the GSS code are set afterwards, as for every other authority."""
    new = [a for a in authorities if a.code not in found]
    new.sort(key=lambda a: (-(a.values["population"] or 0), a.code))
    slugs = SlugAllocator.for_model(Place)
    places = []
    for authority in new:
        place = Place(slug=slugs.allocate(authority.name, "GB", authority.code))
        changed_fields(place, authority.values)
        places.append(place)
        found[authority.code] = place
    Place.objects.bulk_create(places, batch_size=BULK_BATCH_SIZE)
    return {authority.code for authority in new}


def _update_places(
    authorities: list[Authority],
    found: dict[str, Place],
    created: set[str],
    geonames_ids: set[int],
    names: NameWriter,
    report: LoadReport,
) -> None:
    """Bring every authority's place up to date: fields, parent, combined authority, names.

    A place merged with GeoNames only takes the register's ``MERGED_FIELDS``.
    """
    changed: dict[tuple[str, ...], list[Place]] = {}
    for authority in authorities:
        place = found[authority.code]
        values = dict(authority.values)
        values["parent_id"] = _related(authority, "county-la", authority.county_code, found, report)
        values["combined_authority_id"] = _related(
            authority, "combined-authority", authority.combined_code, found, report
        )
        if place.pk in geonames_ids:
            values = {name: values[name] for name in MERGED_FIELDS}
        fields = tuple(sorted(changed_fields(place, values)))
        if fields:
            changed.setdefault(fields, []).append(place)
        added = names.add(
            place.pk, authority.names, official=[authority.official_name], fold_repeats=True
        )
        if authority.code in created:
            report.created += 1
        elif fields or added:
            report.updated += 1
        else:
            report.unchanged += 1
    for fields, group in changed.items():
        Place.objects.bulk_update(group, list(fields), batch_size=BULK_BATCH_SIZE)


def _related(
    authority: Authority, column: str, code: str, found: dict[str, Place], report: LoadReport
) -> int | None:
    """The place of the authority that ``column`` names, when that authority is current."""
    if not code:
        return None
    if code not in found:
        report.flag(authority.row, f"{column} {code} is not a current authority; left empty")
        return None
    return found[code].pk


def _add_identifiers(authorities: list[Authority], found: dict[str, Place]) -> None:
    """Give each authority's place its gb-la and gb-gss identifiers, where missing."""
    existing = set(
        PlaceIdentifier.objects.filter(
            scheme__in=(IdentifierScheme.GB_LA, IdentifierScheme.GB_GSS)
        ).values_list("scheme", "value")
    )
    new = []
    for authority in authorities:
        for scheme, value in (
            (IdentifierScheme.GB_LA, authority.code),
            (IdentifierScheme.GB_GSS, authority.gss_code),
        ):
            if value and (scheme, value) not in existing:
                existing.add((scheme, value))
                new.append(PlaceIdentifier(place=found[authority.code], scheme=scheme, value=value))
    PlaceIdentifier.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
