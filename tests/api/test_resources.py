"""Addresses, Unicode slugs, filters and representations of each resource."""

import datetime

import pytest
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db

RESOURCES = [
    "places",
    "practices",
    "indicators",
    "measurements",
    "events",
    "organisations",
    "themes",
    "sources",
    "countries",
]


def test_the_root_lists_every_resource_with_absolute_addresses(api_client):
    response = api_client.get("/api/v1/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert sorted(body) == sorted([*RESOURCES, "benchmarks"])
    for name in RESOURCES:
        assert body[name] == f"http://testserver/api/v1/{name}/"
        assert api_client.get(body[name]).status_code == 200
    # The comparison is no list: it asks which indicator to compare.
    assert body["benchmarks"] == "http://testserver/api/v1/benchmarks/"
    assert "indicator" in api_client.get(body["benchmarks"]).json()


@pytest.mark.parametrize("slug", ["서울", "москва", "são-paulo"])
def test_a_place_is_found_by_its_unicode_slug(api_client, slug):
    place = factories.PlaceFactory(slug=slug)

    response = api_client.get(f"/api/v1/places/{slug}/")

    assert response.status_code == 200
    assert response.json()["id"] == place.pk
    assert api_client.get(response.json()["url"]).status_code == 200


def test_practices_events_and_organisations_take_unicode_slugs(api_client):
    factories.PublishedPracticeFactory(slug="서울-지역난방")
    factories.EventFactory(slug="форум-москва")
    factories.OrganisationFactory(slug="서울시")

    assert api_client.get("/api/v1/practices/서울-지역난방/").status_code == 200
    assert api_client.get("/api/v1/events/форум-москва/").status_code == 200
    assert api_client.get("/api/v1/organisations/서울시/").status_code == 200


def test_details_by_code_and_by_id(api_client):
    measurement = factories.MeasurementFactory(indicator=factories.IndicatorFactory(code="fec"))
    factories.CountryFactory(code="KR", name="Korea")

    assert api_client.get("/api/v1/indicators/fec/").json()["code"] == "fec"
    assert api_client.get(f"/api/v1/measurements/{measurement.pk}/").status_code == 200
    source_id = measurement.source_id
    assert api_client.get(f"/api/v1/sources/{source_id}/").json()["id"] == source_id
    assert api_client.get("/api/v1/countries/KR/").json()["name"] == "Korea"
    assert api_client.get("/api/v1/themes/district-energy/").status_code == 200
    assert api_client.get("/api/v1/measurements/abc/").status_code == 404
    assert api_client.get("/api/v1/places/no-such-place/").status_code == 404


def test_the_api_is_read_only(api_client):
    place = factories.PlaceFactory()

    assert api_client.post("/api/v1/places/", {"name": "New"}).status_code == 405
    assert api_client.delete(f"/api/v1/places/{place.slug}/").status_code == 405


def test_place_detail_embeds_names_identifiers_and_memberships(api_client):
    germany = factories.CountryFactory(code="DE", name="Germany")
    nrw = factories.PlaceFactory(slug="nordrhein-westfalen", country=germany)
    muenster = factories.PlaceFactory(slug="muenster", name="Münster", country=germany, parent=nrw)
    factories.PlaceNameFactory(place=muenster, name="Muenster")
    factories.PlaceIdentifierFactory(place=muenster, scheme="de-ags", value="05515000")
    factories.MembershipFactory(
        place=muenster, network=factories.NetworkFactory(slug="covenant-of-mayors")
    )

    body = api_client.get("/api/v1/places/muenster/").json()

    assert body["country"] == {
        "code": "DE",
        "url": "http://testserver/api/v1/countries/DE/",
        "name": "Germany",
    }
    assert body["parent"]["slug"] == "nordrhein-westfalen"
    assert set(body["parent"]) == {"id", "slug", "url", "name"}
    assert body["names"] == [{"name": "Muenster", "kind": "alternative"}]
    assert body["identifiers"] == [{"scheme": "de-ags", "value": "05515000"}]
    assert body["memberships"][0]["network"]["slug"] == "covenant-of-mayors"
    assert api_client.get("/api/v1/places/nordrhein-westfalen/").json()["children_count"] == 1


def test_place_filters(api_client):
    germany = factories.CountryFactory(code="DE")
    nrw = factories.PlaceFactory(
        slug="nrw", country=germany, kind="region", tier="state", subdivision_code="DE-NW"
    )
    muenster = factories.PlaceFactory(
        slug="muenster", country=germany, parent=nrw, subdivision_code="DE-NW"
    )
    factories.MembershipFactory(place=muenster, network=factories.NetworkFactory(slug="com"))
    factories.MembershipFactory(place=muenster, network=factories.NetworkFactory(slug="com"))
    factories.PlaceFactory(slug="nowhere", latitude=None, longitude=None)

    def found(**params):
        body = api_client.get("/api/v1/places/", params).json()
        return sorted(row["slug"] for row in body["results"])

    assert found(country="de") == ["muenster", "nrw"]
    assert found(kind="region") == ["nrw"]
    assert found(tier="state") == ["nrw"]
    assert found(parent="nrw") == ["muenster"]
    assert found(parent_id=nrw.pk) == ["muenster"]
    assert found(subdivision="de-nw") == ["muenster", "nrw"]
    assert found(network="com") == ["muenster"]
    assert found(has_coordinates="false") == ["nowhere"]
    assert "nowhere" not in found(has_coordinates="true")
    assert api_client.get("/api/v1/places/", {"kind": "planet"}).status_code == 400
    assert api_client.get("/api/v1/places/", {"parent_id": "x"}).status_code == 400
    assert api_client.get("/api/v1/places/", {"parent_id": 10**30}).status_code == 400


def test_measurement_filters(api_client):
    place = factories.PlaceFactory(slug="seoul")
    indicator = factories.IndicatorFactory(code="fec")
    source = factories.SourceFactory()
    for year in (2015, 2018, 2021):
        factories.MeasurementFactory(place=place, indicator=indicator, year=year, source=source)
    missing = factories.MeasurementFactory(
        place=place, indicator=indicator, year=2022, source=source, missing=True
    )
    factories.MeasurementFactory(year=2018, method="metered", verification="third_party_verified")

    def years(**params):
        body = api_client.get("/api/v1/measurements/", params).json()
        return [row["year"] for row in body["results"]]

    assert years(place="seoul") == [2015, 2018, 2021, 2022]
    assert years(place_id=place.pk, year_min=2016, year_max=2021) == [2018, 2021]
    assert years(indicator="fec", year=2018) == [2018]
    assert years(source=source.pk, has_value="false") == [2022]
    assert years(notation="NR") == [2022]
    assert years(method="metered") == [2018]
    assert years(verification="third_party_verified") == [2018]
    assert len(years(has_value="true")) == 4
    body = api_client.get(f"/api/v1/measurements/{missing.pk}/").json()
    assert body["value"] is None
    assert body["notation"] == "NR"


def test_indicator_filters(api_client):
    factories.IndicatorFactory(
        code="co2", theme=factories.ThemeFactory(slug="transport"), quantity_kind="emissions"
    )
    factories.IndicatorFactory(
        code="res-share", direction="higher_is_better", quantity_kind="share"
    )

    def codes(**params):
        return [
            row["code"] for row in api_client.get("/api/v1/indicators/", params).json()["results"]
        ]

    assert codes(theme="transport") == ["co2"]
    assert codes(quantity_kind="share") == ["res-share"]
    assert codes(direction="higher_is_better") == ["res-share"]


def test_event_filters(api_client):
    korea = factories.CountryFactory(code="KR")
    today = timezone.localdate()
    factories.EventFactory(
        slug="past",
        kind="summit",
        start_date=datetime.date(2016, 6, 1),
        end_date=datetime.date(2016, 6, 2),
        venue=factories.PlaceFactory(country=korea),
    )
    factories.EventFactory(
        slug="coming",
        kind="webinar",
        start_date=today + datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=30),
        venue=None,
        online_url="https://example.org/webinar",
    )

    def found(**params):
        return [row["slug"] for row in api_client.get("/api/v1/events/", params).json()["results"]]

    assert found(kind="summit") == ["past"]
    assert found(country="KR") == ["past"]
    assert found(year=2016) == ["past"]
    assert found(upcoming="true") == ["coming"]
    assert found(upcoming="false") == ["past"]
    assert found() == ["coming", "past"]


