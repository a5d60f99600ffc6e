"""The event pages: upcoming and past events, and one event at its date precision."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from events.choices import DatePrecision, EventKind
from events.templatetags.event_dates import event_dates, event_times
from tests import factories

LIST = reverse("events:list")


def detail(slug: str) -> str:
    return reverse("events:detail", args=[slug])


def listed_slugs(response) -> list[str]:
    upcoming = list(response.context["upcoming"] or [])
    past = list(response.context["past"] or [])
    return [event.slug for event in upcoming + past]


@pytest.fixture
def initiative_events(db):
    """The initiative's three historical events, as the real data holds them."""
    korea = factories.CountryFactory(code="KR", name="South Korea")
    russia = factories.CountryFactory(code="RU", name="Russian Federation")
    denmark = factories.CountryFactory(code="DK", name="Denmark")
    seoul = factories.PlaceFactory(name="Seoul", slug="seoul", country=korea, timezone="Asia/Seoul")
    moscow = factories.PlaceFactory(name="Moscow", slug="moscow", country=russia)
    copenhagen = factories.PlaceFactory(name="Copenhagen", slug="copenhagen", country=denmark)
    return {
        "workshop": factories.EventFactory(
            slug="1st-eco-energy-town-workshop",
            title="1st Eco-energy Town Workshop",
            kind=EventKind.WORKSHOP,
            start_date=datetime.date(2017, 5, 1),
            end_date=datetime.date(2017, 5, 31),
            date_precision=DatePrecision.MONTH,
            timezone="Asia/Seoul",
            venue=seoul,
            venue_name="Seoul",
            description="Experts shared eco-energy town practices.",
            organisers=[factories.OrganisationFactory(name="Republic of Korea")],
        ),
        "summit": factories.EventFactory(
            slug="summit-of-mayors",
            title="Second International Summit of Mayors",
            kind=EventKind.SUMMIT,
            start_date=datetime.date(2017, 10, 1),
            end_date=datetime.date(2017, 10, 31),
            date_precision=DatePrecision.MONTH,
            venue=moscow,
        ),
        "side_event": factories.EventFactory(
            slug="cem9-side-event",
            title="High-level side event at CEM9",
            kind=EventKind.SIDE_EVENT,
            start_date=datetime.date(2018, 5, 24),
            end_date=datetime.date(2018, 5, 24),
            venue=copenhagen,
            timezone="Europe/Copenhagen",
        ),
    }


# Dates at their precision


@pytest.mark.parametrize(
    ("precision", "start", "end", "text"),
    [
        ("month", (2017, 5, 1), (2017, 5, 31), "May 2017"),
        ("month", (2017, 11, 1), (2018, 1, 31), "November 2017–January 2018"),
        ("month", (2017, 5, 1), (2017, 6, 30), "May–June 2017"),
        ("day", (2018, 5, 24), (2018, 5, 24), "24 May 2018"),
        ("day", (2019, 6, 1), (2019, 6, 3), "1–3 June 2019"),
        ("day", (2019, 5, 30), (2019, 6, 2), "30 May–2 June 2019"),
        ("day", (2019, 12, 30), (2020, 1, 2), "30 December 2019–2 January 2020"),
        ("year", (2019, 1, 1), (2019, 12, 31), "2019"),
        ("year", (2019, 1, 1), (2020, 12, 31), "2019–2020"),
    ],
)
def test_event_dates_at_their_precision(precision, start, end, text):
    event = factories.EventFactory.build(
        date_precision=precision, start_date=datetime.date(*start), end_date=datetime.date(*end)
    )

    with translation.override("en"):
        assert event_dates(event) == text


def test_event_dates_use_the_languages_month_names():
    event = factories.EventFactory.build(
        date_precision="month",
        start_date=datetime.date(2017, 5, 1),
        end_date=datetime.date(2017, 5, 31),
    )

    with translation.override("ko"):
        assert event_dates(event) == "2017년 5월"
    with translation.override("ru"):
        assert "2017" in event_dates(event) and "May" not in event_dates(event)


