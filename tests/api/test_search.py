"""Search compares folded names, in every script, on SQLite and PostgreSQL alike."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_a_cyrillic_name_finds_the_place_known_by_another_name(api_client):
    ulan_bator = factories.PlaceFactory(name="Ulan Bator", slug="ulan-bator")
    factories.PlaceNameFactory(place=ulan_bator, name="Улаанбаатар")
    factories.PlaceFactory(name="Ulan-Ude", slug="ulan-ude")

    found = api_client.get("/api/v1/places/", {"search": "улаанбаатар"})

    assert slugs(found) == ["ulan-bator"]


def test_text_without_accents_finds_an_accented_name(api_client):
    factories.PlaceFactory(name="São Paulo", slug="sao-paulo")
    factories.PlaceFactory(name="Paris", slug="paris")

    assert slugs(api_client.get("/api/v1/places/", {"search": "sao paulo"})) == ["sao-paulo"]
    assert slugs(api_client.get("/api/v1/places/", {"search": "SÃO PAU"})) == ["sao-paulo"]


def test_a_place_with_two_matching_names_is_listed_once(api_client):
    seoul = factories.PlaceFactory(name="Seoul", slug="seoul")
    factories.PlaceNameFactory(place=seoul, name="Seoul Special City")
    factories.PlaceNameFactory(place=seoul, name="Seoul-si")

    body = api_client.get("/api/v1/places/", {"search": "seoul"}).json()

    assert body["count"] == 1


def test_practices_events_and_organisations_search_folded_titles(api_client):
    factories.PublishedPracticeFactory(slug="fernwaerme", title="Fernwärme in Münster")
    factories.EventFactory(slug="cite", title="Journée des villes à énergie positive")
    factories.OrganisationFactory(slug="agence", name="Agence de l'Énergie")

    assert slugs(api_client.get("/api/v1/practices/", {"search": "munster"})) == ["fernwaerme"]
    assert slugs(api_client.get("/api/v1/events/", {"search": "ENERGIE"})) == ["cite"]
    assert slugs(api_client.get("/api/v1/organisations/", {"search": "energie"})) == ["agence"]


def test_indicators_are_searched_by_name_and_code(api_client):
    factories.IndicatorFactory(code="final-energy-per-capita", name="Final energy per capita")
    factories.IndicatorFactory(code="street-lights", name="Street lights")

    by_name = api_client.get("/api/v1/indicators/", {"search": "energy per"}).json()
    by_code = api_client.get("/api/v1/indicators/", {"search": "street-lights"}).json()

    assert [row["code"] for row in by_name["results"]] == ["final-energy-per-capita"]
    assert [row["code"] for row in by_code["results"]] == ["street-lights"]


@pytest.mark.parametrize("blank", [" ", "   ", "\u00a0\u200b"])
def test_a_search_of_only_spaces_applies_no_filter(api_client, blank):
    factories.PlaceFactory.create_batch(3)

    body = api_client.get("/api/v1/places/", {"search": blank}).json()

    assert body["count"] == 3


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/places/",
        "/api/v1/practices/",
        "/api/v1/events/",
        "/api/v1/organisations/",
        "/api/v1/indicators/",
        "/api/v1/countries/",
    ],
)
def test_a_nul_byte_is_refused_before_the_database(api_client, address):
    factories.PlaceFactory()

    for text in ("\x00", "sao\x00paulo"):
        response = api_client.get(address, {"search": text})
        assert response.status_code == 400, response.content
        assert "search" in response.json()


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/places/",
        "/api/v1/practices/",
        "/api/v1/events/",
        "/api/v1/organisations/",
        "/api/v1/indicators/",
        "/api/v1/countries/",
    ],
)
def test_a_5000_character_search_is_a_bad_request_naming_the_field(api_client, address):
    response = api_client.get(address, {"search": "a" * 5000})

    assert response.status_code == 400
    assert "200" in response.json()["search"][0]


def test_a_nul_byte_in_a_slug_filter_is_refused(api_client):
    for address, params in [
        ("/api/v1/practices/", {"place": "a\x00b"}),
        ("/api/v1/places/", {"network": "\x00"}),
        ("/api/v1/measurements/", {"indicator": "\x00"}),
    ]:
        response = api_client.get(address, params)
        assert response.status_code == 400, (address, params)


def test_indicator_search_ignores_accents_and_case_beyond_ascii(api_client, db):
    from tests.factories import IndicatorFactory

    IndicatorFactory(code="de-co2-heat", name="CO2 aus Wärme")
    IndicatorFactory(code="other", name="Something else")

    response = api_client.get("/api/v1/indicators/", {"search": "WARME"})

    assert [row["code"] for row in response.json()["results"]] == ["de-co2-heat"]
