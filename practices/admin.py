"""The admin for curators: cases with their record and history, and bulk workflow steps.

The state is read-only here: bulk actions call the same services as the pages and
the API, and report per case what happened. A save keeps one version of the case,
with the places, themes and organisations it was saved with.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .choices import ProposalStatus
from .models import (
    Attachment,
    BestPractice,
    Cost,
    Financing,
    Impact,
    PlaceProposal,
    PracticeLink,
    ProgressUpdate,
    Transition,
    is_curator,
)

CHANGE_CASES = "practices.change_bestpractice"
VIEW_CASES = "practices.view_bestpractice"


class CaseRows:
    """The rows of a case follow the case: whoever may change it may change its rows.

    The role groups grant permissions on the case, not on each kind of row; without
    this a curator would not see the rows of the cases they edit.
    """

    extra = 0

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_CASES) or request.user.has_perm(CHANGE_CASES)

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(CHANGE_CASES)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(CHANGE_CASES)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(CHANGE_CASES)


class ImpactInline(CaseRows, admin.TabularInline):
    model = Impact
    raw_id_fields = ["indicator"]


class CostInline(CaseRows, admin.TabularInline):
    model = Cost


class FinancingInline(CaseRows, admin.TabularInline):
    model = Financing


class ProgressUpdateInline(CaseRows, admin.StackedInline):
    model = ProgressUpdate


class PracticeLinkInline(CaseRows, admin.TabularInline):
    model = PracticeLink
    # An address typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class AttachmentInline(CaseRows, admin.TabularInline):
    model = Attachment

    # Files are added on the case form, which checks what they are (practices.attachments).
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TransitionInline(CaseRows, admin.TabularInline):
    model = Transition
    fields = ["created_at", "from_status", "to_status", "actor", "actor_organisation", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class BestPracticeAdminForm(forms.ModelForm):
    """The case form of the admin, refusing a save made from a stale page."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = BestPractice
        # The admin narrows the fields itself (readonly_fields, inlines); the form takes any.
        fields = "__all__"  # noqa: DJ007

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            # The admin saves in the same transaction: the lock holds until the save.
            stored = (
                BestPractice.objects.select_for_update()
                .values_list("version", flat=True)
                .get(pk=self.instance.pk)
            )
            if cleaned.get("seen_version") != stored:
                raise ValidationError(str(services.StaleVersion(stored)))
            # Every save makes the forms still open elsewhere (pages, API, admin) stale.
            self.instance.version = stored + 1
        return cleaned


def _run_step(modeladmin, request, queryset, verb: str) -> None:
    """Take ``verb`` on every selected case, and say for each what happened."""
    service = services.SERVICES[verb]
    for practice in queryset.order_by("pk"):
        try:
            service(practice, actor=request.user)
        except (PermissionDenied, services.WorkflowError, ValidationError) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else error
            modeladmin.message_user(
                request, _("“%(case)s”: %(why)s") % {"case": practice, "why": text}, messages.ERROR
            )
        else:
            modeladmin.message_user(
                request,
                _("“%(case)s” was %(done)s.")
                % {"case": practice, "done": services.STEPS[verb].done},
                messages.SUCCESS,
            )


@admin.action(
    description=gettext_lazy("Take the selected cases into review"), permissions=["review"]
)
def start_review_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "start-review")


@admin.action(description=gettext_lazy("Publish the selected cases"), permissions=["review"])
def publish_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "publish")


@admin.action(description=gettext_lazy("Reject the selected cases"), permissions=["review"])
def reject_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "reject")


@admin.action(description=gettext_lazy("Archive the selected cases"), permissions=["review"])
def archive_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "archive")


@admin.action(description=gettext_lazy("Unpublish the selected cases"), permissions=["review"])
def unpublish_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "unpublish")


# "Request changes" is no bulk action: each case needs its own comment (the review page).
@admin.register(BestPractice)
class BestPracticeAdmin(SimpleHistoryAdmin):
    form = BestPracticeAdminForm
    actions = [
        start_review_selected,
        publish_selected,
        reject_selected,
        archive_selected,
        unpublish_selected,
    ]
    list_display = ["title", "status", "implementation", "language", "published_at"]
    list_filter = ["status", "implementation", "language", "themes"]
    search_fields = ["title", "title_folded", "summary"]
    raw_id_fields = ["places", "organisations", "submitted_by"]
    filter_horizontal = ["themes"]
    # The status changes only through the workflow services (submitting issue).
    readonly_fields = [
        "status",
        "slug",
        "version",
        "published_at",
        "submission_key",
        "created_at",
        "updated_at",
    ]
    inlines = [
        ImpactInline,
        CostInline,
        FinancingInline,
        ProgressUpdateInline,
        PracticeLinkInline,
        AttachmentInline,
        TransitionInline,
    ]

    def has_review_permission(self, request) -> bool:
        return is_curator(request.user)

    def has_add_permission(self, request) -> bool:
        # A case begins on "Submit a case" (services.create_practice), which gives it its
        # slug and owner; a case added here would have neither.
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Saved without a version here: save_related writes it once the links are set.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        """Set the links, write the one version of this save, then save the rows.

        The version comes before the rows, as on the pages and in the API, so that a
        comparison of versions finds each version's rows the same way.
        """
        practice = form.instance
        form.save_m2m()
        del practice.skip_history_when_saving
        practice._history_user = request.user
        practice._change_reason = "admin"
        services.record_versions([practice], created=not change)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(PlaceProposal)
class PlaceProposalAdmin(admin.ModelAdmin):
    """Proposed places, to look up; curators decide on them on their own pages."""

    # Read only: curators approve, merge or decline on /review/places/ (the decision column).
    list_display = ["name", "country", "case", "status", "created_at", "decision"]
    list_filter = ["status"]
    search_fields = ["name"]
    list_select_related = ["country", "practice"]

    def has_view_permission(self, request, obj=None) -> bool:
        return is_curator(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("case"), ordering="practice__title")
    def case(self, proposal: PlaceProposal) -> BestPractice:
        return proposal.practice

    @admin.display(description=gettext_lazy("decision"))
    def decision(self, proposal: PlaceProposal) -> str:
        if proposal.status != ProposalStatus.PENDING:
            return proposal.get_status_display()
        return format_html(
            '<a href="{}">{}</a>', reverse("review:place-proposals"), _("Decide on its page")
        )
