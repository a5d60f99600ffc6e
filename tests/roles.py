"""The roles of DESIGN.md as test users, with the workflow's permissions granted directly.

The groups (Submitters, Curators) come from the accounts app's data migration; these
helpers grant the permissions themselves, so that the workflow's tests stand alone.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission

ROLES = ["anonymous", "owner", "other_submitter", "curator", "superuser"]


def grant(user, *codenames: str):
    """Give ``user`` the named permissions of the practices app; return it fresh (no cache)."""
    permissions = Permission.objects.filter(
        content_type__app_label="practices", codename__in=codenames
    )
    user.user_permissions.add(*permissions)
    return get_user_model().objects.get(pk=user.pk)


def make_user(name: str, *codenames: str, **extra):
    """A user without a usable password (quick to make) holding ``codenames``."""
    user = get_user_model().objects.create(
        username=name, email=extra.pop("email", f"{name}@example.org"), **extra
    )
    return grant(user, *codenames) if codenames else user


def submitter(name: str = "submitter", **extra):
    return make_user(name, "submit_bestpractice", **extra)


def curator(name: str = "curator", **extra):
    return make_user(name, "review_bestpractice", **extra)


class Cast:
    """One user of every role; the owner is the submitter of the cases under test."""

    def __init__(self):
        self.owner = submitter("owner")
        self.other_submitter = submitter("other")
        self.curator = curator("curator")
        self.superuser = make_user("root", is_superuser=True, is_staff=True)
        self.anonymous = AnonymousUser()

    def __getitem__(self, role: str):
        return getattr(self, role)
