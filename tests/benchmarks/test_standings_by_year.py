"""A place's standing year by year (benchmarks.scorecard.standings_by_year), checked against
hand-computed ranks, and where it is shown: the indicator page, the API and the profile."""

import pytest
from django.urls import reverse

from benchmarks import stored_standings
from benchmarks.choices import Direction, Verification
from benchmarks.models import Measurement
from benchmarks.peers import PeerGroup, band_of
from benchmarks.scorecard import standings_by_year
from cset.reference.choices import PlaceTier
from tests import factories

pytestmark = pytest.mark.django_db

PEERS = ["a", "b", "c", "d", "e"]


@pytest.fixture
def world():
    """Manchester and five peers of its tier: lower is better.

    2019: peers 1, 2, 3, 4, 5 and Manchester 2.5: rank 3 of 6, percentile (6 - 3) / 5 = 60.
    2020: peers 1 … 5 and Manchester 0.5: rank 1 of 6, percentile 100.
    2021: two peers and Manchester: 3 places, no ranking.
    2018: Manchester gives only a notation: no line.
    """
    britain = factories.CountryFactory(code="GB", name="United Kingdom")
    source = factories.SourceFactory(slug="uk-emissions")
    indicator = factories.IndicatorFactory(
        code="gb-co2-per-person", direction=Direction.LOWER_IS_BETTER, unit="t CO2/person"
    )
    manchester = factories.PlaceFactory(slug="manchester", name="Manchester", country=britain)
    peers = {slug: factories.PlaceFactory(slug=slug, country=britain) for slug in PEERS}
    county = factories.PlaceFactory(slug="county", country=britain, tier=PlaceTier.COUNTY)

    def measure(place, year, value, **extra):
        extra.setdefault("verification", Verification.THIRD_PARTY_VERIFIED)
        factories.MeasurementFactory(
            place=place, indicator=indicator, source=source, year=year, value=value, **extra
        )

    for year in (2019, 2020):
        for value, slug in enumerate(PEERS, start=1):
            measure(peers[slug], year, float(value))
    measure(manchester, 2019, 2.5)
    measure(manchester, 2020, 0.5)
    measure(peers["a"], 2021, 1.0)
    measure(peers["b"], 2021, 2.0)
    measure(manchester, 2021, 3.0)
    factories.MeasurementFactory(
        place=manchester, indicator=indicator, source=source, year=2018, missing=True
    )
    # A county of the same country, far better: never among Manchester's peers.
    measure(county, 2019, 0.01)
    return {"indicator": indicator, "manchester": manchester, "peers": peers, "county": county}


def _lines(rows):
    return [
        (
            row.year,
            row.measurement.value_canonical,
            row.standing and (row.standing.rank, row.standing.percentile, row.standing.group_size),
        )
        for row in rows
    ]


EXPECTED = [
    (2019, 2.5, (3, 60.0, 6)),
    (2020, 0.5, (1, 100.0, 6)),
    (2021, 3.0, (None, None, 3)),
]


def test_each_year_is_ranked_among_that_years_peers(world):
    manchester = world["manchester"]

    rows = standings_by_year(manchester, world["indicator"], PeerGroup.around(manchester))

    assert _lines(rows) == EXPECTED


def test_stored_standings_give_the_same_years_in_fewer_queries(world, django_assert_num_queries):
    manchester = world["manchester"]
    stored_standings.refresh()

    # The place's values and its stored standings; nothing ranked live.
    with django_assert_num_queries(2):
        rows = standings_by_year(manchester, world["indicator"], PeerGroup.around(manchester))

    assert _lines(rows) == EXPECTED


def test_a_value_changed_behind_the_stored_standings_is_ranked_live(world):
    manchester = world["manchester"]
    stored_standings.refresh()
    Measurement.objects.filter(place=manchester, year=2019).update(value_canonical=4.5)

    rows = standings_by_year(manchester, world["indicator"], PeerGroup.around(manchester))

    # 1, 2, 3, 4 are better than 4.5; 5 is worse: rank 5 of 6, percentile 1 / 5.
    assert _lines(rows)[0] == (2019, 4.5, (5, 20.0, 6))


def test_a_population_band_leaves_the_place_out_of_the_years_it_is_not_in(world):
    manchester = world["manchester"]
    population = factories.IndicatorFactory(code="population", direction=Direction.CONTEXT)
    # The peers are all under 15,000 (factories); Manchester grows out of the band in 2020.
    for year, people in ((2019, 12_000), (2020, 50_000), (2021, 12_000)):
        factories.MeasurementFactory(
            place=manchester, indicator=population, year=year, value=people
        )
    group = PeerGroup.around(manchester, band="under-15k")

    rows = standings_by_year(manchester, world["indicator"], group)

    assert _lines(rows) == [EXPECTED[0], (2020, 0.5, None), EXPECTED[2]]


