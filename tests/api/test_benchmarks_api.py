"""/api/v1/benchmarks/ against a small set computed by hand (the numbers of
tests/benchmarks/test_peers.py), its 400s, and the catalogue fields of /api/v1/indicators/
and the cursor pages of /api/v1/measurements/."""

import base64

import pytest

from benchmarks.choices import Direction, MappingScheme, Verification
from benchmarks.models import Measurement, SavedPeerGroup
from cset.reference.choices import PlaceTier
from cset.reference.models import Place
from tests import factories

pytestmark = pytest.mark.django_db

BENCHMARKS = "/api/v1/benchmarks/"
MEASUREMENTS = "/api/v1/measurements/"
INDICATORS = "/api/v1/indicators/"

# Six local places; F has no value for 2020 (a notation), so five have values.
VALUES = {"a": 10.0, "b": 20.0, "c": 20.0, "d": 40.0, "e": 50.0}


@pytest.fixture
def country():
    return factories.CountryFactory(code="GB", name="United Kingdom")


@pytest.fixture
def places(country):
    made = {
        slug: factories.PlaceFactory(slug=slug, country=country, tier=PlaceTier.LOCAL)
        for slug in "abcdef"
    }
    # A county over them: another tier, never among their peers.
    made["county"] = factories.PlaceFactory(slug="county", country=country, tier=PlaceTier.COUNTY)
    return made


@pytest.fixture
def source():
    return factories.SourceFactory(slug="peer-test")


def measure(indicator, places, source, year=2020, **extra):
    for slug, value in VALUES.items():
        factories.MeasurementFactory(
            place=places[slug], indicator=indicator, year=year, source=source, value=value, **extra
        )
    factories.MeasurementFactory(
        place=places["f"], indicator=indicator, year=year, source=source, missing=True
    )
    factories.MeasurementFactory(
        place=places["county"], indicator=indicator, year=year, source=source, value=1.0
    )


@pytest.fixture
def co2(places, source):
    indicator = factories.IndicatorFactory(
        code="co2-per-person", unit="t CO2/person", direction=Direction.LOWER_IS_BETTER
    )
    measure(indicator, places, source)
    return indicator


def standings(body) -> dict:
    return {row["place"]["slug"]: (row["rank"], row["percentile"]) for row in body["results"]}


# The comparison ---------------------------------------------------------------------------


def test_ranks_percentiles_and_quartiles_match_the_hand_computed_set(api_client, co2):
    response = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "local", "year": 2020})

    assert response.status_code == 200, response.content
    body = response.json()
    # Best first: a 10, b = c 20, d 40, e 50; percentile = (n - rank) / (n - 1).
    assert standings(body) == {
        "a": (1, 100.0),
        "b": (2, 75.0),
        "c": (2, 75.0),
        "d": (4, 25.0),
        "e": (5, 0.0),
    }
    assert [row["place"]["slug"] for row in body["results"]][0] == "a"
    assert body["spread"] == {
        "size": 5,
        "minimum": 10.0,
        "lower_quartile": 20.0,
        "median": 20.0,
        "upper_quartile": 40.0,
        "maximum": 50.0,
    }
    assert (body["ranked"], body["refusal"], body["count"], body["place"]) == (True, "", 5, None)
    first = body["results"][0]
    assert first["unit"] == "t CO2/person"
    assert first["source"] == "peer-test"
    assert first["verification"] == Verification.SELF_REPORTED
    assert set(first["place"]) == {"id", "slug", "url", "name"}
    assert body["indicator"]["direction"] == Direction.LOWER_IS_BETTER


def test_higher_is_better_turns_the_order_round(api_client, places, source):
    indicator = factories.IndicatorFactory(direction=Direction.HIGHER_IS_BETTER)
    measure(indicator, places, source)

    body = api_client.get(BENCHMARKS, {"indicator": indicator.code, "tier": "local"}).json()

    assert standings(body) == {
        "e": (1, 100.0),
        "d": (2, 75.0),
        "b": (3, 50.0),
        "c": (3, 50.0),
        "a": (5, 0.0),
    }


