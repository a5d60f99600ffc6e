"""Writing a case's rows through the API: impacts, costs, financing and links as lists
that replace the case's rows of their kind, refused with field paths when a row is wrong,
and never half stored."""

import uuid

import pytest
from rest_framework.test import APIClient

from practices.choices import Status
from practices.models import BestPractice, Cost, Financing, Impact, PracticeLink
from tests import factories
from tests.roles import curator, submitter

pytestmark = pytest.mark.django_db

PRACTICES = "/api/v1/practices/"

IMPACT = {
    "metric": "Emissions avoided",
    "value": 300,
    "unit": "t CO2",
    "basis": "achieved",
}
COST = {
    "kind": "investment",
    "item": "Solar panels",
    "amount": "1200000.50",
    "currency": "eur",
    "price_year": 2019,
}
FINANCING = {
    "kind": "loan",
    "funder": "European Investment Bank",
    "amount": 500000,
    "currency": "EUR",
}
LINK = {"url": "https://example.org/report", "title": "Final report"}


@pytest.fixture
def owner():
    return submitter("owner")


@pytest.fixture
def client_of(owner) -> APIClient:
    client = APIClient()
    client.force_login(owner)
    return client


@pytest.fixture
def indicator():
    return factories.IndicatorFactory(
        code="emissions", name="Greenhouse gas emissions", unit="t CO2", quantity_kind="emissions"
    )


@pytest.fixture
def practice(owner):
    """A draft with one row of every kind."""
    case = factories.PracticeFactory(submitted_by=owner, summary="Stored text.")
    factories.ImpactFactory(practice=case, metric="Stored impact")
    Cost.objects.create(
        practice=case, item="Stored cost", amount=10, currency="EUR", price_year=2018
    )
    Financing.objects.create(practice=case, kind="own_budget", funder="Stored funder")
    factories.PracticeLinkFactory(practice=case, url="https://example.org/stored")
    return case


def address(practice: BestPractice) -> str:
    return f"{PRACTICES}{practice.slug}/"


def stored_rows(practice: BestPractice) -> dict:
    return {
        "impacts": list(practice.impacts.values_list("metric", flat=True)),
        "cost_items": list(practice.cost_items.values_list("item", flat=True)),
        "financing": list(practice.financing.values_list("funder", flat=True)),
        "links": list(practice.links.values_list("url", flat=True)),
    }


# Creating and reading ----------------------------------------------------------------------


