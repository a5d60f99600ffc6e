"""The curators' pages: the review queue and the review page of one case.

Both are for curators only (the review permission); every state change goes through
the workflow's services, and assigning a case through ``assign_practice``. The review
page compares any two versions of the case: its fields (long texts line by line), its
places, themes and organisations, and its rows (impacts, costs, financing, links).
"""

import re
from difflib import SequenceMatcher

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cset.reference.models import Place
from cset.reference.pages import filter_data, paginate, posted_next_or, query_without

from .models import REVIEW_PERMISSION, BestPractice, Cost, Financing, Impact, PracticeLink
from .review_filters import ReviewFilterSet
from .services import (
    RELATED_FIELDS,
    SERVICES,
    STEPS,
    TransitionNotAllowed,
    allowed_transitions,
    assign_practice,
)

# The steps a curator takes from the review page; submitting is the submitter's.
REVIEW_VERBS = tuple(verb for verb, step in STEPS.items() if step.curators_only)

# What each step's button says, and what the page says once it is taken.
STEP_BUTTONS = {
    "start-review": gettext_lazy("Start review"),
    "request-changes": gettext_lazy("Request changes"),
    "publish": gettext_lazy("Publish"),
    "reject": gettext_lazy("Reject"),
    "archive": gettext_lazy("Archive"),
    "unpublish": gettext_lazy("Unpublish"),
}
STEP_DONE = {
    "start-review": gettext_lazy("The case is now in review."),
    "request-changes": gettext_lazy("The case was sent back to its submitter for changes."),
    "publish": gettext_lazy("The case is published."),
    "reject": gettext_lazy("The case was rejected."),
    "archive": gettext_lazy("The case was archived."),
    "unpublish": gettext_lazy("The case was unpublished and is back in review."),
}

# Fields a version comparison leaves out: derived from others, or changed by every save.
UNCOMPARED_FIELDS = {"id", "title_folded", "updated_at"}

# The rows of a case a comparison follows, with their headings.
COMPARED_ROWS = (
    (Impact, gettext_lazy("Impacts")),
    (Cost, gettext_lazy("Costs")),
    (Financing, gettext_lazy("Financing")),
    (PracticeLink, gettext_lazy("Links")),
)
LINK_HEADINGS = {
    "places": gettext_lazy("Places"),
    "themes": gettext_lazy("Themes"),
    "organisations": gettext_lazy("Organisations"),
}

# Unchanged lines shown around each change of a long text; the rest is folded away.
CONTEXT_LINES = 2
# Below this share of words in common, a changed line reads better as removed and added whole.
WORD_DIFF_MIN_RATIO = 0.4
# The pieces a changed line is compared by: words, runs of spaces, runs of punctuation.
WORDS = re.compile(r"\w+|\s+|[^\w\s]+")


def curators_only(view):
    """Anonymous visitors are sent to sign in; signed-in non-curators get a 403."""
    return login_required(permission_required(REVIEW_PERMISSION, raise_exception=True)(view))


@require_GET
@curators_only
def review_queue(request: HttpRequest) -> HttpResponse:
    """Cases waiting for a curator, oldest change first, filtered by state, theme, country
    and age."""
    filterset = ReviewFilterSet(filter_data(request), queryset=BestPractice.objects.all())
    cases = filterset.qs.select_related("submitted_by", "assigned_to").order_by("updated_at", "pk")
    context = {
        "filterset": filterset,
        "page": paginate(request, cases),
        "query": query_without(request, "page"),
    }
    return render(request, "practices/review/queue.html", context)


@require_POST
@curators_only
def assign_to_me(request: HttpRequest, slug: str) -> HttpResponse:
    """Make the signed-in curator the case's assignee."""
    practice = get_object_or_404(BestPractice, slug=slug)
    assign_practice(practice, actor=request.user, assignee=request.user)
    messages.success(request, _("“%(title)s” is now assigned to you.") % {"title": practice})
    return redirect(posted_next_or(request, reverse("review:queue")))


def _sections(practice: BestPractice) -> list[tuple[str, str]]:
    return [
        (_("Summary"), practice.summary),
        (_("Context and problem"), practice.context),
        (_("What was done"), practice.actions),
        (_("Results"), practice.results),
        (_("Costs and financing"), practice.costs),
        (_("Lessons learned"), practice.lessons),
        (_("Conditions for replication"), practice.replication),
    ]


def _history_id(request: HttpRequest, name: str) -> int | None:
    try:
        return int(request.GET.get(name, ""))
    except ValueError:
        return None


