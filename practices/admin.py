from django.contrib import admin

from .models import Attachment, BestPractice, Impact, PracticeLink, ProgressUpdate


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


@admin.register(BestPractice)
class BestPracticeAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "implementation", "language", "published_at"]
    list_filter = ["status", "implementation", "language", "themes"]
    search_fields = ["title", "title_folded", "summary"]
    raw_id_fields = ["places", "organisations", "submitted_by"]
    filter_horizontal = ["themes"]
    # The status changes only through the workflow services (submitting issue).
    readonly_fields = ["status", "slug", "version", "published_at", "created_at", "updated_at"]
    inlines = [ImpactInline, ProgressUpdateInline, PracticeLinkInline, AttachmentInline]
