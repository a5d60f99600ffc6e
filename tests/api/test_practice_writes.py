"""Writing cases through the API: who may read, edit and move a case in which state,
validation, versions, double submits and CSRF."""

import uuid

import pytest
from rest_framework.test import APIClient

from practices.choices import Status
from practices.models import BestPractice, Transition
from tests import factories
from tests.practices.test_workflow import DIAGRAM, SUBMITTER_VERBS
from tests.roles import ROLES, Cast, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return Cast()


def client_for(user) -> APIClient:
    client = APIClient()
    if user.is_authenticated:
        client.force_login(user)
    return client


def expected_status(role: str, state: str, action: str) -> int:
    """DESIGN.md's roles table as HTTP: 404 for what the caller cannot see, 403 for what
    their role may not do, 409 for what the case's state does not allow."""
    sees = state == Status.PUBLISHED or role in {"owner", "curator", "superuser"}
    curator_like = role in {"curator", "superuser"}
    if action == "see":
        return 200 if sees else 404
    if role == "anonymous":
        return 403
    if not sees:
        return 404
    if action == "edit":
        owner_may = role == "owner" and state in {Status.DRAFT, Status.CHANGES_REQUESTED}
        return 200 if curator_like or owner_may else 403
    if not curator_like and not (role == "owner" and action in SUBMITTER_VERBS):
        return 403
    return 200 if DIAGRAM[action][0] == state else 409


def attempt(client: APIClient, practice: BestPractice, action: str):
    address = f"/api/v1/practices/{practice.slug}/"
    if action == "see":
        return client.get(address)
    if action == "edit":
        return client.patch(address, {"summary": "Changed.", "version": 1}, format="json")
    return client.post(f"{address}{action}/", {"comment": "Noted."}, format="json")


@pytest.mark.parametrize("action", ["see", "edit", *DIAGRAM])
@pytest.mark.parametrize("state", Status.values)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_api(cast, role, state, action):
    practice = factories.PracticeFactory(status=state, submitted_by=cast.owner, summary="Kept.")

    response = attempt(client_for(cast[role]), practice, action)

    expected = expected_status(role, state, action)
    assert response.status_code == expected, response.content
    practice.refresh_from_db()
    if action == "edit":
        assert practice.summary == ("Changed." if expected == 200 else "Kept.")
    elif action != "see":
        assert practice.status == (DIAGRAM[action][1] if expected == 200 else state)
        assert Transition.objects.filter(practice=practice).count() == (expected == 200)
    if expected in {403, 409}:
        assert response.json()["detail"]


# Reading ---------------------------------------------------------------------------------


def test_lists_show_each_caller_what_they_may_see(cast):
    own_draft = factories.PracticeFactory(submitted_by=cast.owner, status=Status.DRAFT)
    others_draft = factories.PracticeFactory(submitted_by=cast.other_submitter)
    published = factories.PublishedPracticeFactory(submitted_by=cast.other_submitter)

    def slugs(user):
        body = client_for(user).get("/api/v1/practices/").json()
        return {row["slug"] for row in body["results"]}

    assert slugs(cast.anonymous) == {published.slug}
    assert slugs(cast.owner) == {published.slug, own_draft.slug}
    assert slugs(cast.curator) == {published.slug, own_draft.slug, others_draft.slug}


def test_the_workflow_block_is_shown_only_to_the_submitter_and_curators(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner, status=Status.PUBLISHED)
    address = f"/api/v1/practices/{practice.slug}/"

    public = client_for(cast.anonymous).get(address).json()
    other = client_for(cast.other_submitter).get(address).json()
    own = client_for(cast.owner).get(address).json()
    reviewing = client_for(cast.curator).get(address).json()

    assert public["workflow"] is None
    assert other["workflow"] is None
    assert own["workflow"] == {
        "status": "published",
        "version": 1,
        "editable": False,
        "transitions": [],
    }
    assert reviewing["workflow"]["transitions"] == ["archive", "unpublish"]
    assert reviewing["workflow"]["editable"] is True


