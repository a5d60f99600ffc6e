"""Only published cases exist in the API: lists, details, search, filters and counts."""

import pytest

from practices.choices import Status
from tests import factories

pytestmark = pytest.mark.django_db

HIDDEN_STATES = [state for state in Status.values if state != Status.PUBLISHED]


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_a_case_not_published_exists_nowhere(api_client, state):
    theme = factories.ThemeFactory(slug="district-energy")
    place = factories.PlaceFactory(slug="muenster", country=factories.CountryFactory(code="DE"))
    hidden = factories.PracticeFactory(
        status=state, title="Hidden heat network", places=[place], themes=[theme]
    )
    event = factories.EventFactory(practices=[hidden])
    shown = factories.PublishedPracticeFactory(title="Shown heat network", places=[place])

    listed = api_client.get("/api/v1/practices/").json()
    searched = api_client.get("/api/v1/practices/", {"search": "heat network"}).json()
    by_place = api_client.get("/api/v1/practices/", {"place": "muenster", "country": "DE"}).json()
    by_theme = api_client.get("/api/v1/practices/", {"theme": "district-energy"}).json()
    detail = api_client.get(f"/api/v1/practices/{hidden.slug}/")
    event_detail = api_client.get(f"/api/v1/events/{event.slug}/").json()

    assert [row["slug"] for row in listed["results"]] == [shown.slug]
    assert listed["count"] == 1
    assert [row["slug"] for row in searched["results"]] == [shown.slug]
    assert by_place["count"] == 1
    assert by_theme["count"] == 0
    assert detail.status_code == 404
    assert event_detail["practices"] == []


def test_a_published_case_has_its_detail(api_client):
    practice = factories.PublishedPracticeFactory()

    response = api_client.get(f"/api/v1/practices/{practice.slug}/")

    assert response.status_code == 200
    assert response.json()["title"] == practice.title


def test_a_case_with_two_matching_themes_is_listed_once(api_client):
    energy = factories.ThemeFactory(slug="district-energy")
    lighting = factories.ThemeFactory(slug="public-lighting")
    both = factories.PublishedPracticeFactory(themes=[energy, lighting])
    one = factories.PublishedPracticeFactory(themes=[lighting])
    factories.PublishedPracticeFactory(themes=[factories.ThemeFactory(slug="transport")])

    response = api_client.get(
        "/api/v1/practices/", {"theme": ["district-energy", "public-lighting"]}
    )

    body = response.json()
    assert body["count"] == 2
    assert sorted(row["slug"] for row in body["results"]) == sorted([both.slug, one.slug])


def test_a_case_with_two_places_in_the_country_is_listed_once(api_client):
    germany = factories.CountryFactory(code="DE")
    places = factories.PlaceFactory.create_batch(2, country=germany)
    practice = factories.PublishedPracticeFactory(places=places)

    body = api_client.get("/api/v1/practices/", {"country": "de"}).json()

    assert body["count"] == 1
    assert body["results"][0]["slug"] == practice.slug


def test_an_unknown_theme_is_a_bad_request_naming_the_field(api_client):
    response = api_client.get("/api/v1/practices/", {"theme": "no-such-theme"})

    assert response.status_code == 400
    assert "theme" in response.json()


def test_filters_by_place_id_organisation_language_implementation(api_client):
    place = factories.PlaceFactory()
    organisation = factories.OrganisationFactory(slug="energy-agency")
    wanted = factories.PublishedPracticeFactory(
        places=[place], organisations=[organisation], language="ko", implementation="completed"
    )
    factories.PublishedPracticeFactory(language="en", implementation="planned")

    for params in (
        {"place_id": place.pk},
        {"organisation": "energy-agency"},
        {"organisation_id": organisation.pk},
        {"language": "ko"},
        {"implementation": "completed"},
    ):
        body = api_client.get("/api/v1/practices/", params).json()
        assert [row["slug"] for row in body["results"]] == [wanted.slug], params


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2009, []), (2010, ["closed", "open"]), (2014, ["open"]), (2030, ["open"])],
)
def test_year_lists_the_cases_running_that_year(api_client, year, expected):
    factories.PublishedPracticeFactory(slug="closed", start_year=2010, end_year=2012)
    factories.PublishedPracticeFactory(slug="open", start_year=2010, end_year=None)
    factories.PublishedPracticeFactory(slug="undated", start_year=None, end_year=None)

    body = api_client.get("/api/v1/practices/", {"year": year, "ordering": "title"}).json()

    assert sorted(row["slug"] for row in body["results"]) == expected


def test_detail_shows_every_section_and_never_the_submitter(api_client, django_user_model):
    submitter = django_user_model.objects.create_user("submitter", "sub@example.org", "x")
    source = factories.SourceFactory()
    practice = factories.PublishedPracticeFactory(
        submitted_by=submitter, source=source, attribution="From the register, CC BY 4.0"
    )
    factories.ImpactFactory(practice=practice, indicator=factories.IndicatorFactory(code="fec"))
    factories.ProgressUpdateFactory(practice=practice)
    factories.PracticeLinkFactory(practice=practice)

    body = api_client.get(f"/api/v1/practices/{practice.slug}/").json()

    for section in ("summary", "context", "actions", "results", "costs", "lessons"):
        assert section in body
    assert body["impacts"][0]["indicator"]["code"] == "fec"
    assert body["progress_updates"][0]["assessment"] == "on_track"
    assert body["links"][0]["url"].startswith("https://")
    assert body["source"]["id"] == source.pk
    assert body["attribution"] == "From the register, CC BY 4.0"
    assert body["licence"] == "CC-BY-4.0"
    assert "submitted_by" not in body
    assert "submitter" not in str(body)
    assert "status" not in body


def test_contact_is_shown_only_when_public(api_client):
    private = factories.PublishedPracticeFactory(contact_is_public=False)
    public = factories.PublishedPracticeFactory(
        contact_is_public=True, contact_name="Min-jun Kim", contact_email="kim@example.kr"
    )

    private_body = api_client.get(f"/api/v1/practices/{private.slug}/").json()
    public_body = api_client.get(f"/api/v1/practices/{public.slug}/").json()

    assert private_body["contact"] is None
    assert "jo@example.org" not in str(private_body)
    assert public_body["contact"] == {"name": "Min-jun Kim", "email": "kim@example.kr"}


def test_lists_never_show_contacts(api_client):
    factories.PublishedPracticeFactory(contact_is_public=True)

    body = api_client.get("/api/v1/practices/").json()

    assert "jo@example.org" not in str(body)


def test_an_empty_filter_parameter_is_no_filter(api_client):
    from tests.factories import PublishedPracticeFactory

    PublishedPracticeFactory.create_batch(2)

    for query in ("theme=", "theme=&country=", "language=%20", "year="):
        response = api_client.get(f"/api/v1/practices/?{query}")
        assert response.status_code == 200, query
        assert response.json()["count"] == 2, query
