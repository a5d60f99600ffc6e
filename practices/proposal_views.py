"""Pages about places missing from the gazetteer: a submitter proposes one with their
case; curators add it, match it to a known place, or decline it.

Every write goes through practices.proposals, so that these pages keep its rules: who
may propose and decide, the checks of the name and coordinates, and one decision per
proposal however many curators click at once.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cset.reference.models import Country, Place
from cset.reference.pages import paginate, posted_next_or
from cset.reference.text import fold

from . import proposals, services
from .choices import ProposalStatus
from .models import BestPractice, PlaceProposal
from .review_views import curators_only

APPROVE, MERGE, DECLINE = "approve", "merge", "decline"

DECISION_DONE = {
    APPROVE: gettext_lazy("“%(name)s” was added to the gazetteer and to its case."),
    MERGE: gettext_lazy("“%(name)s” was matched to %(place)s, which joined its case."),
    DECLINE: gettext_lazy("The proposal of “%(name)s” was declined."),
}


class ProposalForm(forms.Form):
    """A place missing from the gazetteer. The model's ``clean()`` holds the rules."""

    name = forms.CharField(
        label=gettext_lazy("Name of the place"),
        max_length=200,
        help_text=gettext_lazy("As it is written there, e.g. Ushguli, 하회마을 or ላሊበላ."),
    )
    country = forms.ModelChoiceField(
        label=gettext_lazy("Country"),
        queryset=Country.objects.order_by("name", "code"),
        empty_label=gettext_lazy("Choose a country"),
    )
    latitude = forms.FloatField(
        label=gettext_lazy("Latitude"),
        min_value=-90,
        max_value=90,
        help_text=gettext_lazy(
            "In decimal degrees, negative south of the equator: e.g. 42.917 for Ushguli, "
            "-1.286 for Nairobi."
        ),
    )
    longitude = forms.FloatField(
        label=gettext_lazy("Longitude"),
        min_value=-180,
        max_value=180,
        help_text=gettext_lazy(
            "In decimal degrees, negative west of Greenwich: e.g. 43.016 for Ushguli, "
            "-70.669 for Cusco. A map site shows both when you click the place."
        ),
    )
    # The name and country whose known places the submitter has seen ("country:folded name").
    seen_known = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.visible_fields():
            css = "form-select" if field.name == "country" else "form-control"
            field.field.widget.attrs.setdefault("class", css)

    def proposal_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in proposals.PROPOSAL_FIELDS}

    def known_key(self) -> str:
        """What ``seen_known`` holds once the submitter has seen this name's known places."""
        return f"{self.cleaned_data['country'].pk}:{fold(self.cleaned_data['name'])}"


