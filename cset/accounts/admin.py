from django.contrib import admin

from cset.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "organisation", "organisation_name", "country"]
    list_select_related = ["user", "organisation", "country"]
    search_fields = ["user__email", "name", "organisation__name", "organisation_name"]
    autocomplete_fields = ["organisation", "country"]
    raw_id_fields = ["user"]
