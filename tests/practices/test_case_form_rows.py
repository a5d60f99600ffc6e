"""The rest of the case template on the form: costs, financing, links, organisations and
the indicator an impact moves, with the inputs people get wrong."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practices.choices import Status
from practices.models import BestPractice, Cost, Financing, Impact, PracticeLink
from tests import factories
from tests.roles import submitter

pytestmark = pytest.mark.django_db

NEW = reverse("submit:new")

COST = {
    "kind": "investment",
    "item": "Solar panels",
    "amount": "1200000.50",
    "currency": "eur",
    "price_year": "2019",
}
FINANCING = {"kind": "loan", "funder": "European Investment Bank", "amount": "500000"}
LINK = {"url": "https://example.org/report", "title": "Final report"}
IMPACT = {
    "metric": "Emissions avoided",
    "value": "300",
    "unit": "t CO2",
    "period": "per year",
    "basis": "achieved",
    "verification": "self_reported",
}
KINDS = ("impacts", "costs", "financing", "links")


def rows(prefix: str, *values: dict, initial: int = 0) -> dict:
    """The POST data of one formset: its management form and ``values`` as rows."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(values)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for number, row in enumerate(values):
        data.update({f"{prefix}-{number}-{name}": value for name, value in row.items()})
    return data


def new_case(**parts) -> dict:
    """A new case's POST data; ``parts`` are field values or formset data by kind."""
    data = {
        "title": "Solar roofs on every school",
        "summary": "Forty schools got solar roofs.",
        "language": "en",
        "licence": "CC-BY-4.0",
        "submission_key": str(uuid.uuid4()),
        "action": "draft",
    }
    for kind in KINDS:
        data.update(rows(kind))
    for name, value in parts.items():
        if name in KINDS:
            data.update(rows(name, *value))
        else:
            data[name] = value
    return data


@pytest.fixture
def owner():
    return submitter("owner")


@pytest.fixture
def client_of(owner):
    client = Client()
    client.force_login(owner)
    return client


def errors_of(response, kind: str, row: int = 0) -> dict:
    return response.context[kind].forms[row].errors


# Saving rows -----------------------------------------------------------------------------


def test_a_draft_keeps_costs_financing_links_and_organisations(client_of):
    organisation = factories.OrganisationFactory(name="Stadtwerke Münster")

    response = client_of.post(
        NEW,
        new_case(
            costs=[COST],
            financing=[{**FINANCING, "currency": "usd"}],
            links=[{"url": "example.org/report", "title": "서울 보고서 🌞"}],
            organisations=[organisation.pk],
        ),
    )

    assert response.status_code == 302, response.context and response.context["form"].errors
    practice = BestPractice.objects.get()
    cost = Cost.objects.get()
    assert (cost.practice, cost.kind, cost.item) == (practice, "investment", "Solar panels")
    assert (str(cost.amount), cost.currency, cost.price_year) == ("1200000.50", "EUR", 2019)
    financing = Financing.objects.get()
    assert (financing.funder, financing.amount, financing.currency) == (
        "European Investment Bank",
        500000,
        "USD",
    )
    link = PracticeLink.objects.get()
    assert (link.url, link.title) == ("https://example.org/report", "서울 보고서 🌞")
    assert list(practice.organisations.all()) == [organisation]


def test_the_empty_extra_rows_store_nothing(client_of):
    empty_cost = {"kind": "", "item": "", "amount": "", "currency": "", "price_year": ""}

    response = client_of.post(NEW, new_case(costs=[empty_cost], links=[{"url": ""}]))

    assert response.status_code == 302
    assert not Cost.objects.exists() and not PracticeLink.objects.exists()


