"""The case workflow: creating a case, saving it safely, and the eight transitions.

Pages, the API and the admin call these functions; nothing else assigns
``BestPractice.status``. A transition checks the actor, then locks the case's row
and checks its state again, so that two curators publishing at once publish once
and the second is told the case is already published. Each one writes an audit
entry (``Transition``), saves through the model so that the history keeps the
version, and mails the people concerned once the transaction has committed.
"""

import logging
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import CharField, Q, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cset.reference.models import Organisation
from cset.reference.text import clean_text, unicode_slug

from .choices import Status
from .models import BestPractice, Transition, is_curator, is_submitter

logger = logging.getLogger(__name__)

# Who acts: a signed-in user, or (later) an organisation through its API key.
Actor = AbstractBaseUser | AnonymousUser | Organisation | None

# The fields a form or an API client may write; status, slug and version are the workflow's.
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "implementation",
        "summary",
        "context",
        "actions",
        "results",
        "costs",
        "lessons",
        "replication",
        "start_year",
        "end_year",
        "language",
        "contact_name",
        "contact_email",
        "contact_is_public",
        "licence",
    }
)
RELATED_FIELDS = ("places", "themes", "organisations")

SUBJECT_MAX_LENGTH = 120


class WorkflowError(Exception):
    """A step that cannot be taken now; the message says why, in words for the user."""


class TransitionNotAllowed(WorkflowError):
    """The case is not in a state from which the step can be taken."""


class StaleVersion(WorkflowError):
    """The case was saved by someone else since the editor opened it."""

    def __init__(self, current_version: int):
        super().__init__(
            _(
                "This case was changed by someone else since you opened it. Nothing was "
                "saved: your text is kept below; compare it with the newer version and "
                "save again."
            )
        )
        self.current_version = current_version


class SubmissionKeyTaken(WorkflowError):
    """A client's submission key already names a case of another account."""


@dataclass(frozen=True)
class Step:
    """One transition of DESIGN.md's diagram, and whom it concerns."""

    verb: str
    sources: tuple[Status, ...]
    target: Status
    curators_only: bool
    # Whom to mail after the step: "submitter", "curators" or nobody.
    notify: str
    # The step's outcome in words ("published"), for messages and mails.
    done: str
    comment_required: bool = False


STEPS = {
    step.verb: step
    for step in (
        Step("submit", (Status.DRAFT,), Status.SUBMITTED, False, "curators", "submitted"),
        Step("start-review", (Status.SUBMITTED,), Status.IN_REVIEW, True, "", "taken into review"),
        Step(
            "request-changes",
            (Status.IN_REVIEW,),
            Status.CHANGES_REQUESTED,
            True,
            "submitter",
            "sent back for changes",
            comment_required=True,
        ),
        Step(
            "resubmit",
            (Status.CHANGES_REQUESTED,),
            Status.SUBMITTED,
            False,
            "curators",
            "resubmitted",
        ),
        Step("publish", (Status.IN_REVIEW,), Status.PUBLISHED, True, "submitter", "published"),
        Step("reject", (Status.IN_REVIEW,), Status.REJECTED, True, "submitter", "rejected"),
        Step("archive", (Status.PUBLISHED,), Status.ARCHIVED, True, "submitter", "archived"),
        Step("unpublish", (Status.PUBLISHED,), Status.IN_REVIEW, True, "submitter", "unpublished"),
    )
}

# How a state reads in a sentence: "This case is already {published}."
_STATE_WORDS = {
    Status.DRAFT: "a draft",
    Status.SUBMITTED: "submitted",
    Status.IN_REVIEW: "in review",
    Status.CHANGES_REQUESTED: "waiting for changes",
    Status.PUBLISHED: "published",
    Status.REJECTED: "rejected",
    Status.ARCHIVED: "archived",
}


# Actors and permissions ------------------------------------------------------------------


def _acting_user(actor: Actor) -> AbstractBaseUser | AnonymousUser:
    """The user behind ``actor``. Organisations cannot act yet (see the mark below)."""
    if isinstance(actor, Organisation):
        # Partners' API keys (with their "submit" scope) come with the partners' issue:
        # until then an organisation may take no step, and Transition.actor_organisation
        # stays empty. The key's scope check belongs here when they arrive.
        raise PermissionDenied(_("API keys cannot take workflow steps yet."))
    return actor if actor is not None else AnonymousUser()


def may_take(step: Step, practice: BestPractice, user) -> bool:
    """Whether ``user``'s role allows ``step`` on ``practice``, whatever its state."""
    if is_curator(user):
        return True
    if step.curators_only:
        return False
    return is_submitter(user) and practice.submitted_by_id == user.pk


