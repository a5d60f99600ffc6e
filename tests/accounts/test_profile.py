"""The profile page: only for the signed-in user, shows and saves their profile."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cset.accounts.models import Profile
from tests.factories import CountryFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_every_new_user_gets_a_profile():
    user = get_user_model().objects.create_user(username="jo", email="jo@example.org")

    assert Profile.objects.filter(user=user).exists()


def test_the_profile_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=/accounts/profile/" in response.url


def test_the_profile_page_shows_labelled_inputs(client, make_account):
    client.force_login(make_account())

    html = client.get(reverse("accounts:profile")).content.decode()

    for field in ("name", "organisation", "organisation_name", "country"):
        assert f'for="id_{field}"' in html
        assert f'id="id_{field}"' in html


def test_the_profile_page_saves_the_profile(client, make_account):
    user = make_account()
    country = CountryFactory(code="KR", name="Korea, Republic of")
    organisation = OrganisationFactory(name="Seoul Energy Corporation")
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"),
        {
            "name": "  Ana\u00a0Lima\u200b ",
            "organisation": organisation.pk,
            "organisation_name": "",
            "country": "KR",
        },
    )

    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert profile.name == "Ana Lima"
    assert profile.organisation == organisation
    assert profile.country == country


def test_the_profile_page_refuses_an_unknown_country(client, make_account):
    user = make_account()
    client.force_login(user)

    response = client.post(reverse("accounts:profile"), {"name": "Ana", "country": "??"})

    assert response.status_code == 200
    assert "country" in response.context["form"].errors
    assert Profile.objects.get(user=user).name == ""
