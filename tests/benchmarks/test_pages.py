"""The indicator pages: the list grouped by theme, and one indicator's values table."""

import csv
import io

import pytest
from django.urls import reverse

from benchmarks.choices import QualityFlag, QuantityKind
from tests import factories

LIST = reverse("indicators:list")


def detail(code: str) -> str:
    return reverse("indicators:detail", args=[code])


def values_csv(code: str) -> str:
    return reverse("indicators:values-csv", args=[code])


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def catalogue(db):
    """Indicators of two themes and one without a theme, with values and a missing one."""
    energy = factories.ThemeFactory(slug="district-energy")
    transport = factories.ThemeFactory(slug="transport")
    heat = factories.IndicatorFactory(code="heat-demand", name="Heat demand", theme=energy)
    factories.IndicatorMappingFactory(indicator=heat, scheme="iso37120", code="7.1")
    co2 = factories.IndicatorFactory(
        code="co2-transport",
        name="Transport emissions",
        theme=transport,
        unit="kt CO2",
        quantity_kind=QuantityKind.EMISSIONS,
    )
    population = factories.IndicatorFactory(
        code="population",
        name="Population",
        theme=None,
        unit="person",
        direction="context",
        quantity_kind=QuantityKind.POPULATION,
        definition="People living in the place.",
    )
    places = [factories.PlaceFactory(name=f"Town {letter}") for letter in "ABC"]
    uk, covenant = (
        factories.SourceFactory(title="UK register"),
        factories.SourceFactory(title="Covenant"),
    )
    # Two sources for Town A in one year: two rows, one place.
    factories.MeasurementFactory(indicator=population, place=places[0], source=uk, value=500)
    factories.MeasurementFactory(indicator=population, place=places[0], source=covenant, value=510)
    factories.MeasurementFactory(indicator=population, place=places[1], source=uk, value=700)
    # A missing value (with its notation) does not count as a place with a value.
    factories.MeasurementFactory(indicator=population, place=places[2], source=uk, missing=True)
    factories.MeasurementFactory(indicator=heat, place=places[0], value=90)
    return {"heat": heat, "co2": co2, "population": population, "places": places}


# The list


def test_list_groups_indicators_by_theme_with_other_last(client, catalogue):
    response = client.get(LIST)

    assert response.status_code == 200
    groups = response.context["groups"]
    names = [group.theme.name if group.theme else None for group in groups]
    assert names[-1] is None
    assert [[i.code for i in group.indicators] for group in groups][-1] == ["population"]
    html = response.content.decode()
    assert ">Other</h2>" in html
    assert f'href="{detail("heat-demand")}"' in html
    assert "<code>co2-transport</code>" in html
    assert "kt CO2" in html
    assert "Lower is better" in html and "Emissions" in html


def test_list_counts_distinct_places_with_a_value(client, catalogue):
    html = client.get(LIST).content.decode()

    # Town A (two sources) and Town B; Town C has only a notation.
    assert '<td class="number" data-places="population">2</td>' in html
    assert '<td class="number" data-places="heat-demand">1</td>' in html
    assert '<td class="number" data-places="co2-transport">0</td>' in html


@pytest.mark.parametrize(
    "params",
    [
        {"theme": "transport"},
        {"theme": "district-energy"},
        {"quantity_kind": "population"},
        {"q": "emission"},
        {"q": "POPUL"},
        {"theme": "no-such-theme"},
        {"direction": "context"},
    ],
)
def test_list_filters_match_the_api(client, api_client, catalogue, params):
    page = client.get(LIST, params)
    api_params = {("search" if k == "q" else k): v for k, v in params.items()}
    api = api_client.get("/api/v1/indicators/", api_params).json()

    page_codes = sorted(i.code for group in page.context["groups"] for i in group.indicators)
    assert page_codes == sorted(row["code"] for row in api["results"])


def test_list_says_when_no_indicator_matches(client, catalogue):
    html = client.get(LIST, {"q": "nothing like this"}).content.decode()

    assert "No indicator matches these filters." in html
    assert f'<a href="{LIST}">Clear the filters</a>' in html


