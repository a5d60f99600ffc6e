"""A city official's journeys through the portal, in headless Chromium.

Every page a journey passes is checked with axe-core (no serious or critical
violations) and photographed at desktop and phone width under var/screenshots/.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser


def check(page, name: str) -> None:
    """The page has no serious accessibility problem; keep a picture of it."""
    assert serious_accessibility_violations(page) == [], page.url
    screenshot(page, name)


def test_search_a_german_word_and_open_a_muenster_case(portal, page):
    page.goto(portal + "/")
    check(page, "home")

    page.get_by_label("Search practices").fill("gebäudesanierung")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/practices/\?q=geb"))
    check(page, "practices-search")

    page.get_by_role("link", name="Gütesiegel Gebäudesanierung").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gütesiegel Gebäudesanierung")
    expect(page.get_by_text("Stadt Münster, Sachstandsberichte Klimaschutz")).to_be_visible()
    expect(page.get_by_role("link", name="Münster").first).to_be_visible()
    check(page, "practice-detail")


def test_filter_places_by_country_and_see_a_uk_authority_s_emissions_per_person(portal, page):
    page.goto(portal + "/places/")
    check(page, "places")

    page.get_by_label("Country").select_option("GB")
    page.get_by_role("button", name=re.compile("Filter|Apply|Show")).click()
    expect(page).to_have_url(re.compile(r"country=GB"))
    page.get_by_role("link", name="Manchester", exact=True).first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Manchester")
    per_person = page.get_by_role("table", name=re.compile("CO2 per person by year"))
    expect(per_person).to_be_visible()
    expect(per_person).to_contain_text("2005")
    expect(per_person).to_contain_text("2006")
    check(page, "place-profile")


def test_an_event_known_only_to_the_month_reads_as_that_month(portal, page):
    page.goto(portal + "/events/")
    expect(page.get_by_text("May 2017").first).to_be_visible()
    check(page, "events")

    page.get_by_role("link", name="1st Eco-energy Town Workshop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("1st Eco-energy Town Workshop")
    expect(page.get_by_text("May 2017").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"\b1 May 2017|30 April 2017"))).to_have_count(0)
    check(page, "event-detail")


PAGES = [
    ("home", "/"),
    ("practices", "/practices/"),
    ("places", "/places/"),
    ("indicators", "/indicators/"),
    ("indicator", "/indicators/gb-co2-per-person/"),
    ("events", "/events/"),
    ("about", "/about/"),
    ("about-data", "/about/data/"),
    ("not-found", "/no-such-page/"),
]


def test_every_page_is_accessible_and_fits_a_phone(portal, page, phone_page):
    for name, path in PAGES:
        for viewer, suffix in ((page, "desktop"), (phone_page, "phone")):
            viewer.goto(portal + path)
            assert serious_accessibility_violations(viewer) == [], f"{path} ({suffix})"
            # Nothing wider than the screen: a phone must not scroll sideways.
            overflow = viewer.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} is {overflow}px too wide at {suffix} width"
            screenshot(viewer, f"page-{name}-{suffix}")
