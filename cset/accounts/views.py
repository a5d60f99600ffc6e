from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import UpdateView

from cset.accounts.forms import ProfileForm
from cset.accounts.models import Profile


class ProfileView(LoginRequiredMixin, UpdateView):
    """The signed-in user's own profile: shown and edited on one page."""

    form_class = ProfileForm
    template_name = "accounts/profile_form.html"
    success_url = reverse_lazy("accounts:profile")

    def get_object(self, queryset=None) -> Profile:
        # Users made before this app existed (or by fixtures) may have no profile yet.
        profile, _created = Profile.objects.get_or_create(user=self.request.user)
        return profile

    def form_valid(self, form):
        messages.success(self.request, _("Your profile has been saved."))
        return super().form_valid(form)
