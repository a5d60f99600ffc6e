import pytest
from django.urls import reverse

from benchmarks.models import Indicator, Measurement
from cset.reference.models import Country, Place, Source
from practices.choices import Status
from practices.models import BestPractice


@pytest.fixture
def holdings(db):
    germany = Country.objects.create(code="DE", name="Germany", continent="EU")
    source = Source.objects.create(slug="s", title="S", publisher="P", licence="CC BY 4.0")
    muenster = Place.objects.create(
        name="Münster", slug="munster", kind="city", tier="local", country=germany
    )
    indicator = Indicator.objects.create(
        code="population", name="Population", unit="person", direction="context",
        quantity_kind="population",
    )
    for year in (2018, 2021):
        Measurement.objects.create(
            place=muenster, indicator=indicator, year=year, source=source, value=300000,
            unit="person", value_canonical=300000, method="reported",
            verification="third_party_verified",
        )
    BestPractice.objects.create(slug="published", title="Published", status=Status.PUBLISHED)
    for status in (Status.DRAFT, Status.IN_REVIEW, Status.REJECTED, Status.ARCHIVED):
        BestPractice.objects.create(slug=status, title=status, status=status)


def test_home_shows_the_headline_figures(client, holdings):
    response = client.get("/")

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures == {
        "places": 1, "practices": 1, "indicators": 1, "measurements": 2, "events": 0, "sources": 1,
    }
    html = response.content.decode()
    assert '<dd data-figure="measurements">2</dd>' in html
    assert '<dd data-figure="practices">1</dd>' in html


def test_home_links_to_the_api_and_its_documentation(client, db):
    html = client.get("/").content.decode()

    for name in ("api-root", "api-docs", "api-redoc", "api-schema"):
        assert f'href="{reverse(name)}"' in html


def test_home_needs_a_fixed_number_of_queries(client, holdings, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get("/")