# Creating --------------------------------------------------------------------------------


def test_a_submitter_creates_a_draft_of_their_own(cast):
    client = client_for(cast.owner)
    theme = factories.ThemeFactory(slug="public-lighting")
    place = factories.PlaceFactory()

    response = client.post(
        "/api/v1/practices/",
        {
            "title": "LED street lights in 서울 🌃",
            "summary": "All lamps replaced.",
            "themes": ["public-lighting"],
            "places": [place.pk],
            "start_year": 2016,
            "end_year": 2018,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["workflow"]["status"] == "draft"
    assert body["workflow"]["transitions"] == ["submit"]
    practice = BestPractice.objects.get(slug=body["slug"])
    assert practice.submitted_by == cast.owner
    assert list(practice.themes.all()) == [theme]
    assert list(practice.places.all()) == [place]
    assert practice.title == "LED street lights in 서울 🌃"


def test_a_signed_in_user_without_the_permission_cannot_create():
    user = make_user("plain")
    user.groups.clear()

    response = client_for(user).post("/api/v1/practices/", {"title": "A case"}, format="json")

    assert response.status_code == 403
    assert not BestPractice.objects.exists()


def test_a_double_submit_with_one_key_creates_one_case(cast):
    client = client_for(cast.owner)
    body = {"title": "Solar roofs", "submission_key": str(uuid.uuid4())}

    first = client.post("/api/v1/practices/", body, format="json")
    second = client.post("/api/v1/practices/", body, format="json")
    foreign = client_for(cast.other_submitter).post("/api/v1/practices/", body, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["slug"] == second.json()["slug"]
    assert foreign.status_code == 409
    assert BestPractice.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "\u00a0\u00a0"}, "title"),
        ({"title": "\u200b\u200d\ufeff"}, "title"),
        ({"title": "nul\x00byte"}, "title"),
        ({"title": "x" * 10_000}, "title"),
        ({"title": "Fine", "summary": "nul\x00byte"}, "summary"),
        ({"title": "Fine", "summary": "x" * 20_001}, "summary"),
        ({"title": "Fine", "start_year": 2015, "end_year": 2010}, "end_year"),
        ({"title": "Fine", "start_year": "soon"}, "start_year"),
        ({"title": "Fine", "places": [999_999]}, "places"),
        ({"title": "Fine", "themes": ["no-such-theme"]}, "themes"),
        ({"title": "Fine", "implementation": "finished"}, "implementation"),
        ({"title": "Fine", "contact_email": "nobody"}, "contact_email"),
    ],
)
def test_invalid_cases_are_refused_with_the_field_named(cast, body, field):
    response = client_for(cast.owner).post("/api/v1/practices/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not BestPractice.objects.exists()


def test_ten_thousand_characters_in_a_section_are_kept_whole(cast):
    text = "Ünïcödé 서울 " * 1_000

    response = client_for(cast.owner).post(
        "/api/v1/practices/", {"title": "Long", "lessons": text}, format="json"
    )

    assert response.status_code == 201
    assert BestPractice.objects.get().lessons == text.strip()


# Editing ---------------------------------------------------------------------------------


def test_an_edit_needs_the_version_it_started_from(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner)

    response = client_for(cast.owner).patch(
        f"/api/v1/practices/{practice.slug}/", {"summary": "New"}, format="json"
    )

    assert response.status_code == 400
    assert "version" in response.json()


def test_a_stale_edit_is_a_conflict_and_the_stored_text_stays(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner, summary="Original.")
    address = f"/api/v1/practices/{practice.slug}/"
    curator_saves = client_for(cast.curator).patch(
        address, {"summary": "The curator's text.", "version": 1}, format="json"
    )

    stale = client_for(cast.owner).patch(
        address, {"summary": "The submitter's text.", "version": 1}, format="json"
    )

    assert curator_saves.status_code == 200
    assert curator_saves.json()["workflow"]["version"] == 2
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert "changed by someone else" in stale.json()["detail"]
    practice.refresh_from_db()
    assert (practice.summary, practice.version) == ("The curator's text.", 2)


def test_a_full_update_replaces_the_text_and_keeps_the_slug(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner, slug="fixed-slug")

    response = client_for(cast.owner).put(
        f"/api/v1/practices/{practice.slug}/",
        {"title": "A new title", "summary": "New summary.", "version": 1},
        format="json",
    )

    assert response.status_code == 200, response.content
    practice.refresh_from_db()
    assert (practice.slug, practice.title, practice.version) == ("fixed-slug", "A new title", 2)


def test_the_status_cannot_be_written(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner)

    client_for(cast.owner).patch(
        f"/api/v1/practices/{practice.slug}/",
        {"status": "published", "version": 1},
        format="json",
    )

    practice.refresh_from_db()
    assert practice.status == Status.DRAFT


# Steps -----------------------------------------------------------------------------------


def test_a_step_answers_with_the_case_and_a_refusal_says_why(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner, status=Status.IN_REVIEW)
    client = client_for(cast.curator)
    address = f"/api/v1/practices/{practice.slug}/publish/"

    published = client.post(address, {"comment": "Good."}, format="json")
    again = client.post(address, {}, format="json")

    assert published.status_code == 200
    assert published.json()["workflow"]["status"] == "published"
    assert published.json()["published_at"]
    assert again.status_code == 409
    assert again.json()["detail"] == "This case is already published."


def test_requesting_changes_without_a_comment_is_a_bad_request(cast):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW)

    response = client_for(cast.curator).post(
        f"/api/v1/practices/{practice.slug}/request-changes/", {}, format="json"
    )

    assert response.status_code == 400
    assert "comment" in response.json()


