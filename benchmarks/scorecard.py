"""A place's scorecard: every indicator it has values for, with its latest value, the change
since the year before, and where it stands among its peers.

At most three queries whatever the number of indicators: the place's measurements, its
stored standings (``stored_standings``: its default peer group, ranked when values were
written), and, for any other group or a value stored since, one call of
``peers.standings`` that ranks the place on those indicators at once.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from cset.reference.models import Place

from .choices import Direction, QualityFlag, Verification
from .models import Indicator, Measurement
from .peers import VERIFICATION_ORDER, PeerGroup, Standing, belongs, standings
from .stored_standings import for_place

BETTER, WORSE, UNCHANGED, NEUTRAL = "better", "worse", "unchanged", "neutral"

CHANGE_WORDS = {
    BETTER: _("better"),
    WORSE: _("worse"),
    UNCHANGED: _("unchanged"),
    NEUTRAL: "",
}


@dataclass
class Change:
    """How a value moved from one year to a later one, judged by the indicator's direction."""

    difference: float
    relative: float | None
    since: int
    sense: str

    @property
    def arrow(self) -> str:
        if self.difference > 0:
            return "▲"
        if self.difference < 0:
            return "▼"
        return "="

    @property
    def words(self) -> str:
        return str(CHANGE_WORDS[self.sense])


@dataclass
class ScorecardRow:
    """One indicator of a place: its latest measurement (a value, or a notation saying why
    there is none), the one before it, the change, and the place's standing in the latest
    year with a value (``last_value``: the latest itself unless that is a notation)."""

    indicator: Indicator
    latest: Measurement
    previous: Measurement | None = None
    change: Change | None = None
    standing: Standing | None = None
    flag_labels: list[str] = field(default_factory=list)
    last_value: Measurement | None = None

    @property
    def year(self) -> int:
        return self.latest.year

    @property
    def ranked_year(self) -> int | None:
        """The year the standing is of, and the indicator page's year to open."""
        return self.last_value.year if self.last_value is not None else None

    @property
    def missing(self) -> bool:
        return self.latest.value_canonical is None


@dataclass
class Scorecard:
    """A place's rows, one per indicator, and the peer group they are ranked in."""

    place: Place
    group: PeerGroup
    rows: list[ScorecardRow]


def scorecard(
    place: Place,
    group: PeerGroup | None = None,
    *,
    measurements: Iterable[Measurement] | None = None,
) -> Scorecard:
    """Every indicator with a measurement for ``place``, with its standing in ``group``
    (default: the place's tier in its country).

    ``measurements`` are the place's, with their indicators, when the caller holds them
    already (the place profile does); otherwise they are loaded here.
    """
    default_group = PeerGroup.around(place)
    stored = group in (None, default_group)
    group = group or default_group
    if measurements is None:
        measurements = Measurement.objects.filter(place=place).select_related("indicator")
    rows = [_row(indicator, by_year) for indicator, by_year in _by_indicator(measurements)]
    _add_standings(place, group, rows, stored=stored)
    rows.sort(key=lambda row: (row.indicator.name, row.indicator.code))
    return Scorecard(place=place, group=group, rows=rows)


@dataclass
class YearStanding:
    """A place's value of one indicator in one year and its standing among the year's
    peers (None when the group leaves it out that year, as a population band may)."""

    year: int
    measurement: Measurement
    standing: Standing | None


def standings_by_year(
    place: Place,
    indicator: Indicator,
    group: PeerGroup,
    *,
    verified_only: bool = False,
    measurements: Iterable[Measurement] | None = None,
) -> list[YearStanding]:
    """Where ``place`` stood in ``group`` in every year it has a value of ``indicator``,
    oldest first; each year ranked among that year's peers (at most three queries).

    ``measurements`` are the place's of that indicator, when the caller holds them
    already. Empty when the place cannot be of the group at all (another tier, not on its
    list).
    """
    if not belongs(place, group):
        return []
    if measurements is None:
        measurements = Measurement.objects.filter(place=place, indicator=indicator).only(
            "id", "year", "value_canonical", "verification", "source_id"
        )
    values = [
        measurement
        for measurement in measurements
        if measurement.value_canonical is not None
        and not (verified_only and measurement.verification == Verification.SELF_REPORTED)
    ]
    counted = counting_by_year(values)
    found = place_standings(
        place,
        group,
        {(indicator.pk, year): measurement for year, measurement in counted.items()},
        {indicator.pk: indicator},
        stored=group == PeerGroup.around(place),
        verified_only=verified_only,
    )
    return [
        YearStanding(year, counted[year], found.get((indicator.pk, year)))
        for year in sorted(counted)
    ]