def test_event_times_are_shown_in_the_events_time_zone():
    event = factories.EventFactory.build(
        start_date=datetime.date(2018, 5, 24),
        end_date=datetime.date(2018, 5, 24),
        starts_at=datetime.datetime(2018, 5, 24, 12, 0, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2018, 5, 24, 14, 30, tzinfo=datetime.UTC),
        timezone="Europe/Copenhagen",
        venue=None,
    )

    with translation.override("en"):
        assert event_times(event) == "14:00–16:30 (CEST, time zone Europe/Copenhagen)"


def test_event_times_fall_back_to_the_venues_zone_then_utc():
    venue = factories.PlaceFactory.build(timezone="Asia/Seoul")
    starts = datetime.datetime(2017, 5, 10, 0, 30, tzinfo=datetime.UTC)
    event = factories.EventFactory.build(starts_at=starts, timezone="", venue=venue)
    assert event_times(event).startswith("09:30 (KST, time zone Asia/Seoul)")

    event = factories.EventFactory.build(starts_at=starts, timezone="Not/AZone", venue=None)
    assert event_times(event).endswith("time zone UTC)")


# The list


def test_list_says_honestly_that_nothing_is_upcoming_and_shows_past_events(
    client, initiative_events
):
    response = client.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "No upcoming events are listed." in html
    assert listed_slugs(response) == [
        "cem9-side-event",
        "summit-of-mayors",
        "1st-eco-energy-town-workshop",
    ]
    assert '<time datetime="2017-05" class="ms-1">May 2017</time>' in html
    assert '<time datetime="2018-05-24" class="ms-1">24 May 2018</time>' in html
    assert "October 2017" in html
    assert "1 May" not in html and "30 April" not in html and "31 May" not in html
    assert "Seoul, South Korea" in html and "Side event" in html
    assert f'href="{detail("cem9-side-event")}"' in html


def test_list_shows_upcoming_events_soonest_first_above_past_ones(client, initiative_events):
    today = timezone.localdate()
    later = factories.EventFactory(slug="later", start_date=today + datetime.timedelta(days=60))
    sooner = factories.EventFactory(
        slug="sooner",
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=1),
    )

    response = client.get(LIST)

    assert [event.slug for event in response.context["upcoming"]] == [sooner.slug, later.slug]
    assert "No upcoming events are listed." not in response.content.decode()
    assert "later" not in [event.slug for event in response.context["past"]]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "summit"},
        {"kind": "workshop", "year": "2017"},
        {"year": "2018"},
        {"year": "2016"},
        {"q": "SUMMIT"},
        {"q": "eco energy"},
        {"country": "kr"},
        {"upcoming": "false"},
        {"upcoming": "true"},
    ],
)
def test_list_filters_match_the_api(client, api_client, initiative_events, params):
    factories.EventFactory(slug="future", start_date=timezone.localdate() + datetime.timedelta(9))
    page = client.get(LIST, params)
    api_params = {("search" if k == "q" else k): v for k, v in params.items()}
    api = api_client.get("/api/v1/events/", api_params).json()

    assert sorted(listed_slugs(page)) == sorted(row["slug"] for row in api["results"])


def test_list_says_when_no_event_matches(client, initiative_events):
    html = client.get(LIST, {"kind": "webinar"}).content.decode()

    assert "No event matches these filters." in html
    assert f'<a href="{LIST}">Clear the filters</a>' in html


def test_list_paginates_past_events(client, db):
    for n in range(30):
        factories.EventFactory(start_date=datetime.date(2010, 1, 1) + datetime.timedelta(n))

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(first.context["past"]) == 25 and len(second.context["past"]) == 5
    assert second.context["upcoming"] is None
    assert not set(listed_slugs(first)) & set(listed_slugs(second))


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"page": "0"}, 200),
        ({"page": "abc"}, 200),
        ({"page": "999999"}, 404),
        ({"q": "\x00"}, 200),
        ({"q": "x" * 5000}, 200),
        ({"kind": "bogus"}, 200),
        ({"year": "abc"}, 200),
        ({"year": "99999"}, 200),
    ],
)
def test_list_never_fails(client, initiative_events, params, status):
    response = client.get(LIST, params)

    assert response.status_code == status
    if status == 200 and "page" not in params:
        # An invalid filter is ignored and the page says so (an inline error, not a 400).
        assert "could not be applied" in response.content.decode()


