"""Peer comparison against a small set computed by hand, in both directions, with ties
and missing values. The same expectations hold on SQLite and PostgreSQL."""

import pytest
from django.core.paginator import Paginator

from benchmarks.choices import Direction, Verification
from benchmarks.models import Measurement
from benchmarks.peers import (
    PeerGroup,
    PeerGroupError,
    compare,
    default_year,
    spread,
    standings,
)
from cset.reference.choices import PlaceTier
from tests import factories

pytestmark = pytest.mark.django_db

# Six local places; F has no value for the year (a notation), so five have values.
VALUES = {"A": 10.0, "B": 20.0, "C": 20.0, "D": 40.0, "E": 50.0}


@pytest.fixture
def country():
    return factories.CountryFactory(code="GB", name="United Kingdom")


@pytest.fixture
def places(country):
    made = {
        name: factories.PlaceFactory(name=name, country=country, tier=PlaceTier.LOCAL)
        for name in "ABCDEF"
    }
    # A county over them: a different tier, never in their group.
    made["county"] = factories.PlaceFactory(name="County", country=country, tier=PlaceTier.COUNTY)
    return made


def _measure(indicator, places, year=2020, **extra):
    source = factories.SourceFactory(slug="peer-test")
    for name, value in VALUES.items():
        factories.MeasurementFactory(
            place=places[name], indicator=indicator, year=year, source=source, value=value, **extra
        )
    factories.MeasurementFactory(
        place=places["F"], indicator=indicator, year=year, source=source, missing=True
    )
    factories.MeasurementFactory(
        place=places["county"], indicator=indicator, year=year, source=source, value=1.0
    )


def _by_name(comparison, places):
    names = {place.pk: name for name, place in places.items()}
    return {names[row.place_id]: (row.rank, row.percentile) for row in comparison.standings}


def test_lower_is_better_ranks_and_percentiles(places):
    indicator = factories.IndicatorFactory(direction=Direction.LOWER_IS_BETTER)
    _measure(indicator, places)

    comparison = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL, country="GB"))

    # Ordered best first: A 10, B = C 20, D 40, E 50. Percentile = other places not
    # better / (n - 1) = (n - rank) / (n - 1): tied places share rank and percentile.
    assert _by_name(comparison, places) == {
        "A": (1, 100.0),
        "B": (2, 75.0),
        "C": (2, 75.0),
        "D": (4, 25.0),
        "E": (5, 0.0),
    }
    assert comparison.ranked
    assert comparison.spread.size == 5


def test_higher_is_better_turns_the_order_round(places):
    indicator = factories.IndicatorFactory(direction=Direction.HIGHER_IS_BETTER)
    _measure(indicator, places)

    comparison = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    assert _by_name(comparison, places) == {
        "E": (1, 100.0),
        "D": (2, 75.0),
        "B": (3, 50.0),
        "C": (3, 50.0),
        "A": (5, 0.0),
    }


def test_quartiles_by_linear_interpolation(places):
    indicator = factories.IndicatorFactory()
    _measure(indicator, places)

    result = spread(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    # Sorted 10, 20, 20, 40, 50: positions (n - 1) × p = 1, 2, 3.
    assert (result.minimum, result.lower_quartile, result.median) == (10.0, 20.0, 20.0)
    assert (result.upper_quartile, result.maximum) == (40.0, 50.0)


def test_quartiles_between_two_values(country):
    indicator = factories.IndicatorFactory()
    for value in (1.0, 2.0, 3.0, 4.0):
        factories.MeasurementFactory(
            indicator=indicator, place=factories.PlaceFactory(country=country), value=value
        )

    result = spread(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    # Positions 0.75, 1.5, 2.25 between the sorted values.
    assert (result.lower_quartile, result.median, result.upper_quartile) == (1.75, 2.5, 3.25)


def test_fewer_than_five_places_are_not_ranked(places):
    indicator = factories.IndicatorFactory()
    _measure(indicator, places)
    places["E"].measurements.all().delete()

    comparison = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    assert not comparison.ranked
    assert "Only 4 places" in comparison.refusal
    assert {row.rank for row in comparison.standings} == {None}
    assert comparison.spread.median == 20.0


def test_tiers_never_mix(places):
    indicator = factories.IndicatorFactory()
    _measure(indicator, places)

    local = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))
    county = compare(indicator, 2020, PeerGroup(tier=PlaceTier.COUNTY))

    assert places["county"].pk not in {row.place_id for row in local.standings}
    assert [row.place_id for row in county.standings] == [places["county"].pk]
    assert not county.ranked


