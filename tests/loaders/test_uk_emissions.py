"""The UK local-authority emissions loader, on excerpts of the real file."""

import gzip
import shutil
from pathlib import Path

import pytest

from benchmarks.choices import Direction, Method, QuantityKind, Verification
from benchmarks.loaders.uk_emissions import FILE_NAME, load_emissions_file, load_uk_emissions
from benchmarks.models import Indicator, Measurement
from cset.reference.choices import IdentifierScheme, PlaceKind, PlaceTier
from cset.reference.loading import ensure_source, read_csv, source_catalogue
from cset.reference.models import Country, Place, PlaceIdentifier

DATA = Path(__file__).parent / "data"
EXCERPT = DATA / "uk_emissions_excerpt.csv"
BAD_ROWS = DATA / "uk_emissions_bad_rows.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return ensure_source("uk-emissions", source_catalogue()["uk-emissions"])


@pytest.fixture
def places():
    """The three authorities of the excerpt, found by their local-authority code."""
    country = Country.objects.create(code="GB", name="United Kingdom", continent="EU")
    made = {}
    for code, name, tier in (
        ("MAN", "Manchester", PlaceTier.LOCAL),
        ("ABD", "Aberdeenshire", PlaceTier.LOCAL),
        ("GMCA", "Greater Manchester", PlaceTier.COMBINED),
    ):
        place = Place(
            name=name, slug=name.lower().replace(" ", "-"), kind=PlaceKind.DISTRICT, tier=tier
        )
        place.country = country
        place.save()
        PlaceIdentifier.objects.create(place=place, scheme=IdentifierScheme.GB_LA, value=code)
        made[code] = place
    return made


def _values(place, code):
    return dict(
        Measurement.objects.filter(place=place, indicator__code=code).values_list(
            "year", "value_canonical"
        )
    )


def test_every_value_column_is_an_indicator_of_its_own(source, places):
    report = load_emissions_file(EXCERPT, source)

    headers = list(next(read_csv(EXCERPT))[1])
    assert len(headers) == 35
    assert Indicator.objects.count() == 32
    assert report.read == 20
    assert report.created == 20 * 32
    assert Measurement.objects.count() == 20 * 32
    assert not report.refused
    assert not report.flagged
    codes = set(Indicator.objects.values_list("code", flat=True))
    assert {
        "gb-co2-industry-electricity",
        "gb-co2-road-transport-a-roads",
        "gb-co2-agriculture-other",
        "gb-co2-total",
        "gb-co2-per-person",
        "gb-co2-per-km2",
        "area",
        "population",
    } <= codes
    assert Indicator.objects.get(code="gb-co2-agriculture-other").name == (
        "CO2 emissions, Agriculture 'Other'"
    )


def test_units_are_explicit_and_kilotonnes_stay_kilotonnes(source, places):
    load_emissions_file(EXCERPT, source)
    manchester = places["MAN"]

    total = Measurement.objects.get(place=manchester, indicator__code="gb-co2-total", year=2005)
    assert total.unit == total.indicator.unit == "kt CO2"
    assert total.value == total.value_canonical
    assert total.value == pytest.approx(3173.96, abs=0.01)

    per_person = Measurement.objects.get(
        place=manchester, indicator__code="gb-co2-per-person", year=2005
    )
    assert per_person.unit == per_person.indicator.unit == "t CO2/person"
    per_km2 = Measurement.objects.get(place=manchester, indicator__code="gb-co2-per-km2", year=2005)
    assert per_km2.unit == per_km2.indicator.unit == "kt CO2/km²"

    area = Measurement.objects.get(place=manchester, indicator__code="area", year=2005)
    assert area.unit == area.indicator.unit == "km²"
    assert area.indicator.quantity_kind == QuantityKind.AREA
    assert area.indicator.source is None


def test_population_is_the_common_indicator_in_persons(source, places):
    load_emissions_file(EXCERPT, source)

    population = Measurement.objects.get(
        place=places["MAN"], indicator__code="population", year=2005
    )
    assert population.unit == "thousand persons"
    assert population.indicator.unit == "person"
    assert population.indicator.source is None
    assert population.value_canonical == pytest.approx(population.value * 1000)


