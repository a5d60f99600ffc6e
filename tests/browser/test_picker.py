"""Search as you type in the case form's pickers (static/js/picker.js), in headless Chromium.

The journey runs on the live portal. The other tests load picker.js into a small page
of the same markup whose API answers are made up by the test, so that they can show a
failure, a slow answer or a hostile name without touching the portal.
"""

import contextlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from cset.accounts.choices import Role
from cset.accounts.services import add_to_role
from cset.reference.models import Place
from practices.models import BestPractice
from tests.browser.support import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-and-unusual-passphrase-17"
PICKER_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "picker.js"

# The journey -----------------------------------------------------------------------------


def a_submitter(email: str):
    user = get_user_model().objects.create_user(username="ana", email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    add_to_role(user, Role.SUBMITTERS)
    return user


def test_a_submitter_finds_a_place_as_they_type_and_saves_it_on_the_case(portal, page):
    a_submitter("ana@example.org")
    munster = Place.objects.get(name="Münster")
    page.goto(portal + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill("ana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(portal + "/submit/new/")
    picker = page.locator('[data-picker][data-picker-name="places"]')
    expect(picker).to_have_count(1)
    page.get_by_label(re.compile(r"^Title")).fill("Wärmenetz für die Altstadt")
    with page.expect_request(re.compile(r"/api/v1/places/\?")) as asked:
        picker.locator("[data-picker-query]").press_sequentially("münst", delay=40)

    # No button was pressed: the page is the same one, and the matches came by themselves.
    assert "/submit/new/" in page.url
    assert parse_qs(urlsplit(asked.value.url).query)["search"] == ["münst"]
    match = picker.get_by_role("checkbox", name=re.compile(r"^Münster \("))
    expect(match).to_be_visible()
    expect(picker.get_by_role("status")).to_contain_text(re.compile(r"\b1\b"))
    expect(picker.locator("[data-picker-button]")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "submit-form-place-picker")

    match.check()
    page.get_by_role("button", name="Save as draft").click()

    expect(page.get_by_text("Your draft was saved.")).to_be_visible()
    practice = BestPractice.objects.get(title="Wärmenetz für die Altstadt")
    assert list(practice.places.all()) == [munster]
    expect(page.get_by_role("checkbox", name=re.compile(r"^Münster \("))).to_be_checked()


# picker.js on its own --------------------------------------------------------------------

ORIGIN = "http://picker.test"
HARNESS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Picker</title></head><body><main>
<form method="post" action="/posted">
  <fieldset><legend>Places of this case</legend>
    <div class="form-check">
      <input class="form-check-input" type="checkbox" name="places" value="1" id="place-1"
             checked>
      <label class="form-check-label" for="place-1">Berlin (Germany)</label>
    </div>
  </fieldset>
  <div data-picker data-picker-source="/api/v1/places/?kind=city" data-picker-name="places"
       data-picker-found="{count} places found" data-picker-found-one="{count} place found"
       data-picker-none="No place has that name."
       data-picker-more="Only the first {shown} of {count} are shown."
       data-picker-legend="Places matching “{query}”"
       data-picker-error="Search as you type is not available: use the Find button.">
    <label for="q">Find places by name</label>
    <input type="search" id="q" name="place_q" data-picker-query>
    <button type="submit" name="action" value="find_places" data-picker-button>Find</button>
    <div data-picker-results aria-live="polite"><p>Server matches</p></div>
  </div>
  <button type="submit" name="action" value="draft">Save as draft</button>
</form>
</main><script src="/static/js/picker.js"></script></body></html>"""


def place(pk: int, name: str, country: str | None = "Germany") -> dict:
    return {"id": pk, "name": name, "country": {"code": "DE", "name": country} if country else None}


class FakeApi:
    """Answers the harness's requests: the page, picker.js, the API and the form's post."""

    def __init__(self, page):
        self.answers = []
        self.searches = []
        self.held = []
        self.posts = []
        self.hold_next = False
        page.route(f"{ORIGIN}/**", self.answer)

    def answer(self, route):
        request = route.request
        path = urlsplit(request.url).path
        if path == "/":
            route.fulfill(body=HARNESS, content_type="text/html; charset=utf-8")
        elif path == "/static/js/picker.js":
            route.fulfill(path=str(PICKER_JS), content_type="text/javascript")
        elif path == "/posted":
            self.posts.append(parse_qs(request.post_data or ""))
            route.fulfill(body="<title>Posted</title>", content_type="text/html")
        elif self.hold_next:
            self.hold_next = False
            self.searches.append(request)
            self.held.append(route)
        else:
            self.searches.append(request)
            status, body = self.answers.pop(0) if self.answers else (200, self.results([]))
            route.fulfill(status=status, body=body, content_type="application/json")

    @staticmethod
    def results(items: list[dict], count: int | None = None) -> str:
        total = len(items) if count is None else count
        return json.dumps({"count": total, "next": None, "previous": None, "results": items})

    def will_answer(self, items: list[dict], count: int | None = None, status: int = 200):
        self.answers.append((status, self.results(items, count)))

    def searched_for(self, number: int = -1) -> str:
        return parse_qs(urlsplit(self.searches[number].url).query)["search"][0]


@pytest.fixture
def api(page):
    fake = FakeApi(page)
    page.goto(ORIGIN + "/")
    return fake


def results_of(page):
    return page.locator("[data-picker-results]")


def status_of(page):
    return page.locator("[data-picker]").get_by_role("status")


def test_typing_asks_the_api_once_after_a_pause_and_shows_checkboxes(page, api):
    api.will_answer([place(2, "Münster"), place(3, "Münsterhausen")])

    page.get_by_label("Find places by name").press_sequentially("Münst", delay=30)

    boxes = results_of(page).get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    expect(status_of(page)).to_have_text("2 places found")
    expect(results_of(page).get_by_role("group", name="Places matching “Münst”")).to_be_visible()
    assert len(api.searches) == 1
    request = api.searches[0]
    query = parse_qs(urlsplit(request.url).query)
    assert query == {"kind": ["city"], "search": ["Münst"], "limit": ["10"]}
    assert request.headers["accept"] == "application/json"
    assert boxes.nth(0).get_attribute("name") == "places"
    assert boxes.nth(0).get_attribute("value") == "2"
    expect(results_of(page).get_by_label("Münster (Germany)", exact=True)).to_be_visible()
    ids = page.eval_on_selector_all("[id]", "nodes => nodes.map(node => node.id)")
    assert len(ids) == len(set(ids))
    expect(results_of(page)).not_to_contain_text("Server matches")


@pytest.mark.parametrize("typed", ["M", " ", "\u00a0\u00a0", "\u200b\u200b", "a\u200b"])
def test_less_than_two_visible_characters_asks_nothing(page, api, typed):
    page.get_by_label("Find places by name").fill(typed)
    page.wait_for_timeout(600)

    assert api.searches == []
    expect(results_of(page)).to_contain_text("Server matches")


@pytest.mark.parametrize("typed", ["서울", "Улаанбаатар", "አዲስ አበባ", "🌃 city", "a&b=c#d"])
def test_any_script_reaches_the_api_whole(page, api, typed):
    page.get_by_label("Find places by name").fill(typed)

    expect(status_of(page)).to_have_text("No place has that name.")
    assert api.searched_for() == typed


def test_a_long_query_is_cut_to_what_the_api_accepts(page, api):
    page.get_by_label("Find places by name").fill("x" * 10_000)

    expect(status_of(page)).to_have_text("No place has that name.")
    assert api.searched_for() == "x" * 200


def test_enter_searches_and_does_not_post_the_form(page, api):
    api.will_answer([place(2, "Mainz")])
    field = page.get_by_label("Find places by name")
    field.fill("M")

    field.press("Enter")

    expect(results_of(page).get_by_role("checkbox")).to_have_count(1)
    expect(status_of(page)).to_have_text("1 place found")
    assert api.posts == []
    assert api.searched_for() == "M"


def test_names_from_the_api_are_text_never_markup(page, api):
    hostile = '<img src=x onerror="window.hacked = 1">Évora</label><script>window.hacked=2</script>'
    api.will_answer([place(2, hostile, country="<b>Portugal</b>")])

    page.get_by_label("Find places by name").fill("Évora")

    expect(results_of(page).get_by_role("checkbox")).to_have_count(1)
    assert results_of(page).locator("label").text_content() == f"{hostile} (<b>Portugal</b>)"
    expect(results_of(page).locator("img, script, b")).to_have_count(0)
    assert page.evaluate("window.hacked") is None


def test_a_place_already_ticked_is_not_offered_again_and_ticks_survive_a_new_search(page, api):
    api.will_answer([place(1, "Berlin"), place(2, "Bernau"), place(3, "Bernkastel")])
    api.will_answer([place(2, "Bernau"), place(4, "Bernburg")])
    field = page.get_by_label("Find places by name")

    field.fill("Ber")
    expect(results_of(page).get_by_role("checkbox")).to_have_count(2)
    results_of(page).get_by_label("Bernau (Germany)").check()
    field.fill("Bern")

    expect(results_of(page).get_by_label("Bernburg (Germany)")).to_be_visible()
    values = page.eval_on_selector_all(
        "input[name=places]", "boxes => boxes.map(box => [box.value, box.checked])"
    )
    assert sorted(values) == [["1", True], ["2", True], ["4", False]]


def test_a_stale_answer_is_aborted_and_never_shown(page, api):
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    field = page.get_by_label("Find places by name")
    api.hold_next = True
    field.fill("Mün")
    page.wait_for_timeout(500)
    assert len(api.held) == 1

    api.will_answer([place(5, "München")])
    field.fill("Münc")
    expect(results_of(page).get_by_label("München (Germany)")).to_be_visible()
    # The browser may have dropped the aborted request already: then there is nothing to answer.
    with contextlib.suppress(PlaywrightError):
        api.held[0].fulfill(body=FakeApi.results([place(6, "Münster")]))
    page.wait_for_timeout(300)

    expect(results_of(page).get_by_role("checkbox")).to_have_count(1)
    expect(results_of(page).get_by_label("München (Germany)")).to_be_visible()
    assert [api.searched_for(0), api.searched_for(1)] == ["Mün", "Münc"]
    assert any("search=M%C3%BCn&" in url for url in failed)


def test_many_matches_say_how_many_are_shown(page, api):
    api.will_answer([place(number, f"Neustadt {number}") for number in range(2, 12)], count=42)

    page.get_by_label("Find places by name").fill("Neustadt")

    expect(results_of(page).get_by_role("checkbox")).to_have_count(10)
    expect(status_of(page)).to_have_text("42 places found Only the first 10 of 42 are shown.")


@pytest.mark.parametrize("status", [500, 400, 200])
def test_when_the_api_fails_the_find_button_still_searches(page, api, status):
    # A 200 with a body that is not the API's list counts as a failure too.
    api.answers.append((status, "<html>not json</html>"))
    field = page.get_by_label("Find places by name")

    field.fill("Münster")
    expect(status_of(page)).to_have_text(
        "Search as you type is not available: use the Find button."
    )
    expect(results_of(page)).to_contain_text("Server matches")
    field.press("Enter")

    expect(page).to_have_title("Posted")
    assert api.posts[0]["action"] == ["find_places"]
    assert api.posts[0]["place_q"] == ["Münster"]
    assert api.posts[0]["places"] == ["1"]