def test_list_leaves_out_an_unknown_upcoming_value_and_says_so(client, initiative_events):
    # As for any other invalid filter here; the API answers 400 naming the parameter.
    response = client.get(LIST, {"upcoming": "maybe"})

    assert response.status_code == 200
    assert len(listed_slugs(response)) == 3
    assert "could not be applied" in response.content.decode()
    assert "Choose true or false." in response.content.decode()


def test_list_queries_do_not_grow_with_events(client, db, django_assert_max_num_queries):
    def add(count: int) -> None:
        for _ in range(count):
            factories.EventFactory(organisers=[factories.OrganisationFactory()])
            factories.EventFactory(start_date=timezone.localdate() + datetime.timedelta(5))

    add(3)
    # years, past count, past rows, upcoming rows.
    with django_assert_max_num_queries(4) as few:
        client.get(LIST)
    add(12)
    with django_assert_max_num_queries(4) as many:
        response = client.get(LIST)

    assert len(response.context["past"]) == 15 and len(response.context["upcoming"]) == 15
    assert len(few.captured_queries) == len(many.captured_queries)


# The detail page


def test_detail_shows_the_event(client, initiative_events):
    response = client.get(detail("1st-eco-energy-town-workshop"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>1st Eco-energy Town Workshop</h1>" in html
    assert '<dd class="col-sm-9" data-field="kind">Workshop</dd>' in html
    assert '<time datetime="2017-05">May 2017</time>' in html
    assert "1 May" not in html and "30 April" not in html
    assert f'<a href="{reverse("site:place", args=["seoul"])}">Seoul</a>, South Korea' in html
    assert "Republic of Korea" in html
    assert "Experts shared eco-energy town practices." in html


def test_detail_shows_times_in_the_venues_zone(client, initiative_events):
    event = initiative_events["side_event"]
    event.starts_at = datetime.datetime(2018, 5, 24, 7, 0, tzinfo=datetime.UTC)
    event.ends_at = datetime.datetime(2018, 5, 24, 9, 0, tzinfo=datetime.UTC)
    event.agenda = "Opening\nPanel"
    event.save()

    html = client.get(detail("cem9-side-event")).content.decode()

    assert "24 May 2018" in html
    assert "09:00–11:00 (CEST, time zone Europe/Copenhagen)" in html
    assert "Opening<br>Panel" in html


def test_detail_of_an_online_event_links_to_it(client, db):
    factories.EventFactory(
        slug="webinar", venue=None, venue_name="", online_url="https://example.org/webinar"
    )

    html = client.get(detail("webinar")).content.decode()

    assert '<a href="https://example.org/webinar">Online</a>' in html


def test_detail_lists_only_published_related_cases(client, initiative_events):
    published = factories.PublishedPracticeFactory(title="Published case")
    hidden = [
        factories.PracticeFactory(title=f"Hidden {status}", status=status)
        for status in (
            "draft",
            "submitted",
            "in_review",
            "changes_requested",
            "rejected",
            "archived",
        )
    ]
    event = initiative_events["workshop"]
    event.practices.set([published, *hidden])

    response = client.get(detail(event.slug))

    html = response.content.decode()
    assert f'href="{reverse("practices:detail", args=[published.slug])}"' in html
    assert "Hidden" not in html
    assert [p.slug for p in response.context["event"].practices.all()] == [published.slug]


def test_detail_of_an_unknown_event_is_404(client, db):
    assert client.get(detail("no-such-event")).status_code == 404


def test_detail_queries_do_not_grow_with_related_rows(client, db, django_assert_max_num_queries):
    event = factories.EventFactory(slug="busy")

    def relate(count: int) -> None:
        event.organisers.add(*[factories.OrganisationFactory() for _ in range(count)])
        event.practices.add(*[factories.PublishedPracticeFactory() for _ in range(count)])

    relate(2)
    # event with venue, country and source; organisers; practices.
    with django_assert_max_num_queries(3) as few:
        client.get(detail("busy"))
    relate(20)
    with django_assert_max_num_queries(3) as many:
        response = client.get(detail("busy"))

    assert len(response.context["event"].practices.all()) == 22
    assert len(few.captured_queries) == len(many.captured_queries)