def test_a_place_brings_its_tier_country_and_latest_year(api_client, co2, places, source):
    # An older year in which f had a value: its own latest year is the default for f.
    factories.MeasurementFactory(
        place=places["f"], indicator=co2, year=2018, source=source, value=5.0
    )

    body = api_client.get(BENCHMARKS, {"indicator": co2.code, "place": "b"}).json()
    older = api_client.get(BENCHMARKS, {"indicator": co2.code, "place": "f"}).json()

    assert body["year"] == 2020
    assert body["peer_group"]["criteria"]["tier"] == "local"
    assert body["peer_group"]["criteria"]["country"] == "GB"
    assert body["peer_group"]["description"] == "Local, GB"
    assert body["place"]["place"]["slug"] == "b"
    assert (body["place"]["rank"], body["place"]["percentile"]) == (2, 75.0)
    assert older["year"] == 2018
    assert older["refusal"].startswith("Only 1 place of this group has a value")
    assert older["place"]["value"] == 5.0


def test_the_default_year_is_the_groups_latest_with_values(api_client, co2, places, source):
    factories.MeasurementFactory(place=places["county"], indicator=co2, year=2021, value=2.0)

    local = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "local"}).json()
    county = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "county"}).json()
    # A town's own latest year says nothing about the counties it is compared with.
    town = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "county", "place": "b"})

    assert (local["year"], county["year"], town.json()["year"]) == (2020, 2021, 2021)
    assert town.json()["place"] is None


def test_tiers_never_mix(api_client, co2):
    local = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "local"}).json()
    county = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "county"}).json()

    assert "county" not in standings(local)
    assert list(standings(county)) == ["county"]


def test_fewer_than_five_places_get_no_ranking_and_the_reason(api_client, co2, places):
    places["e"].measurements.all().delete()

    body = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "local"}).json()

    assert body["ranked"] is False
    assert body["refusal"].startswith("Only 4 places")
    assert {rank for rank, _percentile in standings(body).values()} == {None}
    assert body["spread"]["median"] == 20.0


def test_the_verified_switch_leaves_out_self_reported_values(api_client, co2, places):
    query = {"indicator": co2.code, "tier": "local"}

    assert api_client.get(BENCHMARKS, {**query, "verified": "true"}).json()["count"] == 0
    Measurement.objects.filter(place__slug__in="abc").update(
        verification=Verification.THIRD_PARTY_VERIFIED
    )
    body = api_client.get(BENCHMARKS, {**query, "verified": "true"}).json()

    assert body["verified_only"] is True
    assert standings(body) == {"a": (None, None), "b": (None, None), "c": (None, None)}
    assert "Only 3 places" in body["refusal"]


def test_a_saved_peer_group_is_compared(api_client, co2, places):
    saved = SavedPeerGroup.objects.create(slug="towns", name="Eco towns", tier=PlaceTier.LOCAL)
    saved.places.add(places["a"], places["d"], places["e"])

    body = api_client.get(BENCHMARKS, {"indicator": co2.code, "peer_group": "towns"}).json()

    assert set(standings(body)) == {"a", "d", "e"}
    assert body["peer_group"]["criteria"]["peer_group"] == "towns"
    assert body["peer_group"]["description"] == "Eco towns"


@pytest.mark.parametrize("query", [{}, {"year": "2020"}, {"place": "a"}])
def test_a_saved_group_without_places_is_an_empty_comparison(api_client, co2, query):
    SavedPeerGroup.objects.create(slug="empty", name="Not chosen yet", tier=PlaceTier.LOCAL)

    response = api_client.get(BENCHMARKS, {"indicator": co2.code, "peer_group": "empty", **query})

    assert response.status_code == 200
    assert response.json()["spread"]["size"] == 0


def test_whitespace_is_no_choice_of_tier_as_on_the_page(api_client, co2):
    alone = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": " "})
    with_place = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": " ", "place": "a"})

    assert alone.status_code == 400
    assert "Choose a tier of government" in alone.json()["tier"][0]
    assert with_place.status_code == 200
    assert with_place.json()["peer_group"]["criteria"]["tier"] == PlaceTier.LOCAL


def test_a_choice_given_twice_is_a_400_as_on_every_list(api_client, co2):
    response = api_client.get(f"{BENCHMARKS}?indicator={co2.code}&tier=local&year=2020&year=2005")

    assert response.status_code == 400
    assert response.json()["year"] == ["Give this once: it takes a single value."]


def test_an_indicator_without_values_is_an_empty_comparison(api_client, places):
    indicator = factories.IndicatorFactory(code="district-heating-share", unit="%")

    response = api_client.get(BENCHMARKS, {"indicator": indicator.code, "place": "a"})

    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["count"], body["results"], body["place"]) == (None, 0, [], None)
    assert body["spread"]["size"] == 0
    assert body["refusal"].startswith("No place")


def test_a_year_without_values_is_refused_as_on_the_page(api_client, co2):
    response = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "local", "year": 1950})

    assert response.status_code == 400
    assert response.json()["year"] == [
        "There are no values for 1950; years with values: 2020 to 2020."
    ]


