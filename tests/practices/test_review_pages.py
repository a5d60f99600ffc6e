"""The curators' review queue and review page: who may see them, what they show, and the
workflow steps taken from them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from practices import services
from practices.choices import Status
from practices.models import BestPractice
from tests import factories
from tests.roles import curator, submitter

pytestmark = pytest.mark.django_db

QUEUE = reverse("review:queue")


@pytest.fixture
def owner():
    return submitter("owner", first_name="Ana", last_name="Owner")


@pytest.fixture
def reviewer():
    return curator("curator")


@pytest.fixture
def curator_client(client, reviewer):
    client.force_login(reviewer)
    return client


def make_case(owner, status=Status.SUBMITTED, days_old=0, **extra) -> BestPractice:
    practice = factories.PracticeFactory(status=status, submitted_by=owner, **extra)
    changed = timezone.now() - datetime.timedelta(days=days_old)
    BestPractice.objects.filter(pk=practice.pk).update(updated_at=changed)
    practice.refresh_from_db()
    return practice


def review_url(practice, name="review:practice", **kwargs) -> str:
    return reverse(name, kwargs={"slug": practice.slug, **kwargs})


def titles_in(response) -> list[str]:
    return [case.title for case in response.context["page"].object_list]


# Permissions -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, owner):
    practice = make_case(owner)
    for url in (QUEUE, review_url(practice)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_submitters_are_refused(client, owner):
    practice = make_case(owner)
    client.force_login(owner)
    assert client.get(QUEUE).status_code == 403
    assert client.get(review_url(practice)).status_code == 403
    response = client.post(review_url(practice, "review:step", verb="start-review"))
    assert response.status_code == 403
    assert client.post(review_url(practice, "review:assign")).status_code == 403
    practice.refresh_from_db()
    assert practice.status == Status.SUBMITTED
    assert practice.assigned_to is None


def test_curators_see_both_pages(curator_client, owner):
    practice = make_case(owner)
    assert curator_client.get(QUEUE).status_code == 200
    assert curator_client.get(review_url(practice)).status_code == 200


# The queue -------------------------------------------------------------------------------


def test_queue_shows_open_cases_oldest_first(curator_client, owner):
    make_case(owner, Status.IN_REVIEW, days_old=3, title="Middle")
    make_case(owner, Status.SUBMITTED, days_old=10, title="Oldest")
    make_case(owner, Status.CHANGES_REQUESTED, days_old=1, title="Newest")
    for status in (Status.DRAFT, Status.PUBLISHED, Status.REJECTED, Status.ARCHIVED):
        make_case(owner, status, days_old=50, title=f"Not waiting {status}")

    response = curator_client.get(QUEUE)

    assert titles_in(response) == ["Oldest", "Middle", "Newest"]
    content = response.content.decode()
    assert "Ana Owner" in content
    assert "Assign to me" in content


def test_queue_filters_by_state_but_never_offers_drafts(curator_client, owner):
    make_case(owner, Status.SUBMITTED, title="Waiting")
    make_case(owner, Status.PUBLISHED, title="Out")
    make_case(owner, Status.DRAFT, title="Private")

    assert titles_in(curator_client.get(QUEUE, {"status": "published"})) == ["Out"]
    response = curator_client.get(QUEUE, {"status": "draft"})
    assert titles_in(response) == ["Waiting"]
    assert "status" in response.context["filterset"].errors


def test_queue_filters_by_theme_country_and_age(curator_client, owner):
    theme = factories.ThemeFactory()
    place = factories.PlaceFactory()
    make_case(owner, days_old=40, title="Old, themed", themes=[theme])
    make_case(owner, days_old=2, title="Recent, placed", places=[place])

    assert titles_in(curator_client.get(QUEUE, {"theme": theme.slug})) == ["Old, themed"]
    country = place.country_id.lower()
    assert titles_in(curator_client.get(QUEUE, {"country": country})) == ["Recent, placed"]
    assert titles_in(curator_client.get(QUEUE, {"age": "30"})) == ["Old, themed"]
    assert titles_in(curator_client.get(QUEUE, {"age": "90"})) == []


def test_assign_to_me_sets_the_assignee_and_keeps_the_age(curator_client, owner, reviewer):
    practice = make_case(owner, days_old=5)
    before = practice.updated_at

    response = curator_client.post(
        review_url(practice, "review:assign"), {"next": f"{QUEUE}?age=7"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?age=7"
    practice.refresh_from_db()
    assert practice.assigned_to == reviewer
    assert practice.updated_at == before
    assert "curator@example.org" in curator_client.get(QUEUE).content.decode()


def test_assign_never_redirects_off_the_site(curator_client, owner):
    practice = make_case(owner)
    response = curator_client.post(
        review_url(practice, "review:assign"), {"next": "https://evil.example/"}
    )
    assert response["Location"] == QUEUE


def test_only_curators_are_assigned(owner, reviewer):
    practice = make_case(owner)
    with pytest.raises(services.PermissionDenied):
        services.assign_practice(practice, actor=reviewer, assignee=owner)
    with pytest.raises(services.PermissionDenied):
        services.assign_practice(practice, actor=owner, assignee=reviewer)


@pytest.mark.parametrize("rows", [3, 30])
def test_queue_needs_a_fixed_number_of_queries(
    curator_client, owner, reviewer, django_assert_num_queries, rows
):
    theme = factories.ThemeFactory()
    for number in range(rows):
        practice = make_case(owner, days_old=number, themes=[theme])
        services.assign_practice(practice, actor=reviewer, assignee=reviewer)

    # Session, user, two of permissions, the chosen theme, the count, the page of cases
    # (with submitters and assignees joined), and the themes of the filter form (two).
    with django_assert_num_queries(9):
        response = curator_client.get(QUEUE, {"theme": theme.slug})
    assert len(titles_in(response)) == min(rows, 25)


# The review page -------------------------------------------------------------------------


def test_review_page_shows_the_case_and_its_conversation(curator_client, owner, reviewer):
    theme = factories.ThemeFactory(name="Lighting of streets")
    place = factories.PlaceFactory(name="Smalltown")
    practice = make_case(owner, places=[place], themes=[theme], lessons="Start small.")
    factories.ImpactFactory(practice=practice, metric="Electricity saved")
    services.start_review(practice, actor=reviewer)
    services.request_changes(practice, actor=reviewer, comment="Please add <b>the costs</b>.")

    content = curator_client.get(review_url(practice)).content.decode()

    for text in ("Start small.", "Electricity saved", "Smalltown", "Lighting of streets"):
        assert text in content
    assert "Please add &lt;b&gt;the costs&lt;/b&gt;." in content
    assert content.index("Submitted → In review") < content.index("In review → Changes requested")


def test_review_page_compares_two_versions(curator_client, owner, reviewer):
    practice, _ = services.create_practice({"title": "Old title"}, actor=owner)
    services.save_practice(practice, {"title": "New <title>"}, actor=reviewer, expected_version=1)
    old, new = practice.history.order_by("history_date", "history_id")

    response = curator_client.get(
        review_url(practice), {"from": old.history_id, "to": new.history_id}
    )

    assert len(response.context["versions"]) == 2
    changes = {change["field"]: change for change in response.context["comparison"]["changes"]}
    assert changes["title"]["old"] == "Old title"
    assert changes["title"]["new"] == "New <title>"
    content = response.content.decode()
    assert "<del>Old title</del>" in content
    assert "<ins>New &lt;title&gt;</ins>" in content


def test_a_version_of_another_case_is_not_compared(curator_client, owner):
    practice = make_case(owner)
    other = make_case(owner)
    theirs = other.history.first().history_id
    response = curator_client.get(review_url(practice), {"from": theirs, "to": "x"})
    assert response.status_code == 200
    assert "Choose two versions" in response.content.decode()


# Transitions from the review page --------------------------------------------------------

STEPS_FROM = [
    ("start-review", Status.SUBMITTED, Status.IN_REVIEW),
    ("request-changes", Status.IN_REVIEW, Status.CHANGES_REQUESTED),
    ("publish", Status.IN_REVIEW, Status.PUBLISHED),
    ("reject", Status.IN_REVIEW, Status.REJECTED),
    ("archive", Status.PUBLISHED, Status.ARCHIVED),
    ("unpublish", Status.PUBLISHED, Status.IN_REVIEW),
]


@pytest.mark.parametrize(("verb", "source", "target"), STEPS_FROM)
def test_each_step_button_works(curator_client, owner, verb, source, target):
    practice = make_case(owner, source)
    page = curator_client.get(review_url(practice)).content.decode()
    step_url = review_url(practice, "review:step", verb=verb)
    assert f'action="{step_url}"' in page

    response = curator_client.post(step_url, {"comment": "Thank you."}, follow=True)

    practice.refresh_from_db()
    assert practice.status == target
    entry = practice.transitions.get()
    assert (entry.from_status, entry.to_status, entry.comment) == (source, target, "Thank you.")
    assert response.status_code == 200
    assert "Thank you." in response.content.decode()


def test_a_step_not_allowed_from_this_state_shows_why(curator_client, owner):
    practice = make_case(owner, Status.SUBMITTED)
    response = curator_client.post(review_url(practice, "review:step", verb="publish"), follow=True)
    assert response.status_code == 200
    assert "only a case that is in review can be published" in response.content.decode()
    practice.refresh_from_db()
    assert practice.status == Status.SUBMITTED


def test_requesting_changes_needs_a_comment(curator_client, owner):
    practice = make_case(owner, Status.IN_REVIEW)
    response = curator_client.post(
        review_url(practice, "review:step", verb="request-changes"), {"comment": " "}, follow=True
    )
    assert "a comment is required" in response.content.decode()
    practice.refresh_from_db()
    assert practice.status == Status.IN_REVIEW


def test_unknown_or_submitter_steps_are_not_offered(curator_client, owner):
    practice = make_case(owner, Status.DRAFT)
    for verb in ("submit", "resubmit", "nope"):
        assert (
            curator_client.post(review_url(practice, "review:step", verb=verb)).status_code == 404
        )
    publish = review_url(practice, "review:step", verb="publish")
    assert curator_client.get(publish).status_code == 405
    practice.refresh_from_db()
    assert practice.status == Status.DRAFT


def test_double_publish_publishes_once(curator_client, owner):
    practice = make_case(owner, Status.IN_REVIEW)
    url = review_url(practice, "review:step", verb="publish")

    curator_client.post(url)
    response = curator_client.post(url, follow=True)

    assert "This case is already published." in response.content.decode()
    assert practice.transitions.count() == 1