def test_a_place_counts_once_with_its_best_verified_value(places):
    indicator = factories.IndicatorFactory()
    _measure(indicator, places)
    factories.MeasurementFactory(
        place=places["A"],
        indicator=indicator,
        source=factories.SourceFactory(slug="official"),
        value=45.0,
        verification=Verification.THIRD_PARTY_VERIFIED,
    )

    comparison = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    assert len(comparison.standings) == 5
    row = next(row for row in comparison.standings if row.place_id == places["A"].pk)
    assert (row.value, row.rank) == (45.0, 4)


def test_verified_only_drops_self_reported_values(places):
    indicator = factories.IndicatorFactory()
    _measure(indicator, places)

    comparison = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL), verified_only=True)

    assert comparison.standings == []
    assert comparison.spread.size == 0
    assert "No place" in comparison.refusal


def test_context_indicators_are_not_ranked(places):
    indicator = factories.IndicatorFactory(direction=Direction.CONTEXT)
    _measure(indicator, places)

    comparison = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    assert not comparison.ranked
    assert {row.percentile for row in comparison.standings} == {None}


def test_population_band_is_judged_on_the_years_population(places):
    indicator = factories.IndicatorFactory()
    _measure(indicator, places)
    population = factories.IndicatorFactory(code="population", direction=Direction.CONTEXT)
    for place in places.values():
        place.population = 5_000
        place.save()
    # In 2020 only A was a town of 20,000.
    factories.MeasurementFactory(place=places["A"], indicator=population, value=20_000)

    group = PeerGroup(tier=PlaceTier.LOCAL, band="15k-100k")

    assert [row.place_id for row in compare(indicator, 2020, group).standings] == [places["A"].pk]
    assert set(group.places(2021)) == set()


def test_the_default_year_of_a_band_takes_queries_not_growing_with_years(
    places, django_assert_max_num_queries
):
    indicator = factories.IndicatorFactory()
    for year in range(2010, 2021):
        _measure(indicator, places, year=year)
    population = factories.IndicatorFactory(code="population", direction=Direction.CONTEXT)
    for place in places.values():
        place.population = 5_000
        place.save()
    # Only in 2012 was B a town of 20,000: the latest year the band has a value in.
    factories.MeasurementFactory(place=places["B"], indicator=population, year=2012, value=20_000)
    group = PeerGroup(tier=PlaceTier.LOCAL, band="15k-100k")

    with django_assert_max_num_queries(3):
        year = default_year(indicator, group)

    assert year == 2012
    assert default_year(indicator, group.with_changes(band="over-1m")) is None


def test_the_default_year_is_the_latest_with_enough_places_to_rank(places):
    indicator = factories.IndicatorFactory()
    _measure(indicator, places, year=2019)
    # Two early reporters of 2020: too few to rank, so the page opens on 2019.
    for name in ("A", "B"):
        factories.MeasurementFactory(place=places[name], indicator=indicator, year=2020)
    group = PeerGroup(tier=PlaceTier.LOCAL)

    assert default_year(indicator, group) == 2019
    assert default_year(indicator, group, places["A"]) == 2020  # a place's own latest year


def test_one_query_ranks_a_place_on_every_indicator(places, django_assert_num_queries):
    indicators = [factories.IndicatorFactory() for _ in range(4)]
    for indicator in indicators:
        _measure(indicator, places)
    group = PeerGroup(tier=PlaceTier.LOCAL)

    with django_assert_num_queries(1):
        rows = standings(
            indicators,
            [(indicator.pk, 2020) for indicator in indicators],
            group,
            place_id=places["B"].pk,
        )

    assert [(row.rank, row.group_size) for row in rows] == [(2, 5)] * 4


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"tier": "planet"}, "tier"),
        ({"tier": "local", "band": "huge"}, "band"),
        ({"tier": "local", "continent": "XX"}, "continent"),
    ],
)
def test_unknown_criteria_are_refused(criteria, message):
    with pytest.raises(PeerGroupError, match=message):
        PeerGroup(**criteria)


