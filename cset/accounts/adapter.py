"""The allauth account adapter: links in mails point at SITE_URL, never at the Host header.

allauth builds the links it mails (verify an address, reset a password, sign up)
from the request, so a request sent with a forged ``Host`` header would mail a
link to the forger's site with a valid reset key in it. Here every absolute URL
in a mail is built from the ``SITE_URL`` setting instead.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def site_url(path: str) -> str:
    """The absolute URL of ``path`` on the configured site."""
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class ConfiguredSite:
    """Stands in for ``django.contrib.sites``' Site in mail templates (name and domain)."""

    name: str
    domain: str

    def __str__(self) -> str:
        return self.domain


def configured_site() -> ConfiguredSite:
    return ConfiguredSite(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's default behaviour, with mailed links built from ``SITE_URL``."""

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation) -> str:
        return site_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth's URL takes the user id and the token as one opaque key, "UID-KEY".
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return site_url(path.replace("UID-KEY", quote(key)))

    def send_account_already_exists_mail(self, email: str) -> None:
        context = {
            "signup_url": site_url(reverse("account_signup")),
            "password_reset_url": site_url(reverse("account_reset_password")),
        }
        self.send_mail("account/email/account_already_exists", email, context)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        context = {**context, "current_site": configured_site()}
        # The "unknown account" mail (a reset asked for an address with no account)
        # carries a sign-up link that allauth built from the request.
        if "signup_url" in context:
            context["signup_url"] = site_url(reverse("account_signup"))
        super().send_mail(template_prefix, email, context)
