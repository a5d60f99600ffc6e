"""Finding places again during a load, and giving new ones their slugs.

An import finds a place by identifier first; then by country, folded name and
subdivision; then by country and folded name within a distance. Positions
that are placeholders (a whole-degree pair, or a pair shared by several
names) never count. What stays ambiguous is reported by the caller, not
guessed here: the look-ups return every candidate.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Place, PlaceIdentifier, PlaceName
from .text import fold, unicode_slug

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS84 positions (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def is_whole_degree_pair(latitude: float | None, longitude: float | None) -> bool:
    """A position such as 45.0, 9.0: a placeholder, not where a place is."""
    if latitude is None or longitude is None:
        return False
    return float(latitude).is_integer() and float(longitude).is_integer()


@dataclass
class Candidate:
    """What a look-up knows of a place (``name_folded``: its main name, folded)."""

    id: int
    country_id: str
    tier: str
    kind: str
    admin1_code: str = ""
    subdivision_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = None
    name_folded: str = ""

    def distance_to(self, latitude: float, longitude: float) -> float | None:
        if self.latitude is None or self.longitude is None:
            return None
        return distance_km(self.latitude, self.longitude, latitude, longitude)


@dataclass
class Gazetteer:
    """An in-memory index of the places in the database, kept current as a load adds places."""

    places: dict[int, Candidate] = field(default_factory=dict)
    by_identifier: dict[tuple[str, str], int] = field(default_factory=dict)
    by_name: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def from_database(cls, countries: Iterable[str] | None = None) -> "Gazetteer":
        """Index every place (of the given countries only, when named) with all its names."""
        gazetteer = cls()
        places = Place.objects.all()
        names = PlaceName.objects.all()
        identifiers = PlaceIdentifier.objects.all()
        if countries is not None:
            countries = list(countries)
            places = places.filter(country_id__in=countries)
            names = names.filter(place__country_id__in=countries)
            identifiers = identifiers.filter(place__country_id__in=countries)
        columns = (
            "id",
            "country_id",
            "tier",
            "kind",
            "admin1_code",
            "subdivision_code",
            "latitude",
            "longitude",
            "population",
            "name_folded",
        )
        for row in places.values_list(*columns).iterator(chunk_size=5000):
            gazetteer.add(Candidate(*row), names=[row[-1]])
        for place_id, folded in names.values_list("place_id", "name_folded").iterator(
            chunk_size=5000
        ):
            gazetteer.add_name(place_id, folded)
        for place_id, scheme, value in identifiers.values_list("place_id", "scheme", "value"):
            gazetteer.by_identifier[(scheme, value)] = place_id
        return gazetteer

    def add(
        self,
        candidate: Candidate,
        *,
        names: Iterable[str] = (),
        identifiers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Index a place (e.g. one just created), its folded names and its identifiers."""
        self.places[candidate.id] = candidate
        for name in names:
            self.add_name(candidate.id, fold(name))
        for key in identifiers:
            self.by_identifier[key] = candidate.id

    def add_name(self, place_id: int, folded: str) -> None:
        if folded and place_id in self.places:
            self.by_name[(self.places[place_id].country_id, folded)].add(place_id)

    def find_identifier(self, scheme: str, value: str) -> Candidate | None:
        place_id = self.by_identifier.get((scheme, value))
        return self.places.get(place_id) if place_id else None

    def find_name(
        self,
        country: str,
        name: str,
        *,
        tiers: Iterable[str] | None = None,
        admin1_code: str | None = None,
        subdivision_code: str | None = None,
    ) -> list[Candidate]:
        """Places of ``country`` with a name that folds like ``name``, optionally narrowed."""
        ids = self.by_name.get((country, fold(name)), ())
        found = [self.places[place_id] for place_id in ids]
        if tiers is not None:
            tiers = set(tiers)
            found = [place for place in found if place.tier in tiers]
        if admin1_code is not None:
            found = [place for place in found if place.admin1_code == admin1_code]
        if subdivision_code is not None:
            found = [place for place in found if place.subdivision_code == subdivision_code]
        return sorted(found, key=lambda place: place.id)

    def find_near(
        self,
        country: str,
        name: str,
        latitude: float,
        longitude: float,
        *,
        within_km: float,
        tiers: Iterable[str] | None = None,
    ) -> list[tuple[float, Candidate]]:
        """Places found by name that lie within ``within_km`` of a position, nearest first."""
        near = []
        for place in self.find_name(country, name, tiers=tiers):
            distance = place.distance_to(latitude, longitude)
            if distance is not None and distance <= within_km:
                near.append((distance, place))
        return sorted(near, key=lambda pair: (pair[0], pair[1].id))


class SlugAllocator:
    """Gives new places (or organisations, cases) unique Unicode slugs that never change.

    Callers allocate in order of population, largest first, so that the
    largest place of a name gets the bare name: the folded name; then the
    folded name and the country code; then those and a stable identifier.
    """

    def __init__(self, taken: Iterable[str]):
        self.taken = set(taken)

    @classmethod
    def for_model(cls, model) -> "SlugAllocator":
        return cls(model.objects.values_list("slug", flat=True))

    def allocate(self, name: str, country_code: str = "", stable_id: str = "") -> str:
        base = unicode_slug(name)[:180].strip("-")
        country = country_code.lower()
        choices = [
            base,
            f"{base}-{country}" if country else "",
            "-".join(part for part in (base, country, unicode_slug(stable_id)) if part),
        ]
        for choice in choices:
            if choice and choice not in self.taken:
                self.taken.add(choice)
                return choice
        # The same name, country and identifier twice: number it rather than fail.
        stem = choices[-1] or "place"
        number = 2
        while f"{stem}-{number}" in self.taken:
            number += 1
        self.taken.add(f"{stem}-{number}")
        return f"{stem}-{number}"
