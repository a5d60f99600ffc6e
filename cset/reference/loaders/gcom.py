"""The Covenant of Mayors signatories (LOADING.md step 5): places, groups and memberships.

Every row is keyed on the Covenant's ``organisation_id``. A single signatory is a
place: it is found again among the places loaded so far, or created. A group
profile (``group_profile`` True, its name a comma list of towns) is an
organisation of kind ``authority_group``. Either has one membership of the
network "covenant-of-mayors", whose ``external_id`` is the ``organisation_id``.

How a signatory finds its place, in order:

1. its identifier ``gcom:<organisation_id>`` (every later load finds it this way);
2. country + folded name + subdivision does not apply: the file has no
   subdivision column, and a name compared without one is only trusted with a
   distance (3) or, failing that, when it is unique (4);
3. country + folded name within 10 km of the row's position: a UK register place
   (``gb-la``) preferred, then a local-tier place, then the nearest. The name is
   tried as written, each half of a bilingual "Bolzano/Bozen", and for British
   councils without "Council", "London Borough of" and the like. British
   signatories are councils: when no register place lies within 10 km, the one
   register place of that name is theirs (the register's position is the centre
   of the authority's area, often further away than the town hall);
4. without a distance to judge, by country + folded name alone when exactly one
   place qualifies: a local-tier place when the row has no usable position or no
   candidate has one, any tier for a British council (some councils are
   counties or combined authorities). Every match by name alone is flagged.

Anything else becomes a new place, and a new place that shares its name with a
place further than 10 km away is flagged: the same-name pairs of the file that
lie 14–211 km apart stay two places. A position is a placeholder, never used
for matching nor stored, when it is a whole-degree pair or when three or more
distinct names share it (the centre of Italy for Italian groups).

Places this step created (those with no identifier from another source) follow
the file on a later load; places of other sources only gain the ``gcom``
identifier, so that this step never overwrites GeoNames', the UK register's or
Destatis' figures.
"""

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..choices import (
    Commitment,
    IdentifierScheme,
    MembershipStatus,
    NameKind,
    OrganisationKind,
    PlaceKind,
    PlaceTier,
)
from ..gazetteer import Candidate, Gazetteer, SlugAllocator, is_whole_degree_pair
from ..loading import BULK_BATCH_SIZE, LoadReport, changed_fields, parse_float, read_csv
from ..models import (
    Country,
    Membership,
    Network,
    Organisation,
    Place,
    PlaceIdentifier,
    PlaceName,
    Source,
)
from ..text import clean_name, fold

logger = logging.getLogger(__name__)

FILE_NAME = "gcom_signatories_2024.csv.gz"
NETWORK_SLUG = "covenant-of-mayors"
NETWORK_NAME = "Global Covenant of Mayors for Climate & Energy"
NETWORK_URL = "https://www.globalcovenantofmayors.org/"
MATCH_WITHIN_KM = 10.0
# Three or more distinct names at one position: a country or region centre, not a town.
SHARED_POSITION_NAMES = 3
GCOM = IdentifierScheme.GCOM

STATUSES = {"published": MembershipStatus.ACTIVE, "on_hold": MembershipStatus.SUSPENDED}
COMMITMENT_COLUMNS = {
    "commitment_CoM2020_flag": Commitment.COM_2020,
    "commitment_CoM2030_flag": Commitment.COM_2030,
    "commitment_CoM2050_flag": Commitment.COM_2050,
    "commitment_mayoradapt_flag": Commitment.MAYORS_ADAPT,
}
ADHESION_TYPES = {
    "As an individual signatory",
    "As a group of signatories committing individually (joint SEAP - option 1)",
    "As a group of signatories committing collectively (joint SEAP - option 2)",
}
BOOLEANS = {"true": True, "false": False, "": False}
PLACE_FIELDS = (
    "name",
    "name_folded",
    "kind",
    "population",
    "population_year",
    "latitude",
    "longitude",
)
MEMBERSHIP_FIELDS = [
    "place_id",
    "organisation_id",
    "network_code",
    "name_in_network",
    "status",
    "joined_on",
    "commitments",
    "declared_population",
    "group_id",
    "group_external_id",
    "source_id",
]

