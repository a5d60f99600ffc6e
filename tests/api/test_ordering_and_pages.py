"""Ordering puts missing values last both ways; malformed pages and orders never fail."""

import pytest

from cset.api_urls import router
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/places/",
    "/api/v1/countries/",
    "/api/v1/organisations/",
    "/api/v1/themes/",
    "/api/v1/sources/",
    "/api/v1/practices/",
    "/api/v1/indicators/",
    "/api/v1/measurements/",
    "/api/v1/events/",
]


@pytest.fixture
def populations(db):
    factories.PlaceFactory(slug="small", population=1_000)
    factories.PlaceFactory(slug="unknown-a", population=None)
    factories.PlaceFactory(slug="large", population=9_000_000)
    factories.PlaceFactory(slug="unknown-b", population=None)
    factories.PlaceFactory(slug="middle", population=50_000)


def ordered_slugs(api_client, ordering: str) -> list[str]:
    response = api_client.get("/api/v1/places/", {"ordering": ordering})
    assert response.status_code == 200
    return [row["slug"] for row in response.json()["results"]]


def test_ascending_order_puts_missing_values_last(api_client, populations):
    assert ordered_slugs(api_client, "population") == [
        "small",
        "middle",
        "large",
        "unknown-a",
        "unknown-b",
    ]


def test_descending_order_puts_missing_values_last(api_client, populations):
    assert ordered_slugs(api_client, "-population") == [
        "large",
        "middle",
        "small",
        "unknown-a",
        "unknown-b",
    ]


def test_missing_measurement_values_sort_last_both_ways(api_client):
    indicator = factories.IndicatorFactory()
    present = [factories.MeasurementFactory(indicator=indicator, value=v) for v in (3.0, 1.0)]
    missing = factories.MeasurementFactory(indicator=indicator, missing=True)

    for ordering in ("value_canonical", "-value_canonical"):
        body = api_client.get("/api/v1/measurements/", {"ordering": ordering}).json()
        ids = [row["id"] for row in body["results"]]
        assert ids[-1] == missing.pk
        assert set(ids[:2]) == {m.pk for m in present}


def test_ties_are_broken_by_the_primary_key(api_client):
    first, second, third = factories.PlaceFactory.create_batch(3, name="Same name")

    for ordering in (None, "name", "-name"):
        params = {"ordering": ordering} if ordering else {}
        body = api_client.get("/api/v1/places/", params).json()
        assert [row["id"] for row in body["results"]] == [first.pk, second.pk, third.pk]


def test_every_default_order_ends_in_the_primary_key():
    for _prefix, viewset, _basename in router.registry:
        model = viewset(action="list").get_queryset().model
        assert viewset.ordering[-1] in ("pk", model._meta.pk.name), viewset
        assert viewset.ordering_fields, viewset


@pytest.mark.parametrize("address", LISTS)
@pytest.mark.parametrize(
    "params",
    [
        {"offset": "99999999999999999999999999"},
        {"limit": "99999999999999999999999999"},
    ],
)
def test_malformed_pages_and_orders_never_fail(api_client, address, params):
    factories.PlaceFactory()

    response = api_client.get(address, params)

    assert response.status_code == 200, response.content
    assert "results" in response.json()


@pytest.mark.parametrize(
    ("address", "name", "values"),
    [
        ("/api/v1/places/", "country", ["DE", "GB"]),
        ("/api/v1/places/", "tier", ["county", "local"]),
        ("/api/v1/measurements/", "year", ["2020", "2005"]),
        ("/api/v1/practices/", "country", ["DE", "GB"]),
        ("/api/v1/events/", "year", ["2017", "2018"]),
    ],
)
def test_a_single_valued_filter_given_twice_is_a_400(api_client, address, name, values):
    response = api_client.get(f"{address}?" + "&".join(f"{name}={value}" for value in values))

    assert response.status_code == 400
    assert response.json()[name] == ["Give this once: it takes a single value."]


def test_a_filter_of_several_values_may_be_given_twice(api_client):
    heat, transport = factories.ThemeFactory(slug="heat"), factories.ThemeFactory(slug="transport")
    for theme in (heat, transport):
        factories.PublishedPracticeFactory(themes=[theme])
    factories.PublishedPracticeFactory()

    response = api_client.get("/api/v1/practices/?theme=heat&theme=transport")

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_a_page_says_which_filter_was_given_twice(client, db):
    response = client.get("/places/?country=DE&country=GB")

    assert "Give this once: it takes a single value." in response.content.decode()


@pytest.mark.parametrize("address", LISTS)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "-5"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "\x00"}, "limit"),
        ({"limit": "５"}, "limit"),
        ({"offset": "abc"}, "offset"),
        ({"offset": "-3"}, "offset"),
    ],
)
def test_a_malformed_limit_or_offset_is_a_400_naming_it(api_client, address, params, field):
    response = api_client.get(address, params)

    assert response.status_code == 400
    assert response.json()[field] == [
        f"Give a whole number of at least {1 if field == 'limit' else 0}."
    ]


def test_an_empty_limit_is_the_default_page(api_client):
    factories.PlaceFactory()

    response = api_client.get("/api/v1/places/", {"limit": " ", "offset": ""})

    assert response.status_code == 200


@pytest.mark.parametrize("ordering", ["no_such_field", "-password,,--name,%00", "\x00", "name,nme"])
def test_an_unknown_ordering_is_a_400_naming_the_fields(api_client, ordering):
    factories.PlaceFactory()

    response = api_client.get("/api/v1/places/", {"ordering": ordering})

    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert message.startswith("Cannot order by ")
    assert "Fields: " in message and "name" in message
    assert "\x00" not in message


def test_an_empty_term_of_an_ordering_is_no_term(api_client):
    factories.PlaceFactory()

    assert api_client.get("/api/v1/places/", {"ordering": "name,,"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "previous_offset"),
    [({"limit": 2, "offset": 10}, "offset=4"), ({"limit": 5, "offset": 99}, None)],
)
def test_a_page_past_the_end_leads_back_to_the_last_page(api_client, params, previous_offset):
    factories.PlaceFactory.create_batch(5, country=factories.CountryFactory(code="DE"))

    body = api_client.get("/api/v1/places/", params).json()

    assert (body["results"], body["next"]) == ([], None)
    if previous_offset:
        assert previous_offset in body["previous"]
    else:
        assert "offset" not in body["previous"]


def test_the_limit_is_capped_at_500(api_client):
    factories.PlaceFactory.create_batch(501, country=factories.CountryFactory(code="DE"))

    body = api_client.get("/api/v1/places/", {"limit": 1_000_000}).json()

    assert len(body["results"]) == 500
    assert body["count"] == 501
    assert "offset=500" in body["next"]


def test_the_default_page_is_50_rows(api_client):
    factories.PlaceFactory.create_batch(51, country=factories.CountryFactory(code="DE"))

    body = api_client.get("/api/v1/places/").json()

    assert len(body["results"]) == 50
