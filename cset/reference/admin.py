from django.contrib import admin

from .models import (
    Activity,
    Country,
    Membership,
    Network,
    Organisation,
    Place,
    PlaceIdentifier,
    PlaceName,
    Source,
    Theme,
)


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "continent"]
    list_filter = ["continent"]
    search_fields = ["code", "name"]


class PlaceNameInline(admin.TabularInline):
    model = PlaceName
    extra = 0
    fields = ["name", "kind"]


class PlaceIdentifierInline(admin.TabularInline):
    model = PlaceIdentifier
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "place"
    extra = 0
    fields = ["network", "status", "joined_on", "ended_on", "commitments"]


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tier", "country", "population", "slug"]
    list_filter = ["kind", "tier", "country"]
    search_fields = ["name", "name_folded", "slug", "identifiers__value"]
    raw_id_fields = ["parent", "combined_authority"]
    readonly_fields = ["slug", "created_at", "updated_at"]
    inlines = [PlaceNameInline, PlaceIdentifierInline, MembershipInline]
    list_select_related = ["country"]
    show_full_result_count = False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "name_folded"]
    filter_horizontal = []
    raw_id_fields = ["places"]
    list_select_related = ["country"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["__str__", "network", "status", "joined_on", "network_code"]
    list_filter = ["network", "status"]
    search_fields = ["name_in_network", "external_id", "network_code"]
    raw_id_fields = ["place", "organisation", "group"]
    list_select_related = ["network", "place", "organisation"]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "licence", "retrieved_on", "loaded_at"]
    list_filter = ["licence"]
    search_fields = ["title", "publisher"]
    readonly_fields = ["checksum", "loaded_at"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "start_year"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "description"]
    filter_horizontal = ["countries", "partners"]
