"""The admin for curators: cases with their record and history, and bulk workflow steps.

The state is read-only here: bulk actions call the same services as the pages and
the API, and report per case what happened.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    Attachment,
    BestPractice,
    Impact,
    PracticeLink,
    ProgressUpdate,
    Transition,
    is_curator,
)


class ImpactInline(admin.TabularInline):
    model = Impact
    extra = 0
    raw_id_fields = ["indicator"]


class ProgressUpdateInline(admin.StackedInline):
    model = ProgressUpdate
    extra = 0


class PracticeLinkInline(admin.TabularInline):
    model = PracticeLink
    extra = 0


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    fields = ["created_at", "from_status", "to_status", "actor", "actor_organisation", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
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


@admin.action(description=gettext_lazy("Publish the selected cases"), permissions=["review"])
def publish_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "publish")


@admin.action(description=gettext_lazy("Reject the selected cases"), permissions=["review"])
def reject_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "reject")


@admin.action(description=gettext_lazy("Archive the selected cases"), permissions=["review"])
def archive_selected(modeladmin, request, queryset):
    _run_step(modeladmin, request, queryset, "archive")


@admin.register(BestPractice)
class BestPracticeAdmin(SimpleHistoryAdmin):
    form = BestPracticeAdminForm
    actions = [publish_selected, reject_selected, archive_selected]
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
        ProgressUpdateInline,
        PracticeLinkInline,
        AttachmentInline,
        TransitionInline,
    ]

    def has_review_permission(self, request) -> bool:
        return is_curator(request.user)