def test_an_edit_changes_removes_and_adds_rows(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner)
    kept = Cost.objects.create(practice=practice, price_year=2018, amount=10, currency="EUR")
    removed = Cost.objects.create(practice=practice, price_year=2018, amount=20, currency="EUR")
    url = reverse("submit:edit", args=[practice.slug])
    data = new_case(version=str(practice.version))
    data.pop("submission_key")
    data.update(
        rows(
            "costs",
            {**COST, "id": kept.pk, "amount": "15", "kind": "operating"},
            {**COST, "id": removed.pk, "DELETE": "on"},
            {**COST, "item": "Inverters", "currency": "KRW", "amount": "990000"},
            initial=2,
        )
    )

    response = client_of.post(url, data)

    assert response.status_code == 302
    stored = {cost.item or cost.pk: cost for cost in practice.cost_items.all()}
    assert set(stored) == {"Solar panels", "Inverters"}
    assert (stored["Solar panels"].pk, stored["Solar panels"].amount) == (kept.pk, 15)
    assert stored["Inverters"].currency == "KRW"


def test_a_post_without_a_kinds_rows_leaves_them_alone(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner)
    cost = Cost.objects.create(practice=practice, price_year=2018, amount=10, currency="EUR")
    data = new_case(version=str(practice.version), summary="Changed.")
    data.pop("submission_key")
    for name in [name for name in data if name.startswith("costs-")]:
        del data[name]

    response = client_of.post(reverse("submit:edit", args=[practice.slug]), data)

    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.summary == "Changed."
    assert list(practice.cost_items.all()) == [cost]


# Refused rows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-1", "greater than or equal to 0"),
        ("amount", "abc", "Enter a number."),
        ("amount", "1e999", "digits"),
        ("amount", "NaN", "Enter a number."),
        ("amount", "inf", "Enter a number."),
        ("amount", "", "This field is required."),
        ("currency", "XYZ", "is not an ISO 4217 currency code"),
        ("currency", "€", "is not an ISO 4217 currency code"),
        ("currency", "euros", "at most 3 characters"),
        ("currency", "\u200b", "This field is required."),
        ("price_year", "1800", "Give a year between 1900 and 2100."),
        ("price_year", "2101", "Give a year between 1900 and 2100."),
        ("price_year", "-2019", "Give a year between 1900 and 2100."),
        ("item", "x" * 10_000, "at most 200 characters"),
        ("item", "nul\x00byte", "Null characters are not allowed."),
        ("kind", "gift", "Select a valid choice."),
    ],
)
def test_bad_costs_are_refused_on_their_field(client_of, field, value, message):
    response = client_of.post(NEW, new_case(summary="Kept text ✓", costs=[{**COST, field: value}]))

    assert response.status_code == 400
    errors = errors_of(response, "costs")[field]
    assert len(errors) == 1 and message in errors[0]
    page = response.content.decode()
    assert f'<a href="#id_costs-0-{field}">Cost 1,' in page
    assert "Kept text ✓" in page
    assert not BestPractice.objects.exists() and not Cost.objects.exists()


@pytest.mark.parametrize("currency", ["eur", " Eur ", "\u00a0eur", "\u200beur"])
def test_currencies_are_read_in_any_case_and_stored_in_capitals(client_of, currency):
    response = client_of.post(NEW, new_case(costs=[{**COST, "currency": currency}]))

    assert response.status_code == 302
    assert Cost.objects.get().currency == "EUR"


def test_unicode_text_in_rows_is_kept(client_of):
    item = "서울 태양광 🌞 Улаанбаатар ሰላም"

    response = client_of.post(
        NEW,
        new_case(
            costs=[{**COST, "item": item}],
            financing=[{**FINANCING, "funder": item, "currency": "KRW"}],
            links=[{**LINK, "title": item}],
        ),
    )

    assert response.status_code == 302
    assert Cost.objects.get().item == Financing.objects.get().funder == item
    assert PracticeLink.objects.get().title == item


def test_financing_with_an_amount_needs_its_currency(client_of):
    response = client_of.post(NEW, new_case(financing=[{**FINANCING, "currency": ""}]))

    assert response.status_code == 400
    assert errors_of(response, "financing")["currency"] == ["Say in which currency the amount is."]
    assert not BestPractice.objects.exists()


