"""Receivers: every user gets a profile; every account made by signing up is a submitter."""

import logging

from allauth.account.signals import user_signed_up
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from cset.accounts.choices import Role
from cset.accounts.models import Profile
from cset.accounts.services import add_to_role

logger = logging.getLogger(__name__)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts_create_profile")
def create_profile(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Give every new user an empty profile (not while loading fixtures)."""
    if created and not raw:
        Profile.objects.get_or_create(user=instance)


@receiver(user_signed_up, dispatch_uid="accounts_new_account_is_submitter")
def make_new_account_a_submitter(sender, request, user, **kwargs) -> None:
    """A new account may write and submit cases from the start."""
    add_to_role(user, Role.SUBMITTERS)
    logger.info("user %s signed up and joined %s", user.pk, Role.SUBMITTERS)
