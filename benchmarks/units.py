"""Unit conversion: one pint registry per process, our own unit vocabulary on top.

Units reach the portal as strings written by people ("kt CO2", "MWh", "toe").
Pint reads some of them wrongly (``kt`` is a knot, ``ton`` the US short ton),
so every unit string we accept is spelt out here, once, as a pint expression.
A value converts only between units of one dimension; anything else is refused
with both units named.
"""

import math
from functools import cache, lru_cache

import pint
from django.utils.translation import gettext as _

# Our unit strings and what they mean to pint. The substance (CO2) is part of
# what an indicator measures, not of the unit: "kt CO2" is a mass.
UNIT_EXPRESSIONS: dict[str, str] = {
    # mass of emissions
    "kg CO2": "kilogram",
    "t CO2": "tonne",
    "kt CO2": "kilotonne",
    "Mt CO2": "megatonne",
    "kg": "kilogram",
    "t": "tonne",
    "kt": "kilotonne",
    "Mt": "megatonne",
    # greenhouse gases in CO2 equivalent (the catalogue's GHG indicators): a quantity of
    # its own, so that CO2 alone is never read as all greenhouse gases
    "kg CO2e": "co2e_kilogram",
    "t CO2e": "co2e_tonne",
    "kt CO2e": "co2e_kilotonne",
    "Mt CO2e": "co2e_megatonne",
    "kg CO2e/person": "co2e_kilogram / person",
    "t CO2e/person": "co2e_tonne / person",
    # emissions per person and per area
    "kg CO2/person": "kilogram / person",
    "t CO2/person": "tonne / person",
    "kt CO2/km²": "kilotonne / kilometre ** 2",
    "t CO2/km²": "tonne / kilometre ** 2",
    # energy
    "kWh": "kilowatt_hour",
    "MWh": "megawatt_hour",
    "GWh": "gigawatt_hour",
    "TWh": "terawatt_hour",
    "MJ": "megajoule",
    "GJ": "gigajoule",
    "TJ": "terajoule",
    "PJ": "petajoule",
    "toe": "oil_equivalent_tonne",
    "ktoe": "oil_equivalent_kilotonne",
    "Mtoe": "oil_equivalent_megatonne",
    "kWh/person": "kilowatt_hour / person",
    "MWh/person": "megawatt_hour / person",
    "GJ/person": "gigajoule / person",
    "kWh/m²": "kilowatt_hour / metre ** 2",
    "kWh/km": "kilowatt_hour / kilometre",
    "MWh/km": "megawatt_hour / kilometre",
    # energy per unit of economic output (GDP at purchasing power parity)
    "MJ/USD PPP": "megajoule / international_dollar",
    # power (installed capacity)
    "W": "watt",
    "kW": "kilowatt",
    "MW": "megawatt",
    "GW": "gigawatt",
    "W/person": "watt / person",
    "kW/person": "kilowatt / person",
    "kW/1000 persons": "kilowatt / kiloperson",
    # people and area
    "person": "person",
    "thousand persons": "kiloperson",
    "km²": "kilometre ** 2",
    "ha": "hectare",
    "m²": "metre ** 2",
    # shares and counts
    "%": "percent",
    "share": "dimensionless",
    "count": "item",
    "count/1000 persons": "item / kiloperson",
    # time (hours of supply interruption in a year)
    "h": "hour",
}

# Definitions pint lacks, or must not guess (our own names, so nothing of pint's is
# redefined). A tonne of oil equivalent is
# exactly 41.868 GJ (IEA), so 11.63 MWh.
_DEFINITIONS = [
    "person = [population] = persons = inhabitant",
    "kiloperson = 1000 * person",
    "oil_equivalent_tonne = 41.868 * gigajoule",
    "oil_equivalent_kilotonne = 1000 * oil_equivalent_tonne",
    "oil_equivalent_megatonne = 1000000 * oil_equivalent_tonne",
    # Money is a dimension of its own, so that energy per dollar never converts into energy.
    "international_dollar = [money]",
    # So are things counted (chargers, buildings): 5 of them are not 500 %.
    "item = [count]",
    "co2e_tonne = [co2_equivalent]",
    "co2e_kilogram = 0.001 * co2e_tonne",
    "co2e_kilotonne = 1000 * co2e_tonne",
    "co2e_megatonne = 1000000 * co2e_tonne",
]

# Conversion factors are floats; rounding them to 15 significant digits removes
# binary noise (41.868 / 3.6 is 11.629999999999999 in floating point).
_FACTOR_DIGITS = 15


class UnitError(ValueError):
    """A unit we do not know, a conversion across dimensions, or a value that is not a number."""


@cache
def registry() -> pint.UnitRegistry:
    """The process's one pint registry, with our definitions added."""
    units = pint.UnitRegistry()
    for definition in _DEFINITIONS:
        units.define(definition)
    return units


def known_units() -> list[str]:
    return list(UNIT_EXPRESSIONS)


@cache
def _pint_unit(unit: str) -> pint.Unit:
    try:
        expression = UNIT_EXPRESSIONS[unit]
    except KeyError:
        raise UnitError(_("Unknown unit “%(unit)s”.") % {"unit": unit}) from None
    return registry().parse_units(expression)


@lru_cache(maxsize=1024)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """The number a value in ``from_unit`` is multiplied by to read in ``to_unit``."""
    source, target = _pint_unit(from_unit), _pint_unit(to_unit)
    if source.dimensionality != target.dimensionality:
        raise UnitError(
            _("Cannot convert %(from)s into %(to)s: they measure different things.")
            % {"from": from_unit, "to": to_unit}
        )
    factor = registry().Quantity(1, source).to(target).magnitude
    return float(f"{factor:.{_FACTOR_DIGITS}g}")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` from one of our units to another; NaN and infinity are refused."""
    number = float(value)
    if not math.isfinite(number):
        raise UnitError(_("%(value)s is not a number a unit can apply to.") % {"value": value})
    if from_unit == to_unit:
        _pint_unit(from_unit)
        return number
    # Rounded like the factors, so that 513.665 thousand persons are 513665 persons,
    # not 513664.99999999994.
    return float(f"{number * conversion_factor(from_unit, to_unit):.{_FACTOR_DIGITS}g}")


@lru_cache(maxsize=256)
def ratio_factor(numerator_unit: str, denominator_unit: str, target_unit: str) -> float:
    """The number ``numerator / denominator`` is multiplied by to read in ``target_unit``
    (kt CO2 per person is 1,000 t CO2 per person)."""
    ratio = registry().Quantity(1, _pint_unit(numerator_unit)) / registry().Quantity(
        1, _pint_unit(denominator_unit)
    )
    target = _pint_unit(target_unit)
    if ratio.dimensionality != target.dimensionality:
        raise UnitError(
            _("%(numerator)s per %(denominator)s cannot be expressed in %(target)s.")
            % {"numerator": numerator_unit, "denominator": denominator_unit, "target": target_unit}
        )
    factor = ratio.to(target).magnitude
    return float(f"{factor:.{_FACTOR_DIGITS}g}")