# British signatories are councils; the register knows most of them by their short name.
_GB_PREFIX = re.compile(r"^(?:the\s+)?(?:london borough of|royal borough of|city of)\s+", re.I)
_GB_SUFFIX = re.compile(
    r"\s+(?:(?:city|town|parish|district|borough|county|metropolitan borough)\s+)?council$",
    re.I,
)


@dataclass
class Signatory:
    """One row of the file, checked."""

    row: str
    organisation_id: str
    name: str
    country: str
    population: int | None
    latitude: float | None
    longitude: float | None
    group_profile: bool
    group_id: str
    commitments: list[str]
    status: str
    joined_on: date | None
    network_code: str
    placeholder: str = ""
    place_id: int | None = None

    @property
    def year(self) -> int | None:
        return self.joined_on.year if self.joined_on else None

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and not self.placeholder


@dataclass
class DeclaredPopulation:
    """The population a signatory declared on joining, for the measurement loader."""

    place_id: int
    year: int
    value: int
    row: str


@dataclass
class SignatoriesResult:
    """What :func:`load_signatories` did, and the declared populations it leaves to write."""

    report: LoadReport
    populations: list[DeclaredPopulation] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def load_signatories(path: Path, source: Source) -> SignatoriesResult:
    """Load the signatories file at ``path``: places, groups, identifiers and memberships."""
    result = SignatoriesResult(report=LoadReport(name=path.name))
    report = result.report
    signatories = read_signatories(path, report)
    mark_placeholders(signatories)
    network = ensure_network()
    status = _RowStatus()

    groups = [signatory for signatory in signatories if signatory.group_profile]
    towns = [signatory for signatory in signatories if not signatory.group_profile]
    organisations = write_groups(groups, source, status, result.counts)
    flag_absent_groups(signatories, organisations, report)

    matcher = PlaceMatcher.for_signatories(towns, report, result.counts)
    for signatory in sorted(towns, key=_matching_order):
        signatory.place_id = matcher.match(signatory)
    write_places(matcher, towns, status, result.counts)
    write_identifiers(matcher, towns, status, result.counts)
    write_memberships(network, signatories, organisations, source, status, result.counts)
    write_group_places(organisations, towns, status)

    status.count(report)
    result.populations = [
        DeclaredPopulation(town.place_id, town.year, town.population, town.row)
        for town in sorted(towns, key=_matching_order)
        if town.population is not None and town.year is not None
    ]
    logger.info("covenant signatories: %s", dict(sorted(result.counts.items())))
    return result


def read_signatories(path: Path, report: LoadReport) -> list[Signatory]:
    """Every row of the file that can be loaded; the others are refused with a reason."""
    countries = set(Country.objects.values_list("code", flat=True))
    signatories, seen = [], set()
    for number, row in read_csv(path):
        report.read += 1
        signatory = parse_row(number, row, countries, report)
        if signatory is None:
            continue
        if signatory.organisation_id in seen:
            report.refuse(signatory.row, "organisation_id seen before in the file")
            continue
        seen.add(signatory.organisation_id)
        signatories.append(signatory)
    return signatories


