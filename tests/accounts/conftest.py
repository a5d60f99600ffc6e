"""Fixtures for the accounts tests: a clean cache (rate-limit counters) and users."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache

PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts attempts in the default cache, which outlives a single test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_account(db):
    """A user with a (by default verified) primary e-mail address and PASSWORD."""

    def make(email: str = "ana@example.org", *, verified: bool = True):
        user = get_user_model().objects.create_user(
            username=email.split("@")[0], email=email, password=PASSWORD
        )
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
        return user

    return make