def test_list_facets_count_indicators_under_the_other_filters(client, catalogue):
    response = client.get(LIST, {"quantity_kind": "emissions"})

    themes = {choice.value: choice.count for choice in response.context["theme_facet"]}
    assert themes["transport"] == 1 and themes["district-energy"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "x" * 5000},
        {"quantity_kind": "bogus"},
        {"theme": "x" * 500},
        {"page": "abc"},
    ],
)
def test_list_never_fails_on_malformed_filters(client, catalogue, params):
    response = client.get(LIST, params)

    # An invalid filter is ignored and the page says so (an inline error, not a 400).
    assert response.status_code == 200
    if "page" not in params:
        assert "could not be applied" in response.content.decode()


def test_list_queries_do_not_grow_with_indicators(client, db, django_assert_max_num_queries):
    def add(count: int) -> None:
        for _ in range(count):
            indicator = factories.IndicatorFactory(theme=factories.ThemeFactory())
            factories.MeasurementFactory(indicator=indicator)

    add(3)
    with django_assert_max_num_queries(5) as few:
        client.get(LIST)
    add(27)
    with django_assert_max_num_queries(5) as many:
        response = client.get(LIST)

    assert sum(len(group.indicators) for group in response.context["groups"]) == 30
    assert len(few.captured_queries) == len(many.captured_queries)


# The detail page


