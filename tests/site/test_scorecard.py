"""The place scorecard (benchmarks.scorecard) and its table on the place profile: latest
value, change by direction, rank and percentile among peers, notations never shown as 0,
and a query count that does not grow with the number of indicators."""

import json

import pytest
from django.urls import reverse

from benchmarks import stored_standings
from benchmarks.choices import Direction, Notation, QuantityKind, Verification
from benchmarks.peers import PeerGroup
from benchmarks.scorecard import BETTER, NEUTRAL, WORSE, scorecard
from cset.reference.choices import PlaceTier
from tests import factories

pytestmark = pytest.mark.django_db

PEERS = ["ashford", "bolton", "crewe", "derby", "exeter"]


@pytest.fixture
def britain():
    return factories.CountryFactory(code="GB", name="United Kingdom")


@pytest.fixture
def source():
    return factories.SourceFactory(slug="uk-emissions", title="UK emissions")


def _indicator(code, direction=Direction.LOWER_IS_BETTER, **extra):
    return factories.IndicatorFactory(
        code=code, name=extra.pop("name", code), direction=direction, **extra
    )


def _values(indicator, places, source, year, values, **extra):
    for slug, value in zip(PEERS, values, strict=True):
        factories.MeasurementFactory(
            place=places[slug], indicator=indicator, source=source, year=year, value=value, **extra
        )


@pytest.fixture
def manchester(britain, source):
    """Manchester and five peers of its tier and country, with four indicators."""
    place = factories.PlaceFactory(
        slug="manchester", name="Manchester", country=britain, tier=PlaceTier.LOCAL
    )
    places = {
        slug: factories.PlaceFactory(slug=slug, country=britain, tier=PlaceTier.LOCAL)
        for slug in PEERS
    }
    # A county (another tier) with the best values of all: never among Manchester's peers.
    county = factories.PlaceFactory(slug="county", country=britain, tier=PlaceTier.COUNTY)

    per_person = _indicator(
        "gb-co2-per-person",
        name="CO2 per person",
        unit="t CO2/person",
        quantity_kind=QuantityKind.INTENSITY,
    )
    for year, value in ((2019, 3.45), (2020, 3.03)):
        factories.MeasurementFactory(
            place=place,
            indicator=per_person,
            source=source,
            year=year,
            value=value,
            verification=Verification.THIRD_PARTY_VERIFIED,
        )
    # A less trusted second source of 2020 does not count.
    factories.MeasurementFactory(
        place=place, indicator=per_person, year=2020, value=99.0, source=factories.SourceFactory()
    )
    _values(per_person, places, source, 2020, [2.0, 2.5, 3.5, 4.0, 5.0])
    factories.MeasurementFactory(place=county, indicator=per_person, source=source, value=0.1)

    renewable = _indicator(
        "renewable-capacity",
        Direction.HIGHER_IS_BETTER,
        name="Renewable capacity",
        unit="kW",
        quantity_kind=QuantityKind.CAPACITY,
    )
    for year, value in ((2019, 100.0), (2020, 90.0)):
        factories.MeasurementFactory(
            place=place,
            indicator=renewable,
            source=source,
            year=year,
            value=value,
            quality_flags=["inconsistent_total"] if year == 2020 else [],
        )
    _values(renewable, places, source, 2020, [50.0, 60.0, 70.0, 80.0, 100.0])

    total = _indicator("gb-co2-total", name="CO2 total", unit="kt CO2")
    factories.MeasurementFactory(place=place, indicator=total, source=source, year=2019, value=2000)
    factories.MeasurementFactory(
        place=place,
        indicator=total,
        source=source,
        year=2020,
        missing=True,
        notation=Notation.CONFIDENTIAL,
    )
    _values(total, places, source, 2020, [1.0, 2.0, 3.0, 4.0, 5.0])

    population = _indicator(
        "population",
        Direction.CONTEXT,
        name="Population",
        unit="person",
        quantity_kind=QuantityKind.POPULATION,
    )
    for year, value in ((2019, 500_000.0), (2020, 555_741.0)):
        factories.MeasurementFactory(
            place=place, indicator=population, source=source, year=year, value=value
        )
    _values(population, places, source, 2020, [1.0, 2.0, 3.0, 4.0, 5.0])
    return place


