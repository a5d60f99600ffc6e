"""Sign-up with a verified address, sign-in by e-mail, sign-out, and where ``?next=`` leads."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+")


def _sign_up(client, email: str = "ana@example.org", **extra):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    return client.post(reverse("account_signup"), data, **extra)


def _sign_in(client, email: str = "ana@example.org", password: str = PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def _is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_up_mails_a_link_whose_confirmation_verifies_the_address(client, mailoutbox):
    response = _sign_up(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not _is_signed_in(client)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ana@example.org"]
    link = LINK.search(mailoutbox[0].body).group(0)
    address = EmailAddress.objects.get(email="ana@example.org")
    assert not address.verified

    confirm_page = client.get(urlsplit(link).path)
    assert confirm_page.status_code == 200
    assert b"ana@example.org" in confirm_page.content
    client.post(urlsplit(link).path)

    address.refresh_from_db()
    assert address.verified


def test_sign_in_is_refused_until_the_address_is_verified(client, make_account, mailoutbox):
    make_account(verified=False)

    response = _sign_in(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not _is_signed_in(client)
    assert len(mailoutbox) == 1, "a fresh verification mail goes out"


def test_a_verified_account_signs_in_by_email_in_any_case(client, make_account):
    make_account()

    response = _sign_in(client, email="ANA@Example.ORG")

    assert response.status_code == 302
    assert response.url == reverse("accounts:profile")
    assert _is_signed_in(client)


def test_a_wrong_password_is_refused_with_a_form_error(client, make_account):
    make_account()

    response = _sign_in(client, password="not the password")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not _is_signed_in(client)


def test_sign_up_with_an_address_known_in_another_case_is_refused(client, make_account):
    make_account("ana@example.org")

    response = _sign_up(client, email="Ana@Example.org")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert get_user_model().objects.count() == 1
    assert EmailAddress.objects.filter(email__iexact="ana@example.org").count() == 1


def test_sign_up_stores_the_address_in_lower_case(client):
    _sign_up(client, email="Bo@Example.ORG")

    assert EmailAddress.objects.get().email == "bo@example.org"
    assert get_user_model().objects.get().email == "bo@example.org"


def test_failed_sign_ins_are_rate_limited(client, make_account, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    make_account()

    for _attempt in range(3):
        assert _sign_in(client, password="wrong").status_code == 200

    response = _sign_in(client)

    assert not _is_signed_in(client), "even the right password waits for the limit to pass"
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content


def test_the_limit_counts_per_account_not_per_spelling(client, make_account, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/5m/key"}
    make_account()

    _sign_in(client, email="ana@example.org", password="wrong")
    _sign_in(client, email="ANA@EXAMPLE.ORG", password="wrong")
    _sign_in(client, email="Ana@Example.org")

    assert not _is_signed_in(client)


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "https:///evil.example/"]
)
def test_next_never_leads_off_the_site(client, make_account, next_url):
    make_account()

    response = client.post(
        reverse("account_login"),
        {"login": "ana@example.org", "password": PASSWORD, "next": next_url},
    )

    assert _is_signed_in(client)
    assert response.status_code == 302
    assert response.url == reverse("accounts:profile")
    assert "evil.example" not in response.url


def test_next_on_the_site_is_followed(client, make_account):
    make_account()

    response = client.post(
        reverse("account_login"),
        {"login": "ana@example.org", "password": PASSWORD, "next": "/events/"},
    )

    assert response.url == "/events/"


def test_sign_out_is_a_post_and_ends_the_session(client, make_account):
    client.force_login(make_account())

    assert client.get(reverse("account_logout")).status_code == 200
    assert _is_signed_in(client), "a GET only asks"

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert not _is_signed_in(client)


def test_password_change_keeps_the_user_signed_in(client, make_account):
    user = make_account()
    client.force_login(user)
    new_password = "another long passphrase 43"

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


@pytest.mark.parametrize("url_name", ["account_login", "account_signup", "account_reset_password"])
def test_account_pages_use_the_portal_layout_and_label_every_input(client, url_name):
    response = client.get(reverse(url_name))

    html = response.content.decode()
    assert response.status_code == 200
    assert "skip-link" in html
    for input_id in re.findall(r'<input[^>]*type="(?:email|password|text)"[^>]*id="([^"]+)"', html):
        assert f'for="{input_id}"' in html


def test_the_navbar_offers_sign_in_or_sign_out(client, make_account):
    anonymous = client.get("/").content.decode()
    assert reverse("account_login") in anonymous
    assert reverse("account_signup") in anonymous

    client.force_login(make_account())
    signed_in = client.get("/").content.decode()
    assert reverse("accounts:profile") in signed_in
    assert f'action="{reverse("account_logout")}"' in signed_in
