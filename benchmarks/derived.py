"""Derived indicators: values per person or per 1,000 inhabitants, computed from a
numerator and a denominator of the same place and year.

Each derived value records both inputs (``Measurement.numerator`` and
``.denominator``) and goes when either goes. ``refresh_derived`` recomputes them all
and writes only what changed; every path that writes measurements (the initial load,
imports) calls it afterwards, so a derived value never outlives a change of its inputs.
The denominator's source is the one data/LOADING.md names for each country.
"""

import logging
from dataclasses import dataclass, field
from functools import cache

from django.db import transaction
from django.utils import timezone

from cset.reference.loading import BULK_BATCH_SIZE, LoadReport

from .choices import Direction, QuantityKind
from .loaders.common import POPULATION, IndicatorSpec, ensure_indicators
from .models import Indicator, Measurement
from .peers import VERIFICATION_ORDER
from .units import ratio_factor

logger = logging.getLogger(__name__)

# The population denominator of each country (data/LOADING.md, "Indicator values").
POPULATION_SOURCES = {"DE": "de-population", "GB": "uk-emissions"}


@dataclass(frozen=True)
class DerivedSpec:
    indicator: IndicatorSpec
    numerator: str
    denominator: str = POPULATION
    denominator_sources: dict[str, str] = field(default_factory=lambda: POPULATION_SOURCES)


def _per_person(code, name, numerator, unit, direction, kind, theme, definition) -> DerivedSpec:
    """A per-person value of one country's indicator (its code starts with the country)."""
    country = code[:2].upper()
    return DerivedSpec(
        IndicatorSpec(code, name, unit, direction, kind, theme, definition, country),
        numerator,
        denominator_sources={country: POPULATION_SOURCES[country]},
    )


DERIVED = [
    _per_person(
        "de-co2-per-person",
        "CO2 emissions per person (city balance)",
        "de-co2-total",
        "t CO2/person",
        Direction.LOWER_IS_BETTER,
        QuantityKind.INTENSITY,
        "planning-and-policy",
        "A German city's total CO2 emissions from its own balance, divided by the people "
        "living there in the same year (federal statistics).",
    ),
    _per_person(
        "de-capacity-renewable-per-1000",
        "Renewable capacity per 1,000 inhabitants",
        "de-capacity-renewable-total",
        "kW/1000 persons",
        Direction.HIGHER_IS_BETTER,
        QuantityKind.CAPACITY,
        "renewable-generation",
        "Installed renewable power (photovoltaics, onshore wind, biomass and hydropower) "
        "of a German municipality per 1,000 people living there in the same year.",
    ),
    _per_person(
        "de-capacity-pv-per-1000",
        "Photovoltaic capacity per 1,000 inhabitants",
        "de-capacity-pv",
        "kW/1000 persons",
        Direction.HIGHER_IS_BETTER,
        QuantityKind.CAPACITY,
        "renewable-generation",
        "Installed photovoltaic power of a German municipality per 1,000 people living "
        "there in the same year.",
    ),
    _per_person(
        "de-capacity-wind-onshore-per-1000",
        "Onshore wind capacity per 1,000 inhabitants",
        "de-capacity-wind-onshore",
        "kW/1000 persons",
        Direction.HIGHER_IS_BETTER,
        QuantityKind.CAPACITY,
        "renewable-generation",
        "Installed onshore wind power of a German municipality per 1,000 people living "
        "there in the same year.",
    ),
    _per_person(
        "gb-co2-domestic-per-person",
        "Domestic CO2 emissions per person",
        "gb-co2-domestic-total",
        "t CO2/person",
        Direction.LOWER_IS_BETTER,
        QuantityKind.INTENSITY,
        "building-efficiency",
        "CO2 emitted by the homes of a UK local authority (electricity, gas and other fuels) "
        "divided by its population of the same year.",
    ),
]


# The inputs of each derived indicator, by its code: its values are computed from them.
DERIVED_INPUTS = {spec.indicator.code: (spec.numerator, spec.denominator) for spec in DERIVED}


def _less_trusted(first: str, second: str) -> str:
    return min(first, second, key=lambda level: VERIFICATION_ORDER.get(level, 0))


@cache
def _denominators(indicator_id: int, source_slug: str, country: str) -> dict:
    """The denominator values of one source in one country, by (place, year)."""
    rows = Measurement.objects.filter(
        indicator_id=indicator_id,
        source__slug=source_slug,
        place__country_id=country,
        value_canonical__gt=0,
    ).order_by()
    return {
        (place_id, year): (pk, value, verification)
        for pk, place_id, year, value, verification in rows.values_list(
            "id", "place_id", "year", "value_canonical", "verification"
        ).iterator(chunk_size=5000)
    }


