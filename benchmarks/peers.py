"""Peer groups and the comparison of a place with its peers, computed by the database.

A peer group is a set of places of one tier (DESIGN.md, "Benchmark arithmetic"),
narrowed by country, subdivision, statistical region, continent, population band or
network membership. For an indicator and a year, each place of the group keeps one
value (the best-verified source's); window functions then give every place its rank
(1 is best), its direction-aware percentile (100 is best), the group's size and the
place's position by value, from which the quartiles are interpolated linearly between
neighbouring values. The same SQL runs on SQLite and PostgreSQL.

Speeds are measured by ``make bench-benchmarks`` (benchmarks/management/).
"""

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cset.reference.choices import Continent, PlaceTier
from cset.reference.models import Membership, Place

from .choices import Direction, Verification
from .models import Indicator, Measurement, SavedPeerGroup

logger = logging.getLogger(__name__)

# Fewer places with values than this: no ranking (DESIGN.md).
MINIMUM_PEERS = 5

POPULATION_INDICATOR = "population"

# Population bands: (key, label, lowest population, population it stays under).
POPULATION_BANDS = [
    ("under-15k", gettext_lazy("under 15,000 people"), 0, 15_000),
    ("15k-100k", gettext_lazy("15,000 to 100,000 people"), 15_000, 100_000),
    ("100k-1m", gettext_lazy("100,000 to 1 million people"), 100_000, 1_000_000),
    ("over-1m", gettext_lazy("over 1 million people"), 1_000_000, None),
]
BANDS = {key: (label, low, high) for key, label, low, high in POPULATION_BANDS}

# Which value of a place counts when several sources give one: the best verified first.
VERIFICATION_ORDER = {
    Verification.THIRD_PARTY_VERIFIED: 3,
    Verification.SECRETARIAT_REVIEWED: 2,
    Verification.SELF_REPORTED: 1,
}


def band_of(population: float | None) -> str:
    """The key of the population band ``population`` falls in; "" when it is unknown."""
    if population is None or population < 0:
        return ""
    for key, _label, low, high in POPULATION_BANDS:
        if population >= low and (high is None or population < high):
            return key
    return ""


class PeerGroupError(ValueError):
    """A peer group that cannot be formed; the message says why, for the user."""


@dataclass(frozen=True)
class PeerGroup:
    """Places of one tier, narrowed by any of the other criteria (empty: not narrowed)."""

    tier: str
    country: str = ""
    subdivision: str = ""
    region: str = ""
    continent: str = ""
    band: str = ""
    network: str = ""
    # The places of a curated list (a saved peer group), when the group is one.
    place_ids: tuple[int, ...] | None = None
    name: str = ""
    # The saved peer group itself: its places are then read by a subquery, not passed as
    # thousands of parameters (more than SQLite takes for a year-by-year ranking).
    saved_group_id: int | None = None

    def __post_init__(self):
        if self.tier not in PlaceTier.values:
            raise PeerGroupError(_("Choose the tier of government to compare within."))
        if self.band and self.band not in BANDS:
            raise PeerGroupError(_("There is no such population band."))
        if self.continent and self.continent not in Continent.values:
            raise PeerGroupError(_("There is no such continent."))

    @classmethod
    def around(cls, place: Place, **narrowing) -> "PeerGroup":
        """The default group of ``place``: its tier in its country, narrowed further."""
        return cls(tier=place.tier, country=place.country_id, **narrowing)

    def with_changes(self, **changes) -> "PeerGroup":
        return replace(self, **changes)

    def places(self, year: int) -> QuerySet[Place]:
        """The group's places; the population band is judged on ``year``'s population."""
        places = self._places_of_any_year()
        if self.band:
            places = _in_band(places.annotate(band_population=population_in(year)), self.band)
        return places

    def keep(self, measurements: QuerySet[Measurement]) -> QuerySet[Measurement]:
        """The ``measurements`` whose place is of the group in the measurement's own year.

        The population band is judged on the population of each row's place and year,
        for those rows only: a comparison ranks a few thousand values, while judging
        every place of a tier (50,000 local places) in every year took seconds.
        """
        kept = measurements.filter(place__in=self._places_of_any_year().values("pk"))
        if not self.band:
            return kept
        population = population_in(OuterRef("year"), OuterRef("place_id"), "place__population")
        return _in_band(kept.annotate(band_population=population), self.band)

    def _places_of_any_year(self) -> QuerySet[Place]:
        """The places that every criterion but the population band admits."""
        places = Place.objects.filter(tier=self.tier)
        if self.saved_group_id is not None:
            listed = SavedPeerGroup.places.through.objects.filter(
                savedpeergroup_id=self.saved_group_id
            )
            places = places.filter(pk__in=listed.values("place_id"))
        elif self.place_ids is not None:
            places = places.filter(pk__in=self.place_ids)
        if self.country:
            places = places.filter(country_id=self.country.upper())
        if self.subdivision:
            places = places.filter(subdivision_code=self.subdivision.upper())
        if self.region:
            places = places.filter(statistical_region=self.region)
        if self.continent:
            places = places.filter(country__continent=self.continent)
        if self.network:
            members = Membership.objects.filter(network__slug=self.network).values("place_id")
            places = places.filter(pk__in=members)
        return places

    def describe(self) -> str:
        """The group in words: "Local places in GB, 100,000 to 1 million people"."""
        parts = [PlaceTier(self.tier).label]
        if self.name:
            parts = [self.name]
        for value in (self.country, self.subdivision, self.region):
            if value:
                parts.append(value)
        if self.continent:
            parts.append(str(Continent(self.continent).label))
        if self.band:
            parts.append(str(BANDS[self.band][0]))
        if self.network:
            parts.append(self.network)
        return ", ".join(str(part) for part in parts)


