"""The submitter's pages: writing a case, editing it safely, and "My cases"."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practices import services
from practices.choices import Status
from practices.models import BestPractice, Impact, Transition
from tests import factories
from tests.roles import curator, make_user, submitter

pytestmark = pytest.mark.django_db

NEW = reverse("submit:new")
MINE = reverse("submit:mine")


def impact_rows(*rows: dict, initial: int = 0) -> dict:
    data = {
        "impacts-TOTAL_FORMS": str(len(rows)),
        "impacts-INITIAL_FORMS": str(initial),
        "impacts-MIN_NUM_FORMS": "0",
        "impacts-MAX_NUM_FORMS": "1000",
    }
    for number, row in enumerate(rows):
        data.update({f"impacts-{number}-{name}": value for name, value in row.items()})
    return data


IMPACT = {
    "metric": "Final energy saved",
    "value": "1200",
    "unit": "MWh",
    "period": "per year",
    "basis": "achieved",
    "verification": "self_reported",
}


def case_data(**changes) -> dict:
    data = {
        "title": "Solar roofs on every school",
        "summary": "Forty schools got solar roofs.",
        "language": "en",
        "licence": "CC-BY-4.0",
        "start_year": "2018",
        "end_year": "2020",
        "submission_key": str(uuid.uuid4()),
        "action": "draft",
        **impact_rows(IMPACT),
    }
    data.update(changes)
    return data


def edit_data(practice: BestPractice, **changes) -> dict:
    data = case_data(version=str(practice.version), **changes)
    data.pop("submission_key")
    data.update(impact_rows())
    return data


@pytest.fixture
def owner():
    return submitter("owner")


@pytest.fixture
def client_of(owner):
    client = Client()
    client.force_login(owner)
    return client


def test_anonymous_is_sent_to_sign_in():
    for url in (NEW, MINE):
        response = Client().get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_an_account_without_the_permission_is_refused():
    client = Client()
    client.force_login(make_user("plain"))
    response = client.get(NEW)
    assert response.status_code == 403
    assert "may not write cases" in response.content.decode()


def test_the_form_shows_sections_labels_and_a_submission_key(client_of):
    response = client_of.get(NEW)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<legend") >= 6
    assert 'name="submission_key"' in page
    assert 'for="id_title"' in page
    assert "Save as draft" in page and "Save and submit" in page
    assert "csrfmiddlewaretoken" in page


def test_a_submitter_saves_a_draft_with_an_impact_then_submits_it(client_of, owner):
    theme = factories.ThemeFactory()
    place = factories.PlaceFactory()
    response = client_of.post(NEW, case_data(themes=[theme.pk], places=[place.pk]))
    practice = BestPractice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("submit:edit", args=[practice.slug])
    assert practice.status == Status.DRAFT
    assert practice.submitted_by == owner
    assert list(practice.themes.all()) == [theme]
    assert list(practice.places.all()) == [place]
    impact = Impact.objects.get()
    assert (impact.practice, impact.value, impact.unit) == (practice, 1200.0, "MWh")

    url = reverse("submit:edit", args=[practice.slug])
    data = edit_data(practice, action="submit")
    data.update(impact_rows({**IMPACT, "id": impact.pk, "practice": practice.pk}, initial=1))
    response = client_of.post(url, data)
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.status == Status.SUBMITTED
    assert practice.transitions.get().to_status == Status.SUBMITTED
    assert Impact.objects.count() == 1


def test_save_and_submit_a_new_case_at_once(client_of):
    response = client_of.post(NEW, case_data(action="submit"))
    assert response.status_code == 302
    assert BestPractice.objects.get().status == Status.SUBMITTED


def test_a_double_click_creates_one_case(client_of):
    data = case_data(action="submit")
    first = client_of.post(NEW, data)
    second = client_of.post(NEW, data)
    assert first.status_code == second.status_code == 302
    assert BestPractice.objects.count() == 1
    assert Impact.objects.count() == 1
    assert Transition.objects.count() == 1


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e999"])
def test_impact_values_must_be_finite(client_of, value):
    response = client_of.post(NEW, case_data(**{"impacts-0-value": value}))
    assert response.status_code == 400
    assert response.context["impacts"].forms[0].errors["value"]
    assert 'role="alert"' in response.content.decode()
    assert not BestPractice.objects.exists()


def test_an_unknown_unit_is_refused(client_of):
    response = client_of.post(NEW, case_data(**{"impacts-0-unit": "furlongs"}))
    assert response.status_code == 400
    assert response.context["impacts"].forms[0].errors["unit"]
    assert not BestPractice.objects.exists()


@pytest.mark.parametrize("title", ["", "   ", "\u00a0\u00a0", "\u200b", "\u200b\u00a0\u200d"])
def test_blank_titles_are_refused_and_the_text_is_kept(client_of, title):
    response = client_of.post(NEW, case_data(title=title, summary="Kept text ✓"))
    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert "Kept text ✓" in response.content.decode()
    assert not BestPractice.objects.exists()


def test_a_case_cannot_end_before_it_starts(client_of):
    response = client_of.post(NEW, case_data(start_year="2020", end_year="2018"))
    assert response.status_code == 400
    assert response.context["form"].errors["end_year"]
    assert not BestPractice.objects.exists()


def test_a_place_that_does_not_exist_is_refused(client_of):
    response = client_of.post(NEW, case_data(places=["999999"]))
    assert response.status_code == 400
    assert response.context["form"].errors["places"]


def test_finding_places_keeps_the_text_and_saves_nothing(client_of):
    factories.PlaceFactory(name="Güssing")
    chosen = factories.PlaceFactory(name="Freiburg")
    data = case_data(action="find_places", place_q="gussing", places=[chosen.pk], title="")
    response = client_of.post(NEW, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Güssing" in page and "Freiburg" in page
    assert "Forty schools got solar roofs." in page
    assert 'role="alert"' not in page
    assert not BestPractice.objects.exists()


def test_places_are_found_by_a_get_query_too(client_of):
    factories.PlaceFactory(name="Güssing")
    response = client_of.get(NEW, {"place_q": "Güss"})
    assert "Güssing" in response.content.decode()


@pytest.mark.parametrize(("state", "answer"), [(Status.PUBLISHED, 403), (Status.DRAFT, 404)])
def test_a_submitter_cannot_edit_another_submitters_case(client_of, state, answer):
    # An unpublished case of someone else does not exist for this user; a published one
    # is refused with the reason.
    practice = factories.PracticeFactory(submitted_by=submitter("other"), status=state)
    url = reverse("submit:edit", args=[practice.slug])
    assert client_of.get(url).status_code == answer
    response = client_of.post(url, edit_data(practice, title="Taken over"))
    assert response.status_code == answer
    practice.refresh_from_db()
    assert practice.title != "Taken over"


@pytest.mark.parametrize("state", [Status.SUBMITTED, Status.IN_REVIEW, Status.PUBLISHED])
def test_a_submitter_cannot_edit_their_case_after_submitting(client_of, owner, state):
    practice = factories.PracticeFactory(submitted_by=owner, status=state)
    url = reverse("submit:edit", args=[practice.slug])
    response = client_of.get(url)
    assert response.status_code == 403
    assert "only while it is a draft" in response.content.decode()
    assert client_of.post(url, edit_data(practice, title="Late change")).status_code == 403
    practice.refresh_from_db()
    assert practice.title != "Late change"


def test_a_stale_save_is_refused_and_keeps_both_texts(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner, summary="Original.")
    opened_at = practice.version
    services.save_practice(
        practice, {"summary": "Newer text by a curator."}, actor=owner, expected_version=opened_at
    )

    url = reverse("submit:edit", args=[practice.slug])
    data = edit_data(practice, summary="My typed text.")
    data["version"] = str(opened_at)
    response = client_of.post(url, data)
    page = response.content.decode()
    assert response.status_code == 409
    assert "This case was changed by someone else since you opened it" in page
    assert "My typed text." in page
    assert f'name="version" value="{opened_at + 1}"' in page
    practice.refresh_from_db()
    assert practice.summary == "Newer text by a curator."


def test_changes_requested_then_resubmitted_with_an_answer(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.IN_REVIEW)
    services.request_changes(practice, actor=curator(), comment="Add the costs, please.")
    url = reverse("submit:edit", args=[practice.slug])
    page = client_of.get(url).content.decode()
    assert "Save and resubmit" in page
    assert 'for="id_answer"' in page

    data = edit_data(practice, costs="Two million euros.", action="resubmit")
    data["answer"] = "Costs added."
    response = client_of.post(url, data)
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.status == Status.SUBMITTED
    assert practice.costs == "Two million euros."
    assert practice.transitions.last().comment == "Costs added."


def test_my_cases_lists_own_cases_with_state_and_latest_comment(client_of, owner):
    mine = factories.PracticeFactory(submitted_by=owner, title="Mine", status=Status.IN_REVIEW)
    factories.PracticeFactory(submitted_by=submitter("other"), title="Not mine")
    reviewer = curator()
    services.request_changes(mine, actor=reviewer, comment="First question.")
    services.resubmit_practice(mine, actor=owner, comment="My answer.")
    services.start_review(mine, actor=reviewer)
    services.request_changes(mine, actor=reviewer, comment="Second question.")

    page = client_of.get(MINE).content.decode()
    assert "Mine" in page and "Not mine" not in page
    assert "Changes requested" in page
    assert "Second question." in page
    assert "First question." not in page and "My answer." not in page
    assert reverse("submit:edit", args=[mine.slug]) in page


def test_my_cases_offers_no_edit_link_once_submitted(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.SUBMITTED)
    page = client_of.get(MINE).content.decode()
    assert reverse("submit:edit", args=[practice.slug]) not in page
    assert reverse("submit:preview", args=[practice.slug]) in page


def test_the_preview_shows_the_conversation(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.IN_REVIEW)
    services.request_changes(practice, actor=curator(), comment="Which year?")
    response = client_of.get(reverse("submit:preview", args=[practice.slug]))
    assert "Which year?" in response.content.decode()


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_my_cases_query_count_is_constant(client_of, owner):
    reviewer = curator()

    def add(count):
        for _ in range(count):
            practice = factories.PracticeFactory(submitted_by=owner, status=Status.IN_REVIEW)
            services.request_changes(practice, actor=reviewer, comment="Why?")

    add(3)
    few = _count_queries(client_of, MINE)
    add(27)
    many = _count_queries(client_of, MINE)
    assert few == many


def test_a_post_without_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(NEW, case_data()).status_code == 403
    assert not BestPractice.objects.exists()


def test_the_navigation_links_to_the_submitters_pages(client_of):
    page = client_of.get(MINE).content.decode()
    assert f'href="{NEW}"' in page and f'href="{MINE}"' in page