def test_financing_without_an_amount_needs_no_currency(client_of):
    response = client_of.post(NEW, new_case(financing=[{"kind": "own_budget"}]))

    assert response.status_code == 302
    assert Financing.objects.get().amount is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.org/report.pdf",
        "file:///etc/passwd",
    ],
)
def test_links_must_be_web_addresses(client_of, url):
    response = client_of.post(NEW, new_case(links=[{"url": url, "title": "Report"}]))

    assert response.status_code == 400
    assert errors_of(response, "links")["url"] == [
        "Only web addresses that start with http:// or https:// can be linked."
    ]
    assert not PracticeLink.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.org/report.pdf", "javascript:alert(1)"])
def test_the_model_itself_refuses_links_that_are_not_web_pages(url):
    # What the admin's link inline and any other ModelForm rely on.
    link = PracticeLink(practice=factories.PracticeFactory(), url=url, title="Report")

    with pytest.raises(ValidationError) as refused:
        link.full_clean()

    assert refused.value.message_dict["url"] == [
        "Only web addresses that start with http:// or https:// can be linked."
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://exa mple.org", "Enter a valid URL."),
        ("https://example.org/" + "x" * 10_000, "at most 500 characters"),
        ("https://example.org/\x00", "Null characters are not allowed."),
    ],
)
def test_malformed_links_are_refused(client_of, url, message):
    response = client_of.post(NEW, new_case(links=[{"url": url}]))

    assert response.status_code == 400
    assert message in " ".join(errors_of(response, "links")["url"])
    assert not BestPractice.objects.exists()


def test_fifty_rows_of_a_kind_at_most(client_of):
    response = client_of.post(NEW, new_case(costs=[COST] * 51))

    assert response.status_code == 400
    assert response.context["costs"].non_form_errors()
    assert not Cost.objects.exists()


@pytest.mark.parametrize("total", ["abc", "100000", "", "1\x00"])
def test_a_tampered_row_count_is_a_bad_request(client_of, total):
    data = new_case(costs=[COST])
    data["costs-TOTAL_FORMS"] = total

    response = client_of.post(NEW, data)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not BestPractice.objects.exists()


def test_a_negative_row_count_reads_no_rows(client_of):
    data = new_case(costs=[COST])
    data["costs-TOTAL_FORMS"] = "-1"

    assert client_of.post(NEW, data).status_code == 302
    assert BestPractice.objects.exists() and not Cost.objects.exists()


def test_every_kinds_errors_reach_the_summary(client_of):
    response = client_of.post(
        NEW,
        new_case(
            impacts=[{**IMPACT, "value": "NaN"}],
            costs=[{**COST, "amount": "-5"}],
            financing=[{**FINANCING, "currency": "XYZ"}],
            links=[{"url": "javascript:alert(1)"}],
        ),
    )

    page = response.content.decode()
    assert response.status_code == 400
    for anchor in (
        "id_impacts-0-value",
        "id_costs-0-amount",
        "id_financing-0-currency",
        "id_links-0-url",
    ):
        assert f'<a href="#{anchor}">' in page
        # The field names its message, which sits under it.
        assert f'{anchor}_error" id="{anchor}"' in page
        assert f'id="{anchor}_error"' in page


# Impacts and the indicator they move -------------------------------------------------------


@pytest.fixture
def emissions_indicator():
    return factories.IndicatorFactory(
        code="emissions", name="Greenhouse gas emissions", unit="t CO2", quantity_kind="emissions"
    )


def test_an_impact_names_the_indicator_it_moves(client_of, emissions_indicator):
    impact = {**IMPACT, "unit": "kt CO2", "indicator": str(emissions_indicator.pk)}

    response = client_of.post(NEW, new_case(impacts=[impact]))

    assert response.status_code == 302
    assert Impact.objects.get().indicator == emissions_indicator