def parse_row(
    number: int, row: dict[str, str], countries: set[str], report: LoadReport
) -> Signatory | None:
    """Check one row; refuse it (and return None) when it cannot be loaded."""
    organisation_id = clean_name(row.get("organisation_id"))
    label = f"row {number} ({organisation_id or 'no id'})"
    name = clean_name(row.get("organisation_name"))
    country = clean_name(row.get("country_code")).upper()
    status = STATUSES.get(clean_name(row.get("signatory_status")))
    flags = {column: clean_name(row.get(column)).lower() for column in COMMITMENT_COLUMNS}
    group_profile = clean_name(row.get("group_profile")).lower()
    problem = None
    if not organisation_id:
        problem = "no organisation_id"
    elif not name:
        problem = "empty organisation name"
    elif country not in countries:
        problem = f"unknown country {row.get('country_code')!r}"
    elif status is None:
        problem = f"unknown signatory status {row.get('signatory_status')!r}"
    elif any(value not in BOOLEANS for value in (*flags.values(), group_profile)):
        problem = "a commitment flag or group_profile is neither True nor False"
    if problem:
        report.refuse(label, problem)
        return None
    try:
        joined_on = _parse_date(row.get("date_of_adhesion"))
    except ValueError:
        report.refuse(label, f"date of adhesion {row.get('date_of_adhesion')!r} is not a date")
        return None

    adhesion_type = clean_name(row.get("adhesion_type"))
    if adhesion_type and adhesion_type not in ADHESION_TYPES:
        report.flag(label, f"unknown adhesion type {adhesion_type!r}, ignored")
    latitude, longitude = _parse_position(row, label, report)
    return Signatory(
        row=label,
        organisation_id=organisation_id,
        name=name,
        country=country,
        population=_parse_population(row.get("population_adhesion"), label, report),
        latitude=latitude,
        longitude=longitude,
        group_profile=BOOLEANS[group_profile],
        group_id=normalise_group_id(row.get("group_organisation_id")),
        commitments=[
            code for column, code in COMMITMENT_COLUMNS.items() if flags[column] == "true"
        ],
        status=status,
        joined_on=joined_on,
        network_code=clean_name(row.get("gcom_id")),
    )


def normalise_group_id(text: str | None) -> str:
    """The group's organisation_id as the file writes it elsewhere: "16453.0" → "16453"."""
    value = clean_name(text)
    if value.endswith(".0") and value[:-2].isdigit():
        return value[:-2]
    return value


def _parse_date(text: str | None) -> date | None:
    value = clean_name(text)
    return date.fromisoformat(value) if value else None


def _parse_population(text: str | None, label: str, report: LoadReport) -> int | None:
    """The declared population, or None (flagged) when it is not a count of people."""
    try:
        value = parse_float(text)
    except ValueError:
        value = -1.0
    if value is None:
        return None
    if value < 0 or not value.is_integer():
        report.flag(label, f"population {text!r} is not a count of people, ignored")
        return None
    return int(value)


def _parse_position(
    row: dict[str, str], label: str, report: LoadReport
) -> tuple[float | None, float | None]:
    """The row's position, or (None, None) when it is missing or impossible (flagged)."""
    try:
        latitude = parse_float(row.get("organisation_latitude"))
        longitude = parse_float(row.get("organisation_longitude"))
    except ValueError:
        latitude = longitude = float("nan")
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None or not (-90 <= latitude <= 90):
        report.flag(label, "position incomplete or out of range, ignored")
        return None, None
    if not (-180 <= longitude <= 180):
        report.flag(label, "position incomplete or out of range, ignored")
        return None, None
    return latitude, longitude


def mark_placeholders(signatories: list[Signatory]) -> None:
    """Mark positions that say nothing about where a place is: whole degrees, or shared."""
    names_at = defaultdict(set)
    for signatory in signatories:
        if signatory.latitude is not None:
            names_at[(signatory.latitude, signatory.longitude)].add(fold(signatory.name))
    for signatory in signatories:
        if signatory.latitude is None:
            continue
        shared = len(names_at[(signatory.latitude, signatory.longitude)])
        if is_whole_degree_pair(signatory.latitude, signatory.longitude):
            signatory.placeholder = "a whole-degree position"
        elif shared >= SHARED_POSITION_NAMES:
            signatory.placeholder = f"a position shared by {shared} names"


def ensure_network() -> Network:
    """The Covenant of Mayors network, created on the first load and left alone after."""
    network, _ = Network.objects.get_or_create(
        slug=NETWORK_SLUG, defaults={"name": NETWORK_NAME, "url": NETWORK_URL}
    )
    return network


def _matching_order(signatory: Signatory) -> tuple:
    """Rows with a usable position first (so that a placeholder row finds the place a
    positioned row of the same town created), then largest population first (the order
    in which new places get their slugs)."""
    return (not signatory.has_position, -(signatory.population or 0), signatory.organisation_id)


