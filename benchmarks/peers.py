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
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import (
    Case,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cset.reference.choices import Continent, PlaceTier
from cset.reference.models import Membership, Place

from .choices import Direction, Verification
from .models import Indicator, Measurement

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
        places = Place.objects.filter(tier=self.tier)
        if self.place_ids is not None:
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
        if self.band:
            _label, low, high = BANDS[self.band]
            places = places.annotate(band_population=population_in(year)).filter(
                band_population__gte=low
            )
            if high is not None:
                places = places.filter(band_population__lt=high)
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


def population_in(year: int) -> Coalesce:
    """A place's population in ``year`` (best-verified source), else its gazetteer figure."""
    measured = Measurement.objects.filter(
        place=OuterRef("pk"),
        indicator__code=POPULATION_INDICATOR,
        year=year,
        value_canonical__isnull=False,
    ).order_by(_verification_rank().desc(), "source_id")
    return Coalesce(
        Subquery(measured.values("value_canonical")[:1]), "population", output_field=FloatField()
    )


def _verification_rank() -> Case:
    return Case(
        *[When(verification=key, then=Value(rank)) for key, rank in VERIFICATION_ORDER.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


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
    indicator: Indicator
    year: int
    group: PeerGroup
    verified_only: bool
    spread: Spread
    # Why there is no ranking, when there is none.
    refusal: str = ""
    standings: list[Standing] = field(default_factory=list)

    @property
    def ranked(self) -> bool:
        return not self.refusal


def _candidates(
    indicator_years: dict[int, int],
    group: PeerGroup,
    verified_only: bool,
    *,
    place_id: int | None = None,
):
    """The measurements that may count, as (SQL, params), with columns the ranking reads.

    One condition per year, ``year = … AND indicator_id IN (…)``: PostgreSQL reads it as
    one range of the (indicator, year, place) index. Pairs OR'ed one by one made it walk
    every place of the group through the place index instead (seconds for 20 indicators
    over 9,000 places in ``make bench-benchmarks``).
    """
    indicators_by_year = defaultdict(list)
    for indicator_id, year in indicator_years.items():
        indicators_by_year[year].append(indicator_id)
    # One group per year: a population band may put a place in different groups.
    wanted = Q()
    for year, indicator_ids in sorted(indicators_by_year.items()):
        in_group = group.places(year).values("pk")
        wanted |= Q(year=year, indicator_id__in=sorted(indicator_ids), place__in=in_group)

    candidates = Measurement.objects.filter(wanted, value_canonical__isnull=False)
    if place_id is not None:
        candidates = candidates.filter(place_id=place_id)
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


# Directions as signs: ordering by value × sign puts the best first when descending.
_SIGNS = {Direction.HIGHER_IS_BETTER: 1, Direction.LOWER_IS_BETTER: -1, Direction.CONTEXT: 0}

# The value each place keeps per indicator (its best-verified source's), signed by direction.
_KEPT_SQL = """
kept AS (
    SELECT * FROM (
        SELECT c.id, c.place_id, c.indicator_id, c.year, c.value_canonical,
            c.value_canonical * (CASE c.indicator_id {sign_cases} ELSE 0 END) AS better,
            ROW_NUMBER() OVER (
                PARTITION BY c.indicator_id, c.place_id ORDER BY c.trust DESC, c.source_id
            ) AS pick
        FROM ({candidates}) c
    ) picked
    WHERE pick = 1
)"""

# Every place: rank = 1 + places better; percentile share = the other places that are not
# better / (n - 1) = (n - rank) / (n - 1), so that places tied for best all read 100 and
# the percentile never contradicts the rank. Both come from one ordering, so that the
# database sorts the group once. The position by value gives the quartiles' neighbours,
# as in _SPREAD_SQL.
_RANKING_SQL = """WITH {kept}
SELECT k.id, k.place_id, k.indicator_id, k.year, k.value_canonical,
    RANK() OVER by_merit AS position,
    CAST(COUNT(*) OVER whole - RANK() OVER by_merit AS DOUBLE PRECISION)
        / NULLIF(COUNT(*) OVER whole - 1, 0) AS share_below,
    COUNT(*) OVER whole AS group_size,
    ROW_NUMBER() OVER by_value - 1 AS value_position
FROM kept k
WINDOW whole AS (PARTITION BY k.indicator_id),
    by_merit AS (PARTITION BY k.indicator_id ORDER BY k.better DESC),
    by_value AS (PARTITION BY k.indicator_id ORDER BY k.value_canonical)
ORDER BY k.indicator_id, k.better DESC, k.place_id
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
                PARTITION BY c.indicator_id ORDER BY c.trust DESC, c.source_id
            ) AS pick
        FROM ({own_candidates}) c
    ) picked
    WHERE pick = 1
),
counted AS (
    SELECT k.indicator_id,
        SUM(CASE WHEN k.better > o.better THEN 1 ELSE 0 END) AS above,
        COUNT(*) AS size
    FROM kept k JOIN own o ON o.indicator_id = k.indicator_id
    GROUP BY k.indicator_id
)
SELECT o.id, o.place_id, o.indicator_id, o.year, o.value_canonical, 1 + n.above,
    CAST(n.size - 1 - n.above AS DOUBLE PRECISION) / NULLIF(n.size - 1, 0), n.size
FROM own o JOIN counted n ON n.indicator_id = o.indicator_id
ORDER BY o.indicator_id
"""


def standings(
    indicators: list[Indicator],
    years: dict[int, int],
    group: PeerGroup,
    *,
    verified_only: bool = False,
    place_id: int | None = None,
) -> list[Standing]:
    """The standing of every place (or only ``place_id``) in ``group``, per indicator,
    for the year ``years[indicator.pk]``: one query whatever the number of indicators."""
    if not indicators:
        return []
    if place_id is None:
        rows = _ranking(indicators, years, group, verified_only)
    else:
        rows = _place_ranking(indicators, years, group, verified_only, place_id)
    # Whether each indicator is judged at all, settled once rather than per row.
    judged = {indicator.pk: indicator.direction != Direction.CONTEXT for indicator in indicators}
    return [_standing(row, judged[row[2]]) for row in rows]


def _sign_cases(indicators: list[Indicator]) -> str:
    return " ".join(
        f"WHEN {int(indicator.pk)} THEN {_SIGNS[indicator.direction]}" for indicator in indicators
    )


def _ranking(indicators, years: dict[int, int], group: PeerGroup, verified_only: bool):
    """The rows of _RANKING_SQL: every place of the group, per indicator, best first."""
    candidates, params = _candidates(years, group, verified_only)
    kept = _KEPT_SQL.format(candidates=candidates, sign_cases=_sign_cases(indicators))
    with connection.cursor() as cursor:
        cursor.execute(_RANKING_SQL.format(kept=kept), params)
        return cursor.fetchall()


def _place_ranking(indicators, years, group: PeerGroup, verified_only: bool, place_id: int):
    """The rows of _PLACE_RANKING_SQL: ``place_id``'s standing per indicator."""
    candidates, params = _candidates(years, group, verified_only)
    own_candidates, own_params = _candidates(years, group, verified_only, place_id=place_id)
    sign_cases = _sign_cases(indicators)
    sql = _PLACE_RANKING_SQL.format(
        kept=_KEPT_SQL.format(candidates=candidates, sign_cases=sign_cases),
        own_candidates=own_candidates,
        sign_cases=sign_cases,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *own_params])
        return cursor.fetchall()


def _standing(row, judged: bool) -> Standing:
    """A row of the ranking as a Standing; ``judged``: the indicator has a direction.

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
        percentile=round(100 * share_below, 1) if ranked else None,
        group_size=size,
    )


_SPREAD_SQL = """
WITH candidates AS ({candidates}),
picked AS (
    SELECT c.value_canonical AS v, ROW_NUMBER() OVER (
        PARTITION BY c.place_id ORDER BY c.trust DESC, c.source_id
    ) AS pick
    FROM candidates c
),
ordered AS (
    SELECT v, ROW_NUMBER() OVER (ORDER BY v) - 1 AS pos, COUNT(*) OVER () AS n
    FROM picked WHERE pick = 1
)
SELECT pos, n, v FROM ordered
WHERE pos = 0 OR pos = n - 1
    OR pos IN ((n - 1) / 4, (n - 1) / 4 + 1)
    OR pos IN ((n - 1) * 2 / 4, (n - 1) * 2 / 4 + 1)
    OR pos IN ((n - 1) * 3 / 4, (n - 1) * 3 / 4 + 1)
ORDER BY pos
"""


def spread(indicator: Indicator, year: int, group: PeerGroup, *, verified_only=False) -> Spread:
    """The group's size, extremes, quartiles and median for one indicator and year."""
    candidates_sql, params = _candidates({indicator.pk: year}, group, verified_only)
    with connection.cursor() as cursor:
        cursor.execute(_SPREAD_SQL.format(candidates=candidates_sql), params)
        rows = cursor.fetchall()
    if not rows:
        return Spread(size=0)
    return _spread_of(rows[0][1], {pos: value for pos, _n, value in rows})


def _quartile_neighbours(size: int) -> set[int]:
    """The positions (0 is the smallest value) that the extremes and quartiles read.

    Integer division floors, as in _SPREAD_SQL on both databases.
    """
    positions = {0, size - 1}
    for quarter in (1, 2, 3):
        positions |= {(size - 1) * quarter // 4, (size - 1) * quarter // 4 + 1}
    return positions


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
        return _(
            "Only %(size)s places of this group have a value for this year; a ranking needs "
            "at least %(minimum)s."
        ) % {"size": size, "minimum": MINIMUM_PEERS}
    return ""


def compare(
    indicator: Indicator, year: int, group: PeerGroup, *, verified_only: bool = False
) -> Comparison:
    """Every place of ``group`` with its standing for ``indicator`` in ``year``, and the
    group's spread, from one query."""
    rows = _ranking([indicator], {indicator.pk: year}, group, verified_only)
    group_spread = Spread(size=0)
    if rows:
        size = rows[0][7]
        wanted = _quartile_neighbours(size)
        group_spread = _spread_of(size, {row[8]: row[4] for row in rows if row[8] in wanted})
    judged = indicator.direction != Direction.CONTEXT
    return Comparison(
        indicator=indicator,
        year=year,
        group=group,
        verified_only=verified_only,
        spread=group_spread,
        refusal=refusal(indicator, group_spread.size),
        standings=[_standing(row, judged) for row in rows],
    )