def test_a_unit_that_does_not_fit_the_indicator_is_refused(client_of, emissions_indicator):
    impact = {**IMPACT, "unit": "MWh", "indicator": str(emissions_indicator.pk)}

    response = client_of.post(NEW, new_case(impacts=[impact]))

    assert response.status_code == 400
    assert errors_of(response, "impacts")["unit"] == [
        "MWh cannot be expressed in t CO2; choose a unit of the same kind."
    ]
    assert '<a href="#id_impacts-0-unit">Impact 1, Unit</a>' in response.content.decode()
    assert not Impact.objects.exists()


def test_an_unknown_indicator_is_refused(client_of):
    response = client_of.post(NEW, new_case(impacts=[{**IMPACT, "indicator": "999999"}]))

    assert response.status_code == 400
    assert errors_of(response, "impacts")["indicator"]


@pytest.mark.parametrize("metric", ["\u200b", "\u00a0 ", "\u200b\u200d"])
def test_an_impact_metric_of_blanks_is_required(client_of, metric):
    response = client_of.post(NEW, new_case(impacts=[{**IMPACT, "metric": metric}]))

    assert response.status_code == 400
    assert errors_of(response, "impacts")["metric"] == ["This field is required."]
    assert not Impact.objects.exists()


def test_indicators_are_offered_by_name(client_of):
    factories.IndicatorFactory(name="Renewable capacity", unit="kW")
    factories.IndicatorFactory(name="Energy use", unit="MWh")

    form = client_of.get(NEW).context["impacts"].forms[0]

    names = [name for _pk, name in form.fields["indicator"].choices]
    assert names == ["—", "Energy use (MWh)", "Renewable capacity (kW)"]


# Organisations -----------------------------------------------------------------------------


def test_finding_organisations_keeps_the_text_and_saves_nothing(client_of):
    germany = factories.CountryFactory(code="DE", name="Germany")
    factories.OrganisationFactory(name="Stadtwerke Münster", country=germany)
    chosen = factories.OrganisationFactory(name="Klimabündnis", country=None)
    data = new_case(
        action="find_organisations",
        organisation_q="munster",
        organisations=[chosen.pk],
        title="",
        costs=[{**COST, "amount": "-1"}],
    )

    response = client_of.post(NEW, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Stadtwerke Münster (Germany)" in page
    assert f'value="{chosen.pk}" id="organisations-{chosen.pk}" checked' in page
    assert "Klimabündnis</label>" in page
    assert "Forty schools got solar roofs." in page and 'value="-1"' in page
    assert 'role="alert"' not in page
    assert not BestPractice.objects.exists()


def test_chosen_organisations_are_saved(client_of, owner):
    practice = factories.PracticeFactory(submitted_by=owner)
    first, second = factories.OrganisationFactory.create_batch(2)
    data = new_case(version=str(practice.version), organisations=[first.pk, second.pk])
    data.pop("submission_key")

    client_of.post(reverse("submit:edit", args=[practice.slug]), data)

    assert set(practice.organisations.all()) == {first, second}
    page = client_of.get(reverse("submit:edit", args=[practice.slug])).content.decode()
    assert f'id="organisations-{first.pk}" checked' in page


@pytest.mark.parametrize("query", ["\u200b", "   ", "\x00", "x" * 10_000])
def test_a_blank_or_odd_organisation_search_finds_nothing_and_does_not_fail(client_of, query):
    factories.OrganisationFactory(name="Stadtwerke Münster")

    response = client_of.post(NEW, new_case(action="find_organisations", organisation_q=query))

    assert response.status_code == 200
    assert "Stadtwerke Münster" not in response.content.decode()


@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "-1", "1.5", "999999"])
def test_ids_that_cannot_be_chosen_are_refused_without_failing(client_of, value):
    for action in ("find_organisations", "draft"):
        data = new_case(action=action, places=[value], organisations=[value])

        response = client_of.post(NEW, data)

        assert response.status_code == (200 if action.startswith("find") else 400)
    assert response.context["form"].errors["organisations"]
    assert not BestPractice.objects.exists()


