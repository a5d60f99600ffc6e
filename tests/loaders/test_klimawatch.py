"""The Klimawatch city balances: mapping tables, duplicates, targets and the consistency rule."""

from pathlib import Path

import pytest

from benchmarks.choices import Method, QualityFlag, Verification
from benchmarks.loaders.klimawatch import (
    CATEGORIES_FILE,
    CITIES_FILE,
    DATA_FILE,
    SECTORS,
    Entry,
    load_klimawatch,
    load_klimawatch_file,
    thousands_reading,
)
from benchmarks.models import Indicator, Measurement, Target
from cset.reference.choices import IdentifierScheme, PlaceKind, PlaceTier
from cset.reference.loading import DATA_DIR, ensure_source, read_csv, source_catalogue
from cset.reference.models import Country, Place, PlaceIdentifier

DATA = Path(__file__).parent / "data"
EXCERPT = DATA / "klimawatch_excerpt.csv"
BAD_ROWS = DATA / "klimawatch_bad_rows.csv"
TABLES = {"categories_path": DATA_DIR / CATEGORIES_FILE, "cities_path": DATA_DIR / CITIES_FILE}

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return ensure_source("klimawatch", source_catalogue()["klimawatch"])


@pytest.fixture
def places() -> dict[str, int]:
    """Every city of the committed table, by AGS, as the German places loader makes them."""
    country = Country.objects.create(code="DE", name="Germany", continent="EU")
    made = {}
    for _number, row in read_csv(DATA_DIR / CITIES_FILE):
        if not row["ags"] or row["ags"] in made:
            continue
        place = Place(
            name=row["name"],
            slug=row["ags"],
            kind=PlaceKind.CITY,
            tier=PlaceTier.LOCAL,
            country=country,
        )
        place.save()
        PlaceIdentifier.objects.create(
            place=place, scheme=IdentifierScheme.DE_AGS, value=row["ags"]
        )
        made[row["ags"]] = place.pk
    return made


def _get(places, ags, code, year) -> Measurement:
    return Measurement.objects.get(place_id=places[ags], indicator__code=code, year=year)


def _flagged(flag) -> set[tuple[str, int]]:
    """(AGS, year) of every measurement carrying ``flag``; JSON lookups differ by database."""
    return {
        (measurement.place.identifiers.get().value, measurement.year)
        for measurement in Measurement.objects.select_related("place")
        if flag in measurement.quality_flags
    }


def test_the_tables_cover_every_category_and_city_file_of_the_real_file():
    categories = {
        row["category"]: row["indicator"] for _n, row in read_csv(DATA_DIR / CATEGORIES_FILE)
    }
    cities = {row["source_file"]: row["ags"] for _n, row in read_csv(DATA_DIR / CITIES_FILE)}
    rows = [row for _n, row in read_csv(DATA_DIR / DATA_FILE)]

    assert len(categories) == 28
    assert {row["category"] for row in rows} == set(categories)
    assert set(categories.values()) <= {*SECTORS, "population"}
    assert categories["Gesamt"] == "de-co2-total"
    assert categories["Verkehr"] == "de-co2-transport"
    assert categories["Private Haushalte"] == categories["Haushalte"] == "de-co2-households"
    assert categories["Einwohner"] == "population"
    assert {row["source_file"] for row in rows} == set(cities)
    assert cities["landau"] == "07313000"
    assert cities["paderborn"] == "05774032"
    assert cities["ffm"] == "06412000"
    assert cities["berlin_quellenbilanz"] == cities["berlin_verursacherbilanz"] == "11000000"
    assert cities["EU"] == ""
    assert len({ags for ags in cities.values() if ags}) == 17


def test_excerpt_loads_measurements_and_targets(source, places):
    report, targets = load_klimawatch_file(EXCERPT, source, **TABLES)

    assert report.read == 55
    assert report.refused == [("row 2 (EU 1990 Gesamt)", "not a city")]
    # 55 rows: 1 refused, 3 targets, 2 identical duplicates collapsed.
    assert report.created == Measurement.objects.count() == 49
    assert (targets.read, targets.created) == (3, 3)
    assert set(Measurement.objects.values_list("method", "verification").distinct()) == {
        (Method.REPORTED, Verification.SELF_REPORTED)
    }
    assert set(Measurement.objects.values_list("unit", flat=True)) == {"kt CO2", "person"}


def test_identical_duplicates_collapse_into_one(source, places):
    report, _targets = load_klimawatch_file(EXCERPT, source, **TABLES)

    total = _get(places, "09162000", "de-co2-total", 2014)
    assert total.value == 11045
    assert total.note == "last_emissions"
    berlin = Measurement.objects.filter(place_id=places["11000000"], indicator__code="population")
    assert list(berlin.values_list("year", "value")) == [(2018, 3644826)]
    collapsed = [row for row, reason in report.flagged if reason.startswith("identical to row")]
    assert len(collapsed) == 2


def test_berlins_two_balances_do_not_share_indicators(source, places):
    load_klimawatch_file(EXCERPT, source, **TABLES)

    consumer = _get(places, "11000000", "de-co2-total", 2017)
    source_based = _get(places, "11000000", "de-co2-total-source-based", 2017)
    assert (consumer.value, source_based.value) == (19778, 17506)
    assert _get(places, "11000000", "de-co2-energy-source-based", 2017).value == 7306
    assert not Indicator.objects.filter(code="de-co2-energy").exists()
    assert "source-based" in source_based.indicator.name
    assert source_based.indicator.source == source