class _RowStatus:
    """Whether each row created something, changed something or left everything as it was."""

    _RANK = {"unchanged": 0, "updated": 1, "created": 2}

    def __init__(self):
        self.by_row: dict[str, str] = {}

    def mark(self, organisation_id: str, state: str) -> None:
        current = self.by_row.get(organisation_id, "unchanged")
        if self._RANK[state] >= self._RANK[current]:
            self.by_row[organisation_id] = state

    def count(self, report: LoadReport) -> None:
        states = Counter(self.by_row.values())
        report.created += states["created"]
        report.updated += states["updated"]
        report.unchanged += states["unchanged"]


def write_groups(
    groups: list[Signatory], source: Source, status: _RowStatus, counts: Counter
) -> dict[str, Organisation]:
    """Create or update the group profiles as organisations; return them by organisation_id."""
    existing = {
        organisation.source_key: organisation
        for organisation in Organisation.objects.filter(source=source)
    }
    slugs = SlugAllocator.for_model(Organisation)
    new, changed = [], []
    for group in sorted(groups, key=_matching_order):
        name = group.name[:500]
        values = {
            "name": name,
            "name_folded": fold(name),
            "kind": OrganisationKind.AUTHORITY_GROUP,
            "country_id": group.country,
        }
        organisation = existing.get(group.organisation_id)
        if organisation is None:
            slug = slugs.allocate(name[:120], group.country, group.organisation_id)
            organisation = Organisation(
                slug=slug, source=source, source_key=group.organisation_id, **values
            )
            new.append(organisation)
            existing[group.organisation_id] = organisation
            status.mark(group.organisation_id, "created")
        elif changed_fields(organisation, values):
            changed.append(organisation)
            status.mark(group.organisation_id, "updated")
        else:
            status.mark(group.organisation_id, "unchanged")
    Organisation.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    Organisation.objects.bulk_update(
        changed, ["name", "name_folded", "kind", "country_id"], batch_size=BULK_BATCH_SIZE
    )
    counts["organisations created"] += len(new)
    counts["organisations updated"] += len(changed)
    in_file = {group.organisation_id for group in groups}
    return {key: value for key, value in existing.items() if key in in_file}


def flag_absent_groups(
    signatories: list[Signatory], organisations: dict[str, Organisation], report: LoadReport
) -> None:
    """Report each group that signatories name but the file does not hold (once per group)."""
    members = Counter(s.group_id for s in signatories if s.group_id)
    for group_id, number in sorted(members.items()):
        if group_id not in organisations:
            report.flag(
                f"group {group_id}",
                f"referenced by {number} signatories but absent from the file; reference kept",
            )


def name_variants(name: str, country: str) -> list[str]:
    """The names a signatory may be known by, most literal first, without repeats."""
    variants = [name]
    if "/" in name:
        parts = [part.strip() for part in name.split("/")]
        if all(len(part) >= 3 for part in parts):
            variants += parts
    if country == "GB":
        for variant in list(variants):
            short = gb_short_name(variant)
            variants.append(short)
            variants.append(short.replace("&", "and"))
            if short.lower().endswith(" county"):
                variants.append(f"County {short[: -len(' county')]}")
    unique, seen = [], set()
    for variant in variants:
        key = fold(variant)
        if key and key not in seen:
            seen.add(key)
            unique.append(variant)
    return unique


def gb_short_name(name: str) -> str:
    """A British council's name without "Council", "London Borough of" and the like."""
    return _GB_SUFFIX.sub("", _GB_PREFIX.sub("", name)).strip() or name


def place_name(town: Signatory) -> str:
    """The name a new place gets: a British council is named for the place it governs."""
    name = gb_short_name(town.name) if town.country == "GB" else town.name
    return name[:200]


def kind_for_population(population: int | None) -> str:
    """city from 100,000 people, town from 5,000, village below (and when unknown)."""
    if population is None:
        return PlaceKind.VILLAGE
    if population >= 100_000:
        return PlaceKind.CITY
    if population >= 5_000:
        return PlaceKind.TOWN
    return PlaceKind.VILLAGE


