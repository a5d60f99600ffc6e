"""The submitter's pages: "Submit a case", editing a case, and "My cases".

Every save goes through the services (create_practice, save_practice and the
transitions), so that the pages keep the same rules as the API: who may write,
the version check, the submission key and the workflow.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cset.reference.models import Place
from cset.reference.pages import paginate

from . import attachments, services
from .choices import Status
from .forms import AttachmentForm, EditPracticeForm, ImpactFormSet, NewPracticeForm
from .models import BestPractice, Transition

FORM_TEMPLATE = "practices/submit/bestpractice_form.html"
PLACE_MATCHES = 20
PLACE_QUERY_MAX_LENGTH = 200


def _refused(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return render(request, "practices/submit/refused.html", {"message": str(error)}, status=403)


def _place_choices(request: HttpRequest, form) -> tuple[str, list[Place], list[Place]]:
    """The place search text, the places already chosen, and up to 20 other matches."""
    source = request.POST if request.method == "POST" else request.GET
    query = source.get("place_q", "")[:PLACE_QUERY_MAX_LENGTH].replace("\x00", "")
    if form.is_bound:
        chosen_ids = [value for value in form.data.getlist("places") if value.isdigit()]
    else:
        chosen_ids = [place.pk for place in form.initial.get("places", [])]
    places = Place.objects.select_related("country").order_by("name_folded", "pk")
    chosen = list(places.filter(pk__in=chosen_ids))
    matches = []
    if query.strip():
        matches = list(places.search(query).exclude(pk__in=chosen_ids)[:PLACE_MATCHES])
    return query, chosen, matches


def _render_form(
    request, form, impacts, *, attachment=None, practice=None, show_errors=True, status=200
):
    query, chosen, matches = _place_choices(request, form)
    context = {
        "form": form,
        "impacts": impacts,
        "attachment_form": attachment or AttachmentForm(),
        "practice": practice,
        "show_errors": show_errors and form.is_bound,
        "place_query": query,
        "chosen_places": chosen,
        "place_matches": matches,
        "chosen_place_ids": {str(place.pk) for place in chosen},
    }
    return render(request, FORM_TEMPLATE, context, status=status)


def _attach(request: HttpRequest, practice: BestPractice, attachment: AttachmentForm) -> None:
    """Store the file of a valid attachment form, if one was chosen."""
    upload = attachment.cleaned_data["file"]
    if upload:
        attachments.add_attachment(
            practice, upload, actor=request.user, title=attachment.cleaned_data["title"]
        )


def _take_step(request: HttpRequest, step, practice: BestPractice, comment: str = "") -> None:
    """Take a workflow step after a save; a refusal becomes a message, the save stays."""
    try:
        step(practice, actor=request.user, comment=comment)
    except (services.WorkflowError, PermissionDenied) as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your case was sent to the curators."))


@login_required
def practice_create(request: HttpRequest) -> HttpResponse:
    """A new case: saved as a draft, or saved and submitted at once."""
    try:
        services.check_can_write(request.user)
    except PermissionDenied as error:
        return _refused(request, error)

    if request.method != "POST":
        form = NewPracticeForm(initial={"submission_key": uuid.uuid4()})
        return _render_form(request, form, ImpactFormSet(prefix="impacts"))

    form = NewPracticeForm(request.POST)
    impacts = ImpactFormSet(request.POST, prefix="impacts")
    attachment = AttachmentForm(request.POST, request.FILES)
    action = request.POST.get("action", "draft")
    if action == "find_places":
        return _render_form(request, form, impacts, attachment=attachment, show_errors=False)
    if not all([form.is_valid(), impacts.is_valid(), attachment.is_valid()]):
        return _render_form(request, form, impacts, attachment=attachment, status=400)

    try:
        with transaction.atomic():
            practice, created = services.create_practice(
                form.practice_data(),
                actor=request.user,
                submission_key=form.cleaned_data["submission_key"],
            )
            # A repeated submit found the case of the first: its impacts are stored already.
            if created:
                impacts.instance = practice
                impacts.save()
                _attach(request, practice, attachment)
    except services.SubmissionKeyTaken as error:
        form.add_error(None, str(error))
        return _render_form(request, form, impacts, attachment=attachment, status=400)

    if action == "submit" and practice.status == Status.DRAFT:
        _take_step(request, services.submit_practice, practice)
        return redirect("submit:mine")
    messages.success(request, _("Your draft was saved."))
    return redirect("submit:edit", slug=practice.slug)


@login_required
def practice_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a case the user may edit now; a stale form is refused and its text kept."""
    # Not narrowed by visible_to: someone else's case answers 403 with the reason, not 404.
    practice = get_object_or_404(BestPractice, slug=slug)
    try:
        services.check_can_edit(practice, request.user)
    except PermissionDenied as error:
        return _refused(request, error)

    if request.method != "POST":
        form = EditPracticeForm(instance=practice, initial={"version": practice.version})
        impacts = ImpactFormSet(instance=practice, prefix="impacts")
        return _render_form(request, form, impacts, practice=practice)

    form = EditPracticeForm(request.POST, instance=practice)
    impacts = ImpactFormSet(request.POST, instance=practice, prefix="impacts")
    attachment = AttachmentForm(request.POST, request.FILES)
    action = request.POST.get("action", "draft")
    if action == "find_places":
        return _render_form(
            request, form, impacts, attachment=attachment, practice=practice, show_errors=False
        )
    if not all([form.is_valid(), impacts.is_valid(), attachment.is_valid()]):
        return _render_form(
            request, form, impacts, attachment=attachment, practice=practice, status=400
        )

    try:
        with transaction.atomic():
            saved = services.save_practice(
                practice,
                form.practice_data(),
                actor=request.user,
                expected_version=form.cleaned_data["version"],
            )
            impacts.save()
            _attach(request, saved, attachment)
    except services.StaleVersion as error:
        # Keep every word typed; the next save starts from the newer version on purpose.
        data = request.POST.copy()
        data["version"] = str(error.current_version)
        form.data = data
        form.add_error(None, str(error))
        return _render_form(
            request, form, impacts, attachment=attachment, practice=practice, status=409
        )
    except PermissionDenied as error:
        return _refused(request, error)

    if action == "submit" and saved.status == Status.DRAFT:
        _take_step(request, services.submit_practice, saved)
        return redirect("submit:mine")
    if action == "resubmit" and saved.status == Status.CHANGES_REQUESTED:
        _take_step(request, services.resubmit_practice, saved, form.cleaned_data["answer"])
        return redirect("submit:mine")
    messages.success(request, _("Your changes were saved."))
    return redirect("submit:edit", slug=saved.slug)