def test_standings_are_paged_with_limit_and_offset(api_client, co2):
    query = {"indicator": co2.code, "tier": "local", "limit": 2, "offset": 1, "place": "e"}

    body = api_client.get(BENCHMARKS, query).json()

    assert body["count"] == 5
    assert [row["place"]["slug"] for row in body["results"]] == ["b", "c"]
    assert "offset=3" in body["next"]
    # The place's standing whatever the page.
    assert body["place"]["rank"] == 5


@pytest.mark.parametrize("limit", ["-5", "abc", "0"])
def test_malformed_limits_are_a_400_as_on_every_list(api_client, co2, limit):
    response = api_client.get(BENCHMARKS, {"indicator": co2.code, "tier": "local", "limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()


def test_a_huge_limit_gives_the_largest_page(api_client, co2):
    query = {"indicator": co2.code, "tier": "local", "limit": "99999999999999999999"}

    response = api_client.get(BENCHMARKS, query)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


def test_queries_do_not_grow_with_the_page(
    api_client, country, source, django_assert_max_num_queries
):
    indicator = factories.IndicatorFactory()
    for n in range(30):
        place = factories.PlaceFactory(country=country, slug=f"town-{n}")
        factories.MeasurementFactory(place=place, indicator=indicator, source=source, value=n)
    query = {"indicator": indicator.code, "place": "town-3", "population": "under-15k"}

    with django_assert_max_num_queries(10) as three:
        short = api_client.get(BENCHMARKS, {**query, "limit": 3})
    with django_assert_max_num_queries(10) as thirty:
        long = api_client.get(BENCHMARKS, {**query, "limit": 30})

    assert (len(short.json()["results"]), len(long.json()["results"])) == (3, 30)
    assert len(three.captured_queries) == len(thirty.captured_queries)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tier": "local"}, "indicator"),
        ({"indicator": "", "tier": "local"}, "indicator"),
        ({"indicator": "no-such-indicator", "tier": "local"}, "indicator"),
        ({"indicator": "co2\x00", "tier": "local"}, "indicator"),
        ({"indicator": "x" * 10_000, "tier": "local"}, "indicator"),
        ({"indicator": "지역난방", "tier": "local"}, "indicator"),
        ({"indicator": "co2-per-person"}, "tier"),
        ({"indicator": "co2-per-person", "tier": "planet"}, "tier"),
        ({"indicator": "co2-per-person", "tier": "local", "year": "1800"}, "year"),
        ({"indicator": "co2-per-person", "tier": "local", "year": "2101"}, "year"),
        ({"indicator": "co2-per-person", "tier": "local", "year": "twenty"}, "year"),
        ({"indicator": "co2-per-person", "tier": "local", "year": "NaN"}, "year"),
        ({"indicator": "co2-per-person", "tier": "local", "year": "inf"}, "year"),
        ({"indicator": "co2-per-person", "tier": "local", "year": "1e400"}, "year"),
        ({"indicator": "co2-per-person", "tier": "local", "year": "-2020"}, "year"),
        ({"indicator": "co2-per-person", "place": "atlantis"}, "place"),
        ({"indicator": "co2-per-person", "place": "🏙️"}, "place"),
        ({"indicator": "co2-per-person", "place": "ሐረር"}, "place"),
        ({"indicator": "co2-per-person", "tier": "local", "country": "G\x00"}, "country"),
        ({"indicator": "co2-per-person", "tier": "local", "country": "GBR"}, "country"),
        ({"indicator": "co2-per-person", "tier": "local", "subdivision": "Bavaria"}, "subdivision"),
        ({"indicator": "co2-per-person", "tier": "local", "region": "x" * 10_000}, "region"),
        ({"indicator": "co2-per-person", "tier": "local", "continent": "XX"}, "continent"),
        ({"indicator": "co2-per-person", "tier": "local", "population": "huge"}, "population"),
        ({"indicator": "co2-per-person", "tier": "local", "network": "nope"}, "network"),
        ({"indicator": "co2-per-person", "peer_group": "nope"}, "peer_group"),
    ],
)
def test_every_bad_parameter_is_a_400_naming_it(api_client, co2, params, field):
    response = api_client.get(BENCHMARKS, params)

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    ("region", "count"), [("North West", 2), ("north  west", 2), ("\u00a0 ", 5)]
)
def test_a_region_is_found_in_any_case_and_blank_is_none(api_client, co2, places, region, count):
    Place.objects.filter(slug__in=["a", "b"]).update(statistical_region="North West")
    query = {"indicator": co2.code, "tier": "local", "region": region}

    response = api_client.get(BENCHMARKS, query)

    assert response.status_code == 200
    assert response.json()["count"] == count


