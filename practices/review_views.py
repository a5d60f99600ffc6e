"""The curators' pages: the review queue and the review page of one case.

Both are for curators only (the review permission); every state change goes through
the workflow's services, and assigning a case through ``assign_practice``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cset.reference.models import Place
from cset.reference.pages import filter_data, paginate, query_without

from .models import REVIEW_PERMISSION, BestPractice, Impact
from .review_filters import ReviewFilterSet
from .services import SERVICES, STEPS, TransitionNotAllowed, allowed_transitions, assign_practice

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
UNCOMPARED_FIELDS = {"title_folded", "updated_at"}


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


def _back_to(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else default


@require_POST
@curators_only
def assign_to_me(request: HttpRequest, slug: str) -> HttpResponse:
    """Make the signed-in curator the case's assignee."""
    practice = get_object_or_404(BestPractice, slug=slug)
    assign_practice(practice, actor=request.user, assignee=request.user)
    messages.success(request, _("“%(title)s” is now assigned to you.") % {"title": practice})
    return redirect(_back_to(request, reverse("review:queue")))


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


def _comparison(request: HttpRequest, versions: list) -> dict | None:
    """The changes between the versions ``?from=`` and ``?to=`` (history ids), if chosen."""
    if "from" not in request.GET and "to" not in request.GET:
        return None
    by_id = {version.history_id: version for version in versions}
    old = by_id.get(_history_id(request, "from"))
    new = by_id.get(_history_id(request, "to"))
    if old is None or new is None:
        return {"error": _("Choose two versions of this case to compare.")}

    delta = new.diff_against(old)
    labels = {field.name: field.verbose_name for field in BestPractice._meta.fields}
    changes = [
        {"field": labels.get(change.field, change.field), "old": change.old, "new": change.new}
        for change in delta.changes
        if change.field not in UNCOMPARED_FIELDS
    ]
    return {"old": old, "new": new, "changes": changes}


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
        ),
        slug=slug,
    )
    versions = list(
        practice.history.select_related("history_user").order_by("-history_date", "-history_id")
    )
    verbs = [verb for verb in allowed_transitions(practice, request.user) if verb in REVIEW_VERBS]
    context = {
        "practice": practice,
        "sections": _sections(practice),
        "versions": versions,
        "comparison": _comparison(request, versions),
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