def _computed(spec: DerivedSpec, numerator: Indicator, denominator: Indicator, factor: float):
    """Every value ``spec`` gives, by (place, year, source), with its two inputs.

    Two plain scans joined here: a correlated subquery per numerator took a minute on
    PostgreSQL for the 35,000 German capacities.
    """
    values = {}
    for country, source_slug in spec.denominator_sources.items():
        by_place_year = _denominators(denominator.pk, source_slug, country)
        numerators = Measurement.objects.filter(
            indicator=numerator, place__country_id=country, value_canonical__isnull=False
        ).order_by()
        rows = numerators.values_list(
            "id", "place_id", "year", "source_id", "value_canonical", "method", "verification"
        )
        for pk, place_id, year, source_id, value, method, verification in rows.iterator(
            chunk_size=5000
        ):
            found = by_place_year.get((place_id, year))
            if found is None:
                continue
            denominator_id, denominator_value, denominator_verification = found
            values[(place_id, year, source_id)] = {
                "value": value / denominator_value * factor,
                "numerator_id": pk,
                "denominator_id": denominator_id,
                "method": method,
                "verification": _less_trusted(verification, denominator_verification),
            }
    return values


_COMPARED = ("value", "value_canonical", "numerator_id", "denominator_id", "method", "verification")


@dataclass
class DerivedReport(LoadReport):
    """What a refresh of the derived values did, and the (indicator id, year) pairs it wrote:
    the standings to recompute."""

    written: set[tuple[int, int]] = field(default_factory=set)


def _sync(indicator: Indicator, computed: dict, report: DerivedReport) -> None:
    """Make the stored values of ``indicator`` what ``computed`` says, writing the difference."""
    rows = Measurement.objects.filter(indicator=indicator).order_by()
    stored = {
        (place_id, year, source_id): (pk, stored_values)
        for pk, place_id, year, source_id, *stored_values in rows.values_list(
            "id", "place_id", "year", "source_id", *_COMPARED
        ).iterator(chunk_size=5000)
    }
    new, changed, years = [], [], set()
    now = timezone.now()
    for key, values in computed.items():
        fields = {**values, "value_canonical": values["value"]}
        found = stored.pop(key, None)
        place_id, year, source_id = key
        if found is None:
            new.append(
                Measurement(
                    place_id=place_id,
                    year=year,
                    source_id=source_id,
                    indicator=indicator,
                    unit=indicator.unit,
                    **fields,
                )
            )
            years.add(year)
        elif list(found[1]) != [fields[name] for name in _COMPARED]:
            changed.append(Measurement(pk=found[0], updated_at=now, **fields))
            years.add(year)
        else:
            report.unchanged += 1
    Measurement.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    Measurement.objects.bulk_update(changed, [*_COMPARED, "updated_at"], batch_size=BULK_BATCH_SIZE)
    Measurement.objects.filter(pk__in=[pk for pk, _values in stored.values()]).delete()
    years |= {year for _place, year, _source in stored}
    report.created += len(new)
    report.updated += len(changed) + len(stored)
    report.written |= {(indicator.pk, year) for year in years}


def refresh_derived(specs: list[DerivedSpec] = DERIVED) -> DerivedReport:
    """Recompute every derived value; write only what differs from what is stored."""
    report = DerivedReport(name="Derived indicators (per person, per 1,000 inhabitants)")
    _denominators.cache_clear()
    with transaction.atomic():
        indicators = ensure_indicators(spec.indicator for spec in specs)
        inputs = Indicator.objects.in_bulk(
            {code for spec in specs for code in (spec.numerator, spec.denominator)},
            field_name="code",
        )
        for spec in specs:
            numerator, denominator = inputs.get(spec.numerator), inputs.get(spec.denominator)
            if numerator is None or denominator is None:
                report.flag(spec.indicator.code, "its inputs are not loaded")
                continue
            indicator = indicators[spec.indicator.code]
            factor = ratio_factor(numerator.unit, denominator.unit, indicator.unit)
            _sync(indicator, _computed(spec, numerator, denominator, factor), report)
    logger.info(
        "derived values: created %s, updated %s, unchanged %s",
        report.created,
        report.updated,
        report.unchanged,
    )
    return report