def test_quartile_positions_are_floored_on_every_database(country):
    # With 7 values the lower quartile sits at position 1.5: a cast would round it to 2 on
    # PostgreSQL and lose the neighbour below.
    indicator = factories.IndicatorFactory()
    for value in range(1, 8):
        factories.MeasurementFactory(
            indicator=indicator, place=factories.PlaceFactory(country=country), value=value
        )

    result = spread(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    assert (result.lower_quartile, result.median, result.upper_quartile) == (2.5, 4.0, 5.5)


def test_places_tied_for_best_all_read_100(country):
    # 342 of 361 UK authorities emit nothing from large installations: all are best.
    indicator = factories.IndicatorFactory()
    for value in (0.0, 0.0, 0.0, 5.0, 9.0):
        factories.MeasurementFactory(
            indicator=indicator, place=factories.PlaceFactory(country=country), value=value
        )
    group = PeerGroup(tier=PlaceTier.LOCAL)

    rows = compare(indicator, 2020, group).standings
    one = standings([indicator], [(indicator.pk, 2020)], group, place_id=rows[0].place_id)

    assert [(row.rank, row.percentile) for row in rows] == [
        (1, 100.0),
        (1, 100.0),
        (1, 100.0),
        (4, 25.0),
        (5, 0.0),
    ]
    assert [(row.rank, row.percentile) for row in one] == [(1, 100.0)]


def test_only_the_best_place_reads_100(country):
    # 2,001 places: the second is better than 1,999 of 2,000 others, 99.95 %, which rounds
    # to 100.0 but must not read as the best.
    indicator = factories.IndicatorFactory()
    source = factories.SourceFactory()
    places = factories.PlaceFactory.create_batch(2001, country=country)
    Measurement.objects.bulk_create(
        Measurement(
            place=place,
            indicator=indicator,
            year=2020,
            source=source,
            value=float(number),
            unit="MWh",
            value_canonical=float(number),
            method="reported",
            verification=Verification.SELF_REPORTED,
        )
        for number, place in enumerate(places)
    )

    rows = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL), limit=3).standings

    assert [(row.rank, row.percentile) for row in rows] == [(1, 100.0), (2, 99.9), (3, 99.9)]


def test_a_stock_is_never_summed_over_years(country):
    # Population is a stock: 2020's comparison reads 2020's count, not 2019's plus 2020's.
    population = factories.IndicatorFactory(code="population", direction=Direction.CONTEXT)
    places = [factories.PlaceFactory(country=country) for _ in range(5)]
    for number, place in enumerate(places, start=1):
        for year in (2019, 2020):
            factories.MeasurementFactory(
                place=place, indicator=population, year=year, value=1000 * number + year
            )

    comparison = compare(population, 2020, PeerGroup(tier=PlaceTier.LOCAL))

    assert sorted(row.value for row in comparison.standings) == [
        1000 * number + 2020 for number in range(1, 6)
    ]
    assert comparison.spread.maximum == 5000 + 2020


def test_a_comparison_fetches_the_lines_asked_and_the_place_wherever_it_is(places):
    indicator = factories.IndicatorFactory(direction=Direction.LOWER_IS_BETTER)
    _measure(indicator, places)
    group = PeerGroup(tier=PlaceTier.LOCAL)
    whole = compare(indicator, 2020, group)

    window = compare(indicator, 2020, group, offset=1, limit=2, place_id=places["E"].pk)

    assert window.standings == whole.standings[1:3]
    assert [row.ordinal for row in window.standings] == [1, 2]
    assert window.place == whole.standings[4]
    # The spread is the whole group's, whichever lines travel.
    assert window.spread == whole.spread
    assert window.values == []


def test_a_small_group_brings_every_value_in_the_list_s_order(places):
    indicator = factories.IndicatorFactory(direction=Direction.HIGHER_IS_BETTER)
    _measure(indicator, places)
    group = PeerGroup(tier=PlaceTier.LOCAL)

    assert compare(indicator, 2020, group, limit=1, every_value_up_to=5).values == [
        50.0,
        40.0,
        20.0,
        20.0,
        10.0,
    ]
    assert compare(indicator, 2020, group, limit=1, every_value_up_to=4).values == []


@pytest.mark.parametrize("direction", list(Direction))
def test_the_spread_is_the_same_in_either_direction(country, direction):
    indicator = factories.IndicatorFactory(direction=direction)
    for value in (7.0, 1.0, 3.0, 3.0, 9.0, 4.0, 2.0):
        factories.MeasurementFactory(
            indicator=indicator, place=factories.PlaceFactory(country=country), value=value
        )

    result = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL), limit=0).spread

    # Sorted 1, 2, 3, 3, 4, 7, 9: positions 1.5, 3, 4.5.
    assert (result.minimum, result.lower_quartile, result.median) == (1.0, 2.5, 3.0)
    assert (result.upper_quartile, result.maximum) == (5.5, 9.0)


def test_a_paginator_reads_the_fetched_lines_of_a_comparison(places):
    indicator = factories.IndicatorFactory(direction=Direction.LOWER_IS_BETTER)
    _measure(indicator, places)

    window = compare(indicator, 2020, PeerGroup(tier=PlaceTier.LOCAL), offset=4, limit=2)
    page = Paginator(window.as_list(), 2).page(3)

    assert page.paginator.count == 5
    assert [row.ordinal for row in page.object_list] == [4]
    with pytest.raises(IndexError):
        window.as_list()[0:2]