def test_detail_describes_the_indicator(client, catalogue):
    source = factories.SourceFactory(
        title="Heat atlas", licence="dl-de/by-2-0", attribution="© Heat atlas 2024"
    )
    heat = catalogue["heat"]
    heat.source = source
    heat.save()

    response = client.get(detail("heat-demand"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Final energy consumed in a year." in html
    assert '<dd class="col-sm-8" data-field="unit">MWh</dd>' in html
    assert "Lower is better" in html
    assert "Final energy" in html
    assert "District energy" in html or heat.theme.name in html
    assert "ISO 37120:2018" in html and "7.1" in html and "Exact" in html
    assert "Heat atlas" in html and "dl-de/by-2-0" in html and "© Heat atlas 2024" in html
    assert response.context["sources"] == [source]


def test_detail_lists_every_source_of_its_values_when_it_has_none(client, catalogue):
    response = client.get(detail("population"))

    assert [s.title for s in response.context["sources"]] == ["Covenant", "UK register"]


def test_detail_lists_each_place_once_with_the_value_that_counts(client, catalogue):
    response = client.get(detail("population"))

    rows = response.context["page"].object_list
    town_a = [row for row in rows if row.measurement.place.name == "Town A"]
    # Two sources of equal verification: the one loaded first counts, as in the ranking.
    assert [row.measurement.source.title for row in town_a] == ["UK register"]
    html = response.content.decode()
    assert f'href="{reverse("site:place", args=[town_a[0].measurement.place.slug])}"' in html


def test_detail_counts_missing_values_by_their_notation_never_as_zero(client, catalogue):
    html = client.get(detail("population")).content.decode()

    assert '<abbr title="Not reported" class="notation">NR</abbr> (not reported) 1 place' in html


def test_detail_shows_quality_flag_labels(client, catalogue):
    factories.MeasurementFactory(
        indicator=catalogue["heat"], year=2020, quality_flags=[QualityFlag.INCONSISTENT_TOTAL]
    )

    html = client.get(detail("heat-demand")).content.decode()

    assert "Sectors disagree with the total" in html


def test_detail_defaults_to_the_latest_year_with_values(client, catalogue):
    population = catalogue["population"]
    town = catalogue["places"][0]
    factories.MeasurementFactory(indicator=population, place=town, year=2015, value=480)
    # A later year holding only a notation is not offered: nothing could be compared.
    factories.MeasurementFactory(indicator=population, place=town, year=2022, missing=True)

    response = client.get(detail("population"))

    assert response.context["comparison"].year == 2020
    assert response.context["years"] == [2020, 2015]
    html = response.content.decode()
    assert '<option value="" selected>Latest with values</option>' in html
    assert '<option value="2015">2015</option>' in html
    assert client.get(detail("population"), {"year": 2015}).context["comparison"].year == 2015


def test_detail_defaults_to_the_chosen_places_latest_year(client, catalogue):
    population = catalogue["population"]
    newcomer = factories.PlaceFactory(name="Town D", slug="town-d")
    factories.MeasurementFactory(indicator=population, place=newcomer, year=2015, value=480)

    chosen = client.get(detail("population"), {"place": "town-d"}).context["comparison"]
    unchosen = client.get(detail("population")).context["comparison"]

    # Town D has no value of 2020, the group's latest: its own year is shown.
    assert (chosen.year, unchosen.year) == (2015, 2020)


@pytest.mark.parametrize("year", ["abc", "99999", "1800", "2019", "-1", "\x00", "2022"])
def test_detail_refuses_a_year_without_values_with_the_form_error(client, catalogue, year):
    factories.MeasurementFactory(
        indicator=catalogue["population"], place=catalogue["places"][0], year=2022, missing=True
    )

    response = client.get(detail("population"), {"year": year})

    assert response.status_code == 400
    assert "comparison" not in response.context
    html = response.content.decode()
    assert "This comparison cannot be made" in html
    assert 'id="id_year-errors"' in html


def test_detail_of_an_indicator_without_values_says_so(client, catalogue):
    response = client.get(detail("co2-transport"))

    assert response.status_code == 200
    assert "No values yet: this indicator is part of the catalogue" in response.content.decode()
    assert client.get(values_csv("co2-transport")).status_code == 200


def test_detail_of_an_unknown_indicator_is_404(client, db):
    assert client.get(detail("no-such-indicator")).status_code == 404


@pytest.fixture
def sixty_values(db):
    """Sixty values of one year (two pages of the values CSV), with ties and missing values."""
    indicator = factories.IndicatorFactory(code="heat")
    source = factories.SourceFactory()
    for n in range(60):
        if n % 10 == 0:
            factories.MeasurementFactory(indicator=indicator, source=source, missing=True)
        else:
            factories.MeasurementFactory(indicator=indicator, source=source, value=float(n % 7))
    return indicator


@pytest.mark.parametrize("sort", ["value", "-value"])
def test_values_csv_puts_missing_values_last_both_ways(client, sixty_values, sort):
    rows = csv_rows(client.get(values_csv("heat"), {"sort": sort, "year": 2020}))

    values = [float(row["value"]) if row["value"] else None for row in rows]
    present = [value for value in values if value is not None]
    assert values[len(present) :] == [None] * 6
    assert present == sorted(present, reverse=sort == "-value")


@pytest.mark.parametrize(
    ("sort", "ordering"), [("value", "value_canonical"), ("-value", "-value_canonical")]
)
def test_values_csv_is_the_api_list_in_the_same_order(
    client, api_client, sixty_values, sort, ordering
):
    api = api_client.get(
        "/api/v1/measurements/",
        {"indicator": "heat", "year": 2020, "ordering": ordering, "limit": 100},
    ).json()

    rows = csv_rows(client.get(values_csv("heat"), {"sort": sort, "year": 2020}))

    assert [row["place_slug"] for row in rows] == [row["place"]["slug"] for row in api["results"]]


@pytest.mark.parametrize("sort", ["place", "-place"])
def test_values_csv_sorts_by_place_name(client, sixty_values, sort):
    rows = csv_rows(client.get(values_csv("heat"), {"sort": sort, "year": 2020}))

    names = [row["place_name"] for row in rows]
    assert names == sorted(names, reverse=sort == "-place")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"year": "99999"}, "year: Give a year with values, from 2020 to 2020."),
        ({"year": "abc"}, "year: Give a year with values"),
        ({"year": "\x00"}, "year: Give a year with values"),
        ({"year": "1899"}, "year: Give a year with values"),
        ({"year": "-2020"}, "year: Give a year with values"),
        ({"sort": "population"}, "sort: Sort by one of -value, value, place, -place."),
    ],
)
def test_values_csv_refuses_a_bad_year_or_sort_rather_than_giving_another(
    client, sixty_values, query, message
):
    response = client.get(values_csv("heat"), query)

    assert response.status_code == 400
    assert response.content.decode().startswith(message)


