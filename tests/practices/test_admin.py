"""The admin as curators use it: the case's change page, one version per save with its
links, the stale-save check, the bulk workflow steps and the read-only place proposals."""

from decimal import Decimal

import pytest
from django.contrib.admin.widgets import ManyToManyRawIdWidget
from django.contrib.auth import get_user_model
from django.urls import reverse

from cset.accounts.services import make_curator
from practices.choices import CostKind, FinancingKind, ProposalStatus, Status
from practices.models import BestPractice, Cost, Financing, PlaceProposal
from tests import factories
from tests.roles import submitter

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:practices_bestpractice_changelist")


@pytest.fixture
def curator_user():
    """A curator made the way the make_curator command makes one: group and staff."""
    user = get_user_model().objects.create_user("cora", "cora@example.org", "x")
    make_curator(user)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def admin_client(client, curator_user):
    client.force_login(curator_user)
    return client


@pytest.fixture
def owner():
    return submitter("owner")


def change_url(practice) -> str:
    return reverse("admin:practices_bestpractice_change", args=[practice.pk])


def _posted(field, value):
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, list | tuple):
        values = [str(item) for item in value]
        # A raw-id widget takes its ids as one comma-separated text.
        return ",".join(values) if isinstance(field.widget, ManyToManyRawIdWidget) else values
    return str(value)


def _form_data(form, data: dict) -> None:
    for name, field in form.fields.items():
        value = _posted(field, form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = value


def change_form_data(response) -> dict:
    """What the change page would send back untouched: the case's form and every inline."""
    data = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            _form_data(form, data)
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# The change page and saving ---------------------------------------------------------------


def test_a_curator_made_by_make_curator_opens_the_change_page_with_every_row(admin_client, owner):
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.IN_REVIEW)
    Cost.objects.create(
        practice=practice, kind=CostKind.INVESTMENT, amount=1000, currency="EUR", price_year=2020
    )
    Financing.objects.create(practice=practice, kind=FinancingKind.LOAN, funder="KfW")

    response = admin_client.get(change_url(practice))

    assert response.status_code == 200
    prefixes = {inline.formset.prefix for inline in response.context["inline_admin_formsets"]}
    assert {"impacts", "cost_items", "financing", "links", "transitions"} <= prefixes
    content = response.content.decode()
    assert "KfW" in content
    assert 'value="1000.00"' in content


def test_the_changelist_offers_the_bulk_steps_but_not_request_changes(admin_client, owner):
    factories.PracticeFactory(submitted_by=owner)
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    actions = {name for name, _label in response.context["action_form"].fields["action"].choices}
    assert {
        "start_review_selected",
        "publish_selected",
        "reject_selected",
        "archive_selected",
        "unpublish_selected",
    } <= actions
    assert not any("request" in name for name in actions)


def test_cases_are_not_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:practices_bestpractice_add")).status_code == 403


def test_a_save_records_one_version_with_its_links(admin_client, owner, curator_user):
    first, second, third = (factories.PlaceFactory() for _ in range(3))
    theme = factories.ThemeFactory()
    practice = factories.PracticeFactory(submitted_by=owner, places=[first])
    before = practice.history.count()
    data = change_form_data(admin_client.get(change_url(practice)))
    data.update(
        {
            "summary": "Curated summary.",
            "places": f"{second.pk},{third.pk}",
            "themes": [str(theme.pk)],
            "cost_items-TOTAL_FORMS": "1",
            "cost_items-0-kind": CostKind.OPERATING,
            "cost_items-0-amount": "250.50",
            "cost_items-0-currency": "eur",
            "cost_items-0-price_year": "2019",
        }
    )

    response = admin_client.post(change_url(practice), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    practice.refresh_from_db()
    assert practice.summary == "Curated summary."
    assert practice.version == 2
    versions = list(practice.history.order_by("-history_date", "-history_id"))
    assert len(versions) == before + 1
    latest = versions[0]
    assert (latest.summary, latest.version, latest.history_type) == ("Curated summary.", 2, "~")
    assert latest.history_user == curator_user
    assert {row.place_id for row in latest.places.all()} == {second.pk, third.pk}
    assert [row.theme_id for row in latest.themes.all()] == [theme.pk]
    cost = practice.cost_items.get()
    assert (cost.amount, cost.currency) == (Decimal("250.50"), "EUR")
    # The row keeps its own history, written after the case's version.
    assert cost.history.get().history_date > latest.history_date


def test_a_stale_admin_save_is_refused_and_changes_nothing(admin_client, owner):
    practice = factories.PracticeFactory(submitted_by=owner, summary="Original.")
    data = change_form_data(admin_client.get(change_url(practice)))
    # Someone saves the case after the page was opened.
    BestPractice.objects.filter(pk=practice.pk).update(version=2, summary="Newer.")
    versions = practice.history.count()
    data["summary"] = "Stale overwrite."

    response = admin_client.post(change_url(practice), data)

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    practice.refresh_from_db()
    assert (practice.summary, practice.version) == ("Newer.", 2)
    assert practice.history.count() == versions


# Bulk steps -------------------------------------------------------------------------------


def bulk(client, action: str, practices) -> list[str]:
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(practice.pk) for practice in practices]},
        follow=True,
    )
    assert response.status_code == 200
    return messages_of(response)


