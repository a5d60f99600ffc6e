"""Operations on accounts that several entry points use (sign-up, commands, admin)."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import Q

from cset.accounts.choices import Role

logger = logging.getLogger(__name__)


class UnknownEmail(LookupError):
    """No user, or more than one, has the e-mail address asked for."""


def add_to_role(user: AbstractBaseUser, role: Role) -> None:
    """Add ``user`` to the group of ``role`` (which the data migration created)."""
    user.groups.add(Group.objects.get(name=role))


def user_by_email(email: str) -> AbstractBaseUser:
    """The one user whose address (any of their addresses) is ``email``, ignoring case."""
    email = email.strip()
    users = list(
        get_user_model()
        .objects.filter(Q(email__iexact=email) | Q(emailaddress__email__iexact=email))
        .distinct()
    )
    if not users:
        raise UnknownEmail(f"No account has the e-mail address {email!r}.")
    if len(users) > 1:
        raise UnknownEmail(f"More than one account has the e-mail address {email!r}.")
    return users[0]


@transaction.atomic
def make_curator(user: AbstractBaseUser) -> bool:
    """Make ``user`` a curator: the Curators group, and staff so that the admin opens.

    Returns whether anything changed (a second call changes nothing).
    """
    curators = Group.objects.get(name=Role.CURATORS)
    changed = not user.is_staff or not user.groups.filter(pk=curators.pk).exists()
    user.groups.add(curators)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if changed:
        logger.info("user %s made a curator", user.pk)
    return changed
