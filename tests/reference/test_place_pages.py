"""The list of places at /places/: its data, its filters (the API's), pages and bad input."""

import pytest
from django.urls import reverse

from cset.reference.models import Place
from tests import factories

LIST_URL = reverse("places:list")


@pytest.fixture
def atlas(db):
    """Places in two countries, with other names, a parent, networks and commitments."""
    korea = factories.CountryFactory(code="KR", name="South Korea")
    britain = factories.CountryFactory(code="GB", name="United Kingdom")
    covenant = factories.NetworkFactory(slug="covenant-of-mayors", name="Covenant of Mayors")
    eco_towns = factories.NetworkFactory(slug="cset-eco-energy-towns", name="Eco-energy towns")

    seoul = factories.PlaceFactory(
        name="Seoul", slug="seoul", country=korea, population=10_349_312, kind="city"
    )
    factories.PlaceNameFactory(place=seoul, name="서울")
    kent = factories.PlaceFactory(
        name="Kent", slug="kent-gb", country=britain, kind="region", tier="county"
    )
    dover = factories.PlaceFactory(
        name="Dover", slug="dover", country=britain, parent=kent, kind="district", population=None
    )
    factories.PlaceNameFactory(place=dover, name="Douvres")
    manchester = factories.PlaceFactory(
        name="Manchester", slug="manchester", country=britain, population=555_741
    )
    factories.MembershipFactory(network=covenant, place=manchester, commitments=["com2020"])
    factories.MembershipFactory(
        network=covenant, place=dover, commitments=["com2030", "mayors_adapt"]
    )
    # A town that adhered twice is still listed once.
    factories.MembershipFactory(network=covenant, place=dover, commitments=["com2020"])
    factories.MembershipFactory(network=eco_towns, place=seoul, commitments=[])
    return {"seoul": seoul, "kent": kent, "dover": dover, "manchester": manchester}


def listed_slugs(response) -> list[str]:
    return [place.slug for place in response.context["page"].object_list]


def test_the_list_shows_each_place_with_its_facts(client, atlas):
    response = client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert listed_slugs(response) == ["dover", "kent-gb", "manchester", "seoul"]
    assert f'<a href="{reverse("site:place", args=["seoul"])}">Seoul</a>' in html
    assert f'<a href="{reverse("site:place", args=["dover"])}">Dover</a>' in html
    assert f'<a href="{reverse("site:place", args=["kent-gb"])}">Kent</a>' in html
    assert "10,349,312" in html
    assert "555,741" in html
    assert "South Korea" in html and "District" in html
    assert "4 places" in html


def test_an_unknown_population_is_a_dash_not_a_zero(client, atlas):
    html = client.get(LIST_URL, {"q": "dover"}).content.decode()

    row = html[html.index(">Dover</a>") :]
    row = row[: row.index("</tr>")]
    assert "—" in row
    assert ">0<" not in row


def test_the_country_choice_lists_countries_that_have_places_with_counts(client, atlas):
    factories.CountryFactory(code="FR", name="France")

    html = client.get(LIST_URL).content.decode()

    assert '<option value="GB">United Kingdom (3)</option>' in html
    assert '<option value="KR">South Korea (1)</option>' in html
    assert "France" not in html


def test_the_search_finds_a_place_by_any_of_its_names(client, atlas):
    assert listed_slugs(client.get(LIST_URL, {"q": "서울"})) == ["seoul"]
    assert listed_slugs(client.get(LIST_URL, {"q": "DOUVRES"})) == ["dover"]
    assert listed_slugs(client.get(LIST_URL, {"search": "manch"})) == ["manchester"]


@pytest.mark.parametrize(
    "params",
    [
        {"search": "o"},
        {"search": "서울"},
        {"country": "gb"},
        {"kind": "district"},
        {"tier": "county"},
        {"network": "covenant-of-mayors"},
        {"network": "covenant-of-mayors", "commitment": "com2030"},
        {"commitment": "com2020"},
        {"parent": "kent-gb"},
        {"country": "GB", "network": "covenant-of-mayors", "kind": "city"},
        {"country": "FR"},
    ],
)
def test_the_page_finds_what_the_api_finds(client, api_client, atlas, params):
    page = client.get(LIST_URL, params)
    api = api_client.get("/api/v1/places/", {**params, "limit": 500})

    assert page.status_code == 200
    assert api.status_code == 200
    assert listed_slugs(page) == [row["slug"] for row in api.json()["results"]]