class PlaceMatcher:
    """Finds the place of each single signatory, or plans a new one.

    New places get provisional negative ids in the gazetteer, so that a town that
    adhered twice finds the place its first row planned; :func:`write_places`
    replaces them with real ids.
    """

    def __init__(self, gazetteer: Gazetteer, report: LoadReport, counts: Counter):
        self.gazetteer = gazetteer
        self.report = report
        self.counts = counts
        self.new_places: dict[int, Signatory] = {}
        self.by_network_code: dict[tuple[str, str], int] = {}
        # Places owned by another source: this step adds only its identifier to them.
        self.foreign = {
            place_id for (scheme, _), place_id in gazetteer.by_identifier.items() if scheme != GCOM
        }
        # British signatories are councils: the register's place wins over a GeoNames town.
        self.councils = {
            place_id
            for (scheme, _), place_id in gazetteer.by_identifier.items()
            if scheme == IdentifierScheme.GB_LA
        }

    @classmethod
    def for_signatories(
        cls, towns: list[Signatory], report: LoadReport, counts: Counter
    ) -> "PlaceMatcher":
        countries = {town.country for town in towns}
        return cls(Gazetteer.from_database(countries=countries), report, counts)

    def match(self, town: Signatory) -> int:
        """The id of the town's place (negative when the place is still to be created)."""
        found = self.gazetteer.find_identifier(GCOM, town.organisation_id)
        if found is not None:
            self.counts["places found by identifier"] += 1
            return found.id
        code_key = (town.country, town.network_code)
        if town.network_code and code_key in self.by_network_code:
            self.report.flag(town.row, f"same GCoM id {town.network_code} as another row: merged")
            self.counts["places found by GCoM id"] += 1
            return self._remember(town, self.by_network_code[code_key])
        place_id = self._by_name(town)
        if place_id is None:
            place_id = self._plan_new_place(town)
        return self._remember(town, place_id)

    def _remember(self, town: Signatory, place_id: int) -> int:
        self.gazetteer.by_identifier[(GCOM, town.organisation_id)] = place_id
        if town.network_code:
            self.by_network_code.setdefault((town.country, town.network_code), place_id)
        return place_id

    def _by_name(self, town: Signatory) -> int | None:
        """Steps 3 and 4 of the module docstring; None when a new place is needed."""
        variants = name_variants(town.name, town.country)
        candidates = {}
        for variant in variants:
            for place in self.gazetteer.find_name(town.country, variant):
                candidates[place.id] = place
        near = []
        if town.has_position:
            for place in candidates.values():
                distance = place.distance_to(town.latitude, town.longitude)
                if distance is not None and distance <= MATCH_WITHIN_KM:
                    near.append((distance, place))
        near.sort(key=self._preference)

        if town.country == "GB" and not (near and near[0][1].id in self.councils):
            # A council whose register place lies further than 10 km (the register gives
            # the centre of the authority's area): its unique register place of that name.
            councils = [place for place in candidates.values() if place.id in self.councils]
            if len(councils) == 1:
                return self._matched_alone(town, councils[0])
        if near:
            self.counts["places found by name within 10 km"] += 1
            return near[0][1].id
        return self._by_name_alone(town, list(candidates.values()))

    def _preference(self, pair: tuple[float, Candidate]) -> tuple:
        """Order of the places found near a row: a council, a local place, the nearest."""
        distance, place = pair
        return (place.id not in self.councils, place.tier != PlaceTier.LOCAL, distance, place.id)

    def _by_name_alone(self, town: Signatory, candidates: list[Candidate]) -> int | None:
        """A unique candidate when no distance can be judged; otherwise flag and give up."""
        british = town.country == "GB"
        if british:
            eligible = candidates
        elif not town.has_position or all(place.latitude is None for place in candidates):
            eligible = [place for place in candidates if place.tier == PlaceTier.LOCAL]
        else:
            eligible = []
        if len(eligible) == 1:
            return self._matched_alone(town, eligible[0])

        if not town.has_position:
            why = town.placeholder or "no position"
            found = f"{len(eligible)} places so named" if eligible else "no place so named"
            self.report.flag(town.row, f"{why}, {found}: new place without coordinates")
        elif candidates:
            self.report.flag(town.row, self._far_apart(town, candidates))
        return None

    def _matched_alone(self, town: Signatory, place: Candidate) -> int:
        why = self._why_no_distance(town, place)
        self.report.flag(town.row, f"matched by country and name alone ({why})")
        self.counts["places found by name alone"] += 1
        return place.id

    def _why_no_distance(self, town: Signatory, place: Candidate) -> str:
        if not town.has_position:
            return town.placeholder or "no position in the file"
        distance = place.distance_to(town.latitude, town.longitude)
        if distance is None:
            return "the place has no position"
        return f"British council, {distance:.0f} km from the file's position"

    def _far_apart(self, town: Signatory, candidates: list[Candidate]) -> str:
        """The reason a same-name place was not merged with this row's."""
        described = []
        for place in sorted(candidates, key=lambda place: place.id):
            distance = place.distance_to(town.latitude, town.longitude)
            where = "no position" if distance is None else f"{distance:.0f} km away"
            if place.id in self.new_places:
                described.append(f"signatory {self.new_places[place.id].organisation_id} ({where})")
            else:
                described.append(f"place {place.id} ({where})")
        return "same name as " + ", ".join(described) + ": not merged, new place"

    def _plan_new_place(self, town: Signatory) -> int:
        provisional_id = -(len(self.new_places) + 1)
        self.new_places[provisional_id] = town
        self.gazetteer.add(
            Candidate(
                id=provisional_id,
                country_id=town.country,
                tier=PlaceTier.LOCAL,
                kind=kind_for_population(town.population),
                latitude=town.latitude if town.has_position else None,
                longitude=town.longitude if town.has_position else None,
                population=town.population,
            ),
            names=name_variants(town.name, town.country),
        )
        return provisional_id