def test_manchester_population_stays_between_100000_and_a_million(source, places):
    load_emissions_file(EXCERPT, source)

    populations = _values(places["MAN"], "population")
    assert sorted(populations) == list(range(2005, 2021))
    assert all(100_000 <= value <= 1_000_000 for value in populations.values())


def test_method_verification_direction_and_themes(source, places):
    load_emissions_file(EXCERPT, source)

    assert set(Measurement.objects.values_list("method", "verification").distinct()) == {
        (Method.MODELLED, Verification.THIRD_PARTY_VERIFIED)
    }
    total = Indicator.objects.get(code="gb-co2-total")
    assert total.direction == Direction.LOWER_IS_BETTER
    assert total.quantity_kind == QuantityKind.EMISSIONS
    assert total.source == source
    assert Indicator.objects.get(code="population").direction == Direction.CONTEXT
    assert Indicator.objects.get(code="gb-co2-transport-total").theme.slug == "transport"
    assert Indicator.objects.get(code="gb-co2-domestic-gas").theme.slug == "building-efficiency"
    assert Indicator.objects.get(code="gb-co2-industry-total").theme is None


def test_a_second_run_writes_nothing(source, places):
    load_emissions_file(EXCERPT, source)
    before = list(Measurement.objects.order_by("pk").values_list("pk", "updated_at"))

    again = load_emissions_file(EXCERPT, source)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 20 * 32)
    assert again.wrote_nothing
    assert list(Measurement.objects.order_by("pk").values_list("pk", "updated_at")) == before


def test_a_changed_value_is_updated(source, places, tmp_path):
    load_emissions_file(EXCERPT, source)
    changed = tmp_path / "changed.csv"
    changed.write_text(EXCERPT.read_text().replace("3173.9631990084463", "3200.0", 1))

    report = load_emissions_file(changed, source)

    assert (report.created, report.updated) == (0, 1)
    total = Measurement.objects.get(place=places["MAN"], indicator__code="gb-co2-total", year=2005)
    assert total.value == total.value_canonical == 3200.0


def test_bad_rows_are_refused_with_reasons(source, places):
    report = load_emissions_file(BAD_ROWS, source)

    reasons = dict(report.refused)
    assert reasons["row 2, Domestic Gas:kt CO2"] == "'n/a' is not a number"
    assert "outside 1900–2100" in reasons["row 3"]
    assert reasons["row 4"] == "no place has the UK local-authority code 'XXX'"
    assert len(report.refused) == 3
    # The rest of the row with the bad cell is loaded.
    assert report.created == 31
    assert Measurement.objects.filter(place=places["ABD"], year=2006).count() == 31


def test_step_function_reads_the_file_of_the_data_folder(source, places, tmp_path):
    with open(EXCERPT, "rb") as plain, gzip.open(tmp_path / FILE_NAME, "wb") as packed:
        shutil.copyfileobj(plain, packed)

    (report,) = load_uk_emissions(tmp_path, {"uk-emissions": source})

    assert report.name == FILE_NAME
    assert report.created == 20 * 32


def test_the_uk_statistics_are_national_and_population_is_not(source, places):
    load_emissions_file(EXCERPT, source)

    national = Indicator.objects.filter(code__startswith="gb-")
    assert national.exists()
    assert set(national.values_list("country", flat=True)) == {"GB"}
    assert Indicator.objects.get(code="population").country is None
    assert Indicator.objects.get(code="area").country is None


def test_an_indicator_made_before_it_knew_its_country_learns_it(source, places):
    load_emissions_file(EXCERPT, source)
    Indicator.objects.update(country=None)
    Country.objects.create(code="IE", name="Ireland", continent="EU")
    Indicator.objects.filter(code="gb-co2-per-person").update(country="IE")

    load_emissions_file(EXCERPT, source)

    assert Indicator.objects.get(code="gb-co2-total").country_id == "GB"
    # A country chosen by a curator stays.
    assert Indicator.objects.get(code="gb-co2-per-person").country_id == "IE"