def _rows(card) -> dict:
    return {row.indicator.code: row for row in card.rows}


def test_each_indicator_has_its_latest_value_the_change_and_the_standing(manchester):
    rows = _rows(scorecard(manchester))

    per_person = rows["gb-co2-per-person"]
    assert (per_person.year, per_person.latest.value_canonical) == (2020, 3.03)
    assert per_person.latest.verification == Verification.THIRD_PARTY_VERIFIED
    assert per_person.previous.year == 2019
    assert per_person.change.difference == pytest.approx(-0.42)
    assert per_person.change.relative == pytest.approx(-0.42 / 3.45)
    assert (per_person.change.arrow, per_person.change.sense) == ("▼", BETTER)
    # Lower is better: 2.0, 2.5, 3.03, 3.5, 4.0, 5.0. Three places are worse: 3 / 5.
    standing = per_person.standing
    assert (standing.rank, standing.percentile, standing.group_size) == (3, 60.0, 6)


def test_a_fall_is_worse_when_higher_is_better(manchester):
    renewable = _rows(scorecard(manchester))["renewable-capacity"]

    assert (renewable.change.arrow, renewable.change.sense) == ("▼", WORSE)
    assert (renewable.standing.rank, renewable.standing.percentile) == (2, 80.0)
    assert renewable.flag_labels == ["Sectors disagree with the total"]


def test_a_missing_latest_value_keeps_its_notation_and_is_ranked_on_the_last_value(manchester):
    total = _rows(scorecard(manchester))["gb-co2-total"]

    assert total.missing and total.latest.notation == Notation.CONFIDENTIAL
    assert total.change is None
    assert total.last_value == total.previous and total.previous.value_canonical == 2000
    assert total.standing.year == total.ranked_year == total.previous.year


def test_the_profile_shows_the_last_value_under_a_notation_and_links_to_its_year(
    client, manchester
):
    html = client.get(reverse("site:place", args=["manchester"])).content.decode()

    row = _html_row(html, "gb-co2-total")
    year = _rows(scorecard(manchester))["gb-co2-total"].ranked_year
    assert f"last value 2,000 in {year}" in row
    assert f"?place=manchester&amp;year={year}" in row


def test_a_context_indicator_changes_without_judgement_and_is_not_ranked(manchester):
    population = _rows(scorecard(manchester))["population"]

    assert (population.change.arrow, population.change.sense) == ("▲", NEUTRAL)
    assert population.change.words == ""
    assert population.standing.rank is None and population.standing.percentile is None


def test_another_group_gives_other_standings(manchester):
    group = PeerGroup(tier=PlaceTier.LOCAL, place_ids=(manchester.pk,))

    per_person = _rows(scorecard(manchester, group))["gb-co2-per-person"]

    assert per_person.standing.group_size == 1 and per_person.standing.rank is None


def test_the_profile_shows_the_scorecard(client, manchester):
    response = client.get(reverse("site:place", args=["manchester"]))

    html = response.content.decode()
    assert "How Manchester compares" in html
    row = _html_row(html, "gb-co2-per-person")
    link = reverse("indicators:detail", args=["gb-co2-per-person"])
    link += "?place=manchester&amp;year=2020"
    assert f'href="{link}"' in row
    assert '<span aria-hidden="true">▼</span>' in row
    assert '<span class="visually-hidden">down</span>' in row
    assert "−0.420 (−12.17 %)" in row and "since 2019 (3.45), <strong>better</strong>" in row
    assert 'class="change-better"' in row
    assert "3 of 6" in row and ">60</td>" in row
    assert "Verified by a third party" in row


def test_the_profile_marks_a_worse_change_in_words_as_well_as_colour(client, manchester):
    html = client.get(reverse("site:place", args=["manchester"])).content.decode()

    row = _html_row(html, "renewable-capacity")
    assert 'class="change-worse"' in row and "<strong>worse</strong>" in row
    assert "−10 (−10 %)" in row
    assert "Sectors disagree with the total" in row


