"""Role groups from the data migration, new accounts as submitters, make_curator."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from cset.accounts.choices import Role
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CASE_PERMISSIONS = {
    Role.SUBMITTERS: {
        "practices.submit_bestpractice",
        "practices.add_bestpractice",
        "practices.view_bestpractice",
    },
    Role.CURATORS: {
        "practices.review_bestpractice",
        "practices.submit_bestpractice",
        "practices.add_bestpractice",
        "practices.change_bestpractice",
        "practices.view_bestpractice",
        "reference.change_place",
        "reference.view_place",
        "reference.change_organisation",
        "reference.view_organisation",
        "reference.change_theme",
        "reference.view_theme",
        "benchmarks.change_indicator",
        "benchmarks.view_indicator",
        "benchmarks.add_measurement",
        "benchmarks.change_measurement",
        "benchmarks.view_measurement",
        "benchmarks.import_measurement",
        "benchmarks.add_savedpeergroup",
        "benchmarks.change_savedpeergroup",
        "benchmarks.delete_savedpeergroup",
        "benchmarks.view_savedpeergroup",
        "benchmarks.add_indicatormapping",
        "benchmarks.change_indicatormapping",
        "benchmarks.delete_indicatormapping",
        "benchmarks.view_indicatormapping",
    },
    Role.PARTNERS: {"practices.view_bestpractice"},
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_group_has_exactly_its_permissions(role):
    group = Group.objects.get(name=role)

    granted = {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }

    assert granted == CASE_PERMISSIONS[role]


def test_a_new_account_is_a_submitter_with_a_profile(client):
    client.post(
        reverse("account_signup"),
        {"email": "ana@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email="ana@example.org")
    assert list(user.groups.values_list("name", flat=True)) == [Role.SUBMITTERS]
    assert user.has_perm("practices.submit_bestpractice")
    assert not user.has_perm("practices.review_bestpractice")
    assert user.profile.pk


def test_make_curator_makes_a_curator_who_may_use_the_admin(make_account, capsys):
    user = make_account("ana@example.org")

    call_command("make_curator", "ANA@Example.org")

    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name=Role.CURATORS).exists()
    assert user.has_perm("practices.review_bestpractice")
    assert "is now a curator" in capsys.readouterr().out


def test_make_curator_twice_changes_nothing_the_second_time(make_account, capsys):
    make_account("ana@example.org")
    call_command("make_curator", "ana@example.org")
    capsys.readouterr()

    call_command("make_curator", "ana@example.org")

    assert "already a curator" in capsys.readouterr().out


def test_make_curator_refuses_an_unknown_address(make_account):
    make_account("ana@example.org")

    with pytest.raises(CommandError, match="No account has the e-mail address 'bo@example.org'"):
        call_command("make_curator", "bo@example.org")


def test_a_curator_can_open_the_admin(client, make_account):
    user = make_account("ana@example.org")
    call_command("make_curator", "ana@example.org")
    client.force_login(user)

    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:reference_place_changelist")).status_code == 200