@login_required
def my_practices(request: HttpRequest) -> HttpResponse:
    """The user's cases with their state and the curators' latest comment."""
    # Comments by anyone but the user: the curators' side of the conversation.
    comments = (
        Transition.objects.exclude(comment="")
        .exclude(actor=request.user)
        .order_by("-created_at", "-pk")
    )
    cases = (
        BestPractice.objects.filter(submitted_by=request.user)
        .prefetch_related(Prefetch("transitions", queryset=comments, to_attr="curator_comments"))
        .order_by("-updated_at", "-pk")
    )
    page = paginate(request, cases)
    rows = [
        {
            "practice": practice,
            "editable": practice.is_editable_by(request.user),
            "comment": practice.curator_comments[0] if practice.curator_comments else None,
        }
        for practice in page.object_list
    ]
    return render(request, "practices/submit/bestpractice_list.html", {"page": page, "rows": rows})


@login_required
def practice_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """A case as its submitter sees it in any state, with the conversation about it."""
    cases = BestPractice.objects.visible_to(request.user).prefetch_related(
        "places", "themes", "impacts", Prefetch("transitions", to_attr="record")
    )
    practice = get_object_or_404(cases, slug=slug)
    return render(
        request,
        "practices/submit/bestpractice_preview.html",
        {"practice": practice, "editable": practice.is_editable_by(request.user)},
    )
