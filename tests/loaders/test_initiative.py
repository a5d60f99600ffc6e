"""The initiative's events and activities (data/LOADING.md, step 9).

``data/initiative_events.csv`` and ``data/initiative_activities.csv`` are the
whole real files (3 and 5 rows); the ``*_bad.csv`` excerpts are real rows with
one fault each.
"""

import datetime
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cset.reference.choices import (
    ActivityKind,
    ActivityStatus,
    NameKind,
    OrganisationKind,
    PlaceKind,
    PlaceTier,
)
from cset.reference.loading import DATA_DIR, ensure_source, source_catalogue
from cset.reference.models import Activity, Country, Network, Organisation, Place, PlaceName
from events.choices import DatePrecision, EventKind
from events.loaders.initiative import (
    ACTIVITIES_FILE,
    EVENTS_FILE,
    NETWORK_SLUG,
    SOURCE,
    load_initiative,
)
from events.models import Event

EXCERPTS = Path(__file__).parent / "data"
WORKSHOP = "1st Eco-energy Town Workshop"
SUMMIT = (
    "Second International Summit of Mayors on energy efficiency and sustainable development "
    "of cities"
)
SIDE_EVENT = "High-level side event of the initiative at the ninth Clean Energy Ministerial (CEM9)"
MONGOLIA = "Eco-energy Town projects in Mongolia"
BENCHMARKING = "Benchmarking analysis of best practices in implementing higher standards in cities"
SOUTHEAST_ASIA = "Joint study on expanding the Eco-energy Town model in Southeast Asia"
UNEP = "United Nations Environment Programme (UNEP)"


@pytest.fixture
def sources(db):
    return {SOURCE: ensure_source(SOURCE, source_catalogue(DATA_DIR)[SOURCE])}


@pytest.fixture
def countries(db) -> dict[str, Country]:
    rows = [
        ("KR", "South Korea", "AS"),
        ("RU", "Russia", "EU"),
        ("DK", "Denmark", "EU"),
        ("MN", "Mongolia", "AS"),
        ("ET", "Ethiopia", "AF"),
        ("ID", "Indonesia", "AS"),
    ]
    return {
        code: Country.objects.create(code=code, name=name, continent=continent)
        for code, name, continent in rows
    }


def make_place(country: Country, name: str, population: int, zone: str, **fields) -> Place:
    fields = {"kind": PlaceKind.CITY, "tier": PlaceTier.LOCAL, **fields}
    slug = f"{name.lower()}-{country.code.lower()}-{population}"
    return Place.objects.create(
        name=name, slug=slug, country=country, population=population, timezone=zone, **fields
    )


@pytest.fixture
def venues(countries) -> dict[str, Place]:
    """The three venue cities as GeoNames gives them."""
    return {
        "Seoul": make_place(countries["KR"], "Seoul", 10349312, "Asia/Seoul"),
        "Moscow": make_place(countries["RU"], "Moscow", 10381222, "Europe/Moscow"),
        "Copenhagen": make_place(countries["DK"], "Copenhagen", 1153615, "Europe/Copenhagen"),
    }


def data_folder(
    tmp_path: Path,
    events: str = "initiative_events.csv",
    activities: str = "initiative_activities.csv",
) -> Path:
    shutil.copy(EXCERPTS / events, tmp_path / EVENTS_FILE)
    shutil.copy(EXCERPTS / activities, tmp_path / ACTIVITIES_FILE)
    return tmp_path


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return data_folder(tmp_path)


def load(data_dir: Path, sources) -> dict:
    return {report.name: report for report in load_initiative(data_dir, sources)}


