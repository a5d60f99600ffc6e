"""Links in account mails are built from SITE_URL, whatever Host the request claimed."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+")
SITE_URL = "https://portal.example.org"


@pytest.fixture(autouse=True)
def _site_behind_a_careless_host_list(settings):
    """The worst case: a deployment that accepts any Host header."""
    settings.SITE_URL = SITE_URL
    settings.ALLOWED_HOSTS = ["*"]


def test_password_reset_link_uses_site_url_not_the_host_header(client, make_account, mailoutbox):
    user = make_account()

    response = client.post(
        reverse("account_reset_password"), {"email": "ana@example.org"}, HTTP_HOST="evil.example"
    )

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert "evil.example" not in body
    link = LINK.search(body).group(0)
    assert link.startswith(f"{SITE_URL}/accounts/password/reset/key/")

    # The link works: it leads to a form that sets a new password.
    form_page = client.get(urlsplit(link).path, follow=True)
    new_password = "a fresh passphrase for ana 44"
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else urlsplit(link).path,
        {"password1": new_password, "password2": new_password},
    )
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_verification_link_uses_site_url_not_the_host_header(client, mailoutbox):
    client.post(
        reverse("account_signup"),
        {"email": "bo@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="evil.example",
    )

    body = mailoutbox[0].body
    assert "evil.example" not in body
    assert LINK.search(body).group(0).startswith(f"{SITE_URL}/accounts/confirm-email/")


def test_reset_for_an_unknown_address_mails_a_sign_up_link_on_the_site(client, mailoutbox):
    client.post(
        reverse("account_reset_password"), {"email": "nobody@example.org"}, HTTP_HOST="evil.example"
    )

    # With enumeration prevention off the form says so and nothing is mailed; with it on,
    # allauth mails a sign-up link, which must also point at the site.
    for message in mailoutbox:
        assert "evil.example" not in message.body
        assert all(link.startswith(SITE_URL) for link in LINK.findall(message.body))
