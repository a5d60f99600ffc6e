"""The submitter's pages: "Submit a case", editing a case, and "My cases".

Every save goes through the services (create_practice, save_practice and the
transitions), so that the pages keep the same rules as the API: who may write,
the version check, the submission key and the workflow.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cset.reference.models import Organisation, Place
from cset.reference.pages import paginate
from cset.reference.text import fold

from . import attachments, services
from .choices import Status
from .forms import (
    COMMON_CURRENCIES,
    CURRENCY_LIST_ID,
    AttachmentForm,
    EditPracticeForm,
    NewPracticeForm,
    is_id,
    row_formsets,
)
from .models import BestPractice, Transition

FORM_TEMPLATE = "practices/submit/bestpractice_form.html"
PICKER_MATCHES = 20
PICKER_QUERY_MAX_LENGTH = 200


@dataclass(frozen=True)
class Picker:
    """A many-to-many field of the case chosen by searching on the server: the form
    posts back with ``action`` and the text in ``query_param``, and comes back with the
    chosen rows and up to 20 matches as checkboxes. Works without JavaScript;
    static/js/picker.js searches the ``api_list`` as the user types."""

    name: str
    query_param: str
    action: str
    api_list: str
    queryset: Callable[[], models.QuerySet]
    search: Callable[[models.QuerySet, str], models.QuerySet]
    legend: str
    chosen_legend: str
    query_label: str
    button: str
    matches_legend: str
    found_one: str
    found: str
    none_found: str


PICKERS = [
    Picker(
        name="places",
        query_param="place_q",
        action="find_places",
        api_list="api-place-list",
        queryset=lambda: Place.objects.select_related("country").order_by("name_folded", "pk"),
        search=lambda places, key: places.search(key),
        legend=gettext_lazy("Places"),
        chosen_legend=gettext_lazy("Places of this case"),
        query_label=gettext_lazy("Find places by name"),
        button=gettext_lazy("Find places"),
        matches_legend=gettext_lazy("Places matching “{query}”"),
        found_one=gettext_lazy("{count} place found."),
        found=gettext_lazy("{count} places found."),
        none_found=gettext_lazy("No place has that name."),
    ),
    Picker(
        name="organisations",
        query_param="organisation_q",
        action="find_organisations",
        api_list="api-organisation-list",
        queryset=lambda: Organisation.objects.select_related("country").order_by(
            "name_folded", "pk"
        ),
        search=lambda organisations, key: organisations.search(key),
        legend=gettext_lazy("Organisations"),
        chosen_legend=gettext_lazy("Organisations of this case"),
        query_label=gettext_lazy("Find organisations by name"),
        button=gettext_lazy("Find organisations"),
        matches_legend=gettext_lazy("Organisations matching “{query}”"),
        found_one=gettext_lazy("{count} organisation found."),
        found=gettext_lazy("{count} organisations found."),
        none_found=gettext_lazy("No organisation has that name."),
    ),
]
FIND_ACTIONS = {picker.action for picker in PICKERS}


@dataclass
class PickerState:
    """A picker on one page: the text searched, the rows chosen and the matches."""

    picker: Picker
    field: object
    query: str
    chosen: list
    matches: list

    @property
    def source(self) -> str:
        return reverse(self.picker.api_list)

    @property
    def matches_legend(self) -> str:
        return str(self.picker.matches_legend).format(query=self.query)


def _picker_state(request: HttpRequest, form, picker: Picker) -> PickerState:
    """The search text, the rows already chosen, and up to 20 other matches."""
    source = request.POST if request.method == "POST" else request.GET
    query = source.get(picker.query_param, "")[:PICKER_QUERY_MAX_LENGTH].replace("\x00", "")
    if form.is_bound:
        chosen_ids = [value for value in form.data.getlist(picker.name) if is_id(value)]
    else:
        chosen_ids = [row.pk for row in form.initial.get(picker.name, [])]
    rows = picker.queryset()
    chosen = list(rows.filter(pk__in=chosen_ids))
    matches = []
    # Text of blanks only ("\u200b") finds nothing rather than everything.
    key = fold(query)
    if key:
        matches = list(picker.search(rows, key).exclude(pk__in=chosen_ids)[:PICKER_MATCHES])
    return PickerState(picker, form[picker.name], query, chosen, matches)


def _has_errors(form, row_sets, attachment) -> bool:
    return bool(
        form.errors
        or attachment.errors
        or any(rows.submitted and rows.formset.total_error_count() for rows in row_sets)
    )


def _refused(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return render(request, "practices/submit/refused.html", {"message": str(error)}, status=403)


def _render_form(
    request, form, row_sets, *, attachment=None, practice=None, show_errors=True, status=200
):
    attachment = attachment or AttachmentForm()
    # Only a save shows errors: finding places or organisations validates nothing.
    show_errors = show_errors and form.is_bound
    context = {
        "form": form,
        "row_sets": row_sets,
        "attachment_form": attachment,
        "practice": practice,
        "show_errors": show_errors,
        "has_errors": show_errors and _has_errors(form, row_sets, attachment),
        "pickers": [_picker_state(request, form, picker) for picker in PICKERS],
        "currencies": COMMON_CURRENCIES,
        "currency_list_id": CURRENCY_LIST_ID,
        # Each formset by its prefix too ("impacts", "costs" …), for whoever needs one.
        **{rows.section.prefix: rows.formset for rows in row_sets},
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


def _all_valid(form, row_sets, attachment) -> bool:
    # Every part is validated, so that the page shows every error at once.
    results = [form.is_valid(), attachment.is_valid()]
    results += [rows.is_valid() for rows in row_sets]
    return all(results)


@login_required
def practice_create(request: HttpRequest) -> HttpResponse:
    """A new case: saved as a draft, or saved and submitted at once."""
    try:
        services.check_can_write(request.user)
    except PermissionDenied as error:
        return _refused(request, error)

    if request.method != "POST":
        form = NewPracticeForm(initial={"submission_key": uuid.uuid4()})
        return _render_form(request, form, row_formsets())

    form = NewPracticeForm(request.POST)
    row_sets = row_formsets(request.POST)
    attachment = AttachmentForm(request.POST, request.FILES)
    action = request.POST.get("action", "draft")
    if action in FIND_ACTIONS:
        return _render_form(request, form, row_sets, attachment=attachment, show_errors=False)
    if not _all_valid(form, row_sets, attachment):
        return _render_form(request, form, row_sets, attachment=attachment, status=400)

    try:
        with transaction.atomic():
            practice, created = services.create_practice(
                form.practice_data(),
                actor=request.user,
                submission_key=form.cleaned_data["submission_key"],
            )
            # A repeated submit found the case of the first: its rows are stored already.
            if created:
                for rows in row_sets:
                    rows.save(practice)
                _attach(request, practice, attachment)
    except services.SubmissionKeyTaken as error:
        form.add_error(None, str(error))
        return _render_form(request, form, row_sets, attachment=attachment, status=400)

    if action == "submit" and practice.status == Status.DRAFT:
        _take_step(request, services.submit_practice, practice)
        return redirect("submit:mine")
    messages.success(request, _("Your draft was saved."))
    return redirect("submit:edit", slug=practice.slug)


@login_required
def practice_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a case the user may edit now; a stale form is refused and its text kept."""
    # Someone else's unpublished case does not exist for this user (404, as in the API);
    # a case they may read but not edit answers 403 with the reason.
    practice = get_object_or_404(BestPractice.objects.visible_to(request.user), slug=slug)
    try:
        services.check_can_edit(practice, request.user)
    except PermissionDenied as error:
        return _refused(request, error)

    if request.method != "POST":
        form = EditPracticeForm(instance=practice, initial={"version": practice.version})
        return _render_form(request, form, row_formsets(instance=practice), practice=practice)

    form = EditPracticeForm(request.POST, instance=practice)
    row_sets = row_formsets(request.POST, instance=practice)
    attachment = AttachmentForm(request.POST, request.FILES)
    action = request.POST.get("action", "draft")
    if action in FIND_ACTIONS:
        return _render_form(
            request, form, row_sets, attachment=attachment, practice=practice, show_errors=False
        )
    if not _all_valid(form, row_sets, attachment):
        return _render_form(
            request, form, row_sets, attachment=attachment, practice=practice, status=400
        )

    try:
        with transaction.atomic():
            saved = services.save_practice(
                practice,
                form.practice_data(),
                actor=request.user,
                expected_version=form.cleaned_data["version"],
            )
            for rows in row_sets:
                rows.save(saved)
            _attach(request, saved, attachment)
    except services.StaleVersion as error:
        # Keep every word typed; the next save starts from the newer version on purpose.
        data = request.POST.copy()
        data["version"] = str(error.current_version)
        form.data = data
        form.add_error(None, str(error))
        return _render_form(
            request, form, row_sets, attachment=attachment, practice=practice, status=409
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
        "places",
        "themes",
        "impacts",
        "cost_items",
        "financing",
        "links",
        Prefetch("transitions", to_attr="record"),
    )
    practice = get_object_or_404(cases, slug=slug)
    return render(
        request,
        "practices/submit/bestpractice_preview.html",
        {"practice": practice, "editable": practice.is_editable_by(request.user)},
    )
