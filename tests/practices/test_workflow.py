"""The case workflow's services: who may take which step from which state, the audit
record and the history, mail after commit, editing safely, and two curators at once."""

import logging
import threading
import time
import uuid

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction

from practices import services
from practices.choices import Status
from practices.models import BestPractice, Transition
from tests import factories
from tests.roles import ROLES, Cast, curator, make_user, submitter

pytestmark = pytest.mark.django_db

# DESIGN.md's diagram, written out again here so that the services are checked against it.
DIAGRAM = {
    "submit": (Status.DRAFT, Status.SUBMITTED),
    "start-review": (Status.SUBMITTED, Status.IN_REVIEW),
    "request-changes": (Status.IN_REVIEW, Status.CHANGES_REQUESTED),
    "resubmit": (Status.CHANGES_REQUESTED, Status.SUBMITTED),
    "publish": (Status.IN_REVIEW, Status.PUBLISHED),
    "reject": (Status.IN_REVIEW, Status.REJECTED),
    "archive": (Status.PUBLISHED, Status.ARCHIVED),
    "unpublish": (Status.PUBLISHED, Status.IN_REVIEW),
}
SUBMITTER_VERBS = {"submit", "resubmit"}


def expected_outcome(role: str, state: str, verb: str) -> str:
    """What DESIGN.md's roles table and diagram say should happen: allowed, denied, refused."""
    curator_like = role in {"curator", "superuser"}
    if not curator_like and not (role == "owner" and verb in SUBMITTER_VERBS):
        return "denied"
    return "allowed" if DIAGRAM[verb][0] == state else "refused"


@pytest.fixture
def cast():
    return Cast()


@pytest.mark.parametrize("verb", list(DIAGRAM))
@pytest.mark.parametrize("state", Status.values)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_services(cast, role, state, verb):
    practice = factories.PracticeFactory(status=state, submitted_by=cast.owner)
    expected = expected_outcome(role, state, verb)

    try:
        services.SERVICES[verb](practice, actor=cast[role], comment="Please add the costs.")
        outcome = "allowed"
    except PermissionDenied:
        outcome = "denied"
    except services.TransitionNotAllowed:
        outcome = "refused"

    practice.refresh_from_db()
    assert outcome == expected
    if expected == "allowed":
        assert practice.status == DIAGRAM[verb][1]
        assert practice.transitions.get().to_status == DIAGRAM[verb][1]
    else:
        assert practice.status == state
        assert not practice.transitions.exists()


EDITABLE = {
    "anonymous": set(),
    "owner": {Status.DRAFT, Status.CHANGES_REQUESTED},
    "other_submitter": set(),
    "curator": set(Status.values),
    "superuser": set(Status.values),
}
VISIBLE = {
    "anonymous": {Status.PUBLISHED},
    "owner": set(Status.values),
    "other_submitter": {Status.PUBLISHED},
    "curator": set(Status.values),
    "superuser": set(Status.values),
}


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_and_who_edits_a_case_in_each_state(cast, role):
    cases = {
        state: factories.PracticeFactory(status=state, submitted_by=cast.owner)
        for state in Status.values
    }

    visible = set(BestPractice.objects.visible_to(cast[role]).values_list("status", flat=True))
    editable = {state for state, case in cases.items() if case.is_editable_by(cast[role])}

    assert visible == VISIBLE[role]
    assert editable == EDITABLE[role]


def test_visible_to_nobody_is_the_public_view(cast):
    factories.PracticeFactory(status=Status.DRAFT)
    published = factories.PublishedPracticeFactory()

    assert list(BestPractice.objects.visible_to(None)) == [published]


