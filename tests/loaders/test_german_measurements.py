"""Population and installed renewable capacity of German places, on excerpts of the real files."""

import gzip
import shutil
from pathlib import Path

import pytest

from benchmarks.choices import Direction, Method, QualityFlag, QuantityKind, Verification
from benchmarks.loaders.germany import (
    POPULATION_FILE,
    RENEWABLES_FILE,
    load_german_measurements,
    load_population,
    load_renewables,
)
from benchmarks.models import Indicator, Measurement
from cset.reference.choices import IdentifierScheme, PlaceKind, PlaceTier
from cset.reference.loading import ensure_source, source_catalogue
from cset.reference.models import Country, Place, PlaceIdentifier

DATA = Path(__file__).parent / "data"
POPULATION = DATA / "de_measurements_population.csv"
RENEWABLES = DATA / "de_measurements_renewables.csv"
TECHNOLOGIES = (
    "de-capacity-pv",
    "de-capacity-wind-onshore",
    "de-capacity-biomass",
    "de-capacity-hydro",
)
TOTAL = "de-capacity-renewable-total"

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources():
    catalogue = source_catalogue()
    return {
        slug: ensure_source(slug, catalogue[slug]) for slug in ("de-population", "de-renewables")
    }


@pytest.fixture
def places() -> dict[str, int]:
    """The places of the excerpts by AGS, as the places loader would have made them."""
    country = Country.objects.create(code="DE", name="Germany", continent="EU")
    made = {}
    for ags, name, kind, tier in (
        ("01001000", "Flensburg", PlaceKind.CITY, PlaceTier.LOCAL),
        ("09000000", "Bayern", PlaceKind.REGION, PlaceTier.STATE),
        ("09780000", "Oberallgäu", PlaceKind.DISTRICT, PlaceTier.COUNTY),
        ("09780147", "Wildpoldsried", PlaceKind.VILLAGE, PlaceTier.LOCAL),
    ):
        place = Place(name=name, slug=ags, kind=kind, tier=tier, country=country)
        place.save()
        PlaceIdentifier.objects.create(place=place, scheme=IdentifierScheme.DE_AGS, value=ags)
        made[ags] = place.pk
    return made


def _years(ags_place_id: int, code: str) -> dict[int, float]:
    return dict(
        Measurement.objects.filter(place_id=ags_place_id, indicator__code=code).values_list(
            "year", "value_canonical"
        )
    )


def test_population_is_the_common_indicator_and_germany_is_refused(sources, places):
    report = load_population(POPULATION, sources["de-population"], places)

    assert report.read == 10
    assert report.created == 8
    assert [reason for _row, reason in report.refused] == [
        "Germany as a whole (DG000000) is not a place of the portal"
    ] * 2
    assert _years(places["09780147"], "population") == {2018: 2602, 2021: 2580}
    measurement = Measurement.objects.filter(indicator__code="population").first()
    assert measurement.unit == "person"
    assert (measurement.method, measurement.verification) == (
        Method.REPORTED,
        Verification.THIRD_PARTY_VERIFIED,
    )
    assert measurement.indicator.source is None


def test_renewables_have_four_technologies_and_their_sum(sources, places):
    report = load_renewables(RENEWABLES, sources["de-renewables"], places)

    assert report.read == 11
    assert len(report.refused) == 3  # Germany, three cutoff years
    assert report.created == 8 * 5
    wildpoldsried = places["09780147"]
    assert _years(wildpoldsried, "de-capacity-pv") == {
        2021: 5827.967,
        2023: 7467.662,
        2024: 7467.662,
    }
    assert _years(wildpoldsried, "de-capacity-wind-onshore")[2021] == 19100.0
    # The total is a loaded value: the sum of the four columns of the same row.
    assert _years(wildpoldsried, TOTAL) == {
        2021: 5827.967 + 19100.0 + 2991.0 + 52.0,
        2023: 7467.662 + 19100.0 + 2991.0 + 52.0,
        2024: 7467.662 + 19100.0 + 2991.0 + 52.0,
    }
    for year, total in _years(places["09780000"], TOTAL).items():
        parts = sum(_years(places["09780000"], code)[year] for code in TECHNOLOGIES)
        assert total == pytest.approx(parts)

    total = Indicator.objects.get(code=TOTAL)
    assert total.name == "Renewable capacity, total"
    assert (total.unit, total.direction, total.quantity_kind, total.theme.slug) == (
        "kW",
        Direction.HIGHER_IS_BETTER,
        QuantityKind.CAPACITY,
        "renewable-generation",
    )
    assert set(Measurement.objects.values_list("method", "verification").distinct()) == {
        (Method.REPORTED, Verification.THIRD_PARTY_VERIFIED)
    }