def test_verified_only_leaves_out_the_self_reported_years(world):
    manchester = world["manchester"]
    factories.MeasurementFactory(
        place=manchester,
        indicator=world["indicator"],
        year=2022,
        value=1.0,
        verification=Verification.SELF_REPORTED,
    )
    group = PeerGroup.around(manchester)

    every = standings_by_year(manchester, world["indicator"], group)
    verified = standings_by_year(manchester, world["indicator"], group, verified_only=True)

    assert [row.year for row in every] == [2019, 2020, 2021, 2022]
    assert _lines(verified) == EXPECTED


def test_a_place_of_another_tier_has_no_years_in_the_group(world, django_assert_num_queries):
    county, manchester = world["county"], world["manchester"]

    with django_assert_num_queries(0):
        rows = standings_by_year(county, world["indicator"], PeerGroup.around(manchester))

    assert rows == []


@pytest.mark.parametrize(
    ("population", "band"),
    [
        (None, ""),
        (-1, ""),
        (0, "under-15k"),
        (14_999, "under-15k"),
        (15_000, "15k-100k"),
        (552_858, "100k-1m"),
        (1_000_000, "over-1m"),
    ],
)
def test_band_of_a_population(population, band):
    assert band_of(population) == band


# Where it is shown --------------------------------------------------------------------------


def _detail(query):
    return reverse("indicators:detail", args=["gb-co2-per-person"]) + query


def test_the_indicator_page_shows_the_chosen_place_year_by_year(client, world):
    response = client.get(_detail("?place=manchester&year=2020"))

    assert response.status_code == 200
    rows = response.context["by_year"]["rows"]
    assert [(row["year"], row["current"]) for row in rows] == [
        (2019, False),
        (2020, True),
        (2021, False),
    ]
    assert "year=2019" in rows[0]["url"] and rows[0]["url"].endswith("#standing")
    html = response.content.decode()
    assert 'id="by-year-table"' in html
    assert "3 of 6" in html and "1 of 6" in html
    assert "not ranked (3 places)" in html
    # Two ranked years make a chart of percentiles, 0 to 100.
    chart = response.context["by_year"]["chart"]
    assert chart["years"] == [2019, 2020, 2021]
    assert chart["values"] == [60.0, 100.0, None]
    assert (chart["min"], chart["max"]) == (0, 100)


def test_the_indicator_page_has_no_years_without_a_place(client, world):
    response = client.get(_detail("?tier=local&year=2020"))

    assert response.status_code == 200
    assert response.context["by_year"] == {}
    assert 'id="by-year"' not in response.content.decode()


def test_the_indicator_page_keeps_its_query_count_with_many_years(
    client, world, django_assert_max_num_queries
):
    # Twelve more years of values for everyone: the page asks no more of the database.
    indicator, manchester = world["indicator"], world["manchester"]
    for year in range(2005, 2017):
        for place in [manchester, *world["peers"].values()]:
            factories.MeasurementFactory(place=place, indicator=indicator, year=year, value=2.0)

    with django_assert_max_num_queries(11):
        response = client.get(_detail("?place=manchester&year=2020"))

    assert len(response.context["by_year"]["rows"]) == 15


def test_the_api_gives_the_place_year_by_year(client, world):
    response = client.get(
        reverse("api-benchmarks"), {"indicator": "gb-co2-per-person", "place": "manchester"}
    )

    assert response.status_code == 200
    years = response.json()["place_by_year"]
    assert [(y["year"], y["rank"], y["percentile"], y["group_size"]) for y in years] == [
        (2019, 3, 60.0, 6),
        (2020, 1, 100.0, 6),
        (2021, None, None, 3),
    ]


def test_the_api_gives_no_years_without_a_place(client, world):
    response = client.get(
        reverse("api-benchmarks"), {"indicator": "gb-co2-per-person", "tier": "local"}
    )

    assert response.json()["place_by_year"] == []


def test_the_profile_shows_rank_and_percentile_in_each_year(client, world):
    population = factories.IndicatorFactory(code="population", direction=Direction.CONTEXT)
    factories.MeasurementFactory(
        place=world["manchester"], indicator=population, year=2021, value=552_858
    )
    stored_standings.refresh()

    response = client.get(reverse("site:place", args=["manchester"]))

    (table,) = response.context["headlines"]
    by_year = {measurement.year: standing for measurement, standing in table.lines}
    assert (by_year[2019].rank, by_year[2019].percentile) == (3, 60.0)
    assert (by_year[2020].rank, by_year[2020].percentile) == (1, 100.0)
    assert by_year[2021].rank is None
    assert by_year[2018] is None
    # The latest population puts Manchester among places of 100,000 to 1 million.
    assert table.band_query == "place=manchester&population=100k-1m"
    html = response.content.decode()
    assert "3 of 6" in html
    assert "year by year among places of 100,000 to 1 million people" in html
