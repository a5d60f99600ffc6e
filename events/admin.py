from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "start_date", "date_precision", "venue"]
    list_filter = ["kind", "date_precision"]
    search_fields = ["title", "title_folded", "description"]
    raw_id_fields = ["venue", "organisers", "practices"]
    date_hierarchy = "start_date"
    list_select_related = ["venue"]