def test_three_events_with_kinds_dates_and_venues(data_dir, sources, venues):
    report = load(data_dir, sources)[EVENTS_FILE]

    assert (report.read, report.created, report.refused, report.flagged) == (3, 3, [], [])
    workshop = Event.objects.get(title=WORKSHOP)
    assert workshop.kind == EventKind.WORKSHOP
    assert workshop.slug == "1st-eco-energy-town-workshop"
    assert workshop.venue == venues["Seoul"]
    assert workshop.venue_name == "Seoul"
    assert workshop.timezone == "Asia/Seoul"
    assert workshop.source == sources[SOURCE]
    assert workshop.description.startswith("Experts from CEM member countries")
    summit = Event.objects.get(title=SUMMIT)
    assert (summit.kind, summit.venue, summit.timezone) == (
        EventKind.SUMMIT,
        venues["Moscow"],
        "Europe/Moscow",
    )
    side_event = Event.objects.get(title=SIDE_EVENT)
    assert side_event.kind == EventKind.SIDE_EVENT
    assert (
        side_event.slug
        == "high-level-side-event-of-the-initiative-at-the-ninth-clean-energy-ministerial-cem9"
    )
    assert (side_event.start_date, side_event.end_date) == (datetime.date(2018, 5, 24),) * 2
    assert side_event.date_precision == DatePrecision.DAY
    assert side_event.timezone == "Europe/Copenhagen"


def test_an_event_known_to_the_month_stays_in_that_month(data_dir, sources, venues):
    load(data_dir, sources)

    workshop = Event.objects.get(title=WORKSHOP)
    assert workshop.date_precision == DatePrecision.MONTH
    assert (workshop.start_date, workshop.end_date) == (
        datetime.date(2017, 5, 1),
        datetime.date(2017, 5, 31),
    )
    # Dates, never datetimes: midnight on 1 May in Seoul is 30 April in UTC.
    assert type(workshop.start_date) is datetime.date
    assert workshop.starts_at is None and workshop.ends_at is None
    for zone in ("UTC", "Asia/Seoul", "America/Los_Angeles"):
        with timezone.override(ZoneInfo(zone)):
            in_may = Event.objects.filter(start_date__year=2017, start_date__month=5)
            assert list(in_may.values_list("title", flat=True)) == [WORKSHOP]
            assert not Event.objects.filter(start_date__month=4).exists()
    summit = Event.objects.get(title=SUMMIT)
    assert (summit.start_date, summit.end_date, summit.date_precision) == (
        datetime.date(2017, 10, 1),
        datetime.date(2017, 10, 31),
        DatePrecision.MONTH,
    )


def test_the_venue_is_the_most_populous_local_place_of_the_name(
    data_dir, sources, countries, venues
):
    # A smaller place that also answers to "Seoul", and a non-local one that must not count.
    small = make_place(countries["KR"], "Seoul-ri", 1200, "Asia/Seoul", kind=PlaceKind.VILLAGE)
    PlaceName.objects.create(place=small, name="Seoul", kind=NameKind.ALTERNATIVE)
    make_place(countries["KR"], "Seoul", 99_000_000, "Asia/Seoul", tier=PlaceTier.STATE)

    report = load(data_dir, sources)[EVENTS_FILE]

    assert Event.objects.get(title=WORKSHOP).venue == venues["Seoul"]
    assert [reason for _, reason in report.flagged] == [
        f"2 places named 'Seoul' in KR: took the most populous (place {venues['Seoul'].pk})"
    ]


def test_the_venue_is_found_by_any_of_its_names_folded(data_dir, sources, countries, venues):
    venues["Copenhagen"].delete()
    kobenhavn = make_place(countries["DK"], "København", 1153615, "Europe/Copenhagen")
    PlaceName.objects.create(place=kobenhavn, name="COPENHAGEN", kind=NameKind.ALTERNATIVE)

    load(data_dir, sources)

    assert Event.objects.get(title=SIDE_EVENT).venue == kobenhavn


def test_an_unknown_venue_keeps_its_name_and_is_reported(data_dir, sources, venues):
    venues["Moscow"].delete()

    report = load(data_dir, sources)[EVENTS_FILE]

    summit = Event.objects.get(title=SUMMIT)
    assert (summit.venue, summit.venue_name, summit.timezone) == (None, "Moscow", "")
    assert report.flagged == [
        ("row 3", "no local place named 'Moscow' in RU: the venue is kept as a name only")
    ]


