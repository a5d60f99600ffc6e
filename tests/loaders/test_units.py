"""The unit vocabulary the loaders rely on (benchmarks.units)."""

import math

import pytest

from benchmarks.units import UNIT_EXPRESSIONS, UnitError, conversion_factor, convert


def test_a_tonne_of_oil_equivalent_is_exactly_11_63_megawatt_hours():
    assert convert(1, "toe", "MWh") == 11.63
    assert convert(1, "toe", "GJ") == 41.868
    assert convert(700, "Mtoe", "toe") == 700_000_000


def test_kilotonnes_stay_kilotonnes():
    assert convert(5, "kt CO2", "kt CO2") == 5
    assert convert(1, "kt CO2", "t CO2") == 1000
    assert convert(1, "Mt CO2", "kt CO2") == 1000


def test_kt_is_a_mass_never_a_knot():
    assert convert(1, "kt", "t") == 1000
    assert convert(1, "kt", "kt CO2") == 1
    with pytest.raises(UnitError, match="Unknown unit"):
        convert(1, "kt", "knot")


def test_people_in_thousands_become_persons():
    assert convert(183.933, "thousand persons", "person") == pytest.approx(183_933)
    assert conversion_factor("thousand persons", "person") == 1000


@pytest.mark.parametrize(("from_unit", "to_unit"), [("kg", "MWh"), ("kW", "MWh")])
def test_an_incompatible_unit_is_refused_naming_both(from_unit, to_unit):
    with pytest.raises(UnitError) as error:
        convert(1, from_unit, to_unit)

    assert f"Cannot convert {from_unit} into {to_unit}" in str(error.value)


def test_an_unknown_unit_is_refused_by_name():
    with pytest.raises(UnitError, match="ton"):
        convert(1, "ton", "t")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(value):
    with pytest.raises(UnitError, match="not a number"):
        convert(value, "t", "kg")
    with pytest.raises(UnitError, match="not a number"):
        convert(value, "kt CO2", "kt CO2")


def test_every_unit_the_loaders_write_is_known():
    for unit in ("kt CO2", "t CO2/person", "kt CO2/km²", "km²", "person", "thousand persons", "kW"):
        assert unit in UNIT_EXPRESSIONS
        assert convert(1, unit, unit) == 1