def test_a_whole_journey_is_recorded_step_by_step(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner)
    steps = [
        (services.submit_practice, cast.owner, ""),
        (services.start_review, cast.curator, ""),
        (services.request_changes, cast.curator, "Which year were the savings measured?"),
        (services.resubmit_practice, cast.owner, "Measured in 2019."),
        (services.start_review, cast.curator, ""),
        (services.publish_practice, cast.curator, "Thank you."),
        (services.unpublish_practice, cast.curator, "A figure needs correcting."),
        (services.publish_practice, cast.curator, ""),
        (services.archive_practice, cast.curator, "Superseded."),
    ]

    for service, actor, comment in steps:
        service(practice, actor=actor, comment=comment)

    record = list(practice.transitions.values_list("from_status", "to_status", "actor__username"))
    assert record == [
        ("draft", "submitted", "owner"),
        ("submitted", "in_review", "curator"),
        ("in_review", "changes_requested", "curator"),
        ("changes_requested", "submitted", "owner"),
        ("submitted", "in_review", "curator"),
        ("in_review", "published", "curator"),
        ("published", "in_review", "curator"),
        ("in_review", "published", "curator"),
        ("published", "archived", "curator"),
    ]
    assert practice.transitions.filter(comment="Measured in 2019.").exists()
    assert practice.status == Status.ARCHIVED


def test_history_keeps_every_transition_with_its_actor_and_verb(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner)
    before = practice.history.count()

    services.submit_practice(practice, actor=cast.owner)
    services.start_review(practice, actor=cast.curator)
    services.publish_practice(practice, actor=cast.curator)

    versions = list(practice.history.order_by("history_date", "history_id"))[before:]
    assert [(v.status, v.history_change_reason) for v in versions] == [
        ("submitted", "submit"),
        ("in_review", "start-review"),
        ("published", "publish"),
    ]
    assert [v.history_user for v in versions] == [cast.owner, cast.curator, cast.curator]


def test_publishing_sets_the_date_once_and_the_public_then_sees_the_case(cast):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=cast.owner)

    services.publish_practice(practice, actor=cast.curator)
    first = practice.published_at
    services.unpublish_practice(practice, actor=cast.curator)
    services.publish_practice(practice, actor=cast.curator)

    assert first is not None
    practice.refresh_from_db()
    assert practice.published_at == first
    assert list(BestPractice.objects.published()) == [practice]


def test_the_second_publish_is_told_the_case_is_already_published(cast):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW)
    stale_copy = BestPractice.objects.get(pk=practice.pk)
    services.publish_practice(practice, actor=cast.curator)

    with pytest.raises(services.TransitionNotAllowed, match="already published"):
        services.publish_practice(stale_copy, actor=cast.superuser)

    assert Transition.objects.filter(practice=practice).count() == 1


def test_a_refusal_names_the_state_and_what_is_needed(cast):
    practice = factories.PracticeFactory(status=Status.DRAFT)

    with pytest.raises(services.TransitionNotAllowed) as refusal:
        services.publish_practice(practice, actor=cast.curator)

    assert str(refusal.value) == (
        "This case is a draft; only a case that is in review can be published."
    )


def test_a_submitter_trying_to_publish_is_told_only_curators_may(cast):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=cast.owner)

    with pytest.raises(PermissionDenied, match="Only curators"):
        services.publish_practice(practice, actor=cast.owner)


def test_requesting_changes_needs_a_comment(cast):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW)

    with pytest.raises(ValidationError) as error:
        services.request_changes(practice, actor=cast.curator, comment=" \u200b ")

    assert "comment" in error.value.message_dict
    practice.refresh_from_db()
    assert practice.status == Status.IN_REVIEW


def test_an_organisation_may_take_no_step_yet():
    practice = factories.PracticeFactory(status=Status.IN_REVIEW)

    with pytest.raises(PermissionDenied, match="API keys"):
        services.publish_practice(practice, actor=factories.OrganisationFactory())


def test_allowed_transitions_follow_role_and_state(cast):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=cast.owner)

    assert services.allowed_transitions(practice, cast.owner) == []
    assert services.allowed_transitions(practice, cast.curator) == [
        "request-changes",
        "publish",
        "reject",
    ]


# Mail ------------------------------------------------------------------------------------


