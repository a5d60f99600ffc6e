"""The profile of a place at /places/<slug>/."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from benchmarks import stored_standings
from benchmarks.choices import Notation
from cset.reference.choices import IdentifierScheme
from cset.site.place_profile import CASES_SHOWN, CHILDREN_SHOWN, format_number, script_of
from practices.choices import Status
from tests import factories


def profile_url(place) -> str:
    return reverse("site:place", args=[place.slug])


@pytest.fixture
def manchester(db):
    """A UK authority with names, identifiers, a Covenant membership, values, cases, events."""
    britain = factories.CountryFactory(code="GB", name="United Kingdom")
    greater = factories.PlaceFactory(
        name="Greater Manchester",
        slug="greater-manchester",
        country=britain,
        tier="combined",
        kind="region",
    )
    lancashire = factories.PlaceFactory(
        name="Lancashire", slug="lancashire", country=britain, tier="county", kind="region"
    )
    place = factories.PlaceFactory(
        name="Manchester",
        slug="manchester",
        country=britain,
        parent=lancashire,
        combined_authority=greater,
        subdivision_code="GB-ENG",
        statistical_region="North West",
        population=555_741,
        population_year=2020,
        latitude=53.48095,
        longitude=-2.23743,
    )
    for name in ("Манчестер", "맨체스터", "MANCHESTER", "Mancunium"):
        factories.PlaceNameFactory(place=place, name=name)
    factories.PlaceIdentifierFactory(place=place, scheme=IdentifierScheme.GEONAMES, value="2643123")
    factories.PlaceIdentifierFactory(place=place, scheme=IdentifierScheme.GB_GSS, value="E08000003")
    covenant = factories.NetworkFactory(slug="covenant-of-mayors", name="Covenant of Mayors")
    factories.MembershipFactory(
        network=covenant,
        place=place,
        joined_on=datetime.date(2009, 5, 27),
        commitments=["com2020", "mayors_adapt"],
        network_code="GB0050",
    )
    source = factories.SourceFactory(title="UK local authority CO2 emissions")
    per_person = factories.IndicatorFactory(
        code="gb-co2-per-person",
        name="CO2 emissions per person",
        unit="t CO2/person",
        quantity_kind="intensity",
    )
    total = factories.IndicatorFactory(
        code="gb-co2-total", name="CO2 emissions, total", unit="kt CO2", quantity_kind="emissions"
    )
    for year, value in ((2019, 3.45), (2020, 3.03)):
        factories.MeasurementFactory(
            place=place,
            indicator=per_person,
            source=source,
            year=year,
            value=value,
            unit="t CO2/person",
            verification="third_party_verified",
        )
    factories.MeasurementFactory(
        place=place, indicator=total, source=source, year=2020, value=1685.4, unit="kt CO2"
    )
    factories.MeasurementFactory(
        place=place,
        indicator=total,
        source=source,
        year=2019,
        missing=True,
        notation=Notation.CONFIDENTIAL,
    )
    factories.MeasurementFactory(
        place=place,
        indicator=total,
        source=source,
        year=2018,
        value=2000.0,
        unit="kt CO2",
        quality_flags=["inconsistent_total"],
    )
    factories.PublishedPracticeFactory(title="District heating for Manchester", places=[place])
    for status in (
        Status.DRAFT,
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.REJECTED,
        Status.ARCHIVED,
        Status.CHANGES_REQUESTED,
    ):
        factories.PracticeFactory(title=f"Hidden case {status}", status=status, places=[place])
    factories.EventFactory(
        title="CSET workshop in Manchester",
        venue=place,
        start_date=datetime.date(2017, 5, 1),
        end_date=datetime.date(2017, 5, 31),
        date_precision="month",
    )
    return place


def test_the_profile_shows_the_place_and_where_it_belongs(client, manchester):
    response = client.get(profile_url(manchester))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Manchester</h1>" in html
    assert "United Kingdom" in html
    assert f'<a href="{reverse("site:place", args=["lancashire"])}">Lancashire</a>' in html
    assert (
        f'<a href="{reverse("site:place", args=["greater-manchester"])}">Greater Manchester</a>'
        in html
    )
    assert "England (GB-ENG)" in html
    assert "North West" in html
    assert "555,741 (in 2020)" in html


def test_the_profile_lists_other_names_by_script_without_repeats(client, manchester):
    response = client.get(profile_url(manchester))

    names = dict(response.context["names"])
    assert [n.name for n in names["Cyrillic"]] == ["Манчестер"]
    assert [n.name for n in names["Korean (Hangul)"]] == ["맨체스터"]
    assert [n.name for n in names["Latin"]] == ["Mancunium"]  # "MANCHESTER" is its own name
    assert "Манчестер" in response.content.decode()


def test_the_profile_shows_identifiers_with_their_schemes(client, manchester):
    html = client.get(profile_url(manchester)).content.decode()

    assert 'GeoNames id: <a href="https://www.geonames.org/2643123">2643123</a>' in html
    assert "UK GSS code: <code>E08000003</code>" in html


def test_the_profile_shows_memberships_with_dates_and_commitments(client, manchester):
    html = client.get(profile_url(manchester)).content.decode()

    assert "Covenant of Mayors" in html
    assert '<time datetime="2009-05-27">' in html
    assert "Covenant 2020 (20% CO2 cut)" in html
    assert "Mayors Adapt" in html
    assert "Code GB0050." in html


def test_the_profile_shows_co2_per_person_by_year_latest_first(client, manchester):
    response = client.get(profile_url(manchester))

    html = response.content.decode()
    assert "CO2 per person by year" in html
    headline = html[html.index("CO2 per person by year") :]
    assert headline.index("3.03") < headline.index("3.45")
    per_person = reverse("indicators:detail", args=["gb-co2-per-person"])
    assert f'href="{per_person}?place=manchester"' in html
    # Each year opens the comparison of that year.
    assert f'href="{per_person}?place=manchester&amp;year=2019"' in headline


def test_indicator_values_show_notations_and_flags_never_zero(client, manchester):
    response = client.get(profile_url(manchester))

    (emissions,) = [g for g in response.context["indicator_groups"] if g.label == "Emissions"]
    assert emissions.years == [2020, 2019, 2018]
    html = response.content.decode()
    assert '<abbr title="Confidential">C</abbr>' in html
    assert "1,685" in html
    assert "Sectors disagree with the total" in html
    assert f'href="{reverse("indicators:detail", args=["gb-co2-total"])}?place=manchester"' in html


def test_only_published_cases_appear_on_a_profile(client, manchester):
    response = client.get(profile_url(manchester))

    html = response.content.decode()
    assert [case.title for case in response.context["cases"]] == ["District heating for Manchester"]
    assert "District heating for Manchester" in html
    assert "Hidden case" not in html


def test_the_profile_shows_events_at_their_precision(client, manchester):
    html = client.get(profile_url(manchester)).content.decode()

    assert "CSET workshop in Manchester" in html
    assert "May 2017" in html
    assert "May 1, 2017" not in html


@override_settings(MAP_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png")
def test_a_place_with_coordinates_has_a_map_from_static_files(client, manchester):
    html = client.get(profile_url(manchester)).content.decode()

    assert 'class="place-map"' in html
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-latitude="53.48095"' in html
    assert 'role="region"' in html and 'aria-label="Map of Manchester"' in html
    assert "53.4809° N, 2.2374° W" in html
    assert "OpenStreetMap</a> contributors" in html
    assert "js/place-map.js" in html and "leaflet.js" in html
    # No inline script: a Content-Security-Policy may forbid them.
    assert "<script>" not in html and "L.map(" not in html


def test_a_place_without_coordinates_has_no_map_and_no_zero(client, db):
    place = factories.PlaceFactory(name="Kreis Dithmarschen", latitude=None, longitude=None)

    html = client.get(profile_url(place)).content.decode()

    assert "place-map" not in html
    assert "leaflet" not in html
    assert "data-latitude" not in html
    assert "0° N" not in html


def test_the_profile_answers_in_every_language_with_plain_coordinates(client, manchester):
    html = client.get(profile_url(manchester), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    # The map reads dot decimals whatever the language.
    assert 'data-latitude="53.48095"' in html


def test_children_are_capped_with_a_link_to_all_of_them(client, db):
    district = factories.PlaceFactory(name="Kreis Dithmarschen", slug="kreis-dithmarschen")
    factories.PlaceFactory.create_batch(CHILDREN_SHOWN + 5, parent=district, kind="village")

    response = client.get(profile_url(district))

    html = response.content.decode()
    assert len(response.context["children"]) == CHILDREN_SHOWN
    assert response.context["children_count"] == CHILDREN_SHOWN + 5
    assert f"The first {CHILDREN_SHOWN} of {CHILDREN_SHOWN + 5}" in html
    assert f'href="{reverse("places:list")}?parent=kreis-dithmarschen"' in html


def test_a_combined_authority_lists_its_members(client, manchester):
    greater = manchester.combined_authority

    html = client.get(profile_url(greater)).content.decode()

    assert "Members of this combined authority" in html
    assert f'<a href="{profile_url(manchester)}">Manchester</a>' in html


def test_an_unknown_place_is_a_404_and_a_unicode_slug_works(client, db):
    factories.PlaceFactory(name="서울", slug="서울")

    assert client.get("/places/no-such-place/").status_code == 404
    assert client.get("/places/서울/").status_code == 200


def _rich_place(count: int):
    """A place with ``count`` of every list its profile shows."""
    place = factories.PlaceFactory(slug="rich")
    source = factories.SourceFactory()
    for n in range(count):
        factories.PlaceFactory(parent=place)
        factories.PlaceFactory(combined_authority=place)
        factories.PlaceNameFactory(place=place)
        factories.PlaceIdentifierFactory(place=place)
        factories.MembershipFactory(place=place, network=factories.NetworkFactory())
        indicator = factories.IndicatorFactory(quantity_kind=["emissions", "capacity"][n % 2])
        factories.MeasurementFactory(place=place, indicator=indicator, source=source, year=2000 + n)
        factories.PublishedPracticeFactory(places=[place], themes=[factories.ThemeFactory()])
        factories.EventFactory(venue=place)
    return place


@pytest.mark.parametrize("count", [3, 30])
def test_the_profile_needs_the_same_queries_for_3_or_30_of_everything(
    client, db, django_assert_max_num_queries, count
):
    place = _rich_place(count)
    stored_standings.refresh()

    # The place (with country, parent, combined authority), names, identifiers,
    # memberships, children, constituents, measurements, the scorecard's stored standings,
    # cases, their themes (and their count when they are cut), events.
    with django_assert_max_num_queries(12):
        response = client.get(profile_url(place))

    assert response.status_code == 200
    assert len(response.context["memberships"]) == count
    assert sum(len(g.rows) for g in response.context["indicator_groups"]) == count


def test_numbers_are_shown_with_the_decimals_their_size_deserves():
    assert format_number(1685.43) == "1,685"
    assert format_number(160.94) == "160.9"
    assert format_number(3.031) == "3.03"
    assert format_number(0.1312) == "0.131"
    assert format_number(0.0) == "0"
    assert format_number(555741.0) == "555,741"


def test_the_script_of_a_name_is_its_first_letter_s():
    assert script_of("Seoul") == "LATIN"
    assert script_of("서울") == "HANGUL"
    assert script_of("'s-Hertogenbosch") == "LATIN"
    assert script_of("123") == "UNKNOWN"


def test_names_with_markup_characters_are_escaped_once(client, db):
    place = factories.PlaceFactory(name="Brighton & Hove <Unitary>", slug="brighton-and-hove")
    factories.PlaceFactory(name="Hove", parent=place)

    html = client.get(profile_url(place)).content.decode()

    assert "Places within Brighton &amp; Hove &lt;Unitary&gt;" in html
    assert "&amp;amp;" not in html
    assert "<Unitary>" not in html


def test_many_cases_are_capped_with_a_link_to_the_practice_list(client, db):
    place = factories.PlaceFactory(slug="munster")
    factories.PublishedPracticeFactory.create_batch(CASES_SHOWN + 2, places=[place])
    factories.PracticeFactory.create_batch(3, places=[place])  # drafts never count

    response = client.get(profile_url(place))

    assert len(response.context["cases"]) == CASES_SHOWN
    assert response.context["cases_count"] == CASES_SHOWN + 2
    assert f'href="{reverse("practices:list")}?place=munster"' in response.content.decode()