def test_bulk_take_into_review_goes_through_the_service(admin_client, owner, curator_user):
    waiting = factories.PracticeFactory(submitted_by=owner, status=Status.SUBMITTED, title="A")
    draft = factories.PracticeFactory(submitted_by=owner, status=Status.DRAFT, title="B")

    messages = bulk(admin_client, "start_review_selected", [waiting, draft])

    waiting.refresh_from_db()
    draft.refresh_from_db()
    assert (waiting.status, draft.status) == (Status.IN_REVIEW, Status.DRAFT)
    entry = waiting.transitions.get()
    assert (entry.from_status, entry.to_status, entry.actor) == (
        Status.SUBMITTED,
        Status.IN_REVIEW,
        curator_user,
    )
    assert not draft.transitions.exists()
    assert "“A” was taken into review." in messages
    assert any(message.startswith("“B”: This case is a draft") for message in messages)


def test_bulk_publish_and_unpublish_write_a_transition_each(admin_client, owner):
    cases = [
        factories.PracticeFactory(submitted_by=owner, status=Status.IN_REVIEW) for _ in range(2)
    ]

    bulk(admin_client, "publish_selected", cases)
    for practice in cases:
        practice.refresh_from_db()
        assert practice.status == Status.PUBLISHED
        assert practice.published_at is not None
    messages = bulk(admin_client, "unpublish_selected", cases)

    for practice in cases:
        practice.refresh_from_db()
        assert practice.status == Status.IN_REVIEW
        assert list(practice.transitions.values_list("to_status", flat=True)) == [
            Status.PUBLISHED,
            Status.IN_REVIEW,
        ]
        # Each step is a version of the case, with its verb.
        assert practice.history.latest("history_date").history_change_reason == "unpublish"
    assert len(messages) == 2


def test_bulk_publish_refuses_per_case_and_publishes_the_rest(admin_client, owner):
    ready = factories.PracticeFactory(submitted_by=owner, status=Status.IN_REVIEW, title="Ready")
    done = factories.PracticeFactory(submitted_by=owner, status=Status.PUBLISHED, title="Done")

    messages = bulk(admin_client, "publish_selected", [ready, done])

    ready.refresh_from_db()
    assert ready.status == Status.PUBLISHED
    assert not done.transitions.exists()
    assert "“Done”: This case is already published." in messages
    assert "“Ready” was published." in messages


def test_staff_without_the_review_permission_has_no_bulk_steps(client, owner):
    clerk = get_user_model().objects.create_user("clerk", "clerk@example.org", "x", is_staff=True)
    client.force_login(clerk)
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.IN_REVIEW)

    response = client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": [str(practice.pk)]}
    )

    assert response.status_code == 403
    practice.refresh_from_db()
    assert practice.status == Status.IN_REVIEW


# Place proposals --------------------------------------------------------------------------


def make_proposal(practice, name="Kleinhausen", status=ProposalStatus.PENDING):
    return PlaceProposal.objects.create(
        practice=practice,
        name=name,
        country=factories.CountryFactory(),
        latitude=51.5,
        longitude=7.25,
        status=status,
    )


def test_place_proposals_are_listed_read_only_with_the_way_to_decide(admin_client, owner):
    practice = factories.PracticeFactory(submitted_by=owner, title="Village heat")
    pending = make_proposal(practice)
    make_proposal(practice, name="Großdorf", status=ProposalStatus.DECLINED)
    url = reverse("admin:practices_placeproposal_changelist")

    response = admin_client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Kleinhausen", "Großdorf", "Village heat", reverse("review:place-proposals")):
        assert text in content
    assert response.context["has_add_permission"] is False
    assert [
        p.name
        for p in admin_client.get(url, {"status__exact": "pending"}).context["cl"].result_list
    ] == ["Kleinhausen"]
    assert [p.name for p in admin_client.get(url, {"q": "groß"}).context["cl"].result_list] == [
        "Großdorf"
    ]
    change = reverse("admin:practices_placeproposal_change", args=[pending.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"name": "Renamed"}).status_code == 403
    assert admin_client.get(reverse("admin:practices_placeproposal_add")).status_code == 403
    pending.refresh_from_db()
    assert pending.name == "Kleinhausen"


def test_place_proposals_list_needs_a_fixed_number_of_queries(
    admin_client, owner, django_assert_max_num_queries
):
    practice = factories.PracticeFactory(submitted_by=owner)
    for number in range(20):
        make_proposal(practice, name=f"Dorf {number}")
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("admin:practices_placeproposal_changelist"))


def test_the_history_view_of_the_admin_still_works(admin_client, owner):
    practice = factories.PracticeFactory(submitted_by=owner)
    response = admin_client.get(reverse("admin:practices_bestpractice_history", args=[practice.pk]))
    assert response.status_code == 200
