"""Profiles: who a user is and which organisation they act for."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cset.reference.text import clean_name


class Profile(models.Model):
    """What a user tells the portal about themselves: a name, an organisation, a country.

    Created for every new user (see ``signals``). The organisation is a reference
    organisation when the user found theirs in the list; otherwise its name as typed,
    for a curator to match later.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        "reference.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("organisation"),
    )
    organisation_name = models.CharField(
        _("organisation (if not in the list)"), max_length=500, blank=True
    )
    country = models.ForeignKey(
        "reference.Country",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("country"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.name or str(self.user)

    def clean(self) -> None:
        self.name = clean_name(self.name)
        self.organisation_name = clean_name(self.organisation_name)

    @property
    def organisation_display(self) -> str:
        """The organisation's name, from the reference list or as the user typed it."""
        return self.organisation.name if self.organisation else self.organisation_name