class DecisionForm(forms.Form):
    """A curator's decision on one proposal; prefixed with the proposal's id, so that a
    page of them has unique ids."""

    action = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (APPROVE, gettext_lazy("Add it to the gazetteer as a new place")),
            (MERGE, gettext_lazy("It is a known place: match it")),
            (DECLINE, gettext_lazy("Decline it")),
        ],
    )
    # A merge candidate's slug (radio buttons), or any place's slug typed in.
    place = forms.CharField(required=False, max_length=220)
    place_slug = forms.CharField(
        label=gettext_lazy("Or type the known place's slug"),
        required=False,
        max_length=220,
        help_text=gettext_lazy("The last part of the place's address, e.g. sao-paulo."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the submitter"),
        required=False,
        max_length=proposals.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Mailed to the submitter; required when you decline."),
    )

    def __init__(self, *args, proposal: PlaceProposal, **kwargs):
        super().__init__(*args, prefix=f"proposal-{proposal.pk}", **kwargs)
        for name in ("place_slug", "note"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean()
        if data.get("action") != MERGE:
            return data
        slug = (data.get("place_slug") or "").strip() or data.get("place") or ""
        if not slug:
            self.add_error("place_slug", _("Choose the known place, or type its slug."))
            return data
        data["merge_into"] = Place.objects.filter(slug=slug).first()
        if data["merge_into"] is None:
            self.add_error("place_slug", _("No place has the slug “%(slug)s”.") % {"slug": slug})
        return data


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError on the form: on its field where the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


# The submitter's page --------------------------------------------------------------------


def _render_proposal_form(request, practice, form, *, known=None, status=200) -> HttpResponse:
    context = {"practice": practice, "form": form, "known_places": known or []}
    return render(request, "practices/proposals/proposal_form.html", context, status=status)


@login_required
def propose_place(request: HttpRequest, slug: str) -> HttpResponse:
    """Propose a place missing from the gazetteer for a case the user may edit now."""
    practice = get_object_or_404(BestPractice, slug=slug)
    try:
        services.check_can_edit(practice, request.user)
    except PermissionDenied as error:
        return render(request, "practices/submit/refused.html", {"message": str(error)}, status=403)

    if request.method != "POST":
        return _render_proposal_form(request, practice, ProposalForm())
    form = ProposalForm(request.POST)
    if not form.is_valid():
        return _render_proposal_form(request, practice, form, status=400)

    seen = form.cleaned_data["seen_known"] == form.known_key()
    try:
        proposals.propose_place(
            practice, form.proposal_data(), actor=request.user, even_if_known=seen
        )
    except proposals.PlaceMayBeKnown as maybe:
        # Not an error: the page lists the known places and offers to propose anyway.
        form.data = form.data.copy()
        form.data["seen_known"] = form.known_key()
        return _render_proposal_form(request, practice, form, known=maybe.places)
    except proposals.DuplicateProposal as error:
        form.add_error(None, str(error))
        return _render_proposal_form(request, practice, form, status=409)
    except ValidationError as error:
        _add_errors(form, error)
        return _render_proposal_form(request, practice, form, status=400)
    except PermissionDenied as error:
        return render(request, "practices/submit/refused.html", {"message": str(error)}, status=403)

    messages.success(request, _("Thank you: the curators will look at the place you proposed."))
    return redirect("submit:edit", slug=practice.slug)


# The curators' pages ---------------------------------------------------------------------


@require_GET
@curators_only
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Proposals waiting for a curator, oldest first, each with its merge candidates."""
    pending = (
        PlaceProposal.objects.filter(status=ProposalStatus.PENDING)
        .select_related("practice", "country", "proposed_by")
        .order_by("created_at", "pk")
    )
    page = paginate(request, pending)
    candidates = proposals.merge_candidates(page.object_list)
    rows = [
        {
            "proposal": proposal,
            "candidates": candidates[proposal.pk],
            "form": DecisionForm(proposal=proposal),
        }
        for proposal in page.object_list
    ]
    return render(request, "practices/proposals/proposal_list.html", {"page": page, "rows": rows})


def _render_decision(request, proposal, form, *, status=200) -> HttpResponse:
    context = {
        "proposal": proposal,
        "candidates": proposals.merge_candidates([proposal])[proposal.pk],
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "practices/proposals/proposal_decide.html", context, status=status)


def _decide(proposal: PlaceProposal, data: dict, user) -> str:
    """Take the decision in ``data``; the message that says it was taken."""
    action, note = data["action"], data["note"]
    if action == APPROVE:
        proposals.approve_proposal(proposal, actor=user, note=note)
        return DECISION_DONE[APPROVE] % {"name": proposal.name}
    if action == MERGE:
        place = proposals.merge_proposal(proposal, data["merge_into"], actor=user, note=note)
        return DECISION_DONE[MERGE] % {"name": proposal.name, "place": place.name}
    proposals.decline_proposal(proposal, actor=user, note=note)
    return DECISION_DONE[DECLINE] % {"name": proposal.name}


@curators_only
def decide_place(request: HttpRequest, pk: int) -> HttpResponse:
    """One proposal: its decision form (GET), or the decision taken (POST)."""
    proposal = get_object_or_404(
        PlaceProposal.objects.select_related(
            "practice", "country", "proposed_by", "decided_by", "place"
        ),
        pk=pk,
    )
    if request.method != "POST":
        return _render_decision(request, proposal, DecisionForm(proposal=proposal))

    form = DecisionForm(request.POST, proposal=proposal)
    if not form.is_valid():
        return _render_decision(request, proposal, form, status=400)
    try:
        done = _decide(proposal, form.cleaned_data, request.user)
    except proposals.ProposalAlreadyDecided as refusal:
        messages.error(request, str(refusal))
    except ValidationError as error:
        _add_errors(form, error)
        return _render_decision(request, proposal, form, status=400)
    else:
        messages.success(request, done)
    return redirect(posted_next_or(request, reverse("review:place-proposals")))
