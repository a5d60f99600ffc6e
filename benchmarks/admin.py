from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from cset.reference.admin import PlaceAdmin
from cset.reference.choices import PlaceTier
from cset.reference.models import Place

from . import stored_standings
from .models import Indicator, IndicatorMapping, Measurement, SavedPeerGroup, Target
from .rules import country_refusal, derived_refusal, sign_refusal, year_refusal
from .services import measurements_written


class IndicatorMappingInline(admin.TabularInline):
    model = IndicatorMapping
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "direction", "quantity_kind", "theme"]
    list_filter = ["quantity_kind", "direction", "theme"]
    search_fields = ["code", "name"]
    inlines = [IndicatorMappingInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "direction" in form.changed_data:
            stored_standings.refresh_indicator(obj)


class MeasurementAdminForm(forms.ModelForm):
    """A measurement typed by hand, held to the rules an import applies (benchmarks.rules).
    The admin gives it its model and fields."""

    def clean(self):
        data = super().clean()
        indicator, place, year = data.get("indicator"), data.get("place"), data.get("year")
        if indicator is not None:
            self._refuse("indicator", derived_refusal(indicator.code))
        if indicator is not None and place is not None:
            self._refuse("place", country_refusal(indicator, place.name, place.country_id))
        if year is not None:
            self._refuse("year", year_refusal(year))
        return data

    def _post_clean(self):
        # The model computes the canonical value (Measurement.clean); its sign is judged on it.
        super()._post_clean()
        canonical, indicator = self.instance.value_canonical, self.cleaned_data.get("indicator")
        if canonical is not None and indicator is not None and "value" not in self.errors:
            self._refuse("value", sign_refusal(indicator, canonical))

    def _refuse(self, field: str, refusal: str | None) -> None:
        if refusal:
            self.add_error(field, refusal)


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    form = MeasurementAdminForm
    list_display = ["indicator", "place", "year", "value", "unit", "notation", "verification"]
    list_filter = ["verification", "method", "notation", "source"]
    search_fields = ["place__name", "indicator__code"]
    raw_id_fields = ["place", "indicator"]
    # Derived values are written by benchmarks.derived alone; shown, never as a select of
    # 400,000 measurements.
    readonly_fields = ["value_canonical", "numerator", "denominator", "created_at", "updated_at"]
    list_select_related = ["indicator", "place"]
    show_full_result_count = False

    # A derived value follows its inputs: change or delete those instead.

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.numerator_id is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.numerator_id is not None:
            return False
        return super().has_delete_permission(request, obj)

    # Each write recomputes the derived values and standings it moves, as an import does.

    def save_model(self, request, obj, form, change):
        before = _pairs(Measurement.objects.filter(pk=obj.pk)) if change else set()
        super().save_model(request, obj, form, change)
        measurements_written({*before, (obj.indicator_id, obj.year)})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        measurements_written({(obj.indicator_id, obj.year)})

    def delete_queryset(self, request, queryset):
        pairs = _pairs(queryset)
        super().delete_queryset(request, queryset)
        measurements_written(pairs)


def _pairs(measurements) -> set[tuple[int, int]]:
    return set(measurements.order_by().values_list("indicator_id", "year").distinct())


class PlaceWithStandingsAdmin(PlaceAdmin):
    """The place admin of cset.reference, keeping stored standings right: a place's tier
    and country choose its default peers."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"tier", "country"} & set(form.changed_data):
            stored_standings.refresh_places([obj.pk])

    def delete_model(self, request, obj):
        pairs = _pairs(Measurement.objects.filter(place=obj))
        super().delete_model(request, obj)
        stored_standings.refresh(pairs)

    def delete_queryset(self, request, queryset):
        pairs = _pairs(Measurement.objects.filter(place__in=queryset))
        super().delete_queryset(request, queryset)
        stored_standings.refresh(pairs)


admin.site.unregister(Place)
admin.site.register(Place, PlaceWithStandingsAdmin)


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "place", "year", "value", "unit"]
    list_filter = ["source"]
    search_fields = ["place__name", "indicator__code"]
    raw_id_fields = ["place", "indicator"]
    list_select_related = ["indicator", "place"]


class SavedPeerGroupForm(forms.ModelForm):
    class Meta:
        model = SavedPeerGroup
        fields = ["name", "slug", "tier", "description", "places"]

    def clean(self):
        """Refuse places of another tier: peers are ranked within one tier only."""
        cleaned = super().clean()
        tier, places = cleaned.get("tier"), cleaned.get("places")
        if not tier or places is None:
            return cleaned
        strangers = [place for place in places if place.tier != tier]
        if strangers:
            names = ", ".join(
                f"{place.name} ({PlaceTier(place.tier).label})" for place in strangers[:10]
            )
            self.add_error(
                "places",
                _("These places are not of the group's tier (%(tier)s): %(names)s.")
                % {"tier": PlaceTier(tier).label, "names": names},
            )
        return cleaned


@admin.register(SavedPeerGroup)
class SavedPeerGroupAdmin(admin.ModelAdmin):
    form = SavedPeerGroupForm
    list_display = ["name", "slug", "tier", "place_count", "updated_at"]
    list_filter = ["tier"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # 55,000 places: a search box, never a select of them all.
    autocomplete_fields = ["places"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(place_count=Count("places"))

    @admin.display(description=_("places"), ordering="place_count")
    def place_count(self, group: SavedPeerGroup) -> int:
        return group.place_count

    def get_prepopulated_fields(self, request, obj=None):
        # Slugs never change once given (DESIGN.md): prefilled only for a new group.
        return self.prepopulated_fields if obj is None else {}

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj is not None else []
