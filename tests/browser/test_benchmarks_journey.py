"""A city official sees where Manchester stands among its peers, in headless Chromium.

From Manchester's profile to its CO2 per person on the indicator page, ranked among UK
local authorities, then among those of 100,000 to 1 million people, year by year. The
excerpts of the real data hold too few UK authorities for a ranking; the test adds peers of
its own.
"""

import re

import pytest
from playwright.sync_api import expect

from benchmarks.models import Indicator, Measurement
from benchmarks.peers import PeerGroup, compare
from benchmarks.services import measurements_written
from cset.reference.models import Place, Source
from tests import factories
from tests.browser.support import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser

# Peers of Manchester: (name, population, CO2 per person in 2020, in t).
PEERS = [
    ("Salford", 270_000, 2.4),
    ("Stockport", 294_000, 3.6),
    ("Bolton", 296_000, 4.1),
    ("Wigan", 330_000, 4.9),
    ("Bury", 190_000, 2.9),
    ("Rutland", 41_000, 6.8),
    ("Eden", 54_000, 7.5),
    ("Ryedale", 55_000, 2.0),
]


def check(page, name: str) -> None:
    assert serious_accessibility_violations(page) == [], page.url
    screenshot(page, name)


def add_peers() -> None:
    """UK local authorities with a 2020 value of CO2 per person, beside Manchester's."""
    manchester = Place.objects.get(slug="manchester")
    indicator = Indicator.objects.get(code="gb-co2-per-person")
    source = Source.objects.get(slug="uk-emissions")
    for name, population, value in PEERS:
        place = factories.PlaceFactory(
            name=name,
            slug=name.lower(),
            country=manchester.country,
            tier=manchester.tier,
            population=population,
        )
        factories.MeasurementFactory(
            place=place,
            indicator=indicator,
            source=source,
            year=2020,
            value=value,
            unit=indicator.unit,
        )
    # As every writer of measurements does: the stored standings follow.
    measurements_written({(indicator.pk, 2020)})


def expected_standing(**narrowing) -> tuple[int, int, str]:
    """Manchester's rank, group size and percentile as the comparison service gives them."""
    manchester = Place.objects.get(slug="manchester")
    indicator = Indicator.objects.get(code="gb-co2-per-person")
    comparison = compare(indicator, 2020, PeerGroup.around(manchester, **narrowing))
    row = next(row for row in comparison.standings if row.place_id == manchester.pk)
    percentile = f"{row.percentile:g}"
    return row.rank, row.group_size, percentile


def test_manchester_s_co2_per_person_among_its_peers(portal, page):
    add_peers()
    assert Measurement.objects.filter(place__slug="manchester", year=2020).exists()
    rank, size, percentile = expected_standing()
    narrow_rank, narrow_size, narrow_percentile = expected_standing(band="100k-1m")
    # The band leaves out the three small districts.
    assert narrow_size == size - 3

    page.goto(portal + "/places/manchester/")
    scorecard = page.get_by_role("table", name=re.compile("Scorecard of Manchester"))
    expect(scorecard).to_be_visible()
    row = scorecard.get_by_role("row").filter(
        has=page.get_by_role("link", name="CO2 emissions per person", exact=True)
    )
    expect(row).to_contain_text(f"{rank} of {size}")
    check(page, "benchmarks-profile-scorecard")

    row.get_by_role("link", name="CO2 emissions per person", exact=True).click()
    expect(page).to_have_url(
        re.compile(r"/indicators/gb-co2-per-person/\?place=manchester&year=\d{4}$")
    )
    expect(page.locator("#standing")).to_contain_text(
        f"Manchester: rank {rank} of {size}, percentile {percentile}"
    )
    expect(page.locator("#peer-group")).to_contain_text("Peers: Local, GB.")
    expect(page.locator("#chosen-place")).to_contain_text("Manchester")
    expect(page.locator(".comparison-chart canvas, .comparison-chart svg").first).to_be_visible()
    check(page, "benchmarks-indicator-comparison")

    page.get_by_role("link", name="100,000 to 1 million people").click()
    expect(page).to_have_url(re.compile(r"population=100k-1m"))
    expect(page.locator("#standing")).to_contain_text(
        f"Manchester: rank {narrow_rank} of {narrow_size}, percentile {narrow_percentile}"
    )
    expect(page.locator("#peer-group")).to_contain_text("100,000 to 1 million people")
    expect(page.locator(".comparison-chart canvas, .comparison-chart svg").first).to_be_visible()
    check(page, "benchmarks-indicator-narrowed")

    # Year by year: the profile's headline table ranks each year, and leads to the same
    # standings among places of Manchester's size.
    page.goto(portal + "/places/manchester/")
    headline = page.get_by_role("table", name="CO2 per person by year")
    expect(headline.get_by_role("row").filter(has_text="2020")).to_contain_text(f"{rank} of {size}")
    page.get_by_role(
        "link", name="year by year among places of 100,000 to 1 million people"
    ).click()
    expect(page).to_have_url(re.compile(r"population=100k-1m"))
    by_year = page.get_by_role("table", name=re.compile("Manchester: .* by year"))
    expect(by_year.locator('tr[data-year="2020"]')).to_contain_text(
        f"{narrow_rank} of {narrow_size}"
    )
    check(page, "benchmarks-indicator-year-by-year")

    # A year without values is refused, and the form says why, next to the field.
    response = page.goto(portal + "/indicators/gb-co2-per-person/?place=manchester&year=1999")
    assert response.status == 400
    expect(page.locator("#id_year-errors")).to_contain_text("There are no values for 1999")
    check(page, "benchmarks-indicator-refused")


def test_the_comparison_form_works_without_a_chart_library(portal, browser):
    """With JavaScript off the form still chooses the year and the chart says where its
    numbers are."""
    add_peers()
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto(portal + "/indicators/gb-co2-per-person/")

    page.get_by_label("Place", exact=True).fill("manchester")
    page.get_by_label("Year", exact=True).select_option("2020")
    page.get_by_role("button", name="Compare").click()

    expect(page).to_have_url(re.compile(r"place=manchester"))
    expect(page.locator("#standing")).to_contain_text("Manchester: rank")
    expect(page.get_by_text("the table beside it holds the same numbers")).to_be_visible()
    context.close()