def test_q_is_the_search_box_and_the_api_search_filter(client, api_client, atlas):
    page = client.get(LIST_URL, {"q": "kent"})
    api = api_client.get("/api/v1/places/", {"search": "kent"})

    assert listed_slugs(page) == [row["slug"] for row in api.json()["results"]] == ["kent-gb"]


def test_the_commitment_filter_keeps_a_town_that_adhered_twice_once(client, atlas):
    response = client.get(LIST_URL, {"network": "covenant-of-mayors"})

    assert listed_slugs(response) == ["dover", "manchester"]


def test_sorting_by_population_puts_the_largest_first_and_the_unknown_last(client, atlas):
    response = client.get(LIST_URL, {"ordering": "-population"})

    assert listed_slugs(response)[:2] == ["seoul", "manchester"]
    assert listed_slugs(response)[-1] == "dover"


def test_an_unknown_sort_falls_back_to_the_name(client, atlas):
    response = client.get(LIST_URL, {"ordering": "secret_field"})

    assert response.status_code == 200
    assert listed_slugs(response) == ["dover", "kent-gb", "manchester", "seoul"]


def test_no_result_says_so_and_links_to_clear_the_filters(client, atlas):
    response = client.get(LIST_URL, {"q": "atlantis"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "No place matches these filters." in html
    assert f'<a href="{LIST_URL}">Clear all filters</a>' in html


def test_the_parent_filter_names_the_parent(client, atlas):
    html = client.get(LIST_URL, {"parent": "kent-gb"}).content.decode()

    assert "Showing places within" in html
    assert 'name="parent" value="kent-gb"' in html


def test_pages_hold_25_places_and_keep_the_filters(client, db):
    country = factories.CountryFactory(code="DE", name="Germany")
    factories.PlaceFactory.create_batch(30, country=country)

    first = client.get(LIST_URL, {"country": "DE"})
    second = client.get(LIST_URL, {"country": "DE", "page": 2})

    assert len(listed_slugs(first)) == 25
    assert len(listed_slugs(second)) == 5
    assert 'href="?country=DE&amp;page=2"' in first.content.decode()
    assert not set(listed_slugs(first)) & set(listed_slugs(second))


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"page": "0"}, 200),
        ({"page": "-3"}, 200),
        ({"page": "abc"}, 200),
        ({"page": "999999"}, 404),
        ({"page": "9" * 400}, 404),
        # An invalid filter answers 400 with the form's message, as the API does.
        ({"q": "\x00"}, 400),
        ({"q": "x" * 5000}, 400),
        ({"kind": "castle"}, 400),
        ({"commitment": "com1999"}, 400),
        ({"country": "GBR"}, 400),
        ({"network": "n" * 300}, 400),
        ({"country": "\x00"}, 400),
    ],
)
def test_malformed_input_never_fails(client, atlas, params, status):
    response = client.get(LIST_URL, params)

    assert response.status_code == status
    if status == 400:
        assert "These filters could not be used" in response.content.decode()


def test_a_long_search_is_shown_back_shortened_and_without_nul(client, atlas):
    html = client.get(LIST_URL, {"q": "a\x00" * 2500}).content.decode()

    assert "\x00" not in html
    assert "a" * 300 not in html


def _places(count: int) -> None:
    network = factories.NetworkFactory(slug="covenant-of-mayors")
    for _ in range(count):
        country = factories.CountryFactory()
        parent = factories.PlaceFactory(country=country, kind="region", tier="state")
        place = factories.PlaceFactory(country=country, parent=parent)
        factories.PlaceNameFactory(place=place)
        factories.MembershipFactory(network=network, place=place)


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("params", [{}, {"q": "place", "network": "covenant-of-mayors"}])
def test_the_list_needs_the_same_queries_for_3_or_30_places(
    client, db, django_assert_max_num_queries, count, params
):
    _places(count)

    # The count, the page of places (with country and parent), the countries with
    # their counts and the networks; the rest is headroom for session and locale.
    with django_assert_max_num_queries(6):
        response = client.get(LIST_URL, params)

    assert response.status_code == 200
    expected = count if params else Place.objects.count()
    assert response.context["page"].paginator.count == expected