def _place_values(town: Signatory) -> dict:
    """The fields of a place this step owns, as the town's row gives them."""
    name = place_name(town)
    return {
        "name": name,
        "name_folded": fold(name),
        "kind": kind_for_population(town.population),
        "population": town.population,
        "population_year": town.year if town.population is not None else None,
        "latitude": town.latitude if town.has_position else None,
        "longitude": town.longitude if town.has_position else None,
    }


def write_places(
    matcher: PlaceMatcher, towns: list[Signatory], status: _RowStatus, counts: Counter
) -> None:
    """Create the planned places (slugs largest first), update the ones this step owns,
    and give every town its real place id."""
    slugs = SlugAllocator.for_model(Place)
    created = {}
    for provisional_id, town in matcher.new_places.items():
        created[provisional_id] = Place(
            # "Bolzano/Bozen" should read bolzano-bozen, not bolzanobozen.
            slug=slugs.allocate(
                place_name(town).replace("/", " "), town.country, town.organisation_id
            ),
            tier=PlaceTier.LOCAL,
            country_id=town.country,
            **_place_values(town),
        )
        status.mark(town.organisation_id, "created")
    Place.objects.bulk_create(created.values(), batch_size=BULK_BATCH_SIZE)
    counts["places created"] += len(created)
    for town in towns:
        if town.place_id < 0:
            town.place_id = created[town.place_id].pk

    # The first row of a place (in matching order) describes it.
    owned: dict[int, Signatory] = {}
    created_ids = {place.pk for place in created.values()}
    for town in sorted(towns, key=_matching_order):
        if town.place_id not in matcher.foreign and town.place_id not in created_ids:
            owned.setdefault(town.place_id, town)
    changed = []
    for place in Place.objects.filter(pk__in=owned).only("id", *PLACE_FIELDS):
        town = owned[place.pk]
        if changed_fields(place, _place_values(town)):
            changed.append(place)
            status.mark(town.organisation_id, "updated")
    Place.objects.bulk_update(changed, [*PLACE_FIELDS, "updated_at"], batch_size=BULK_BATCH_SIZE)
    counts["places updated"] += len(changed)
    write_alternative_names([*created_ids, *owned], towns)