def test_organisers_and_partners_are_organisations(data_dir, sources, venues):
    load(data_dir, sources)

    organisations = {o.name: o for o in Organisation.objects.all()}
    assert set(organisations) == {
        "Republic of Korea",
        "Russian Federation",
        "Clean Energy Ministerial",
        UNEP,
        "Indonesia",
    }
    korea = organisations["Republic of Korea"]
    assert (korea.kind, korea.country_id) == (OrganisationKind.GOVERNMENT, "KR")
    assert organisations["Russian Federation"].kind == OrganisationKind.GOVERNMENT
    assert organisations["Indonesia"].country_id == "ID"
    assert organisations["Clean Energy Ministerial"].kind == OrganisationKind.INTERNATIONAL
    assert organisations[UNEP].kind == OrganisationKind.INTERNATIONAL
    assert korea.source == sources[SOURCE]
    assert korea.source_key == "republic of korea"
    assert korea.slug == "republic-of-korea"
    # "(initiative lead)" is a role, not part of the name: the workshop's organiser is the
    # partner of the Mongolian project.
    assert list(Event.objects.get(title=WORKSHOP).organisers.all()) == [korea]
    assert list(Activity.objects.get(title=MONGOLIA).partners.all()) == [korea]


def test_an_existing_organisation_is_found_again_and_not_edited(data_dir, sources, venues):
    korea = Organisation.objects.create(
        name="Republic of Korea",
        slug="korea",
        kind=OrganisationKind.AGENCY,
        source=sources[SOURCE],
        source_key="republic of korea",
    )

    load(data_dir, sources)

    korea.refresh_from_db()
    assert (korea.slug, korea.kind) == ("korea", OrganisationKind.AGENCY)
    assert Organisation.objects.filter(name="Republic of Korea").count() == 1
    assert list(Event.objects.get(title=WORKSHOP).organisers.all()) == [korea]


def test_five_activities_with_countries_and_partners(data_dir, sources, countries):
    report = load(data_dir, sources)[ACTIVITIES_FILE]

    assert (report.read, report.created, report.refused, report.flagged) == (5, 5, [], [])
    mongolia = Activity.objects.get(title=MONGOLIA)
    assert (mongolia.kind, mongolia.status, mongolia.start_year) == (
        ActivityKind.PROJECT,
        ActivityStatus.ONGOING,
        2017,
    )
    assert list(mongolia.countries.all()) == [countries["MN"]]
    assert mongolia.description.startswith("Korea shares its eco-energy town model")
    assert mongolia.source == sources[SOURCE]
    benchmarking = Activity.objects.get(title=BENCHMARKING)
    assert benchmarking.status == ActivityStatus.COMPLETED
    assert not benchmarking.countries.exists() and not benchmarking.partners.exists()
    southeast_asia = Activity.objects.get(title=SOUTHEAST_ASIA)
    assert (southeast_asia.kind, southeast_asia.status, southeast_asia.start_year) == (
        ActivityKind.STUDY,
        ActivityStatus.PLANNED,
        None,
    )
    assert list(southeast_asia.partners.values_list("name", flat=True)) == ["Indonesia"]
    outreach = Activity.objects.get(kind=ActivityKind.OUTREACH)
    assert list(outreach.partners.values_list("name", flat=True)) == [UNEP]


def test_the_network_is_created_once_and_without_members(data_dir, sources, venues):
    load(data_dir, sources)
    load(data_dir, sources)

    network = Network.objects.get(slug=NETWORK_SLUG)
    assert network.name == "CSET eco-energy town programme"
    assert not network.memberships.exists()


def test_an_existing_network_is_left_alone(data_dir, sources, venues):
    Network.objects.create(slug=NETWORK_SLUG, name="Eco-energy towns", description="Curated.")

    load(data_dir, sources)

    assert Network.objects.get(slug=NETWORK_SLUG).name == "Eco-energy towns"


