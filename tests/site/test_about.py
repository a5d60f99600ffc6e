"""About the initiative, and about the data."""

import datetime
import re

import pytest
from django.urls import reverse

from cset.reference.choices import ActivityKind, ActivityStatus, IdentifierScheme
from cset.reference.models import Source
from practices.choices import Status
from tests import factories

CLAIM = (
    "The initiative states that joint action and promotion of best practices can save 700 "
    "million tonnes of oil equivalent (Mtoe) by 2025."
)
GCOM_ATTRIBUTION = (
    "Baldi, M. G.; Franco, C.; Melica, G.; Treville, A.; Bertoldi, P. (2024). Global Covenant "
    "of Mayors. © European Union, 1995-2023, CC BY 4.0. Modified: column mayor removed, '-' "
    "turned into empty cells."
)


def cell(html: str, source: str, count: str) -> str:
    """The number shown for ``source`` in the column ``count`` of the contributions table."""
    row = re.search(rf'<tr data-source="{source}">.*?</tr>', html, re.S)
    assert row, f"no row for {source}"
    match = re.search(rf'data-count="{count}">([^<]*)<', row.group(0))
    assert match, f"no {count} for {source}"
    return match.group(1)


@pytest.fixture
def initiative(db):
    source = factories.SourceFactory(slug="cset-initiative", title="The initiative's record")
    korea = factories.CountryFactory(code="KR", name="South Korea")
    mongolia = factories.CountryFactory(code="MN", name="Mongolia")
    partner = factories.OrganisationFactory(name="Republic of Korea")
    factories.ActivityFactory(
        title="Eco-energy Town projects in Mongolia",
        kind=ActivityKind.PROJECT,
        status=ActivityStatus.ONGOING,
        start_year=2017,
        countries=[mongolia],
        partners=[partner],
        description="Korea shares its eco-energy town model.",
        source=source,
    )
    factories.ActivityFactory(
        title="Joint study in Southeast Asia",
        kind=ActivityKind.STUDY,
        status=ActivityStatus.PLANNED,
        start_year=None,
        source=source,
    )
    seoul = factories.PlaceFactory(name="Seoul", country=korea)
    factories.EventFactory(
        title="1st Eco-energy Town Workshop",
        slug="1st-eco-energy-town-workshop",
        start_date=datetime.date(2017, 5, 1),
        end_date=datetime.date(2017, 5, 31),
        date_precision="month",
        venue=seoul,
        source=source,
    )
    return source


def test_about_states_the_aims_and_the_claim_as_the_initiatives(client, initiative):
    response = client.get(reverse("site:about"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "launched in 2017" in html
    assert "graduated from the Clean Energy Ministerial in 2021" in html
    assert CLAIM in html


def test_about_lists_the_activities_with_their_details(client, initiative):
    html = client.get(reverse("site:about")).content.decode()

    assert "Eco-energy Town projects in Mongolia" in html
    assert "Project" in html and "Ongoing" in html
    assert ">2017<" in html
    assert 'href="/places/?country=MN">Mongolia</a>' in html
    assert "Republic of Korea" in html
    assert "Korea shares its eco-energy town model." in html
    study = html[html.index("Joint study in Southeast Asia") :]
    assert "Study" in study and "Planned" in study and "not stated" in study
    # Without a start year it comes last, on either database.
    assert html.index("Eco-energy Town projects in Mongolia") < html.index("Joint study")


def test_about_lists_the_events_linking_to_their_pages(client, initiative):
    html = client.get(reverse("site:about")).content.decode()

    assert (
        '<a href="/events/1st-eco-energy-town-workshop/">1st Eco-energy Town Workshop</a>' in html
    )
    assert '<time datetime="2017-05">May 2017</time>' in html
    assert "Seoul, South Korea" in html
    assert "<caption>" in html


@pytest.mark.parametrize("rows", [3, 30])
def test_about_needs_a_fixed_number_of_queries(client, db, django_assert_num_queries, rows):
    for _ in range(rows):
        factories.ActivityFactory(
            countries=[factories.CountryFactory()], partners=[factories.OrganisationFactory()]
        )
        factories.EventFactory()

    # Activities, their countries, their partners, and the events with their venues.
    with django_assert_num_queries(4):
        assert client.get(reverse("site:about")).status_code == 200


@pytest.fixture
def sources(db):
    gcom = factories.SourceFactory(
        slug="gcom",
        title="Global Covenant of Mayors signatories",
        publisher="Joint Research Centre (JRC) of the European Commission",
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        attribution=GCOM_ATTRIBUTION,
        description="The signatories of the Covenant of Mayors.",
        retrieved_on=datetime.date(2026, 11, 1),
    )
    measured = factories.SourceFactory(
        slug="uk-emissions",
        title="UK local authority CO2 emissions",
        licence="OGL v3.0",
        licence_url="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        retrieved_on=None,
    )
    towns = factories.PlaceFactory.create_batch(3)
    for town in towns:
        factories.PlaceIdentifierFactory(place=town, scheme=IdentifierScheme.GCOM)
        factories.MembershipFactory(place=town, source=gcom)
    # A second Covenant id for one town is still one place identified.
    factories.PlaceIdentifierFactory(place=towns[0], scheme=IdentifierScheme.GCOM)
    factories.PlaceIdentifierFactory(scheme=IdentifierScheme.GEONAMES)
    for year in (2018, 2019):
        for town in towns[:2]:
            factories.MeasurementFactory(place=town, source=measured, year=year)
    factories.PublishedPracticeFactory(source=measured)
    factories.PracticeFactory(source=measured)
    factories.PracticeFactory(source=measured, status=Status.IN_REVIEW)
    factories.EventFactory(source=gcom)
    factories.ActivityFactory(source=gcom)
    return gcom, measured


def test_about_data_lists_every_source_with_licence_attribution_and_date(client, sources):
    gcom, measured = sources

    response = client.get(reverse("site:about-data"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    for source in Source.objects.all():
        assert source.title in html
        assert source.publisher in html
    assert '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>' in html
    assert "OGL v3.0</a>" in html
    assert "Modified: column mayor removed, &#x27;-&#x27; turned into empty cells." in html
    assert '<time datetime="2026-11-01">1 November 2026</time>' in html
    assert "not recorded" in html
    assert "The signatories of the Covenant of Mayors." in html
    assert "pycountry" in html and "GeoNames" in html
    assert "<caption>" in html


def test_about_data_counts_what_each_source_gave(client, sources):
    html = client.get(reverse("site:about-data")).content.decode()

    assert cell(html, "gcom", "identified-places") == "3"
    assert cell(html, "gcom", "memberships") == "3"
    assert cell(html, "gcom", "events") == "1"
    assert cell(html, "gcom", "activities") == "1"
    assert cell(html, "gcom", "measurements") == "0"
    assert cell(html, "uk-emissions", "measurements") == "4"
    assert cell(html, "uk-emissions", "valued-places") == "2"
    assert cell(html, "uk-emissions", "identified-places") == "0"
    # Only the published case counts.
    assert cell(html, "uk-emissions", "practices") == "1"


@pytest.mark.parametrize("rows", [3, 30])
def test_about_data_needs_one_query_whatever_the_rows(client, db, django_assert_num_queries, rows):
    for _ in range(rows):
        source = factories.SourceFactory()
        factories.MeasurementFactory(source=source)
        factories.MembershipFactory(source=source)
        factories.PublishedPracticeFactory(source=source)

    with django_assert_num_queries(1):
        response = client.get(reverse("site:about-data"))

    assert response.status_code == 200
    assert response.content.decode().count("<tr data-source=") == rows
