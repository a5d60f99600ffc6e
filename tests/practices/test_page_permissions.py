"""The permission matrix of the pages: every role × every state × every page action.

The expected answer of each cell is worked out below from DESIGN.md's roles table and
workflow diagram, not from the code under test; the API's matrix is
tests/api/test_practice_writes.py, the services' is tests/practices/test_workflow.py.
"""

import pytest
from django.test import Client
from django.urls import reverse

from practices.choices import Status
from practices.models import BestPractice, Transition
from tests import factories
from tests.practices.test_workflow import DIAGRAM, SUBMITTER_VERBS
from tests.roles import ROLES, Cast

pytestmark = pytest.mark.django_db

# Pages that only show: the public case, the submitter's preview, the review page, the
# edit form.
SHOWING = ["detail", "preview", "review", "edit"]
# The edit form's buttons: save as draft, save and submit, save and resubmit.
FORM_BUTTONS = {"save": "draft", "submit": "submit", "resubmit": "resubmit"}
# The curators' steps, as the review page's forms post them (review:step).
REVIEW_STEPS = ["start-review", "request-changes", "publish", "reject", "archive", "unpublish"]
ACTIONS = [*SHOWING, *FORM_BUTTONS, *REVIEW_STEPS, "assign"]
CURATOR_PAGES = {"review", "assign", *REVIEW_STEPS}

SIGN_IN = "sign in"
SUBMITTER_EDITS = {Status.DRAFT, Status.CHANGES_REQUESTED}
CHANGED = "The summary as changed by the form."
KEPT = "The summary before the form."


def sees(role: str, state: str) -> bool:
    """Roles table: published data for all; unpublished cases for their submitter and
    curators."""
    return state == Status.PUBLISHED or role in {"owner", "curator", "superuser"}


def curator_like(role: str) -> bool:
    return role in {"curator", "superuser"}


def expected_answer(role: str, state: str, action: str) -> int | str:
    """The HTTP answer DESIGN.md implies: the public page exists only for published cases;
    signed-in pages send visitors to sign in; a case the user may not read is not found
    (404); an action their role may not take is refused (403); forms redirect when done."""
    if action == "detail":
        return 200 if state == Status.PUBLISHED else 404
    if role == "anonymous":
        return SIGN_IN
    if action in CURATOR_PAGES:
        if not curator_like(role):
            return 403
        return 200 if action == "review" else 302
    if not sees(role, state):
        return 404
    if action == "preview":
        return 200
    edits = curator_like(role) or (role == "owner" and state in SUBMITTER_EDITS)
    if not edits:
        return 403
    return 200 if action == "edit" else 302


def expected_move(role: str, state: str, action: str) -> bool:
    """Whether the action moves the case along the diagram: a step whose page answered,
    taken by a role that may take it, from the state the diagram starts it in."""
    if action not in DIAGRAM or expected_answer(role, state, action) != 302:
        return False
    may = curator_like(role) or (role == "owner" and action in SUBMITTER_VERBS)
    return may and DIAGRAM[action][0] == state


def cells():
    for role in ROLES:
        for state in Status.values:
            for action in ACTIONS:
                yield pytest.param(role, state, action, id=f"{role}-{state}-{action}")


@pytest.fixture
def cast():
    return Cast()


def client_for(user) -> Client:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client


def form_data(practice: BestPractice, button: str) -> dict:
    """The edit form as a browser posts it, with a changed summary and no impact rows."""
    return {
        "title": practice.title,
        "summary": CHANGED,
        "implementation": practice.implementation,
        "start_year": str(practice.start_year),
        "language": practice.language,
        "licence": practice.licence,
        "version": str(practice.version),
        "answer": "The costs are added.",
        "action": FORM_BUTTONS[button],
        "impacts-TOTAL_FORMS": "0",
        "impacts-INITIAL_FORMS": "0",
        "impacts-MIN_NUM_FORMS": "0",
        "impacts-MAX_NUM_FORMS": "1000",
    }


def attempt(client: Client, practice: BestPractice, action: str):
    slug = practice.slug
    pages = {
        "detail": "practices:detail",
        "preview": "submit:preview",
        "review": "review:practice",
        "edit": "submit:edit",
    }
    if action in pages:
        return client.get(reverse(pages[action], args=[slug]))
    if action in FORM_BUTTONS:
        return client.post(reverse("submit:edit", args=[slug]), form_data(practice, action))
    if action == "assign":
        return client.post(reverse("review:assign", args=[slug]))
    return client.post(reverse("review:step", args=[slug, action]), {"comment": "Noted."})


def redirect_target(practice: BestPractice, action: str, moved: bool) -> str:
    """Where a form sends its user once it is done."""
    if action == "assign":
        return reverse("review:queue")
    if action in REVIEW_STEPS:
        return reverse("review:practice", args=[practice.slug])
    if moved:
        return reverse("submit:mine")
    return reverse("submit:edit", args=[practice.slug])


def offered_steps(response, action: str) -> set[str]:
    """The workflow steps a page offers as buttons."""
    if action == "review":
        return {step["verb"] for step in response.context["steps"]}
    page = response.content.decode()
    return {verb for verb in SUBMITTER_VERBS if f'name="action" value="{verb}"' in page}


@pytest.mark.parametrize(("role", "state", "action"), list(cells()))
def test_permission_matrix_of_the_pages(cast, role, state, action):
    practice = factories.PracticeFactory(status=state, submitted_by=cast.owner, summary=KEPT)

    response = attempt(client_for(cast[role]), practice, action)

    expected = expected_answer(role, state, action)
    moved = expected_move(role, state, action)
    if expected == SIGN_IN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == redirect_target(practice, action, moved)
    if expected == 200 and action in {"review", "edit"}:
        verbs = REVIEW_STEPS if action == "review" else SUBMITTER_VERBS
        assert offered_steps(response, action) == {
            verb for verb in verbs if DIAGRAM[verb][0] == state
        }

    practice.refresh_from_db()
    assert practice.status == (DIAGRAM[action][1] if moved else state)
    assert Transition.objects.filter(practice=practice).count() == int(moved)
    if action in FORM_BUTTONS:
        assert practice.summary == (CHANGED if expected == 302 else KEPT)
    if action == "assign":
        assert practice.assigned_to == (cast[role] if expected == 302 else None)


def test_the_review_page_takes_no_submitters_step(cast):
    practice = factories.PracticeFactory(status=Status.DRAFT, submitted_by=cast.owner)
    client = client_for(cast.curator)

    responses = [
        client.post(reverse("review:step", args=[practice.slug, verb])) for verb in SUBMITTER_VERBS
    ]

    assert [response.status_code for response in responses] == [404] * len(SUBMITTER_VERBS)
    practice.refresh_from_db()
    assert practice.status == Status.DRAFT
    assert not practice.transitions.exists()


@pytest.mark.parametrize("action", ["detail", "preview", "review", "edit", "assign", "publish"])
def test_an_unknown_case_is_not_found_for_whoever_may_look(cast, action):
    missing = BestPractice(slug="no-such-case", title="Missing", status=Status.IN_REVIEW)

    response = attempt(client_for(cast.superuser), missing, action)

    assert response.status_code == 404


def test_a_refusal_on_the_edit_page_says_why(cast):
    practice = factories.PracticeFactory(
        status=Status.SUBMITTED, submitted_by=cast.owner, summary=KEPT
    )

    response = attempt(client_for(cast.owner), practice, "save")

    assert response.status_code == 403
    assert "only while it is a draft" in response.content.decode()
    practice.refresh_from_db()
    assert (practice.summary, practice.version) == (KEPT, 1)