def test_organisations_are_found_by_a_get_query_in_any_script(client_of):
    factories.OrganisationFactory(name="서울에너지공사")

    response = client_of.get(NEW, {"organisation_q": "에너지"})

    assert "서울에너지공사" in response.content.decode()


def test_both_pickers_are_marked_up_for_search_as_you_type(client_of):
    page = client_of.get(NEW).content.decode()

    assert 'data-picker data-picker-source="/api/v1/places/" data-picker-name="places"' in page
    assert (
        'data-picker data-picker-source="/api/v1/organisations/" '
        'data-picker-name="organisations"' in page
    )
    assert page.count("data-picker-query") == 2 and page.count("data-picker-button") == 2
    assert page.count('data-picker-results aria-live="polite"') == 2
    assert 'name="action" value="find_organisations" data-picker-button' in page
    assert "js/picker.js" in page
    assert 'list="currency-codes"' in page and '<datalist id="currency-codes">' in page


# Query counts ----------------------------------------------------------------------------


SEARCHES = {"place_q": "place", "organisation_q": "organisation"}


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, SEARCHES).status_code == 200
    return len(queries)


def _add_rows(practice, count: int) -> None:
    indicator = factories.IndicatorFactory()
    for _ in range(count):
        factories.ImpactFactory(practice=practice, indicator=indicator)
        Cost.objects.create(practice=practice, amount=1, currency="EUR", price_year=2020)
        Financing.objects.create(practice=practice, kind="loan")
        factories.PracticeLinkFactory(practice=practice)
        practice.places.add(factories.PlaceFactory())
        practice.organisations.add(factories.OrganisationFactory())


def test_the_form_pages_need_a_fixed_number_of_queries(
    client_of, owner, django_assert_max_num_queries
):
    practice = factories.PracticeFactory(submitted_by=owner)
    url = reverse("submit:edit", args=[practice.slug])
    factories.IndicatorFactory.create_batch(60)
    _add_rows(practice, 1)
    few = _queries(client_of, url)
    _add_rows(practice, 12)

    with django_assert_max_num_queries(few):
        response = client_of.get(url, SEARCHES)
    with django_assert_max_num_queries(few):
        client_of.get(NEW, SEARCHES)

    assert len(response.context["costs"].forms) == 14
    assert len(response.context["pickers"][1].chosen) == 13


# The pages that show the rows ------------------------------------------------------------


@pytest.fixture
def case_with_rows(owner):
    practice = factories.PracticeFactory(submitted_by=owner, status=Status.PUBLISHED)
    Cost.objects.create(
        practice=practice,
        kind="investment",
        item="Solar panels",
        amount="1200000.50",
        currency="EUR",
        price_year=2019,
    )
    Financing.objects.create(practice=practice, kind="loan", funder="KfW", amount=5, currency="EUR")
    Financing.objects.create(practice=practice, kind="own_budget")
    factories.PracticeLinkFactory(
        practice=practice, url="https://example.org/report", title="Report"
    )
    return practice


def test_the_public_page_shows_costs_financing_and_links(client, case_with_rows):
    page = client.get(reverse("practices:detail", args=[case_with_rows.slug])).content.decode()

    assert "Solar panels" in page
    assert "1,200,000.50 EUR" in page
    assert "prices of 2019" in page
    assert "KfW" in page and "Loan" in page and "The place&#x27;s own budget" in page
    assert (
        '<a href="https://example.org/report" rel="external nofollow noopener noreferrer">'
        "Report</a>"
    ) in page


def test_the_preview_shows_costs_financing_and_links(client_of, case_with_rows):
    response = client_of.get(reverse("submit:preview", args=[case_with_rows.slug]))

    page = response.content.decode()
    assert "1,200,000.50 EUR" in page and "prices of 2019" in page
    assert "KfW" in page
    assert 'rel="external nofollow noopener noreferrer"' in page