def _shown(record, field: models.Field):
    """A field's value as a curator reads it: the label of a choice, the name of a relation."""
    if field.is_relation:
        return getattr(record, field.name)
    value = getattr(record, field.attname)
    if field.choices and value:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    # An empty text reads as "—" on the page, like a missing value.
    return None if value == "" else value


def _segments(matcher: SequenceMatcher) -> list[tuple[str, str]]:
    """One changed line as pieces kept (""), removed ("del") and added ("ins")."""
    old_words, new_words = matcher.a, matcher.b
    pieces = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(("", "".join(old_words[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(old_words[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(new_words[j1:j2])))
    return pieces


def _likeness(pieces: list[tuple[str, str]]) -> float:
    """The share of their visible characters that two lines have in common (spaces, which
    every line has, do not count)."""
    sizes = [(kind, len("".join(text.split()))) for kind, text in pieces]
    kept = sum(size for kind, size in sizes if not kind)
    both = sum(size for _kind, size in sizes) + kept
    return 2 * kept / both if both else 1.0


def _changed_lines(old: list[str], new: list[str]) -> list[dict]:
    """A replaced block: line by line with the changed words marked when the lines pair up
    and look alike, else the old lines removed and the new ones added whole."""
    if len(old) == len(new):
        paired = [
            _segments(SequenceMatcher(None, WORDS.findall(before), WORDS.findall(after)))
            for before, after in zip(old, new, strict=True)
        ]
        if all(_likeness(pieces) >= WORD_DIFF_MIN_RATIO for pieces in paired):
            return [{"kind": "changed", "segments": pieces} for pieces in paired]
    return [{"kind": "del", "segments": [("del", line)]} for line in old] + [
        {"kind": "ins", "segments": [("ins", line)]} for line in new
    ]


def _text_diff(old: str, new: str) -> list[dict]:
    """The lines of a long text that changed, with a little unchanged context around them
    and a "gap" where unchanged lines are left out."""
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    lines = []
    seen_up_to = 0
    for group in SequenceMatcher(None, old_lines, new_lines).get_grouped_opcodes(CONTEXT_LINES):
        if group[0][1] > seen_up_to:
            lines.append({"kind": "gap"})
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [{"kind": "same", "segments": [("", line)]} for line in old_lines[i1:i2]]
            else:
                lines += _changed_lines(old_lines[i1:i2], new_lines[j1:j2])
        seen_up_to = group[-1][2]
    if seen_up_to < len(old_lines):
        lines.append({"kind": "gap"})
    return lines


def _differences(old, new, fields: list[models.Field]) -> list[dict]:
    """The fields whose values differ between two records; long texts as a line diff."""
    changes = []
    for field in fields:
        if getattr(old, field.attname) == getattr(new, field.attname):
            continue
        change = {
            "field": field.verbose_name,
            "old": _shown(old, field),
            "new": _shown(new, field),
        }
        if isinstance(field, models.TextField):
            change["lines"] = _text_diff(change["old"], change["new"])
        changes.append(change)
    return changes


def _link_changes(old, new) -> list[dict]:
    """Places, themes and organisations added and removed, from the two records' snapshots
    of them (one query each)."""
    history_model = type(new)
    changes = []
    for name in RELATED_FIELDS:
        target = BestPractice._meta.get_field(name).m2m_reverse_field_name()
        related = [f"{target}__country"] if name == "places" else [target]
        snapshots = (
            getattr(history_model, name)
            .model.objects.filter(history_id__in=[old.pk, new.pk])
            .select_related(*related)
        )
        linked = {old.pk: {}, new.pk: {}}
        for snapshot in snapshots:
            linked[snapshot.history_id][getattr(snapshot, f"{target}_id")] = snapshot
        before, after = linked[old.pk], linked[new.pk]
        added = [_link_name(after[key], target) for key in after.keys() - before.keys()]
        removed = [_link_name(before[key], target) for key in before.keys() - after.keys()]
        if added or removed:
            changes.append(
                {"heading": LINK_HEADINGS[name], "added": sorted(added), "removed": sorted(removed)}
            )
    return changes


def _link_name(snapshot, target: str) -> str:
    linked = getattr(snapshot, target)
    if linked is None:
        return _("a deleted entry (#%(id)s)") % {"id": getattr(snapshot, f"{target}_id")}
    if target == "place":
        return f"{linked.name}, {linked.country.name}"
    return linked.name


def _rows_as_of(records: list, cutoff) -> dict[int, object]:
    """The rows standing just before ``cutoff`` (None: the latest), from their history."""
    rows = {}
    for record in records:
        if cutoff is not None and record.history_date >= cutoff:
            break
        if record.history_type == "-":
            rows.pop(record.id, None)
        else:
            rows[record.id] = record
    return rows


def _row_changes(practice: BestPractice, cutoffs: tuple) -> list[dict]:
    """Rows added, removed and changed between two versions (one query per kind of row).

    A save writes the case's version first and its rows after it, in one transaction:
    so a version's rows are those standing just before the next version was written.
    """
    changes = []
    for model, heading in COMPARED_ROWS:
        fields = [f for f in model._meta.concrete_fields if f.name not in ("id", "practice")]
        relations = [f.name for f in fields if f.is_relation]
        records = list(
            model.history.filter(practice_id=practice.pk)
            .select_related(*relations)
            .order_by("history_date", "history_id")
        )
        before, after = (_rows_as_of(records, cutoff) for cutoff in cutoffs)
        changed = []
        for key in sorted(before.keys() & after.keys()):
            differences = _differences(before[key], after[key], fields)
            if differences:
                changed.append({"row": str(after[key].instance), "changes": differences})
        added = [str(after[key].instance) for key in sorted(after.keys() - before.keys())]
        removed = [str(before[key].instance) for key in sorted(before.keys() - after.keys())]
        if added or removed or changed:
            changes.append(
                {"heading": heading, "added": added, "removed": removed, "changed": changed}
            )
    return changes


def _comparison(request: HttpRequest, practice: BestPractice, versions: list) -> dict | None:
    """The changes between the versions ``?from=`` and ``?to=`` (history ids), if chosen.

    Always shown from the older version to the newer, whichever way round they were
    chosen, so that "added" and "removed" read the way time runs.
    """
    if "from" not in request.GET and "to" not in request.GET:
        return None
    by_id = {version.history_id: version for version in versions}
    old = by_id.get(_history_id(request, "from"))
    new = by_id.get(_history_id(request, "to"))
    if old is None or new is None:
        return {"error": _("Choose two versions of this case to compare.")}

    # ``versions`` runs newest first: the version written after each one is the one before it.
    position = {version.history_id: index for index, version in enumerate(versions)}
    swapped = position[old.history_id] < position[new.history_id]
    if swapped:
        old, new = new, old
    # Until when each version's rows stood: the next version's date (None for the latest).
    cutoffs = tuple(
        versions[index - 1].history_date if index else None
        for index in (position[old.history_id], position[new.history_id])
    )
    fields = [
        field
        for field in BestPractice._meta.concrete_fields
        if field.editable and field.name not in UNCOMPARED_FIELDS
    ]
    return {
        "old": old,
        "new": new,
        "swapped": swapped,
        "changes": _differences(old, new, fields),
        "links": _link_changes(old, new),
        "rows": _row_changes(practice, cutoffs),
    }


@require_GET
@curators_only
def review_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A case with all its sections, its versions (and a comparison of two), the
    conversation and the steps the curator may take now."""
    places = Place.objects.select_related("country").order_by("name_folded", "pk")
    practice = get_object_or_404(
        BestPractice.objects.select_related("submitted_by", "assigned_to").prefetch_related(
            Prefetch("places", queryset=places),
            "themes",
            "organisations",
            Prefetch("impacts", queryset=Impact.objects.select_related("indicator")),
            "cost_items",
            "financing",
            "links",
        ),
        slug=slug,
    )
    versions = list(
        practice.history.select_related(
            "history_user", "submitted_by", "assigned_to", "source"
        ).order_by("-history_date", "-history_id")
    )
    verbs = [verb for verb in allowed_transitions(practice, request.user) if verb in REVIEW_VERBS]
    context = {
        "practice": practice,
        "sections": _sections(practice),
        "versions": versions,
        "comparison": _comparison(request, practice, versions),
        "conversation": practice.transitions.select_related("actor").order_by("created_at", "pk"),
        "steps": [
            {
                "verb": verb,
                "label": STEP_BUTTONS[verb],
                "comment_required": STEPS[verb].comment_required,
            }
            for verb in verbs
        ],
    }
    return render(request, "practices/review/review.html", context)


@require_POST
@curators_only
def take_step(request: HttpRequest, slug: str, verb: str) -> HttpResponse:
    """Take the workflow step ``verb`` on the case; a refusal is shown as a message."""
    if verb not in REVIEW_VERBS:
        raise Http404(_("There is no such step."))
    practice = get_object_or_404(BestPractice, slug=slug)
    try:
        SERVICES[verb](practice, actor=request.user, comment=request.POST.get("comment", ""))
    except TransitionNotAllowed as refusal:
        messages.error(request, str(refusal))
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
    else:
        messages.success(request, STEP_DONE[verb])
    return redirect("review:practice", slug=practice.slug)
