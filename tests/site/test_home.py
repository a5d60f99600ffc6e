"""The home page: figures, latest cases, events and the ways in by theme and country."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from benchmarks.models import Indicator, Measurement
from cset.reference.models import Country, Place, Source, Theme
from practices.choices import Status
from practices.models import BestPractice
from tests import factories

HOME_MAX_QUERIES = 12


def figure(html: str, name: str) -> str:
    """The text of the element marked ``data-figure="name"``."""
    match = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no figure {name}"
    return match.group(1)


def block(html: str, name: str) -> str:
    """The markup of the element marked ``data-block="name"`` (up to its closing list)."""
    match = re.search(rf'data-block="{name}".*?</(ul|p)>', html, re.S)
    assert match, f"no block {name}"
    return match.group(0)


@pytest.fixture
def holdings(db):
    germany = Country.objects.create(code="DE", name="Germany", continent="EU")
    source = Source.objects.create(slug="s", title="S", publisher="P", licence="CC BY 4.0")
    muenster = Place.objects.create(
        name="Münster", slug="munster", kind="city", tier="local", country=germany
    )
    indicator = Indicator.objects.create(
        code="population",
        name="Population",
        unit="person",
        direction="context",
        quantity_kind="population",
    )
    for year in (2018, 2021):
        Measurement.objects.create(
            place=muenster,
            indicator=indicator,
            year=year,
            source=source,
            value=300000,
            unit="person",
            value_canonical=300000,
            method="reported",
            verification="third_party_verified",
        )
    BestPractice.objects.create(slug="published", title="Published", status=Status.PUBLISHED)
    for status in (Status.DRAFT, Status.IN_REVIEW, Status.REJECTED, Status.ARCHIVED):
        BestPractice.objects.create(slug=status, title=status, status=status)


def test_home_shows_the_headline_figures(client, holdings):
    response = client.get("/")

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures == {
        "places": 1,
        "practices": 1,
        "indicators": 1,
        "measurements": 2,
        "events": 0,
        "sources": 1,
    }
    html = response.content.decode()
    assert figure(html, "measurements") == "2"
    assert figure(html, "practices") == "1"


def test_home_formats_large_figures(client, db):
    factories.MeasurementFactory.create_batch(2)
    place_count = Place.objects.count()

    html = client.get("/").content.decode()

    assert figure(html, "places") == str(place_count)
    assert figure(html, "measurements") == "2"


def test_home_is_in_the_portal_layout_with_one_h1(client, db):
    html = client.get("/").content.decode()

    assert 'href="#content"' in html and 'id="content"' in html
    assert html.count("<h1") == 1
    assert "launched in 2017" in html
    assert "graduated from the Clean Energy Ministerial in 2021" in html


def test_home_links_to_the_api_and_its_documentation(client, db):
    html = client.get("/").content.decode()

    for name in ("api-root", "api-docs", "api-redoc", "api-schema"):
        assert f'href="{reverse(name)}"' in html


def test_latest_published_cases_newest_first_and_never_unpublished(client, db):
    theme = factories.ThemeFactory(slug="transport")
    place = factories.PlaceFactory(name="Ulaanbaatar")
    cases = factories.PublishedPracticeFactory.create_batch(7, places=[place], themes=[theme])
    # A draft created last would be the newest if the rule were forgotten.
    factories.PracticeFactory(title="Secret draft", places=[place], themes=[theme])
    factories.PracticeFactory(title="Archived case", status=Status.ARCHIVED)

    response = client.get("/")

    newest = sorted(cases, key=lambda case: case.published_at, reverse=True)[:5]
    assert [case.slug for case in response.context["latest_cases"]] == [c.slug for c in newest]
    latest = block(response.content.decode(), "latest-cases")
    for case in newest:
        assert f'href="{reverse("practices:detail", args=[case.slug])}"' in latest
        assert case.title in latest
    assert cases[0].title not in latest
    assert "Ulaanbaatar" in latest
    assert theme.name in latest
    assert "Secret draft" not in response.content.decode()
    assert "Archived case" not in response.content.decode()


def test_no_upcoming_events_says_so_and_shows_the_three_latest_past(client, db):
    factories.EventFactory(title="Oldest", start_date=datetime.date(2016, 3, 1))
    factories.EventFactory(title="Day meeting", start_date=datetime.date(2017, 5, 1))
    factories.EventFactory(
        title="May workshop",
        start_date=datetime.date(2017, 5, 1),
        end_date=datetime.date(2017, 5, 31),
        date_precision="month",
    )
    factories.EventFactory(title="Side event", start_date=datetime.date(2018, 5, 24))

    html = client.get("/").content.decode()

    assert "No upcoming events are listed." in html
    assert 'data-block="upcoming-events"' not in html
    past = block(html, "past-events")
    assert past.index("Side event") < past.index("Day meeting") < past.index("May workshop")
    assert "Oldest" not in past
    # Known only to the month: no invented day.
    assert '<time datetime="2017-05">May 2017</time>' in past


def test_an_upcoming_event_is_listed_as_upcoming(client, db):
    next_year = timezone.localdate().year + 1
    factories.EventFactory(title="Past summit", start_date=datetime.date(2018, 5, 24))
    future = factories.EventFactory(
        title="Next workshop", start_date=datetime.date(next_year, 3, 10)
    )

    html = client.get("/").content.decode()

    assert "No upcoming events are listed." not in html
    upcoming = block(html, "upcoming-events")
    assert "Next workshop" in upcoming
    assert f'href="{reverse("events:detail", args=[future.slug])}"' in upcoming
    assert "Past summit" in block(html, "past-events")


def test_themes_link_to_the_list_with_published_only_counts(client, api_client, db):
    district, lighting = (
        Theme.objects.get(slug="district-energy"),
        Theme.objects.get(slug="public-lighting"),
    )
    factories.PublishedPracticeFactory.create_batch(2, themes=[district, lighting])
    factories.PublishedPracticeFactory(themes=[district])
    factories.PracticeFactory(themes=[district, lighting])
    factories.PracticeFactory(themes=[lighting], status=Status.IN_REVIEW)

    response = client.get("/")

    counts = {theme.slug: theme.practice_count for theme in response.context["themes"]}
    assert set(counts) == set(Theme.objects.values_list("slug", flat=True))
    assert counts["district-energy"] == 3
    assert counts["public-lighting"] == 2
    assert counts["adaptation"] == 0
    for slug, count in counts.items():
        api = api_client.get("/api/v1/practices/", {"theme": slug}).json()
        assert api["count"] == count, slug
    themes = block(response.content.decode(), "themes")
    assert 'href="/practices/?theme=district-energy"' in themes
    assert 'data-count="3">(3 cases)' in themes


def test_countries_with_published_cases_and_places_by_country(client, api_client, db):
    korea = factories.CountryFactory(code="KR", name="South Korea")
    mongolia = factories.CountryFactory(code="MN", name="Mongolia")
    elsewhere = factories.CountryFactory(code="QZ", name="Draftland")
    seoul, busan = factories.PlaceFactory.create_batch(2, country=korea)
    factories.PlaceFactory(country=mongolia)
    # Two places in one country: one case.
    factories.PublishedPracticeFactory(places=[seoul, busan])
    factories.PublishedPracticeFactory(places=[busan])
    factories.PracticeFactory(places=[factories.PlaceFactory(country=elsewhere)])
    factories.PracticeFactory(places=[seoul], status=Status.REJECTED)

    response = client.get("/")

    practice_countries = {c.code: c.practice_count for c in response.context["practice_countries"]}
    assert practice_countries == {"KR": 2}
    assert api_client.get("/api/v1/practices/", {"country": "KR"}).json()["count"] == 2
    html = response.content.decode()
    by_practices = block(html, "practice-countries")
    assert 'href="/practices/?country=KR"' in by_practices
    assert "Draftland" not in by_practices
    by_places = block(html, "place-countries")
    assert 'href="/places/?country=KR"' in by_places
    assert 'href="/places/?country=MN"' in by_places
    assert "(1 place)" in by_places and "(2 places)" in by_places


def populate(rows: int) -> None:
    """``rows`` of every kind the home page shows, each with its relations."""
    themes = list(Theme.objects.all()[:3])
    for n in range(rows):
        country = factories.CountryFactory()
        places = factories.PlaceFactory.create_batch(2, country=country)
        factories.PublishedPracticeFactory(places=places, themes=themes)
        factories.PracticeFactory(places=places, themes=themes)
        factories.EventFactory(venue=places[0])
        factories.EventFactory(
            venue=places[1], start_date=timezone.localdate() + datetime.timedelta(days=10 + n)
        )
        factories.MeasurementFactory(place=places[0])


@pytest.mark.parametrize("rows", [3, 30])
def test_home_needs_a_fixed_number_of_queries(client, db, django_assert_max_num_queries, rows):
    populate(rows)

    with django_assert_max_num_queries(HOME_MAX_QUERIES) as captured:
        response = client.get("/")

    assert response.status_code == 200
    assert len(response.context["latest_cases"]) == min(rows, 5)
    assert len(captured.captured_queries) == HOME_MAX_QUERIES


def test_home_with_the_legacy_fixture_stays_within_the_bound(
    client, holdings, django_assert_max_num_queries
):
    with django_assert_max_num_queries(HOME_MAX_QUERIES):
        client.get("/")