def test_organisation_filters(api_client):
    korea = factories.CountryFactory(code="KR")
    factories.OrganisationFactory(slug="kemco", kind="agency", country=korea)
    factories.OrganisationFactory(slug="iclei", kind="network", country=None)

    def found(**params):
        body = api_client.get("/api/v1/organisations/", params).json()
        return [row["slug"] for row in body["results"]]

    assert found(country="KR") == ["kemco"]
    assert found(kind="network") == ["iclei"]


def test_two_places_with_the_same_name_get_different_working_addresses(api_client):
    from cset.reference.loaders.geonames import load_geonames
    from cset.reference.loading import DATA_DIR
    from tests.loaders.test_geonames import cities_dict, fake_city

    load_geonames(
        DATA_DIR,
        {},
        cities=cities_dict(
            fake_city(4409896, "Springfield", "US", 169_176, 37.21, -93.29),
            fake_city(4250542, "Springfield", "US", 114_394, 39.80, -89.64),
        ),
    )

    addresses = {}
    for slug in ("springfield", "springfield-us"):
        response = api_client.get(f"/api/v1/places/{slug}/")
        assert response.status_code == 200
        identifiers = {row["scheme"]: row["value"] for row in response.json()["identifiers"]}
        addresses[slug] = identifiers["geonames"]
    # The larger place gets the bare name.
    assert addresses == {"springfield": "4409896", "springfield-us": "4250542"}


@pytest.mark.parametrize(
    ("address", "parameter"),
    [
        ("/api/v1/places/", "has_coordinates"),
        ("/api/v1/events/", "upcoming"),
        ("/api/v1/indicators/", "has_values"),
        ("/api/v1/measurements/", "has_value"),
    ],
)
@pytest.mark.parametrize("value", ["maybe", "2x", "tru", "\x00", "да"])
def test_a_yes_or_no_parameter_refuses_anything_else_by_name(api_client, address, parameter, value):
    response = api_client.get(address, {parameter: value})

    assert response.status_code == 400
    assert response.json()[parameter] == ["Choose true or false."]


@pytest.mark.parametrize("value", ["TRUE", " true ", "1", "yes", "False", "0", "no"])
def test_a_yes_or_no_parameter_takes_the_usual_spellings(api_client, value):
    assert api_client.get("/api/v1/places/", {"has_coordinates": value}).status_code == 200


@pytest.mark.parametrize(
    ("address", "parameter", "status"),
    [
        ("/places/", "has_coordinates", 400),
        # These lists leave an invalid filter out and say so, as for their other filters.
        ("/events/", "upcoming", 200),
        ("/indicators/", "has_values", 200),
    ],
)
def test_the_pages_show_the_message_by_the_field(client, db, address, parameter, status):
    response = client.get(address, {parameter: "maybe"})

    assert response.status_code == status
    assert "Choose true or false." in response.content.decode()