def test_the_profile_shows_a_missing_value_by_its_notation_never_as_zero(client, manchester):
    html = client.get(reverse("site:place", args=["manchester"])).content.decode()

    row = _html_row(html, "gb-co2-total")
    assert '<abbr title="Confidential" class="notation">C</abbr> — confidential' in row
    assert ">0<" not in row and "0.0" not in row
    assert "2019:" in row and "2,000" in row


def test_the_profile_shows_a_context_change_without_a_verdict(client, manchester):
    html = client.get(reverse("site:place", args=["manchester"])).content.decode()

    row = _html_row(html, "population")
    assert "+55,741" in row
    assert "better" not in row and "worse" not in row
    assert "not ranked (6 places)" in row


def _html_row(html: str, code: str) -> str:
    start = html.index(f'<tr data-indicator="{code}">')
    return html[start : html.index("</tr>", start)]


def _indicators(place, source, count: int) -> None:
    peers = [factories.PlaceFactory(country=place.country) for _ in range(5)]
    for n in range(count):
        indicator = factories.IndicatorFactory(
            direction=[Direction.LOWER_IS_BETTER, Direction.HIGHER_IS_BETTER][n % 2]
        )
        for year in (2019, 2020):
            factories.MeasurementFactory(
                place=place, indicator=indicator, source=source, year=year, value=n + year
            )
        for peer in peers:
            factories.MeasurementFactory(place=peer, indicator=indicator, source=source)


@pytest.mark.parametrize("count", [3, 30])
def test_the_scorecard_needs_two_queries_for_3_or_30_indicators(
    britain, source, django_assert_num_queries, count
):
    place = factories.PlaceFactory(slug="somewhere", country=britain)
    _indicators(place, source, count)
    stored_standings.refresh()

    # The place's measurements, then its stored standings.
    with django_assert_num_queries(2):
        card = scorecard(place)

    assert len(card.rows) == count
    assert all(row.standing.group_size == 6 for row in card.rows)


@pytest.mark.parametrize("count", [3, 30])
def test_without_stored_standings_the_scorecard_ranks_in_one_more_query(
    britain, source, django_assert_num_queries, count
):
    place = factories.PlaceFactory(slug="somewhere", country=britain)
    _indicators(place, source, count)

    # The place's measurements, its (missing) stored standings, one ranking of them all.
    with django_assert_num_queries(3):
        card = scorecard(place)

    assert all(row.standing.group_size == 6 for row in card.rows)


def test_the_profile_needs_as_many_queries_for_3_or_30_indicators(
    client, britain, source, django_assert_max_num_queries
):
    place = factories.PlaceFactory(slug="somewhere", country=britain)
    url = reverse("site:place", args=["somewhere"])
    _indicators(place, source, 3)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    _indicators(place, source, 27)
    with django_assert_max_num_queries(12) as many:
        response = client.get(url)

    assert len(response.context["scorecard"].rows) == 30
    assert len(few.captured_queries) == len(many.captured_queries)


def test_a_headline_indicator_has_a_chart_of_its_years_beside_its_table(client, manchester):
    html = client.get(reverse("site:place", args=["manchester"])).content.decode()

    island = html[html.index('<script id="series-gb-co2-per-person" type="application/json">') :]
    data = json.loads(island[island.index(">") + 1 : island.index("</script>")])
    # The value that counts in each year (the trusted source's), oldest first.
    assert data == {
        "name": "CO2 per person",
        "unit": "t CO2/person",
        "years": ["2019", "2020"],
        "values": [3.45, 3.03],
    }
    assert 'data-chart="series"' in html and "js/charts.js" in html


def test_a_profile_without_a_series_loads_no_chart_library(client, britain):
    factories.PlaceFactory(slug="quiet", country=britain)

    html = client.get(reverse("site:place", args=["quiet"])).content.decode()

    assert "echarts" not in html and "charts.js" not in html
    assert "How Quiet compares" not in html