def test_mail_goes_out_only_after_commit(cast, django_capture_on_commit_callbacks):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=cast.owner)

    with django_capture_on_commit_callbacks() as callbacks:
        services.publish_practice(practice, actor=cast.curator, comment="Well documented.")
        assert mail.outbox == []
    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.org"]
    assert "published" in message.subject
    assert "Well documented." in message.body
    html, mime_type = message.alternatives[0]
    assert mime_type == "text/html"
    assert "Well documented." in html
    assert f"/practices/{practice.slug}/" in message.body


def test_no_mail_and_no_change_when_the_surrounding_transaction_rolls_back(
    cast, django_capture_on_commit_callbacks
):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=cast.owner)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.publish_practice(practice, actor=cast.curator)
        raise RuntimeError("something later in the request failed")

    assert callbacks == []
    assert mail.outbox == []
    practice.refresh_from_db()
    assert practice.status == Status.IN_REVIEW
    assert not Transition.objects.exists()


def test_curators_are_mailed_one_by_one_about_a_submitted_case(
    cast, django_capture_on_commit_callbacks
):
    curator("second", email="second@example.org")
    make_user("quiet", "review_bestpractice", email="quiet@example.org", is_active=False)
    practice = factories.PracticeFactory(submitted_by=cast.owner)

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_practice(practice, actor=cast.owner, comment="Ready for review.")

    # Each curator alone in "to"; the superuser holds no explicit permission and is not mailed.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "curator@example.org",
        "second@example.org",
    ]
    assert all(len(message.to) == 1 and not message.cc for message in mail.outbox)
    assert f"{settings.SITE_URL}/review/" in mail.outbox[0].body


def test_without_curator_accounts_the_configured_addresses_are_mailed(
    settings, django_capture_on_commit_callbacks
):
    settings.CURATOR_EMAILS = ["secretariat@example.org"]
    owner = submitter("owner")
    practice = factories.PracticeFactory(submitted_by=owner)

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_practice(practice, actor=owner)

    assert [message.to for message in mail.outbox] == [["secretariat@example.org"]]


@pytest.mark.parametrize(
    "title",
    [
        "Heat network\r\nBcc: everyone@example.org",
        "Heat\nnetwork",
        "Heat\rnetwork\x0b\x0c\x1c\x85",
        "Heat\u2028network\u2029",
        "Heat\u202enetwork",
        "Fernwärme in Münster 🔥 서울 москва",
        "x" * 300,
    ],
)
def test_a_title_never_breaks_the_mail_header(cast, django_capture_on_commit_callbacks, title):
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=cast.owner)
    # Stored around the model's own cleaning, as an old import or a bulk update could.
    BestPractice.objects.filter(pk=practice.pk).update(title=title)
    practice.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_practice(practice, actor=cast.curator)

    [message] = mail.outbox
    for character in "\r\n\x0b\x0c\x1c\x85\u2028\u2029\u202e":
        assert character not in message.subject
    assert len(message.subject) <= services.SUBJECT_MAX_LENGTH + len("[CSET] ")
    headers = message.message().as_string().split("\n\n", 1)[0].splitlines()
    assert not any(line.lower().startswith("bcc") for line in headers)
    assert message.recipients() == ["owner@example.org"]


def test_mail_subject_keeps_emoji_sequences_whole():
    subject = services.mail_subject("Family 👨\u200d👩\u200d👧 energy", "Case published")

    assert subject == "[CSET] Case published: Family 👨\u200d👩\u200d👧 energy"


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