def _by_indicator(measurements: Iterable[Measurement]):
    """(indicator, {year: the measurement that counts}) for each indicator."""
    grouped: dict[int, list[Measurement]] = {}
    for measurement in measurements:
        grouped.setdefault(measurement.indicator_id, []).append(measurement)
    return [(rows[0].indicator, counting_by_year(rows)) for rows in grouped.values()]


def counting_by_year(measurements: Iterable[Measurement]) -> dict[int, Measurement]:
    """The measurement that counts in each year: a value before a notation, then the best
    verified, then the lowest source id. It is the ranking's rule, so that a place's
    scorecard and charts show the value that was ranked."""
    chosen: dict[int, Measurement] = {}
    for measurement in measurements:
        current = chosen.get(measurement.year)
        if current is None or _preference(measurement) < _preference(current):
            chosen[measurement.year] = measurement
    return chosen


def _preference(measurement: Measurement) -> tuple:
    return (
        measurement.value_canonical is None,
        -VERIFICATION_ORDER.get(measurement.verification, 0),
        measurement.source_id,
    )


def _row(indicator: Indicator, by_year: dict[int, Measurement]) -> ScorecardRow:
    years = sorted(by_year, reverse=True)
    latest = by_year[years[0]]
    previous = by_year[years[1]] if len(years) > 1 else None
    valued = (by_year[year] for year in years if by_year[year].value_canonical is not None)
    flags = dict(QualityFlag.choices)
    return ScorecardRow(
        indicator=indicator,
        latest=latest,
        previous=previous,
        change=change_between(indicator, previous, latest),
        flag_labels=[str(flags.get(flag, flag)) for flag in latest.quality_flags],
        last_value=next(valued, None),
    )


def change_between(
    indicator: Indicator, earlier: Measurement | None, later: Measurement
) -> Change | None:
    """The change from ``earlier`` to ``later``; None unless both hold a value."""
    if earlier is None or earlier.value_canonical is None or later.value_canonical is None:
        return None
    difference = later.value_canonical - earlier.value_canonical
    relative = difference / abs(earlier.value_canonical) if earlier.value_canonical else None
    return Change(difference, relative, earlier.year, _sense(indicator.direction, difference))


def _sense(direction: str, difference: float) -> str:
    if direction == Direction.CONTEXT:
        return NEUTRAL
    if difference == 0:
        return UNCHANGED
    rising_is_better = direction == Direction.HIGHER_IS_BETTER
    return BETTER if (difference > 0) == rising_is_better else WORSE


def _add_standings(place: Place, group: PeerGroup, rows: list[ScorecardRow], stored: bool):
    """Rank the place on every indicator in the latest year it has a value in."""
    ranked = [row for row in rows if row.last_value is not None]
    found = place_standings(
        place,
        group,
        {(row.indicator.pk, row.ranked_year): row.last_value for row in ranked},
        {row.indicator.pk: row.indicator for row in ranked},
        stored=stored,
    )
    for row in ranked:
        row.standing = found.get((row.indicator.pk, row.ranked_year))


def place_standings(
    place: Place,
    group: PeerGroup,
    counted: dict[tuple[int, int], Measurement],
    indicators: dict[int, Indicator],
    *,
    stored: bool,
    verified_only: bool = False,
) -> dict[tuple[int, int], Standing]:
    """The place's standing for each (indicator id, year) of ``counted``, whose values are
    the measurements that count there (``counting_by_year``); ``indicators`` by id.

    With ``stored`` (``group`` is the place's default one, all values count), the stored
    standings serve where they ranked the very measurement as it is now; the others are
    ranked in one query.
    """
    found: dict[tuple[int, int], Standing] = {}
    if stored and not verified_only and counted:
        directions = {pk: indicator.direction for pk, indicator in indicators.items()}
        for pair, standing in for_place(place, counted, directions).items():
            if _ranks(standing, counted[pair]):
                found[pair] = standing
    unranked = [pair for pair in counted if pair not in found]
    if not unranked:
        return found
    live = standings(
        [indicators[pk] for pk in {indicator_id for indicator_id, _year in unranked}],
        unranked,
        group,
        verified_only=verified_only,
        place_id=place.pk,
    )
    found.update({(standing.indicator_id, standing.year): standing for standing in live})
    return found


def _ranks(standing: Standing, measurement: Measurement) -> bool:
    """Whether a stored standing ranked ``measurement`` as it is now."""
    return (
        standing.measurement_id == measurement.pk and standing.value == measurement.value_canonical
    )