def test_a_second_run_writes_nothing(data_dir, sources, venues, django_assert_max_num_queries):
    load(data_dir, sources)
    stamps = dict(Event.objects.values_list("slug", "updated_at"))

    # A fixed number of look-ups, whatever the number of rows.
    with django_assert_max_num_queries(20):
        reports = load(data_dir, sources)

    assert [(r.created, r.updated, r.unchanged) for r in reports.values()] == [(0, 0, 3), (0, 0, 5)]
    assert dict(Event.objects.values_list("slug", "updated_at")) == stamps
    assert Organisation.objects.count() == 5


def test_the_first_run_writes_in_bulk(data_dir, sources, venues, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        load(data_dir, sources)


def test_edited_notes_update_the_event_and_keep_its_slug(data_dir, sources, venues):
    load(data_dir, sources)
    slug = Event.objects.get(title=SIDE_EVENT).slug
    path = data_dir / EVENTS_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Side event held during CEM9.", "Held in Copenhagen."))

    report = load(data_dir, sources)[EVENTS_FILE]

    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    side_event = Event.objects.get(title=SIDE_EVENT)
    assert (side_event.slug, side_event.description) == (slug, "Held in Copenhagen.")


def test_bad_event_rows_are_refused_with_reasons(tmp_path, sources, venues):
    data_dir = data_folder(tmp_path, events="initiative_events_bad.csv")

    report = load(data_dir, sources)[EVENTS_FILE]

    assert report.read == 6
    assert report.refused == [
        ("row 3", "unknown kind 'conference' (one of " + ", ".join(EventKind.values) + ")"),
        ("row 4", "ends (2018-05-23) before it starts (2018-05-24)"),
        ("row 5", "start 'May 2017' is not a date (YYYY-MM-DD)"),
        ("row 6", "an event known to the month must run from the first to a last day"),
        ("row 7", "the title '1st Eco-energy Town Workshop' appears twice; the first row kept"),
    ]
    assert list(Event.objects.values_list("title", flat=True)) == [WORKSHOP]


def test_bad_activity_rows_are_refused_with_reasons(tmp_path, sources, countries):
    data_dir = data_folder(tmp_path, activities="initiative_activities_bad.csv")

    report = load(data_dir, sources)[ACTIVITIES_FILE]

    assert report.read == 5
    assert [row for row, _ in report.refused] == ["row 3", "row 4", "row 5", "row 6"]
    reasons = [reason for _, reason in report.refused]
    assert reasons[0].startswith("unknown kind 'campaign'")
    assert reasons[1].startswith("unknown status 'paused'")
    assert reasons[2] == "start year 'seventeen' is not a year from 1990 to 2100"
    assert reasons[3] == "country code 'INDONESIA' is not ISO 3166-1 alpha-2"
    assert list(Activity.objects.values_list("title", flat=True)) == [MONGOLIA]


def test_a_country_not_loaded_is_reported_not_linked(data_dir, sources, countries):
    countries["ET"].delete()

    report = load(data_dir, sources)[ACTIVITIES_FILE]

    assert report.flagged == [("row 3", "country ET is not loaded: not linked")]
    assert not Activity.objects.get(title="Eco-energy Town projects in Ethiopia").countries.exists()


def test_an_unknown_partner_is_created_as_other_and_reported(data_dir, sources, countries):
    path = data_dir / ACTIVITIES_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("ET,2017,ongoing,Republic of Korea", "ET,2017,ongoing,KEA"))

    reports = load(data_dir, sources)

    assert Organisation.objects.get(name="KEA").kind == OrganisationKind.OTHER
    assert reports[ACTIVITIES_FILE].flagged == [
        ("KEA", "an organisation the loader does not know: created with kind other")
    ]
    assert all(row != "KEA" for row, _ in reports[EVENTS_FILE].flagged)