def test_a_mail_failure_is_logged_and_never_undoes_the_transition(
    cast, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=cast.owner)

    with (
        caplog.at_level(logging.INFO, logger="practices.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.publish_practice(practice, actor=cast.curator)

    practice.refresh_from_db()
    assert practice.status == Status.PUBLISHED
    assert Transition.objects.filter(practice=practice).count() == 1
    messages = [record.getMessage() for record in caplog.records]
    assert f"practice {practice.pk} published" in messages
    assert f"mail about practice {practice.pk} (publish) could not be sent" in messages
    # Operators learn the case's id, never a person's address.
    assert not any("@" in text for text in messages)


# Creating and editing ---------------------------------------------------------------------


def test_creating_makes_a_draft_of_the_author_with_a_slug_from_the_title(cast):
    practice, created = services.create_practice(
        {"title": "  Öffentliche   Beleuchtung ", "summary": "LEDs."}, actor=cast.owner
    )
    twin, _ = services.create_practice({"title": "Öffentliche Beleuchtung"}, actor=cast.owner)

    assert created
    assert practice.status == Status.DRAFT
    assert practice.submitted_by == cast.owner
    assert practice.title == "Öffentliche Beleuchtung"
    assert practice.slug == "offentliche-beleuchtung"
    assert twin.slug == "offentliche-beleuchtung-2"
    assert practice.history.get().history_change_reason == "create"


def test_the_same_submission_key_twice_creates_one_case(cast):
    key = uuid.uuid4()

    first, created = services.create_practice(
        {"title": "Solar roofs"}, actor=cast.owner, submission_key=key
    )
    again, created_again = services.create_practice(
        {"title": "Solar roofs"}, actor=cast.owner, submission_key=key
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert BestPractice.objects.count() == 1
    with pytest.raises(services.SubmissionKeyTaken):
        services.create_practice(
            {"title": "Solar roofs"}, actor=cast.other_submitter, submission_key=key
        )


@pytest.mark.parametrize("role", ["anonymous", "plain"])
def test_only_submitters_and_curators_create_cases(role):
    actor = make_user("plain") if role == "plain" else None
    if actor is not None:
        # Whatever groups a new account joins elsewhere, this one holds no permission.
        actor.groups.clear()

    with pytest.raises(PermissionDenied):
        services.create_practice({"title": "Anything"}, actor=actor)


def test_saving_bumps_the_version_and_keeps_each_version(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner, summary="First text.")

    saved = services.save_practice(
        practice, {"summary": "Second text."}, actor=cast.owner, expected_version=1
    )

    assert saved.version == 2
    assert saved.summary == "Second text."
    assert [v.summary for v in practice.history.order_by("history_id")][-1] == "Second text."


def test_a_stale_save_is_refused_and_the_newer_text_kept(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner, summary="First text.")
    services.save_practice(
        practice, {"summary": "The curator's text."}, actor=cast.curator, expected_version=1
    )

    with pytest.raises(services.StaleVersion) as stale:
        services.save_practice(
            practice, {"summary": "The submitter's text."}, actor=cast.owner, expected_version=1
        )

    assert stale.value.current_version == 2
    assert "changed by someone else since you opened it" in str(stale.value)
    practice.refresh_from_db()
    assert practice.summary == "The curator's text."
    assert practice.version == 2


@pytest.mark.parametrize("state", [Status.SUBMITTED, Status.IN_REVIEW, Status.PUBLISHED])
def test_a_submitter_cannot_edit_after_submitting(cast, state):
    practice = factories.PracticeFactory(submitted_by=cast.owner, status=state, summary="Kept.")

    with pytest.raises(PermissionDenied, match="only while it is a draft"):
        services.save_practice(practice, {"summary": "Late."}, actor=cast.owner, expected_version=1)

    practice.refresh_from_db()
    assert practice.summary == "Kept."


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "\u00a0\u200b\ufeff"}, "title"),
        ({"summary": "nul\x00byte"}, "summary"),
        ({"summary": "x" * 20_001}, "summary"),
        ({"start_year": 2015, "end_year": 2010}, "end_year"),
        ({"start_year": 1066}, "start_year"),
        ({"contact_email": "not an address"}, "contact_email"),
    ],
)
def test_saving_runs_the_model_rules(cast, data, field):
    practice = factories.PracticeFactory(submitted_by=cast.owner, title="Kept title")

    with pytest.raises(ValidationError) as error:
        services.save_practice(practice, data, actor=cast.owner, expected_version=1)

    assert field in error.value.message_dict
    practice.refresh_from_db()
    assert (practice.title, practice.version) == ("Kept title", 1)