def test_values_csv_without_a_year_gives_the_latest(client, sixty_values):
    response = client.get(values_csv("heat"), {"year": " "})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('heat-2020.csv"')


def test_values_csv_holds_every_value_of_the_year(client, sixty_values):
    response = client.get(values_csv("heat"), {"year": 2020})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert len(rows) == 60
    missing = [row for row in rows if row["notation"]]
    assert {(row["value"], row["unit"], row["notation"]) for row in missing} == {("", "", "NR")}
    first = next(row for row in rows if row["value"])
    assert first["unit"] == "MWh" and first["year"] == "2020"
    assert first["licence"] == "CC-BY-4.0" and first["method"] == "reported"
    assert set(rows[0]) == {
        "place_slug",
        "place_name",
        "country",
        "year",
        "value",
        "unit",
        "notation",
        "source",
        "licence",
        "method",
        "verification",
        "quality_flags",
    }


def test_csv_joins_quality_flags(client, db):
    factories.MeasurementFactory(
        indicator=factories.IndicatorFactory(code="flagged"),
        quality_flags=[QualityFlag.INCONSISTENT_TOTAL, QualityFlag.THOUSANDS_SEPARATOR_READ],
    )

    rows = csv_rows(client.get(values_csv("flagged")))

    assert rows[0]["quality_flags"] == "inconsistent_total;thousands_separator_read"


def test_values_csv_keeps_formulas_out(client, db):
    factories.MeasurementFactory(
        indicator=factories.IndicatorFactory(code="named"),
        place=factories.PlaceFactory(name="@SUM(A1:A9)"),
    )

    rows = csv_rows(client.get(values_csv("named")))

    assert rows[0]["place_name"] == "'@SUM(A1:A9)"


@pytest.mark.parametrize(
    "address",
    ["/indicators/%00/", "/indicators/a%00/values.csv", "/indicators/a%00/comparison.csv"],
)
def test_an_address_with_a_nul_byte_is_not_found(client, db, address):
    assert client.get(address).status_code == 404


def test_the_page_links_to_the_values_csv_of_its_year(client, sixty_values):
    html = client.get(detail("heat")).content.decode()

    assert f'href="{values_csv("heat")}?year=2020"' in html
    assert "Every value of 2020 from every source (CSV)" in html


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"page": "abc"}, 200),
        ({"page": "0"}, 200),
        ({"page": "-3"}, 200),
        ({"page": "2"}, 200),
        ({"page": "3"}, 404),
        ({"page": "999999"}, 404),
        ({"sort": "bogus"}, 200),
        ({"sort": "\x00"}, 200),
    ],
)
def test_ranked_pages_never_fail(client, sixty_values, params, status):
    # 54 places with a value: two pages of 50.
    assert client.get(detail("heat"), params).status_code == status


def test_detail_queries_do_not_grow_with_rows(client, db, django_assert_max_num_queries):
    indicator = factories.IndicatorFactory(code="grows")
    factories.IndicatorMappingFactory(indicator=indicator)

    def add(count: int) -> None:
        for _ in range(count):
            factories.MeasurementFactory(
                indicator=indicator, source=factories.SourceFactory(), quality_flags=["x"]
            )

    add(5)
    # indicator, mappings, years, source ids, sources, default year (the latest, and
    # whether it has enough places to rank), spread, standings, page rows, notations.
    with django_assert_max_num_queries(10) as few:
        client.get(detail("grows"))
    add(40)
    with django_assert_max_num_queries(10) as many:
        response = client.get(detail("grows"))

    assert len(response.context["page"].object_list) == 45
    assert len(few.captured_queries) == len(many.captured_queries)


def test_csv_needs_a_fixed_number_of_queries(client, sixty_values, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        rows = csv_rows(client.get(values_csv("heat")))

    assert len(rows) == 60
