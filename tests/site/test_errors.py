"""The 404 and 500 pages answer in the portal's layout, with DEBUG off."""

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

from tests.roles import submitter


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def in_layout(html: str) -> bool:
    return 'href="#content"' in html and "<footer" in html and 'aria-label="Main"' in html


def test_an_unknown_address_answers_404_in_the_layout(client, db, production):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert in_layout(html)
    assert html.count("<h1") == 1
    assert "Page not found" in html
    assert 'href="/practices/"' in html


def test_a_404_needs_no_database(client, production):
    # No ``db`` fixture: pytest-django makes any query fail this test.
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert in_layout(response.content.decode())


@pytest.mark.parametrize(
    "address", ["/api/v1/measurements/abc/", "/api/v1/measurements/-1/", "/api/v1/nothing/"]
)
def test_an_unknown_api_address_answers_404_in_json(client, db, production, address):
    response = client.get(address)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("the database is unavailable")


@pytest.fixture
def failing_client(client, production):
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF="tests.site.failing_urls"):
        yield client


@pytest.mark.parametrize("address", ["/broken/", "/database-down/"])
def test_a_failing_view_answers_500_in_the_layout(failing_client, address):
    response = failing_client.get(address)

    assert response.status_code == 500
    html = response.content.decode()
    assert in_layout(html)
    assert html.count("<h1") == 1
    assert "Something went wrong" in html
    assert 'href="/"' in html


def test_the_500_page_renders_while_the_database_is_unavailable(failing_client):
    # Without the ``db`` fixture pytest-django already refuses queries; the wrapper makes the
    # refusal the database's own error, as in production.
    with connection.execute_wrapper(refuse_every_query):
        response = failing_client.get("/database-down/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_a_page_closed_to_the_account_answers_403_in_the_layout(client, db, production):
    client.force_login(submitter("sam"))
    response = client.get("/indicators/import/")

    assert response.status_code == 403
    html = response.content.decode()
    assert in_layout(html)
    assert html.count("<h1") == 1
    assert "You are signed in as sam" in html


def test_the_favicon_is_served_where_browsers_look_for_it(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    assert 'rel="icon"' in client.get("/").content.decode()