def _check_actor(step: Step, practice: BestPractice, user) -> None:
    if may_take(step, practice, user):
        return
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to change the state of a case."))
    if step.curators_only:
        raise PermissionDenied(_("Only curators may do this: %(verb)s.") % {"verb": step.verb})
    raise PermissionDenied(
        _("Only the case's submitter or a curator may do this: %(verb)s.") % {"verb": step.verb}
    )


def _refusal(step: Step, status: str) -> str:
    if status == step.target:
        return _("This case is already %(state)s.") % {"state": _STATE_WORDS[status]}
    return _("This case is %(state)s; only a case that is %(sources)s can be %(done)s.") % {
        "state": _STATE_WORDS[status],
        "sources": _(" or ").join(_STATE_WORDS[source] for source in step.sources),
        "done": step.done,
    }


def allowed_transitions(practice: BestPractice, user) -> list[str]:
    """The verbs ``user`` may take on ``practice`` now (for buttons and the API)."""
    return [
        step.verb
        for step in STEPS.values()
        if practice.status in step.sources and may_take(step, practice, user)
    ]


def check_can_write(actor: Actor) -> AbstractBaseUser:
    """The acting user, if they may write cases; PermissionDenied otherwise."""
    user = _acting_user(actor)
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to write a case."))
    if not (is_submitter(user) or is_curator(user)):
        raise PermissionDenied(_("Your account may not write cases."))
    return user


def check_can_edit(practice: BestPractice, actor: Actor) -> AbstractBaseUser:
    """The acting user, if they may change ``practice`` in its present state."""
    user = _acting_user(actor)
    if practice.is_editable_by(user):
        return user
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to edit a case."))
    if practice.submitted_by_id == user.pk and is_submitter(user):
        raise PermissionDenied(
            _(
                "This case is %(state)s: you can change it only while it is a draft or "
                "when the curators ask for changes."
            )
            % {"state": _STATE_WORDS[practice.status]}
        )
    raise PermissionDenied(_("Only the case's submitter or a curator may edit it."))


# Transitions -----------------------------------------------------------------------------


def _transition(practice: BestPractice, verb: str, actor: Actor, comment: str) -> Transition:
    step = STEPS[verb]
    user = _acting_user(actor)
    _check_actor(step, practice, user)
    comment = clean_text(comment)
    if step.comment_required and not comment:
        raise ValidationError({"comment": _("Say what should change: a comment is required.")})

    with transaction.atomic():
        # Lock the row and read the state again: whoever waited here sees the winner's state.
        locked = BestPractice.objects.select_for_update().get(pk=practice.pk)
        if locked.status not in step.sources:
            raise TransitionNotAllowed(_refusal(step, locked.status))

        from_status = locked.status
        locked.status = step.target
        if step.target == Status.PUBLISHED and locked.published_at is None:
            # The date of first publication stays when a case is unpublished and published again.
            locked.published_at = timezone.now()
        locked._history_user = user if user.is_authenticated else None
        locked._change_reason = verb
        locked.save()

        entry = Transition.objects.create(
            practice=locked,
            actor=user if user.is_authenticated else None,
            from_status=from_status,
            to_status=step.target,
            comment=comment,
        )
        transaction.on_commit(partial(_after_commit, entry.pk, verb), robust=True)

    for name in ("status", "published_at", "updated_at"):
        setattr(practice, name, getattr(locked, name))
    return entry