def test_status_and_slug_cannot_be_saved(cast):
    practice = factories.PracticeFactory(submitted_by=cast.owner)

    with pytest.raises(ValueError, match="status"):
        services.save_practice(
            practice, {"status": Status.PUBLISHED}, actor=cast.curator, expected_version=1
        )


# Two curators at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_curators_publishing_at_once_publish_once(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time and has no row locks to test")
    first, second = curator("first"), curator("second")
    practice = factories.PracticeFactory(status=Status.IN_REVIEW, submitted_by=submitter())

    # Hold the lock a while after the state is read, so that the second request has to wait.
    original_save = BestPractice.save

    def slow_save(self, *args, **kwargs):
        time.sleep(0.3)
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(BestPractice, "save", slow_save)
    start = threading.Barrier(2)
    outcomes = []

    def publish(actor):
        copy = BestPractice.objects.get(pk=practice.pk)
        start.wait()
        try:
            services.publish_practice(copy, actor=actor)
            outcomes.append("published")
        except services.TransitionNotAllowed as refusal:
            outcomes.append(str(refusal))
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(actor,)) for actor in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["This case is already published.", "published"]
    assert Transition.objects.filter(practice=practice).count() == 1
    assert practice.history.filter(status=Status.PUBLISHED).count() == 1


# The admin --------------------------------------------------------------------------------


def test_admin_bulk_publish_calls_the_service_and_reports_each_case(client, cast):
    ready = factories.PracticeFactory(status=Status.IN_REVIEW, title="Ready case")
    draft = factories.PracticeFactory(status=Status.DRAFT, title="Draft case")
    client.force_login(cast.superuser)

    response = client.post(
        "/admin/practices/bestpractice/",
        {"action": "publish_selected", "_selected_action": [ready.pk, draft.pk]},
        follow=True,
    )

    reports = [str(message) for message in response.context["messages"]]
    assert "“Ready case” was published." in reports
    assert (
        "“Draft case”: This case is a draft; only a case that is in review can be published."
        in reports
    )
    ready.refresh_from_db()
    draft.refresh_from_db()
    assert (ready.status, draft.status) == (Status.PUBLISHED, Status.DRAFT)
    assert Transition.objects.get().actor == cast.superuser


def test_admin_offers_the_workflow_actions_only_to_curators(client):
    factories.PracticeFactory(status=Status.IN_REVIEW)
    staff = make_user("staff", "view_bestpractice", is_staff=True)
    reviewer = make_user("reviewer", "view_bestpractice", "review_bestpractice", is_staff=True)

    client.force_login(staff)
    plain = client.get("/admin/practices/bestpractice/").content.decode()
    client.force_login(reviewer)
    reviewing = client.get("/admin/practices/bestpractice/").content.decode()

    assert "publish_selected" not in plain
    assert "publish_selected" in reviewing


def test_admin_form_refuses_a_save_from_a_stale_page(cast):
    from django.forms import modelform_factory

    from practices.admin import BestPracticeAdminForm

    practice = factories.PracticeFactory(title="Title")
    form_class = modelform_factory(BestPractice, form=BestPracticeAdminForm, fields=["title"])
    opened = form_class(instance=practice)
    services.save_practice(practice, {"title": "Newer"}, actor=cast.curator, expected_version=1)

    form = form_class(
        {"title": "Older", "seen_version": opened["seen_version"].initial},
        instance=BestPractice.objects.get(pk=practice.pk),
    )

    assert not form.is_valid()
    assert "changed by someone else" in str(form.errors)
    fresh = form_class(
        {"title": "Fresh", "seen_version": 2}, instance=BestPractice.objects.get(pk=practice.pk)
    )
    assert fresh.is_valid()
    assert fresh.save().version == 3


@pytest.mark.parametrize("title", ["Places", "New"])
def test_a_case_never_takes_the_slug_of_a_page_beside_it(title):
    practice, _created = services.create_practice({"title": title}, actor=submitter("writer"))

    assert practice.slug == f"{title.lower()}-2"