def test_planned_rows_are_targets_not_measurements(source, places):
    load_klimawatch_file(EXCERPT, source, **TABLES)

    targets = set(Target.objects.values_list("place_id", "indicator__code", "year", "value"))
    assert targets == {
        (places["11000000"], "de-co2-total", 2030, 11166),
        (places["11000000"], "de-co2-total-source-based", 2030, 10683),
        (places["06412000"], "de-co2-total", 2035, 0),
    }
    assert not Measurement.objects.filter(year__in=(2030, 2035)).exists()
    assert not Measurement.objects.filter(place_id=places["06412000"]).exists()


def test_a_thousands_separator_is_read_where_the_total_requires_it(source, places):
    report, _targets = load_klimawatch_file(EXCERPT, source, **TABLES)

    households = _get(places, "05111000", "de-co2-households", 1987)
    assert households.value == households.value_canonical == 1953
    assert households.quality_flags == [QualityFlag.THOUSANDS_SEPARATOR_READ]
    assert "1.953" in households.note
    assert ("row 18 (duesseldorf 1987 Private Haushalte)", "1.953 read as 1953 kt") in (
        report.flagged
    )
    assert _get(places, "05111000", "de-co2-total", 1987).quality_flags == []
    # Where the year adds up as written, a dot is a decimal mark.
    assert _get(places, "14713000", "de-co2-municipal", 2011).value == 59.065
    assert _get(places, "05170024", "de-co2-households", 2011).value == 113.423


def test_sectors_that_disagree_with_the_total_are_flagged(source, places):
    report, _targets = load_klimawatch_file(EXCERPT, source, **TABLES)

    assert _flagged(QualityFlag.INCONSISTENT_TOTAL) == {("05170024", 2011), ("05774032", 2009)}
    moers_2011 = Measurement.objects.filter(place_id=places["05170024"], year=2011)
    assert moers_2011.count() == 7
    assert all(QualityFlag.INCONSISTENT_TOTAL in m.quality_flags for m in moers_2011)
    # Moers 2010 has no total to check against.
    assert not any(
        m.quality_flags for m in Measurement.objects.filter(place_id=places["05170024"], year=2010)
    )
    years = {row for row, _reason in report.flagged if not row.startswith("row")}
    assert years == {"moers 2011", "paderborn 2009"}


def test_a_total_is_never_read_with_a_thousands_separator():
    """Moers 2011 would add up if every three-decimal value, the total too, were thousands."""

    def entry(raw):
        return Entry(0, "moers", 1, 2011, "real", "", "de-co2-x", "de-co2-x", raw, float(raw), "")

    sectors = [entry(raw) for raw in ("113.423", "50.356", "20.110", "2.712", "208.216")]
    sectors.append(entry("48.647140192728"))

    assert thousands_reading(sectors, 394.865) is None
    # Two readings that would both reconcile: nothing is guessed.
    assert thousands_reading([entry("1.500"), entry("1.500")], 1501.5) is None
    only = [entry("1.953"), entry("171")]
    assert thousands_reading(only, 2124) == [only[0]]


def test_a_second_run_writes_nothing(source, places):
    first = load_klimawatch_file(EXCERPT, source, **TABLES)
    before = list(Measurement.objects.order_by("pk").values_list("pk", "updated_at"))

    again = load_klimawatch_file(EXCERPT, source, **TABLES)

    assert all(report.wrote_nothing for report in again)
    assert [report.unchanged for report in again] == [report.created for report in first]
    assert list(Measurement.objects.order_by("pk").values_list("pk", "updated_at")) == before


def test_bad_rows_are_refused_with_reasons(source, places):
    report, _targets = load_klimawatch_file(BAD_ROWS, source, **TABLES)

    assert report.refused == [
        ("row 2 (bonn 2018 Gesamt)", "'k.A.' is not a number"),
        ("row 3 (bonn 18 Verkehr)", "bad year '18': year 18 is outside 1900–2100"),
        ("row 4 (atlantis 2018 Gesamt)", f"'atlantis' is not in {CITIES_FILE}"),
        ("row 5 (bonn 2018 Fernwärme)", f"category 'Fernwärme' is not in {CATEGORIES_FILE}"),
        ("row 7 (bonn 2018 Verkehr)", "700 contradicts 612 of row 6; first kept"),
    ]
    assert list(Measurement.objects.values_list("indicator__code", "value")) == [
        ("de-co2-transport", 612)
    ]


def test_an_unknown_place_is_refused(source):
    report, _targets = load_klimawatch_file(EXCERPT, source, **TABLES)

    assert report.created == 0
    assert ("row 3 (berlin_quellenbilanz 2017 Energie)", "no place has the AGS '11000000'") in (
        report.refused
    )


def test_the_real_file_flags_exactly_moers_2011_to_2015_and_paderborn_2009(source, places):
    report, targets = load_klimawatch(DATA_DIR, {"klimawatch": source})

    assert report.read == 817
    assert _flagged(QualityFlag.INCONSISTENT_TOTAL) == {
        *(("05170024", year) for year in range(2011, 2016)),
        ("05774032", 2009),
    }
    assert _flagged(QualityFlag.THOUSANDS_SEPARATOR_READ) == {("05111000", 1987)}
    assert [reason for _row, reason in report.refused] == ["not a city"] * 4
    assert (targets.read, targets.created) == (83, 83)
    # 817 rows: 4 of the EU, 83 targets, 2 identical duplicates.
    assert report.created == 817 - 4 - 83 - 2
    # 25 population rows: 1 of the EU, Berlin's 2018 in both balances.
    assert Measurement.objects.filter(indicator__code="population").count() == 23