def test_a_comment_with_a_nul_byte_is_refused(cast):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW)

    response = client_for(cast.curator).post(
        f"/api/v1/practices/{practice.slug}/publish/", {"comment": "a\x00b"}, format="json"
    )

    assert response.status_code == 400
    practice.refresh_from_db()
    assert practice.status == Status.IN_REVIEW


# CSRF ------------------------------------------------------------------------------------


def test_a_signed_in_post_without_csrf_token_is_refused(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.owner)

    created = client.post("/api/v1/practices/", {"title": "Forged"}, format="json")
    submitted = client.post(f"/api/v1/practices/{practice.slug}/submit/", {}, format="json")
    edited = client.patch(
        f"/api/v1/practices/{practice.slug}/", {"summary": "Forged", "version": 1}, format="json"
    )

    assert [created.status_code, submitted.status_code, edited.status_code] == [403] * 3
    assert "CSRF" in created.json()["detail"]
    practice.refresh_from_db()
    assert (practice.status, practice.version) == (Status.DRAFT, 1)
    assert BestPractice.objects.count() == 1


def test_a_signed_in_post_with_the_csrf_token_goes_through(cast):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    token = "a" * 32
    client.cookies["csrftoken"] = token

    response = client.post(
        "/api/v1/practices/", {"title": "Genuine"}, format="json", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 201


def test_a_curators_list_costs_the_same_queries_whatever_its_length(
    cast, django_assert_max_num_queries
):
    factories.PracticeFactory.create_batch(20, submitted_by=cast.owner)
    client = client_for(cast.curator)
    client.get("/api/v1/practices/", {"limit": 1})

    with django_assert_max_num_queries(12) as one_row:
        short = client.get("/api/v1/practices/", {"limit": 1})
    with django_assert_max_num_queries(12) as many:
        long = client.get("/api/v1/practices/", {"limit": 20})

    assert len(short.json()["results"]) == 1
    assert len(long.json()["results"]) == 20
    assert len(one_row.captured_queries) == len(many.captured_queries)
