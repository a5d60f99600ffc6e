"""Measurements changed by hand in the admin: checked and converted as an import would,
derived values left to their inputs, and a change form that stays light."""

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

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


@pytest.mark.parametrize(
    "flags",
    ["5", '"abc"', '["no_such_flag"]', "[1]", '["inconsistent_total", "inconsistent_total"]'],
)
def test_quality_flags_must_be_a_list_of_known_flags(admin_client, measurement, flags):
    response = _change(admin_client, measurement, quality_flags=flags)

    assert response.status_code == 200
    assert "quality_flags" in response.context["adminform"].form.errors
    measurement.refresh_from_db()
    assert measurement.quality_flags == []


@pytest.mark.parametrize(
    ("flags", "kept"), [('["inconsistent_total"]', ["inconsistent_total"]), ("{}", [])]
)
def test_known_quality_flags_are_kept(admin_client, measurement, flags, kept):
    response = _change(admin_client, measurement, quality_flags=flags)

    assert response.status_code == 302
    measurement.refresh_from_db()
    assert measurement.quality_flags == kept


def _add(admin_client, measurement, **changes):
    form = _form(measurement, **changes)
    return admin_client.post(reverse("admin:benchmarks_measurement_add"), form)


def _errors(response) -> dict:
    return response.context["adminform"].form.errors


def test_a_national_statistic_takes_no_place_of_another_country(admin_client, measurement):
    britain = factories.CountryFactory(code="GB")
    national = factories.IndicatorFactory(code="gb-co2-total", unit="MWh", country=britain)

    response = _add(admin_client, measurement, indicator=national.pk, year=2019)

    assert "holds values of places in GB only" in " ".join(_errors(response)["place"])


def test_a_population_is_never_negative(admin_client, measurement):
    population = factories.IndicatorFactory(
        code="population", unit="person", quantity_kind="population"
    )

    response = _add(
        admin_client, measurement, indicator=population.pk, value="-5", unit="thousand persons"
    )

    assert "cannot be negative" in " ".join(_errors(response)["value"])


def test_a_derived_indicator_takes_no_value_by_hand(admin_client, measurement):
    derived = factories.IndicatorFactory(code="de-capacity-renewable-per-1000", unit="MWh")

    response = _add(admin_client, measurement, indicator=derived.pk)

    assert "are computed from" in " ".join(_errors(response)["indicator"])


def test_a_year_to_come_is_a_target_not_a_measurement(admin_client, measurement):
    response = _change(admin_client, measurement, year=timezone.now().year + 1)

    assert "is a target, not a measurement" in " ".join(_errors(response)["year"])


def test_a_year_out_of_range_is_refused_in_words(admin_client, measurement):
    response = _change(admin_client, measurement, year=1800)

    assert _errors(response)["__all__"] == ["Give a year from 1900 to 2100."]


def test_a_derived_value_cannot_be_deleted_by_hand(admin_client, measurement):
    population = factories.MeasurementFactory(place=measurement.place, unit="person")
    derived = factories.MeasurementFactory(
        place=measurement.place, numerator=measurement, denominator=population
    )

    response = admin_client.post(
        reverse("admin:benchmarks_measurement_delete", args=[derived.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Measurement.objects.filter(pk=derived.pk).exists()


# Indicators: their unit ----------------------------------------------------------------------


def _indicator_form(indicator, **changes):
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "quantity_kind": indicator.quantity_kind,
        "definition": "",
        "mappings-TOTAL_FORMS": "0",
        "mappings-INITIAL_FORMS": "0",
        **changes,
    }


def _change_indicator(admin_client, indicator, **changes):
    url = reverse("admin:benchmarks_indicator_change", args=[indicator.pk])
    return admin_client.post(url, _indicator_form(indicator, **changes))


def test_an_indicator_unit_must_be_one_we_convert(admin_client):
    indicator = factories.IndicatorFactory(unit="MWh")

    response = _change_indicator(admin_client, indicator, unit="bananas")

    assert "Unknown unit" in " ".join(_errors(response)["unit"])


def test_an_indicator_unit_stays_under_stored_values(admin_client, measurement):
    response = _change_indicator(admin_client, measurement.indicator, unit="GWh")

    assert "cannot change under them" in " ".join(_errors(response)["unit"])
    measurement.indicator.refresh_from_db()
    assert measurement.indicator.unit == "MWh"


def test_an_indicator_without_values_may_change_its_unit(admin_client):
    indicator = factories.IndicatorFactory(unit="MWh")

    assert _change_indicator(admin_client, indicator, unit="GWh").status_code == 302
    indicator.refresh_from_db()
    assert indicator.unit == "GWh"
