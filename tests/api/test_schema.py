"""The OpenAPI description and its two readers are served by the portal itself."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/places/{slug}/" in schema["paths"]
    assert "/api/v1/measurements/{id}/" in schema["paths"]


@pytest.mark.parametrize("address", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_documentation_uses_local_files_only(client, address):
    response = client.get(address)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html


@pytest.mark.parametrize("address", ["/api/v1/docs/", "/api/v1/redoc/", "/api/v1/schema/"])
def test_documentation_pages_refuse_other_methods_without_failing(client, address):
    assert client.options(address).status_code == 405
    assert client.post(address).status_code == 405