def test_a_year_repeating_the_year_before_in_every_part_is_flagged(sources, places):
    # The real file's 2024 repeats 2023 for 96 % of the municipalities; a change of ±0 is
    # then more likely a source not updated than installations standing still.
    load_renewables(RENEWABLES, sources["de-renewables"], places)

    def flags(ags: str) -> dict[int, list[str]]:
        rows = Measurement.objects.filter(place_id=places[ags], indicator__code=TOTAL)
        return dict(rows.values_list("year", "quality_flags"))

    repeated = [QualityFlag.REPEATS_EARLIER_YEAR]
    assert flags("09780147") == {2021: [], 2023: [], 2024: repeated}
    assert flags("01001000") == {2021: [], 2023: [], 2024: repeated}
    flagged = [
        year
        for year, flags in Measurement.objects.values_list("year", "quality_flags")
        if QualityFlag.REPEATS_EARLIER_YEAR in flags
    ]
    assert flagged == [2024] * 2 * 5  # both places, every technology and the total


def test_wildpoldsried_has_population_and_capacity_for_2021(sources, places, tmp_path):
    for excerpt, name in ((POPULATION, POPULATION_FILE), (RENEWABLES, RENEWABLES_FILE)):
        with open(excerpt, "rb") as plain, gzip.open(tmp_path / name, "wb") as packed:
            shutil.copyfileobj(plain, packed)

    reports = load_german_measurements(tmp_path, sources)

    assert [report.name for report in reports] == [
        f"{POPULATION_FILE} (measurements)",
        f"{RENEWABLES_FILE} (measurements)",
    ]
    populations = _years(places["09780147"], "population")
    capacities = _years(places["09780147"], TOTAL)

    assert set(populations) & set(capacities) == {2021}
    assert capacities[2021] / populations[2021] * 1000 == pytest.approx(10_841.5, abs=0.1)


def test_a_second_run_writes_nothing(sources, places):
    first = [
        load_population(POPULATION, sources["de-population"], places),
        load_renewables(RENEWABLES, sources["de-renewables"], places),
    ]
    again = [
        load_population(POPULATION, sources["de-population"], places),
        load_renewables(RENEWABLES, sources["de-renewables"], places),
    ]

    assert all(report.wrote_nothing for report in again)
    assert [report.unchanged for report in again] == [report.created for report in first]


def test_bad_rows_are_refused_with_reasons(sources, places):
    population = load_population(
        DATA / "de_measurements_population_bad_rows.csv", sources["de-population"], places
    )
    renewables = load_renewables(
        DATA / "de_measurements_renewables_bad_rows.csv", sources["de-renewables"], places
    )

    assert population.refused == [
        ("row 2", "population 'zweitausend' is not a number"),
        ("row 3", "bad year '21': year 21 is outside 1900–2100"),
        ("row 4", "no place has the AGS '09999999'"),
    ]
    assert renewables.refused == [
        ("row 2, pv_kw", "'viel' is not a number"),
        ("row 3", "bad year '1821': year 1821 is outside 1900–2100"),
        ("row 4", "no place has the AGS '09999999'"),
    ]
    # The other technologies of a row with a bad cell load; its total does not.
    assert renewables.created == 3
    assert renewables.flagged == [
        ("row 2", "a technology has no value: no total capacity for this row")
    ]
    assert not Measurement.objects.filter(indicator__code=TOTAL).exists()