def submit_practice(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """Send a draft to the curators (its submitter or a curator)."""
    return _transition(practice, "submit", actor, comment)


def start_review(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """A curator takes a submitted case into review."""
    return _transition(practice, "start-review", actor, comment)


def request_changes(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """A curator sends a case under review back to its submitter, saying what should change."""
    return _transition(practice, "request-changes", actor, comment)


def resubmit_practice(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """The submitter (or a curator) sends a changed case back to the curators."""
    return _transition(practice, "resubmit", actor, comment)


def publish_practice(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """A curator publishes a case under review: from now on it exists for the public."""
    return _transition(practice, "publish", actor, comment)


def reject_practice(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """A curator turns down a case under review."""
    return _transition(practice, "reject", actor, comment)


def archive_practice(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """A curator withdraws a published case for good."""
    return _transition(practice, "archive", actor, comment)


def unpublish_practice(practice: BestPractice, *, actor: Actor, comment: str = "") -> Transition:
    """A curator takes a published case back into review (to correct it)."""
    return _transition(practice, "unpublish", actor, comment)


SERVICES = {
    "submit": submit_practice,
    "start-review": start_review,
    "request-changes": request_changes,
    "resubmit": resubmit_practice,
    "publish": publish_practice,
    "reject": reject_practice,
    "archive": archive_practice,
    "unpublish": unpublish_practice,
}


# Creating and editing --------------------------------------------------------------------

# Rows per statement when a bulk write records the links of many cases.
SNAPSHOT_BATCH_SIZE = 1000


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Iterable]]:
    unknown = set(data) - EDITABLE_FIELDS - set(RELATED_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    fields = {name: value for name, value in data.items() if name in EDITABLE_FIELDS}
    related = {name: data[name] for name in RELATED_FIELDS if name in data}
    return fields, related


# Slugs that name pages beside the cases' own (/review/places/).
RESERVED_SLUGS = frozenset({"places", "new"})


def _free_slug(title: str) -> str:
    base = unicode_slug(title)[:180].strip("-") or "case"
    taken = set(BestPractice.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


@contextmanager
def _unrecorded(practice: BestPractice) -> Iterator[BestPractice]:
    """Save and link ``practice`` without simple-history writing a record for each step."""
    practice.skip_history_when_saving = True
    try:
        yield practice
    finally:
        del practice.skip_history_when_saving


def _set_related(practice: BestPractice, related: dict[str, Iterable]) -> None:
    for name, values in related.items():
        getattr(practice, name).set(values)


def _target_attname(name: str) -> str:
    """The column of a link table naming the place, theme or organisation: "place_id"."""
    field = BestPractice._meta.get_field(name)
    return field.remote_field.through._meta.get_field(field.m2m_reverse_field_name()).attname


def _links_of(practice_ids: Iterable[int]) -> list[tuple[str, int, int, int]]:
    """Every place, theme and organisation link of the cases: (field, link id, case, target).

    One query for the three link tables, so that recording many cases stays cheap.
    """
    ids = list(practice_ids)
    queries = [
        getattr(BestPractice, name)
        .through.objects.filter(bestpractice_id__in=ids)
        .annotate(field=Value(name, output_field=CharField()))
        .values_list("field", "id", "bestpractice_id", _target_attname(name))
        for name in RELATED_FIELDS
    ]
    return list(queries[0].union(*queries[1:], all=True))


def record_versions(
    practices: Sequence[BestPractice], *, created: bool, reason: str = "", user=None
) -> None:
    """Write one history record of each case as it stands now, with its links.

    For writes that save a case before its places, themes and organisations are set
    (a new case has no row to link until it is saved) and for bulk writes that bypass
    ``save()`` (the loaders): the record ``save()`` writes would miss the links. Each
    case's own ``_history_user`` and ``_change_reason``, where set, win over ``user``
    and ``reason``.
    """
    if not practices:
        return
    records = BestPractice.history.bulk_history_create(
        practices, update=not created, default_user=user, default_change_reason=reason
    )
    record_of = {record.id: record for record in records}

    history_model = BestPractice.history.model
    snapshots = defaultdict(list)
    for name, link_id, practice_id, target_id in _links_of(record_of):
        snapshot_model = getattr(history_model, name).model
        snapshots[snapshot_model].append(
            snapshot_model(
                history=record_of[practice_id],
                id=link_id,
                bestpractice_id=practice_id,
                **{_target_attname(name): target_id},
            )
        )
    for snapshot_model, rows in snapshots.items():
        snapshot_model.objects.bulk_create(rows, batch_size=SNAPSHOT_BATCH_SIZE)


def _by_submission_key(key: uuid.UUID, user) -> BestPractice | None:
    existing = BestPractice.objects.filter(submission_key=key).first()
    if existing is not None and existing.submitted_by_id != user.pk:
        raise SubmissionKeyTaken(_("This submission key belongs to another case."))
    return existing


def create_practice(
    data: dict[str, Any], *, actor: Actor, submission_key: uuid.UUID | None = None
) -> tuple[BestPractice, bool]:
    """Create a draft owned by ``actor``; return it and whether it is new.

    A form or client sends the same ``submission_key`` with every try of one
    submission, so that a double click (or a retry after a lost answer) finds the
    case the first try created instead of creating a second one.
    """
    user = check_can_write(actor)
    fields, related = _split(data)
    if submission_key is not None:
        existing = _by_submission_key(submission_key, user)
        if existing is not None:
            return existing, False

    practice = BestPractice(submitted_by=user, submission_key=submission_key, **fields)
    practice.full_clean(exclude=["slug"], validate_unique=False)
    # A second try covers a slug taken by someone saving the same title at the same moment.
    for attempt in range(2):
        practice.slug = _free_slug(practice.title)
        try:
            with transaction.atomic():
                practice._history_user = user
                practice._change_reason = "create"
                # A new case has no row to link until it is saved: record it once linked.
                with _unrecorded(practice):
                    practice.save()
                    _set_related(practice, related)
                record_versions([practice], created=True)
        except IntegrityError:
            practice.pk = None
            if submission_key is not None:
                existing = _by_submission_key(submission_key, user)
                if existing is not None:
                    return existing, False
            if attempt:
                raise
            continue
        break
    logger.info("practice %s created as a draft", practice.pk)
    return practice, True


def save_practice(
    practice: BestPractice, data: dict[str, Any], *, actor: Actor, expected_version: int
) -> BestPractice:
    """Save changes to ``practice`` made from the version ``expected_version``.

    Refuses (StaleVersion) when the case has been saved since that version, so that a
    stale form never overwrites newer text; refuses (PermissionDenied) when the actor
    may not edit the case in its present state. Returns the saved case, version bumped.
    """
    fields, related = _split(data)
    with transaction.atomic():
        locked = BestPractice.objects.select_for_update().get(pk=practice.pk)
        user = check_can_edit(locked, actor)
        if locked.version != expected_version:
            raise StaleVersion(locked.version)

        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["slug"])
        locked.version += 1
        locked._history_user = user
        locked._change_reason = "edit"
        # Links first and unrecorded, so that the one record the save writes holds them.
        with _unrecorded(locked):
            _set_related(locked, related)
        locked.save()

    logger.info("practice %s saved as version %s", locked.pk, locked.version)
    return locked


# Mail ------------------------------------------------------------------------------------


def mail_subject(title: str, event: str) -> str:
    """A one-line subject: no line break or control character of a title reaches a header."""
    kept = []
    for character in f"{event}: {title}":
        category = unicodedata.category(character)
        if category in {"Cc", "Zl", "Zp"}:
            kept.append(" ")
        elif category != "Cf" or character == "\u200d":  # keep emoji sequences whole
            kept.append(character)
    subject = " ".join("".join(kept).split())
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    return f"[CSET] {subject}"


def curator_addresses() -> list[str]:
    """Addresses of the accounts holding the review permission, else CURATOR_EMAILS."""
    permission = Permission.objects.filter(
        content_type__app_label="practices", codename="review_bestpractice"
    ).first()
    user_model = get_user_model()
    email_field = user_model.get_email_field_name()
    addresses = set(
        user_model.objects.filter(
            Q(groups__permissions=permission) | Q(user_permissions=permission), is_active=True
        )
        .exclude(**{email_field: ""})
        .values_list(email_field, flat=True)
    )
    return sorted(addresses) or list(settings.CURATOR_EMAILS)


def _recipients(step: Step, practice: BestPractice) -> list[str]:
    if step.notify == "curators":
        return curator_addresses()
    submitter = practice.submitted_by
    if step.notify == "submitter" and submitter and submitter.is_active and submitter.email:
        return [submitter.email]
    return []


def _link(step: Step, practice: BestPractice) -> str:
    """Where the mail's reader acts next: the review page, the submitter's page or the case."""
    if step.notify == "curators":
        path = reverse("review:practice", kwargs={"slug": practice.slug})
    elif practice.status == Status.PUBLISHED:
        path = reverse("practices:detail", kwargs={"slug": practice.slug})
    else:
        path = reverse("submit:preview", kwargs={"slug": practice.slug})
    return f"{settings.SITE_URL}{path}"


def _after_commit(transition_id: int, verb: str) -> None:
    """Log the committed step and mail about it; a mail failure is logged, never raised."""
    entry = Transition.objects.select_related("practice__submitted_by").get(pk=transition_id)
    practice = entry.practice
    step = STEPS[verb]
    logger.info("practice %s %s", practice.pk, step.done)
    recipients = _recipients(step, practice)
    if not recipients:
        return

    template = f"practices/email/transition_to_{step.notify}"
    context = {"practice": practice, "step": step, "comment": entry.comment}
    try:
        context["link"] = _link(step, practice)
        subject = mail_subject(practice.title, _("Case %(done)s") % {"done": step.done})
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        connection = get_connection()
        messages = []
        # One message per address: curators never see each other's addresses.
        for address in recipients:
            message = EmailMultiAlternatives(subject, text, to=[address], connection=connection)
            message.attach_alternative(html, "text/html")
            messages.append(message)
        connection.send_messages(messages)
    except Exception:
        logger.exception("mail about practice %s (%s) could not be sent", practice.pk, verb)


# Assignment ------------------------------------------------------------------------------


def assign_practice(practice: BestPractice, *, actor: Actor, assignee) -> BestPractice:
    """A curator puts ``practice`` in the hands of ``assignee`` (a curator), or of nobody.

    Assigning is not a state change and not a version of the case: it writes neither an
    audit entry nor a history record, and leaves ``updated_at`` (the case's age in the
    review queue) alone.
    """
    user = _acting_user(actor)
    if not is_curator(user):
        raise PermissionDenied(_("Only curators may assign cases."))
    if assignee is not None and not is_curator(assignee):
        raise PermissionDenied(_("Cases can be assigned to curators only."))

    assignee_id = assignee.pk if assignee is not None else None
    BestPractice.objects.filter(pk=practice.pk).update(assigned_to=assignee_id)
    practice.assigned_to = assignee
    logger.info("practice %s assigned to user %s", practice.pk, assignee_id)
    return practice