def test_a_new_case_comes_with_its_rows(client_of, indicator):
    response = client_of.post(
        PRACTICES,
        {
            "title": "Solar roofs",
            "impacts": [{**IMPACT, "unit": "kt CO2", "indicator": "emissions"}],
            "cost_items": [COST],
            "financing": [FINANCING, {"kind": "own_budget"}],
            "links": [LINK],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["impacts"][0]["indicator"]["code"] == "emissions"
    assert body["impacts"][0]["unit"] == "kt CO2"
    assert body["cost_items"] == [
        {
            "kind": "investment",
            "item": "Solar panels",
            "amount": "1200000.50",
            "currency": "EUR",
            "price_year": 2019,
        }
    ]
    assert [row["kind"] for row in body["financing"]] == ["loan", "own_budget"]
    assert body["financing"][1]["amount"] is None
    assert body["links"] == [LINK]
    assert Cost.objects.get().currency == "EUR"


def test_the_public_reads_costs_and_financing_of_a_published_case(api_client, practice):
    practice.status = Status.PUBLISHED
    practice.save()

    body = api_client.get(address(practice)).json()

    assert body["cost_items"][0]["item"] == "Stored cost"
    assert body["financing"][0]["funder"] == "Stored funder"
    assert body["links"][0]["url"] == "https://example.org/stored"


def test_a_repeated_create_stores_its_rows_once(client_of):
    body = {"title": "Solar roofs", "submission_key": str(uuid.uuid4()), "cost_items": [COST]}

    first = client_of.post(PRACTICES, body, format="json")
    second = client_of.post(PRACTICES, body, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert Cost.objects.count() == 1


# Replacing -------------------------------------------------------------------------------


def test_a_list_replaces_the_rows_of_its_kind_and_other_kinds_stay(client_of, practice):
    response = client_of.patch(
        address(practice),
        {
            "version": 1,
            "impacts": [{**IMPACT, "metric": "New one"}, {**IMPACT, "metric": "New two"}],
            "links": [],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert stored_rows(practice) == {
        "impacts": ["New one", "New two"],
        "cost_items": ["Stored cost"],
        "financing": ["Stored funder"],
        "links": [],
    }
    assert [row["metric"] for row in response.json()["impacts"]] == ["New one", "New two"]
    practice.refresh_from_db()
    assert (practice.version, practice.summary) == (2, "Stored text.")


def test_a_full_update_without_lists_keeps_the_rows(client_of, practice):
    before = stored_rows(practice)

    response = client_of.put(address(practice), {"title": "New title", "version": 1}, format="json")

    assert response.status_code == 200
    assert stored_rows(practice) == before


def test_the_history_keeps_replaced_rows(client_of, practice, owner):
    client_of.patch(address(practice), {"version": 1, "cost_items": [COST]}, format="json")

    history = Cost.history.order_by("history_id")
    assert [(entry.item, entry.history_type) for entry in history] == [
        ("Stored cost", "+"),
        ("Stored cost", "-"),
        ("Solar panels", "+"),
    ]
    assert history.last().history_user == owner


# Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "row", "field", "message"),
    [
        (
            "impacts",
            {**IMPACT, "unit": "MWh", "indicator": "emissions"},
            "unit",
            "MWh cannot be expressed in t CO2; choose a unit of the same kind.",
        ),
        ("impacts", {**IMPACT, "unit": "furlongs"}, "unit", "is not a valid choice"),
        ("impacts", {**IMPACT, "value": "NaN"}, "value", "valid number"),
        ("impacts", {**IMPACT, "value": "-Infinity"}, "value", "valid number"),
        ("impacts", {**IMPACT, "value": "abc"}, "value", "valid number"),
        ("impacts", {**IMPACT, "metric": "\u200b\u200d"}, "metric", "cannot be blank"),
        ("impacts", {**IMPACT, "metric": "\u00a0 "}, "metric", "may not be blank"),
        ("impacts", {**IMPACT, "metric": "nul\x00byte"}, "metric", "Null characters"),
        ("impacts", {**IMPACT, "indicator": "no-such-indicator"}, "indicator", "does not exist"),
        ("impacts", {**IMPACT, "basis": "guessed"}, "basis", "is not a valid choice"),
        ("cost_items", {**COST, "amount": -1}, "amount", "greater than or equal to 0"),
        ("cost_items", {**COST, "amount": "abc"}, "amount", "valid number"),
        ("cost_items", {**COST, "amount": "NaN"}, "amount", "valid number"),
        ("cost_items", {**COST, "amount": "1e999"}, "amount", "digits"),
        ("cost_items", {**COST, "currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        ("cost_items", {**COST, "currency": "€"}, "currency", "not an ISO 4217 currency code"),
        ("cost_items", {**COST, "price_year": 1800}, "price_year", "greater than or equal to 1900"),
        ("cost_items", {**COST, "item": "x" * 10_000}, "item", "no more than 200 characters"),
        ("cost_items", {**COST, "item": "nul\x00byte"}, "item", "Null characters"),
        ("financing", {**FINANCING, "currency": ""}, "currency", "Say in which currency"),
        ("financing", {**FINANCING, "amount": -5}, "amount", "greater than or equal to 0"),
        (
            "links",
            {"url": "javascript:alert(1)"},
            "url",
            "Only web addresses that start with http:// or https://",
        ),
        ("links", {"url": "data:text/html,<script>alert(1)</script>"}, "url", "Only web addresses"),
        ("links", {"url": "example.org"}, "url", "Enter a valid URL."),
    ],
)
def test_a_bad_row_is_refused_under_its_position_and_nothing_changes(
    client_of, practice, indicator, kind, row, field, message
):
    before = stored_rows(practice)
    good = {"impacts": IMPACT, "cost_items": COST, "financing": FINANCING, "links": LINK}[kind]

    response = client_of.patch(
        address(practice),
        {"version": 1, "summary": "Not stored.", "cost_items": [COST], kind: [good, row]},
        format="json",
    )

    assert response.status_code == 400, response.content
    errors = response.json()[kind]
    assert list(errors) == ["1"]
    assert list(errors["1"]) == [field]
    assert len(errors["1"][field]) == 1 and message in errors["1"][field][0]
    practice.refresh_from_db()
    assert (practice.version, practice.summary) == (1, "Stored text.")
    assert stored_rows(practice) == before


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("impacts", '{"metric": "Saved", "value": 1e999, "unit": "MWh", "basis": "achieved"}'),
        ("impacts", '{"metric": "Saved", "value": NaN, "unit": "MWh", "basis": "achieved"}'),
        ("impacts", '{"metric": "Saved", "value": -Infinity, "unit": "MWh", "basis": "achieved"}'),
        (
            "cost_items",
            '{"kind": "investment", "amount": 1e999, "currency": "EUR", "price_year": 2019}',
        ),
    ],
)
def test_numbers_json_cannot_hold_are_refused(client_of, practice, kind, row):
    body = f'{{"version": 1, "{kind}": [{row}]}}'

    response = client_of.generic("PATCH", address(practice), body, "application/json")

    assert response.status_code == 400
    if "1e999" in row:
        # Python reads 1e999 as infinity: the field refuses it, under the row's position.
        assert list(response.json()[kind]) == ["0"]
    assert stored_rows(practice)[kind] == [
        {"impacts": "Stored impact", "cost_items": "Stored cost"}[kind]
    ]


def test_a_refused_create_stores_no_case(client_of):
    response = client_of.post(
        PRACTICES,
        {"title": "Solar roofs", "cost_items": [COST], "links": [{"url": "javascript:x"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "links" in response.json()
    assert not BestPractice.objects.exists() and not Cost.objects.exists()


def test_errors_of_several_kinds_come_back_together(client_of, practice, indicator):
    response = client_of.patch(
        address(practice),
        {
            "version": 1,
            "impacts": [{**IMPACT, "unit": "MWh", "indicator": "emissions"}],
            "financing": [{**FINANCING, "currency": ""}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"impacts", "financing"}


@pytest.mark.parametrize("value", ["not a list", 42, None, [42], [[COST]], {"kind": "investment"}])
def test_a_list_of_rows_must_be_a_list_of_objects(client_of, practice, value):
    response = client_of.patch(
        address(practice), {"version": 1, "cost_items": value}, format="json"
    )

    assert response.status_code == 400
    assert "cost_items" in response.json()
    assert Cost.objects.get().item == "Stored cost"


def test_fifty_rows_of_a_kind_at_most(client_of, practice):
    response = client_of.patch(
        address(practice), {"version": 1, "cost_items": [COST] * 51}, format="json"
    )

    assert response.status_code == 400
    assert "cost_items" in response.json()
    assert Cost.objects.count() == 1


def test_nobody_else_replaces_the_rows(practice):
    client = APIClient()
    client.force_login(submitter("other"))

    response = client.patch(address(practice), {"version": 1, "cost_items": []}, format="json")

    assert response.status_code == 404
    assert Cost.objects.filter(practice=practice).count() == 1


def test_a_submitted_case_keeps_its_rows(client_of, practice):
    practice.status = Status.SUBMITTED
    practice.save()

    response = client_of.patch(address(practice), {"version": 1, "links": []}, format="json")

    assert response.status_code == 403
    assert practice.links.count() == 1


def test_a_stale_write_stores_no_rows(client_of, practice):
    curator_client = APIClient()
    curator_client.force_login(curator())
    curator_client.patch(address(practice), {"version": 1, "summary": "Newer."}, format="json")

    response = client_of.patch(address(practice), {"version": 1, "impacts": []}, format="json")

    assert response.status_code == 409
    assert list(Impact.objects.values_list("metric", flat=True)) == ["Stored impact"]


def test_unicode_rows_are_kept_whole(client_of, practice):
    text = "서울 태양광 🌞 Улаанбаатар ሰላም"

    response = client_of.patch(
        address(practice),
        {
            "version": 1,
            "impacts": [{**IMPACT, "metric": text, "baseline": text}],
            "cost_items": [{**COST, "item": text}],
            "links": [{"url": "https://例え.jp/报告", "title": text}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert Impact.objects.get().metric == Cost.objects.get().item == text
    assert PracticeLink.objects.get().title == text


def test_reading_a_case_costs_the_same_queries_whatever_its_rows(
    api_client, practice, django_assert_max_num_queries
):
    practice.status = Status.PUBLISHED
    practice.save()
    api_client.get(address(practice))
    with django_assert_max_num_queries(12) as few:
        api_client.get(address(practice))
    for _ in range(10):
        Cost.objects.create(practice=practice, amount=1, currency="EUR", price_year=2020)
        Financing.objects.create(practice=practice, kind="loan")

    with django_assert_max_num_queries(12) as many:
        body = api_client.get(address(practice)).json()

    assert len(body["cost_items"]) == 11 and len(body["financing"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)
