"""Derived values: per person and per 1,000 inhabitants, from inputs of the same place
and year, recording both, and following them when they change."""

import pytest

from benchmarks.derived import DERIVED, refresh_derived
from benchmarks.models import Measurement, StoredStanding
from benchmarks.services import measurements_written
from benchmarks.units import ratio_factor
from tests import factories

pytestmark = pytest.mark.django_db

PER_1000 = "de-capacity-renewable-per-1000"


@pytest.fixture
def town():
    germany = factories.CountryFactory(code="DE", name="Germany")
    return factories.PlaceFactory(name="Wildpoldsried", country=germany)


@pytest.fixture
def inputs(town):
    capacity = factories.IndicatorFactory(code="de-capacity-renewable-total", unit="kW")
    population = factories.IndicatorFactory(code="population", unit="person")
    registry = factories.SourceFactory(slug="de-renewables")
    statistics = factories.SourceFactory(slug="de-population")
    made = {
        "capacity": factories.MeasurementFactory(
            place=town, indicator=capacity, source=registry, year=2021, value=28_000, unit="kW"
        ),
        "population": factories.MeasurementFactory(
            place=town,
            indicator=population,
            source=statistics,
            year=2021,
            value=2_580,
            unit="person",
            verification="third_party_verified",
        ),
    }
    # A capacity of a year without population gives no derived value.
    factories.MeasurementFactory(
        place=town, indicator=capacity, source=registry, year=2020, value=27_000, unit="kW"
    )
    return made


def _derived(code=PER_1000):
    return Measurement.objects.filter(indicator__code=code)


def test_a_value_per_1000_inhabitants_records_its_inputs(inputs):
    report = refresh_derived()

    value = _derived().get()
    assert value.year == 2021
    assert value.value_canonical == pytest.approx(28_000 / 2_580 * 1000)
    assert value.unit == "kW/1000 persons"
    assert (value.numerator, value.denominator) == (inputs["capacity"], inputs["population"])
    # The weaker verification of the two inputs.
    assert value.verification == "self_reported"
    assert report.created == 1


def test_a_second_refresh_writes_nothing(inputs):
    refresh_derived()

    report = refresh_derived()

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_a_changed_input_is_followed(inputs):
    refresh_derived()
    Measurement.objects.filter(pk=inputs["population"].pk).update(
        value=2_000, value_canonical=2_000
    )

    report = refresh_derived()

    assert _derived().get().value == pytest.approx(14_000)
    assert report.updated == 1


def test_a_deleted_input_takes_the_derived_value_with_it(inputs):
    refresh_derived()

    inputs["population"].delete()

    assert not _derived().exists()


def test_population_from_another_source_is_not_the_denominator(inputs, town):
    inputs["population"].delete()
    factories.MeasurementFactory(
        place=town,
        indicator=factories.IndicatorFactory(code="population"),
        source=factories.SourceFactory(slug="gcom"),
        year=2021,
        value=2_600,
        unit="person",
    )

    refresh_derived()

    assert not _derived().exists()


def test_every_spec_is_dimensionally_sound():
    units = {"de-co2-total": "kt CO2", "gb-co2-domestic-total": "kt CO2"}
    for spec in DERIVED:
        numerator_unit = units.get(spec.numerator, "kW")
        assert ratio_factor(numerator_unit, "person", spec.indicator.unit) == 1000.0


def test_a_written_input_recomputes_the_derived_value_and_its_standing(inputs):
    refresh_derived()
    population = inputs["population"]
    Measurement.objects.filter(pk=population.pk).update(value=2_000, value_canonical=2_000)

    measurements_written({(population.indicator_id, 2021)})

    derived = _derived().get()
    assert derived.value_canonical == pytest.approx(28_000 / 2_000 * 1000)
    standing = StoredStanding.objects.get(measurement=derived)
    assert (standing.value, standing.group_size) == (derived.value_canonical, 1)


def test_a_refresh_names_the_indicator_years_it_wrote(inputs):
    report = refresh_derived()

    assert report.written == {(_derived().get().indicator_id, 2021)}
    assert refresh_derived().written == set()


def test_a_derived_value_changed_behind_its_back_is_put_back_with_its_standing(inputs, town):
    factories.MeasurementFactory(
        place=town,
        indicator=inputs["population"].indicator,
        source=inputs["population"].source,
        year=2020,
        value=2_500,
        unit="person",
    )
    refresh_derived()
    measurements_written({(inputs["population"].indicator_id, 2020)})
    of_2020 = _derived().get(year=2020)
    _derived().filter(pk=of_2020.pk).update(value=1, value_canonical=1)
    StoredStanding.objects.filter(measurement=of_2020).update(value=1)

    # A write of another year's input: the whole refresh puts 2020 back, and its standing.
    measurements_written({(inputs["population"].indicator_id, 2021)})

    of_2020.refresh_from_db()
    assert of_2020.value_canonical == pytest.approx(27_000 / 2_500 * 1000)
    assert StoredStanding.objects.get(measurement=of_2020).value == of_2020.value_canonical


def test_a_deleted_input_moves_the_standings_of_the_derived_values(inputs, town):
    neighbour = factories.PlaceFactory(name="Kempten", country=town.country, tier=town.tier)
    for indicator, source, value in (
        (inputs["capacity"].indicator, inputs["capacity"].source, 50_000),
        (inputs["population"].indicator, inputs["population"].source, 70_000),
    ):
        factories.MeasurementFactory(
            place=neighbour, indicator=indicator, source=source, year=2021, value=value
        )
    refresh_derived()
    measurements_written({(inputs["population"].indicator_id, 2021)})
    assert StoredStanding.objects.get(place=neighbour, indicator__code=PER_1000).group_size == 2

    inputs["population"].delete()
    measurements_written({(inputs["population"].indicator_id, 2021)})

    assert StoredStanding.objects.get(place=neighbour, indicator__code=PER_1000).group_size == 1


def test_a_derived_value_deleted_on_its_own_comes_back(inputs):
    refresh_derived()
    derived = _derived().get()
    derived.delete()

    measurements_written({(derived.indicator_id, derived.year)})

    assert _derived().get().value_canonical == pytest.approx(derived.value_canonical)
