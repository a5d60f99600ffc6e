"""Measurements changed by hand in the admin: checked and converted as an import would,
derived values left to their inputs, and a change form that stays light."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from benchmarks.choices import Notation
from benchmarks.models import Measurement
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def measurement():
    return factories.MeasurementFactory(value=5.0, unit="MWh")


def _form(measurement, **changes):
    return {
        "place": measurement.place_id,
        "indicator": measurement.indicator_id,
        "year": measurement.year,
        "source": measurement.source_id,
        "value": str(measurement.value),
        "unit": measurement.unit,
        "notation": "",
        "method": measurement.method,
        "verification": measurement.verification,
        "quality_flags": "[]",
        "note": "",
        **changes,
    }


def _change(admin_client, measurement, **changes):
    url = reverse("admin:benchmarks_measurement_change", args=[measurement.pk])
    return admin_client.post(url, _form(measurement, **changes))


def test_a_value_in_another_unit_is_stored_in_the_canonical_one(admin_client, measurement):
    response = _change(admin_client, measurement, value="2", unit="GWh")

    assert response.status_code == 302
    measurement.refresh_from_db()
    assert (measurement.value, measurement.unit, measurement.value_canonical) == (2, "GWh", 2000)


def test_the_canonical_value_cannot_be_typed_in(admin_client, measurement):
    _change(admin_client, measurement, value="7", value_canonical="123456")

    measurement.refresh_from_db()
    assert measurement.value_canonical == 7


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unit": "kg"}, "unit", "measure different things"),
        ({"unit": "furlongs"}, "unit", "Unknown unit"),
        ({"value": ""}, "value", "Give a value, or a notation"),
        ({"notation": Notation.NOT_REPORTED}, "notation", "not both"),
        ({"value": "nan"}, "value", "Enter a number."),
        ({"value": "1e400"}, "value", "Enter a number."),
    ],
)
def test_a_value_that_cannot_be_read_is_refused(admin_client, measurement, changes, field, message):
    response = _change(admin_client, measurement, **changes)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    measurement.refresh_from_db()
    assert (measurement.value, measurement.value_canonical) == (5.0, 5.0)


def test_a_missing_value_keeps_no_canonical_value(admin_client, measurement):
    response = _change(admin_client, measurement, value="", notation=Notation.NOT_REPORTED)

    assert response.status_code == 302
    measurement.refresh_from_db()
    assert (measurement.value, measurement.value_canonical) == (None, None)


def test_the_database_refuses_a_value_without_its_canonical_reading(measurement):
    with pytest.raises(IntegrityError):
        Measurement.objects.filter(pk=measurement.pk).update(value_canonical=None)


def test_a_derived_value_is_shown_but_not_changed(admin_client, measurement):
    population = factories.MeasurementFactory(place=measurement.place, unit="person")
    derived = factories.MeasurementFactory(
        place=measurement.place, numerator=measurement, denominator=population
    )
    url = reverse("admin:benchmarks_measurement_change", args=[derived.pk])

    page = admin_client.get(url)
    refused = admin_client.post(url, _form(derived, value="1"))

    assert page.status_code == 200
    assert 'name="value"' not in page.content.decode()
    assert refused.status_code == 403
    derived.refresh_from_db()
    assert derived.value != 1


def test_the_change_form_lists_no_measurements_to_choose_from(
    admin_client, measurement, django_assert_max_num_queries
):
    factories.MeasurementFactory.create_batch(30, place=measurement.place)
    url = reverse("admin:benchmarks_measurement_change", args=[measurement.pk])

    with django_assert_max_num_queries(12):
        page = admin_client.get(url).content.decode()

    assert 'name="numerator"' not in page
    assert 'name="denominator"' not in page