def write_alternative_names(place_ids: list[int], towns: list[Signatory]) -> None:
    """Give the places this step owns the other names of their rows: each half of a
    bilingual "Bolzano/Bozen", a British council's full name."""
    owned = set(place_ids)
    wanted = {}
    for town in towns:
        if town.place_id in owned:
            for variant in name_variants(town.name, town.country):
                if fold(variant) != fold(place_name(town)):
                    wanted.setdefault((town.place_id, variant[:200]), town)
    existing = set(PlaceName.objects.filter(place_id__in=owned).values_list("place_id", "name"))
    PlaceName.objects.bulk_create(
        [
            PlaceName(
                place_id=place_id, name=name, name_folded=fold(name), kind=NameKind.ALTERNATIVE
            )
            for (place_id, name) in wanted
            if (place_id, name) not in existing
        ],
        batch_size=BULK_BATCH_SIZE,
    )


def write_identifiers(
    matcher: PlaceMatcher, towns: list[Signatory], status: _RowStatus, counts: Counter
) -> None:
    """Give each town's place the identifier gcom:<organisation_id> (one per adhesion)."""
    existing = set(PlaceIdentifier.objects.filter(scheme=GCOM).values_list("value", flat=True))
    new = [
        PlaceIdentifier(place_id=town.place_id, scheme=GCOM, value=town.organisation_id)
        for town in towns
        if town.organisation_id not in existing
    ]
    PlaceIdentifier.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    for identifier in new:
        status.mark(identifier.value, "updated")
    counts["identifiers created"] += len(new)


def write_memberships(
    network: Network,
    signatories: list[Signatory],
    organisations: dict[str, Organisation],
    source: Source,
    status: _RowStatus,
    counts: Counter,
) -> None:
    """One membership per row, found again by its organisation_id."""
    existing = {
        membership.external_id: membership
        for membership in Membership.objects.filter(network=network).exclude(external_id="")
    }
    new, changed = [], []
    for signatory in signatories:
        group = organisations.get(signatory.group_id)
        values = {
            "place_id": None if signatory.group_profile else signatory.place_id,
            "organisation_id": (
                organisations[signatory.organisation_id].pk if signatory.group_profile else None
            ),
            "network_code": signatory.network_code,
            "name_in_network": signatory.name[:500],
            "status": signatory.status,
            "joined_on": signatory.joined_on,
            "commitments": signatory.commitments,
            "declared_population": signatory.population,
            "group_id": group.pk if group else None,
            "group_external_id": signatory.group_id,
            "source_id": source.pk,
        }
        membership = existing.get(signatory.organisation_id)
        if membership is None:
            new.append(Membership(network=network, external_id=signatory.organisation_id, **values))
            status.mark(signatory.organisation_id, "created")
        elif changed_fields(membership, values):
            changed.append(membership)
            status.mark(signatory.organisation_id, "updated")
        else:
            status.mark(signatory.organisation_id, "unchanged")
    Membership.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    Membership.objects.bulk_update(changed, MEMBERSHIP_FIELDS, batch_size=BULK_BATCH_SIZE)
    counts["memberships created"] += len(new)
    counts["memberships updated"] += len(changed)


def write_group_places(
    organisations: dict[str, Organisation], towns: list[Signatory], status: _RowStatus
) -> None:
    """Link each group to the places of its members (the organisation's places covered)."""
    through = Organisation.places.through
    group_ids = {organisation.pk: key for key, organisation in organisations.items()}
    wanted = {
        (organisations[town.group_id].pk, town.place_id)
        for town in towns
        if town.group_id in organisations
    }
    existing = set(
        through.objects.filter(organisation_id__in=group_ids).values_list(
            "organisation_id", "place_id"
        )
    )
    stale = existing - wanted
    if stale:
        links = through.objects.filter(organisation_id__in=group_ids)
        through.objects.filter(
            pk__in=[
                pk
                for pk, organisation_id, place_id in links.values_list(
                    "pk", "organisation_id", "place_id"
                )
                if (organisation_id, place_id) in stale
            ]
        ).delete()
    through.objects.bulk_create(
        [through(organisation_id=o, place_id=p) for o, p in wanted - existing],
        batch_size=BULK_BATCH_SIZE,
    )
    for organisation_id, _ in stale | (wanted - existing):
        status.mark(group_ids[organisation_id], "updated")
