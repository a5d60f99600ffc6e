from django import forms
from django.utils.translation import gettext_lazy as _

from cset.accounts.models import Profile
from cset.reference.models import Country, Organisation


class ProfileForm(forms.ModelForm):
    """The profile page: a name, an organisation from the list or typed, a country."""

    class Meta:
        model = Profile
        fields = ["name", "organisation", "organisation_name", "country"]
        help_texts = {
            "name": _("Shown to the curators who review your cases."),
            "organisation_name": _("Type it here if your organisation is not in the list."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name", "pk")
        self.fields["country"].queryset = Country.objects.order_by("name", "code")