@pytest.mark.parametrize("region", ["Северо-Запад", "서울", "Nowhere"])
def test_an_unknown_region_is_refused(api_client, co2, region):
    query = {"indicator": co2.code, "tier": "local", "region": region}

    response = api_client.get(BENCHMARKS, query)

    assert response.status_code == 400
    assert response.json()["region"] == ["No place lies in a statistical region of this name."]


def test_a_saved_group_keeps_its_tier(api_client, co2, places):
    saved = SavedPeerGroup.objects.create(slug="core-cities", name="Core cities", tier="local")
    query = {"indicator": co2.code, "peer_group": saved.slug, "tier": "county"}

    response = api_client.get(BENCHMARKS, query)

    assert response.status_code == 400
    assert "holds places of the tier" in response.json()["tier"][0]


def test_the_schema_describes_the_comparison(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    operation = schema.json()["paths"]["/api/v1/benchmarks/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"indicator", "year", "place", "tier", "peer_group", "verified", "limit"} <= names
    assert "200" in operation["responses"] and "400" in operation["responses"]


# Indicators -------------------------------------------------------------------------------


def test_indicators_say_whether_they_have_values_and_their_mappings(api_client, co2):
    empty = factories.IndicatorFactory(code="district-heating-share", unit="%")
    factories.IndicatorMappingFactory(indicator=empty, scheme=MappingScheme.SDG, code="7.2.1")

    rows = {row["code"]: row for row in api_client.get(INDICATORS).json()["results"]}
    without = api_client.get(INDICATORS, {"has_values": "false"}).json()["results"]
    mapped = api_client.get(INDICATORS, {"mapping_scheme": "sdg"}).json()["results"]

    assert (rows[co2.code]["has_values"], rows[empty.code]["has_values"]) == (True, False)
    assert rows[empty.code]["mappings"] == [{"scheme": "sdg", "code": "7.2.1", "match": "exact"}]
    assert [row["code"] for row in without] == [empty.code]
    assert [row["code"] for row in mapped] == [empty.code]
    assert api_client.get(INDICATORS, {"mapping_scheme": "iso9999"}).status_code == 400


def test_a_derived_indicator_names_its_inputs(api_client):
    factories.IndicatorFactory(code="de-capacity-renewable-per-1000", unit="kW/1000 persons")

    body = api_client.get(f"{INDICATORS}de-capacity-renewable-per-1000/").json()

    assert body["derived_from"] == {
        "numerator": "de-capacity-renewable-total",
        "denominator": "population",
    }
    assert body["has_values"] is False


def test_indicator_queries_do_not_grow_with_the_list(api_client, django_assert_max_num_queries):
    for _ in range(30):
        indicator = factories.IndicatorFactory()
        factories.IndicatorMappingFactory(indicator=indicator)
        factories.MeasurementFactory(indicator=indicator)

    with django_assert_max_num_queries(3) as three:
        api_client.get(INDICATORS, {"limit": 3})
    with django_assert_max_num_queries(3) as thirty:
        api_client.get(INDICATORS, {"limit": 30})

    assert len(three.captured_queries) == len(thirty.captured_queries)


# Measurements: derived inputs and cursor pages ----------------------------------------------


def test_a_derived_measurement_shows_its_inputs(api_client):
    numerator = factories.MeasurementFactory()
    denominator = factories.MeasurementFactory(place=numerator.place)
    derived = factories.MeasurementFactory(
        place=numerator.place, numerator=numerator, denominator=denominator
    )

    body = api_client.get(f"{MEASUREMENTS}{derived.pk}/").json()
    plain = api_client.get(f"{MEASUREMENTS}{numerator.pk}/").json()

    assert (body["numerator"], body["denominator"]) == (numerator.pk, denominator.pk)
    assert (plain["numerator"], plain["denominator"]) == (None, None)


@pytest.fixture
def many_measurements():
    """23 values, made in bulk: three places, years from 2000."""
    indicator = factories.IndicatorFactory()
    source = factories.SourceFactory()
    places = factories.PlaceFactory.create_batch(3)
    rows = [
        Measurement(
            place=places[n % 3],
            indicator=indicator,
            source=source,
            year=2000 + n,
            value=float(n),
            unit="MWh",
            value_canonical=float(n),
            method="reported",
            verification="self_reported",
        )
        for n in range(23)
    ]
    Measurement.objects.bulk_create(rows)
    return sorted(Measurement.objects.values_list("pk", flat=True))


def walk(api_client, first_query: dict | None = None, *, start: str = "") -> list[list[int]]:
    """The ids of every page, following ``next`` from the query (or from ``start``)."""
    pages = []
    response = api_client.get(start) if start else api_client.get(MEASUREMENTS, first_query)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            return pages
        response = api_client.get(body["next"])


def test_a_cursor_walk_sees_every_row_once_in_id_order(api_client, many_measurements):
    pages = walk(api_client, {"cursor": "", "limit": 5})

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert [pk for page in pages for pk in page] == many_measurements


def test_rows_added_during_a_walk_are_neither_repeated_nor_skipping_others(
    api_client, many_measurements
):
    first = api_client.get(MEASUREMENTS, {"cursor": "", "limit": 10}).json()
    added = factories.MeasurementFactory(year=1999)

    rest = walk(api_client, start=first["next"])

    seen = [row["id"] for row in first["results"]] + [pk for page in rest for pk in page]
    assert seen == [*many_measurements, added.pk]


def test_cursor_pages_keep_the_filters(api_client, many_measurements):
    pages = walk(api_client, {"cursor": "", "limit": 2, "year_min": 2010, "year_max": 2014})

    rows = [pk for page in pages for pk in page]
    assert rows == sorted(
        Measurement.objects.filter(year__range=(2010, 2014)).values_list("pk", flat=True)
    )


def test_without_a_cursor_pages_are_limit_and_offset(api_client, many_measurements):
    body = api_client.get(MEASUREMENTS, {"limit": 5, "offset": 20}).json()

    assert body["count"] == 23
    assert len(body["results"]) == 3


def test_cursor_pages_are_capped_at_500(api_client):
    place = factories.PlaceFactory()
    indicator = factories.IndicatorFactory()
    source = factories.SourceFactory()
    Measurement.objects.bulk_create(
        Measurement(
            place=place if n < 200 else factories.PlaceFactory(),
            indicator=indicator,
            source=source,
            year=1900 + n % 200,
            value=1.0,
            unit="MWh",
            value_canonical=1.0,
            method="reported",
            verification="self_reported",
        )
        for n in range(501)
    )

    body = api_client.get(MEASUREMENTS, {"cursor": "", "limit": 100_000}).json()

    assert len(body["results"]) == 500
    assert body["next"]


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "", "ordering": "-year"}, "ordering"),
        ({"cursor": "", "offset": "10"}, "offset"),
        ({"cursor": "not-a-cursor!"}, "cursor"),
        ({"cursor": "\x00"}, "cursor"),
        ({"cursor": "🙂"}, "cursor"),
        ({"cursor": "x" * 10_000}, "cursor"),
        ({"cursor": _cursor("p=abc")}, "cursor"),
        ({"cursor": _cursor(f"p={2**70}")}, "cursor"),
        ({"cursor": _cursor("p=-1")}, "cursor"),
        ({"cursor": _cursor("r=x")}, "cursor"),
    ],
)
def test_bad_cursors_are_400s_naming_the_parameter(api_client, many_measurements, params, field):
    response = api_client.get(MEASUREMENTS, params)

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_cursor_queries_do_not_grow_with_the_page(
    api_client, many_measurements, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1) as one:
        api_client.get(MEASUREMENTS, {"cursor": "", "limit": 1})
    with django_assert_max_num_queries(1) as twenty:
        api_client.get(MEASUREMENTS, {"cursor": "", "limit": 20})

    assert len(one.captured_queries) == len(twenty.captured_queries)


@pytest.mark.parametrize("offset", ["5", "6", "99999999999999999999"])
def test_an_offset_past_the_end_answers_no_standings(api_client, co2, offset):
    query = {"indicator": co2.code, "tier": "local", "offset": offset, "place": "e"}

    response = api_client.get(BENCHMARKS, query)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["results"]) == (5, [])
    assert body["place"]["rank"] == 5
    # Back to the one page there is.
    assert "offset" not in body["previous"]


def test_a_national_statistic_names_its_country_here_and_on_its_page(api_client, client, co2):
    britain = factories.CountryFactory(code="GB", name="United Kingdom")
    national = factories.IndicatorFactory(code="gb-co2-domestic-gas", country=britain)

    rows = {row["code"]: row for row in api_client.get(INDICATORS).json()["results"]}
    page = client.get(f"/indicators/{national.code}/").content.decode()

    assert rows[national.code]["country"] == "GB"
    assert rows[co2.code]["country"] is None
    assert "Values for places in United Kingdom only" in page