def population_in(year, place=None, gazetteer: str = "population") -> Coalesce:
    """A place's population in ``year`` (best-verified source), else its gazetteer figure.

    By default for the places of a Place queryset; ``place`` and ``gazetteer`` name them
    from elsewhere (a measurement's ``place_id`` and ``place__population``), and ``year``
    may be a reference too (the measurement's own year).
    """
    measured = Measurement.objects.filter(
        place=OuterRef("pk") if place is None else place,
        indicator__code=POPULATION_INDICATOR,
        year=year,
        value_canonical__isnull=False,
    ).order_by(_verification_rank().desc(), "source_id")
    return Coalesce(
        Subquery(measured.values("value_canonical")[:1]), gazetteer, output_field=FloatField()
    )


def _in_band(rows: QuerySet, band: str) -> QuerySet:
    """The ``rows``, annotated with ``band_population``, whose population is in ``band``."""
    _label, low, high = BANDS[band]
    rows = rows.filter(band_population__gte=low)
    return rows if high is None else rows.filter(band_population__lt=high)


def _verification_rank() -> Case:
    return Case(
        *[When(verification=key, then=Value(rank)) for key, rank in VERIFICATION_ORDER.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


# The years with a value, newest first, found by jumping down the (indicator, year, …)
# index one year at a time: a handful of probes rather than reading every value.
_VALUE_YEARS_SQL = """
WITH RECURSIVE found (year) AS (
    SELECT MAX(year) FROM {table} WHERE indicator_id = %s AND value_canonical IS NOT NULL
    UNION ALL
    SELECT (
        SELECT MAX(year) FROM {table}
        WHERE indicator_id = %s AND value_canonical IS NOT NULL AND year < found.year
    )
    FROM found WHERE found.year IS NOT NULL
)
SELECT year FROM found WHERE year IS NOT NULL
"""


def value_years(indicator: Indicator) -> list[int]:
    """The years in which the indicator has a value for some place, newest first."""
    sql = _VALUE_YEARS_SQL.format(table=Measurement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [indicator.pk, indicator.pk])
        return [year for (year,) in cursor.fetchall()]


def belongs(place: Place, group: PeerGroup) -> bool:
    """Whether ``place`` may be of ``group``, as far as its tier and list say (no query)."""
    listed = group.place_ids is None or place.pk in group.place_ids
    return place.tier == group.tier and listed


def default_year(
    indicator: Indicator,
    group: PeerGroup,
    place: Place | None = None,
    *,
    verified_only: bool = False,
) -> int | None:
    """The year a comparison shows unless one is chosen: the latest the place has a value
    in, else the latest in which the group has enough values to rank, else the latest in
    which it has any; None without any.

    The place's own year counts only if it may be of the group: asked to compare counties,
    a town's latest year says nothing about them. A newest year with a handful of early
    reporters (2 cities of 30) would open the page on "too few to rank".
    """
    values = Measurement.objects.filter(indicator=indicator, value_canonical__isnull=False)
    if verified_only:
        values = values.exclude(verification=Verification.SELF_REPORTED)
    values = values.order_by()
    if place is not None and belongs(place, group):
        latest = values.filter(place=place).aggregate(latest=Max("year"))["latest"]
        if latest is not None:
            return latest
    in_group = group.keep(values)
    # Newest first down the (indicator, year, place) index, stopping at the first value.
    latest = in_group.order_by("-year").values_list("year", flat=True).first()
    if latest is None or _places_with_values(in_group.filter(year=latest)) >= MINIMUM_PEERS:
        return latest
    ranked_years = (
        in_group.values("year")
        .annotate(places=Count("place_id", distinct=True))
        .filter(places__gte=MINIMUM_PEERS)
        .order_by("-year")
    )
    return next((row["year"] for row in ranked_years[:1]), latest)


def _places_with_values(values: QuerySet[Measurement]) -> int:
    """How many places the values are of, counted up to MINIMUM_PEERS at most."""
    places = values.order_by().values("place_id").distinct()[:MINIMUM_PEERS]
    return len(places)


# Comparison ------------------------------------------------------------------------------


@dataclass
class Standing:
    """One place's value in its group: rank 1 is best, percentile 100 is best."""

    place_id: int
    measurement_id: int
    indicator_id: int
    year: int
    value: float
    rank: int | None
    percentile: float | None
    group_size: int
    # The place's line in the comparison's list (0 is the first), when it was listed.
    ordinal: int | None = None


@dataclass
class Spread:
    """The group's values: size, extremes, quartiles and median (linear interpolation)."""

    size: int
    minimum: float | None = None
    lower_quartile: float | None = None
    median: float | None = None
    upper_quartile: float | None = None
    maximum: float | None = None


@dataclass
class Comparison:
    """A group compared: its spread, and the lines of its list that were asked for."""

    indicator: Indicator
    year: int | None
    group: PeerGroup
    verified_only: bool
    spread: Spread
    # Why there is no ranking, when there is none.
    refusal: str = ""
    # The lines asked for, from the ``offset``-th of the list (best first).
    standings: list[Standing] = field(default_factory=list)
    offset: int = 0
    # The chosen place's standing, wherever it is in the list; None without a value.
    place: Standing | None = None
    # Every value in the list's order, when the group is small enough to draw them.
    values: list[float] = field(default_factory=list)

    @property
    def ranked(self) -> bool:
        return not self.refusal

    @property
    def size(self) -> int:
        return self.spread.size

    def as_list(self) -> "ListedStandings":
        """The list as a sequence of the group's length, for paginators."""
        return ListedStandings(self)


class ListedStandings(Sequence):
    """A comparison's list, of which only the fetched lines can be read: a paginator
    slices exactly those (``compare(offset=…, limit=…)`` fetched what it will ask)."""

    def __init__(self, comparison: Comparison):
        self.comparison = comparison

    def __len__(self) -> int:
        return self.comparison.size

    def __getitem__(self, index):
        offset = self.comparison.offset
        if not isinstance(index, slice) or (index.start or 0) != offset or index.step:
            raise IndexError("Only the lines the comparison fetched can be read.")
        stop = len(self) if index.stop is None else index.stop
        return self.comparison.standings[: max(stop - offset, 0)]


def _candidates(
    pairs: Iterable[tuple[int, int]],
    group: PeerGroup,
    verified_only: bool,
    *,
    place_id: int | None = None,
):
    """The measurements that may count for the (indicator id, year) ``pairs``, as (SQL,
    params), with the columns the ranking reads.

    One condition per year, ``year = … AND indicator_id IN (…)``: PostgreSQL reads it as
    one range of the (indicator, year, place) index. Pairs OR'ed one by one made it walk
    every place of the group through the place index instead (seconds for 20 indicators
    over 9,000 places in ``make bench-benchmarks``).
    """
    indicators_by_year = defaultdict(set)
    for indicator_id, year in pairs:
        indicators_by_year[year].add(indicator_id)
    wanted = Q()
    for year, indicator_ids in sorted(indicators_by_year.items()):
        wanted |= Q(year=year, indicator_id__in=sorted(indicator_ids))

    candidates = Measurement.objects.filter(wanted, value_canonical__isnull=False)
    if place_id is not None:
        candidates = candidates.filter(place_id=place_id)
    # A population band may put a place in the group one year and not the next.
    candidates = group.keep(candidates)
    if verified_only:
        candidates = candidates.exclude(verification=Verification.SELF_REPORTED)
    # No model ordering: it joined places and indicators only to sort rows the windows
    # sort again.
    candidates = (
        candidates.annotate(trust=_verification_rank())
        .values("id", "place_id", "indicator_id", "year", "value_canonical", "trust", "source_id")
        .order_by()
    )
    return candidates.query.sql_with_params()


# Directions as signs: ordering by value × sign puts the best first when descending. A
# context indicator is not ranked; its places are listed from the largest value down.
SIGNS = {Direction.HIGHER_IS_BETTER: 1, Direction.LOWER_IS_BETTER: -1, Direction.CONTEXT: 1}

# The value each place keeps per indicator (its best-verified source's), signed by direction.
_KEPT_SQL = """
kept AS (
    SELECT * FROM (
        SELECT c.id, c.place_id, c.indicator_id, c.year, c.value_canonical,
            c.value_canonical * (CASE c.indicator_id {sign_cases} ELSE 0 END) AS better,
            ROW_NUMBER() OVER (
                PARTITION BY c.indicator_id, c.year, c.place_id ORDER BY c.trust DESC, c.source_id
            ) AS pick
        FROM ({candidates}) c
    ) picked
    WHERE pick = 1
)"""

# Every place: rank = 1 + places better; percentile share = the other places that are not
# better / (n - 1) = (n - rank) / (n - 1), so that places tied for best all read 100 and
# the percentile never contradicts the rank. ``ordinal`` is the place's line in the list
# (best first, ties by place id). All come from one ordering, so that the database sorts
# the group once; the list is sorted by value too, which gives the quartiles' neighbours
# (see _value_position). {wanted} keeps the rows the caller reads.
_RANKING_SQL = """WITH {kept},
ranked AS (
    SELECT k.id, k.place_id, k.indicator_id, k.year, k.value_canonical,
        RANK() OVER by_merit AS position,
        CAST(COUNT(*) OVER whole - RANK() OVER by_merit AS DOUBLE PRECISION)
            / NULLIF(COUNT(*) OVER whole - 1, 0) AS share_below,
        COUNT(*) OVER whole AS group_size,
        ROW_NUMBER() OVER listed - 1 AS ordinal
    FROM kept k
    WINDOW whole AS (PARTITION BY k.indicator_id, k.year),
        by_merit AS (whole ORDER BY k.better DESC),
        listed AS (whole ORDER BY k.better DESC, k.place_id)
)
SELECT id, place_id, indicator_id, year, value_canonical, position, share_below, group_size,
    ordinal
FROM ranked
WHERE {wanted}
ORDER BY indicator_id, year, ordinal
"""

# One place: the same figures counted against its own kept value, one row per indicator,
# without sorting the group by value (a scorecard ranks one place among thousands). The
# place's own rows are read apart ({own_candidates}): a handful, found by index.
_PLACE_RANKING_SQL = """WITH {kept},
own AS (
    SELECT * FROM (
        SELECT c.id, c.place_id, c.indicator_id, c.year, c.value_canonical,
            c.value_canonical * (CASE c.indicator_id {sign_cases} ELSE 0 END) AS better,
            ROW_NUMBER() OVER (
                PARTITION BY c.indicator_id, c.year ORDER BY c.trust DESC, c.source_id
            ) AS pick
        FROM ({own_candidates}) c
    ) picked
    WHERE pick = 1
),
counted AS (
    SELECT k.indicator_id, k.year,
        SUM(CASE WHEN k.better > o.better THEN 1 ELSE 0 END) AS above,
        COUNT(*) AS size
    FROM kept k JOIN own o ON o.indicator_id = k.indicator_id AND o.year = k.year
    GROUP BY k.indicator_id, k.year
)
SELECT o.id, o.place_id, o.indicator_id, o.year, o.value_canonical, 1 + n.above,
    CAST(n.size - 1 - n.above AS DOUBLE PRECISION) / NULLIF(n.size - 1, 0), n.size
FROM own o JOIN counted n ON n.indicator_id = o.indicator_id AND n.year = o.year
ORDER BY o.indicator_id, o.year
"""


def standings(
    indicators: list[Indicator],
    pairs: Iterable[tuple[int, int]],
    group: PeerGroup,
    *,
    verified_only: bool = False,
    place_id: int | None = None,
) -> list[Standing]:
    """The standing of every place (or only ``place_id``) in ``group`` for each
    (indicator id, year) of ``pairs``, each year ranked on its own: one query whatever the
    number of indicators and years."""
    pairs = list(pairs)
    if not indicators or not pairs:
        return []
    if place_id is None:
        rows = _ranking(indicators, pairs, group, verified_only, "1 = 1", [])
    else:
        rows = _place_ranking(indicators, pairs, group, verified_only, place_id)
    # Whether each indicator is judged at all, settled once rather than per row.
    judged = {indicator.pk: indicator.direction != Direction.CONTEXT for indicator in indicators}
    return [standing_from_row(row, judged[row[2]]) for row in rows]


def _sign_cases(indicators: list[Indicator]) -> str:
    return " ".join(
        f"WHEN {int(indicator.pk)} THEN {SIGNS[indicator.direction]}" for indicator in indicators
    )


def _ranking(indicators, pairs: list, group: PeerGroup, verified_only: bool, wanted, params):
    """The rows of _RANKING_SQL that the condition ``wanted`` keeps, best first."""
    try:
        candidates, candidate_params = _candidates(pairs, group, verified_only)
    except EmptyResultSet:  # a group that can hold no place, such as an empty saved list
        return []
    kept = _KEPT_SQL.format(candidates=candidates, sign_cases=_sign_cases(indicators))
    with connection.cursor() as cursor:
        cursor.execute(_RANKING_SQL.format(kept=kept, wanted=wanted), [*candidate_params, *params])
        return cursor.fetchall()


def _place_ranking(indicators, pairs: list, group: PeerGroup, verified_only: bool, place_id: int):
    """The rows of _PLACE_RANKING_SQL: ``place_id``'s standing per indicator and year."""
    try:
        candidates, params = _candidates(pairs, group, verified_only)
        own_candidates, own_params = _candidates(pairs, group, verified_only, place_id=place_id)
    except EmptyResultSet:
        return []
    sign_cases = _sign_cases(indicators)
    sql = _PLACE_RANKING_SQL.format(
        kept=_KEPT_SQL.format(candidates=candidates, sign_cases=sign_cases),
        own_candidates=own_candidates,
        sign_cases=sign_cases,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *own_params])
        return cursor.fetchall()


def standing_from_row(row, judged: bool) -> Standing:
    """A row of a ranking as a Standing; ``judged``: the indicator has a direction.

    A group of one has no percentile (n - 1 = 0), but it is never ranked either.
    """
    measurement_id, place_id, indicator_id, year, value, position, share_below, size = row[:8]
    ranked = judged and size >= MINIMUM_PEERS
    return Standing(
        place_id=place_id,
        measurement_id=measurement_id,
        indicator_id=indicator_id,
        year=year,
        value=value,
        rank=position if ranked else None,
        percentile=_percentile(share_below) if ranked else None,
        group_size=size,
        ordinal=row[8] if len(row) > 8 else None,
    )


def _percentile(share_below: float) -> float:
    """The share as a percentile to one decimal, rounded down: only a place with no better
    place reads 100 (rank 2 of 10,789 reads 99.9, not 100.0). The inner rounding keeps
    0.29 × 1000 = 289.99999999999994 at 29.0."""
    return math.floor(round(share_below * 1000, 6)) / 10


def _quartile_neighbours(size: int) -> set[int]:
    """The positions (0 is the smallest value) that the extremes and quartiles read.

    Integer division floors, as in _QUARTILE_NEIGHBOURS_SQL on both databases.
    """
    positions = {0, size - 1}
    for quarter in (1, 2, 3):
        positions |= {(size - 1) * quarter // 4, (size - 1) * quarter // 4 + 1}
    return positions


# The same positions in SQL, of the row whose position by value is {position}.
_QUARTILE_NEIGHBOURS_SQL = """({position} IN (0, group_size - 1,
    (group_size - 1) / 4, (group_size - 1) / 4 + 1,
    (group_size - 1) * 2 / 4, (group_size - 1) * 2 / 4 + 1,
    (group_size - 1) * 3 / 4, (group_size - 1) * 3 / 4 + 1))"""


def _value_position(indicator: Indicator, ordinal, size):
    """The position by value (0 is the smallest) of the list's line ``ordinal``: the list
    runs from the largest value down unless lower is better."""
    if SIGNS[indicator.direction] < 0:
        return ordinal
    return size - 1 - ordinal


def _spread_of(size: int, values: dict[int, float]) -> Spread:
    """The spread from the values at the quartile neighbours' positions."""

    def quantile(share: float) -> float:
        position = (size - 1) * share
        lower = int(position)
        if lower + 1 >= size:
            return values[lower]
        return values[lower] + (position - lower) * (values[lower + 1] - values[lower])

    return Spread(
        size=size,
        minimum=values[0],
        lower_quartile=quantile(0.25),
        median=quantile(0.5),
        upper_quartile=quantile(0.75),
        maximum=values[size - 1],
    )


def refusal(indicator: Indicator, size: int) -> str:
    """Why a group of ``size`` places with values gets no ranking; empty if it gets one."""
    if indicator.direction == Direction.CONTEXT:
        return _("This indicator describes a place rather than judging it: it is not ranked.")
    if size == 0:
        return _("No place of this group has a value for this year.")
    if size < MINIMUM_PEERS:
        return ngettext(
            "Only %(size)s place of this group has a value for this year; a ranking needs "
            "at least %(minimum)s.",
            "Only %(size)s places of this group have a value for this year; a ranking needs "
            "at least %(minimum)s.",
            size,
        ) % {"size": size, "minimum": MINIMUM_PEERS}
    return ""


def spread(indicator: Indicator, year: int, group: PeerGroup, *, verified_only=False) -> Spread:
    """The group's size, extremes, quartiles and median for one indicator and year."""
    return compare(indicator, year, group, verified_only=verified_only, limit=0).spread


def compare(
    indicator: Indicator,
    year: int,
    group: PeerGroup,
    *,
    verified_only: bool = False,
    offset: int = 0,
    limit: int | None = None,
    place_id: int | None = None,
    every_value_up_to: int = 0,
) -> Comparison:
    """The places of ``group`` with their standings for ``indicator`` in ``year``, from
    the ``offset``-th of the list (best first) on, ``limit`` of them (None: all), the
    standing of ``place_id`` wherever it is, and the group's spread: one query.

    The database ranks every place; only the lines asked for travel. With
    ``every_value_up_to``, a group at most that large also brings every value, in the
    list's order (a chart draws them).
    """
    wanted, params = _wanted_lines(indicator, offset, limit, place_id, every_value_up_to)
    rows = _ranking([indicator], [(indicator.pk, year)], group, verified_only, wanted, params)
    size = rows[0][7] if rows else 0
    judged = indicator.direction != Direction.CONTEXT

    neighbours = _quartile_neighbours(size)
    values = {}
    for row in rows:
        position = _value_position(indicator, row[8], size)
        if position in neighbours:
            values[position] = row[4]
    end = size if limit is None else offset + limit
    own = next((row for row in rows if row[1] == place_id), None)
    return Comparison(
        indicator=indicator,
        year=year,
        group=group,
        verified_only=verified_only,
        spread=_spread_of(size, values) if size else Spread(size=0),
        refusal=refusal(indicator, size),
        standings=[standing_from_row(row, judged) for row in rows if offset <= row[8] < end],
        offset=offset,
        place=standing_from_row(own, judged) if own else None,
        values=[row[4] for row in rows] if 0 < size <= every_value_up_to else [],
    )


def _wanted_lines(
    indicator: Indicator, offset: int, limit: int | None, place_id, every_value_up_to: int
) -> tuple[str, list]:
    """The condition on _RANKING_SQL's rows that keeps what ``compare`` reads."""
    position = "ordinal" if SIGNS[indicator.direction] < 0 else "group_size - 1 - ordinal"
    conditions = [_QUARTILE_NEIGHBOURS_SQL.format(position=position)]
    params = []
    if limit is None:
        conditions.append("ordinal >= %s")
        params.append(offset)
    elif limit > 0:
        conditions.append("(ordinal >= %s AND ordinal < %s)")
        params += [offset, offset + limit]
    if place_id is not None:
        conditions.append("place_id = %s")
        params.append(place_id)
    if every_value_up_to:
        conditions.append("group_size <= %s")
        params.append(every_value_up_to)
    return " OR ".join(conditions), params
