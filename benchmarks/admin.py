from django.contrib import admin

from .models import Indicator, IndicatorMapping, Measurement, Target


class IndicatorMappingInline(admin.TabularInline):
    model = IndicatorMapping
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "direction", "quantity_kind", "theme"]
    list_filter = ["quantity_kind", "direction", "theme"]
    search_fields = ["code", "name"]
    inlines = [IndicatorMappingInline]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["indicator", "place", "year", "value", "unit", "notation", "verification"]
    list_filter = ["verification", "method", "notation", "source"]
    search_fields = ["place__name", "indicator__code"]
    raw_id_fields = ["place", "indicator"]
    list_select_related = ["indicator", "place"]
    show_full_result_count = False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "place", "year", "value", "unit"]
    list_filter = ["source"]
    search_fields = ["place__name", "indicator__code"]
    raw_id_fields = ["place", "indicator"]
    list_select_related = ["indicator", "place"]
