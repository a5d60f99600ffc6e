"""Step 4 of the initial load, places: the AGS keys of the Destatis population file and
the market master register file (data/LOADING.md).

``data/de_places_population.csv`` holds 41 real rows of ``de_municipal_population.csv``
(Germany, four states, Berlin and Hamburg, the district-free cities Flensburg, Freiburg,
München and Münster, the districts Dithmarschen, Pinneberg, Oberallgäu and Wartburgkreis
with some of their municipalities, and the former district-free city Eisenach);
``data/de_places_renewables_kw.csv`` four real 2024 rows of
``de_municipal_renewables_kw.csv``, among them Eisenach's new key 16063105, which the
population excerpt lacks. GeoNames places come from a fake cities dict.
"""

import gzip
import shutil
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cset.reference.choices import IdentifierScheme, NameKind, PlaceKind, PlaceTier
from cset.reference.gazetteer import Gazetteer
from cset.reference.loaders.geonames import load_geonames
from cset.reference.loaders.germany import (
    POPULATION_FILE,
    RENEWABLES_FILE,
    load_german_places,
)
from cset.reference.loading import DATA_DIR
from cset.reference.models import Place, PlaceName
from tests.loaders.test_geonames import cities_dict, fake_city, writes_in

DATA = Path(__file__).parent / "data"

GEONAMES = cities_dict(
    fake_city(2926271, "Flensburg", "DE", 85_838, 54.78, 9.43, admin1="10"),
    fake_city(2950159, "Berlin", "DE", 3_426_354, 52.52, 13.41, admin1="16"),
    fake_city(2911298, "Hamburg", "DE", 1_739_117, 53.55, 10.0, admin1="04"),
    fake_city(
        2925177,
        "Freiburg",
        "DE",
        215_966,
        47.99,
        7.85,
        admin1="01",
        alternatenames=("Freiburg im Breisgau",),
    ),
    fake_city(
        2867714, "Munich", "DE", 1_260_391, 48.14, 11.58, admin1="02", alternatenames=("München",)
    ),
    fake_city(2867543, "Münster", "DE", 270_184, 51.96, 7.63, admin1="07"),
    fake_city(2862026, "Quickborn", "DE", 20_410, 53.73, 9.90, admin1="10"),
    fake_city(2930596, "Eisenach", "DE", 42_750, 50.98, 10.32, admin1="15"),
)
# GeoNames' places of 1,000 people or more: positions only, never places.
LOOKUP = cities_dict(
    fake_city(2808559, "Wildpoldsried", "DE", 2_500, 47.77, 10.40, admin1="02"),
    fake_city(910001, "Albersdorf", "DE", 3_600, 54.15, 9.28, admin1="10"),
    fake_city(910002, "Albersdorf", "DE", 1_100, 54.50, 9.90, admin1="10"),
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    for excerpt, name in (
        ("de_places_population.csv", POPULATION_FILE),
        ("de_places_renewables_kw.csv", RENEWABLES_FILE),
    ):
        with gzip.open(tmp_path / name, "wb") as handle:
            handle.write((DATA / excerpt).read_bytes())
    shutil.copy(DATA_DIR / "de_states.csv", tmp_path / "de_states.csv")
    load_geonames(tmp_path, {}, cities=GEONAMES)
    return tmp_path


def run(data_dir: Path):
    return load_german_places(data_dir, {}, lookup_cities=LOOKUP)


def ags(key: str) -> Place:
    return Place.objects.get(identifiers__scheme=IdentifierScheme.DE_AGS, identifiers__value=key)


def geonames_place(geonameid: int) -> Place:
    return Place.objects.get(
        identifiers__scheme=IdentifierScheme.GEONAMES, identifiers__value=str(geonameid)
    )


def test_germany_as_a_whole_is_refused_with_a_reason(db, data_dir):
    population, renewables = run(data_dir)

    reason = "Germany as a whole: the country, not a place"
    assert [r for _, r in population.refused] == [reason, reason]
    assert [r for _, r in renewables.refused] == [reason]
    assert not Place.objects.filter(identifiers__value="DG000000").exists()


def test_every_key_of_both_files_becomes_one_place(db, data_dir):
    population, renewables = run(data_dir)

    assert population.read == 41 and renewables.read == 4
    assert Place.objects.filter(identifiers__scheme=IdentifierScheme.DE_AGS).count() == 21
    assert ags("16063105").population is None  # only in the renewables file


def test_states_are_regions_but_berlin_and_hamburg_are_local_cities(db, data_dir):
    run(data_dir)

    bavaria = ags("09000000")
    assert (bavaria.tier, bavaria.kind, bavaria.name) == (
        PlaceTier.STATE,
        PlaceKind.REGION,
        "Bayern",
    )
    assert (ags("11000000").tier, ags("11000000").kind) == (PlaceTier.LOCAL, PlaceKind.CITY)
    assert ags("11000000") == geonames_place(2950159)
    assert (ags("02000000").tier, ags("02000000").kind) == (PlaceTier.LOCAL, PlaceKind.CITY)
    assert ags("02000000") == geonames_place(2911298)


def test_a_key_ending_in_000_is_a_district_unless_no_municipality_shares_its_prefix(db, data_dir):
    run(data_dir)

    dithmarschen = ags("01051000")
    assert (dithmarschen.tier, dithmarschen.kind) == (PlaceTier.COUNTY, PlaceKind.DISTRICT)
    assert dithmarschen.name == "Kreis Dithmarschen"
    assert ags("09780000").name == "Landkreis Oberallgäu"
    assert dithmarschen.parent == ags("01000000")
    for key in ("01001000", "08311000"):
        city = ags(key)
        assert (city.tier, city.kind) == (PlaceTier.LOCAL, PlaceKind.CITY)
        assert city.parent == ags(key[:2] + "000000")


def test_a_municipality_s_kind_comes_from_its_population_its_parent_is_its_district(db, data_dir):
    run(data_dir)

    wildpoldsried = ags("09780147")
    assert (wildpoldsried.tier, wildpoldsried.kind) == (PlaceTier.LOCAL, PlaceKind.VILLAGE)
    assert wildpoldsried.parent == ags("09780000")
    assert (wildpoldsried.population, wildpoldsried.population_year) == (2_580, 2021)
    assert ags("01056041").kind == PlaceKind.TOWN
    assert ags("09780000").parent == ags("09000000")


def test_names_lose_their_suffix_but_keep_the_official_name(db, data_dir):
    run(data_dir)

    quickborn = ags("01056041")
    assert quickborn.name == "Quickborn"
    names = dict(quickborn.names.values_list("name", "kind"))
    assert names["Quickborn, Stadt"] == NameKind.OFFICIAL
    assert dict(ags("02000000").names.values_list("name", "kind"))[
        "Hamburg, Freie und Hansestadt"
    ] == (NameKind.OFFICIAL)


def test_a_district_free_city_is_its_geonames_place_found_by_state_and_any_name(db, data_dir):
    run(data_dir)

    freiburg = ags("08311000")
    assert freiburg == geonames_place(2925177)
    assert freiburg.name == "Freiburg"  # GeoNames' name stays
    assert (freiburg.population, freiburg.population_year) == (231_848, 2021)
    assert freiburg.parent == ags("08000000")
    assert freiburg.names.filter(name="Freiburg im Breisgau, Stadt").exists()
    assert ags("09162000") == geonames_place(2867714)  # München, GeoNames' Munich
    assert ags("05515000") == geonames_place(2867543)
    assert ags("01001000") == geonames_place(2926271)


def test_a_namesake_of_another_order_of_size_is_not_the_geonames_place(db, data_dir):
    population, _ = run(data_dir)

    assert ags("01056041") == geonames_place(2862026)  # Quickborn, 22,015 people
    small = ags("01051089")  # Quickborn in Dithmarschen, 174 people
    assert small != geonames_place(2862026)
    assert small.slug == "quickborn-de"
    assert any(key == "01051089" and "174" in reason for key, reason in population.flagged)


def test_of_two_keys_of_one_name_the_latest_one_is_the_geonames_place(db, data_dir):
    run(data_dir)

    assert ags("16063105") == geonames_place(2930596)  # Eisenach since 2021
    former = ags("16056000")
    assert former != geonames_place(2930596)
    assert former.slug == "eisenach-de"


def test_new_places_take_a_unique_position_from_geonames_1000_list(db, data_dir):
    run(data_dir)

    wildpoldsried = ags("09780147")
    assert (wildpoldsried.latitude, wildpoldsried.longitude) == (47.77, 10.40)
    albersdorf = ags("01051001")  # two places of that name in the state
    assert (albersdorf.latitude, albersdorf.longitude) == (None, None)
    assert not Place.objects.filter(identifiers__value="2808559").exists()
    assert ags("01051000").latitude is None


def test_every_place_has_its_state_s_subdivision_code(db, data_dir):
    run(data_dir)

    codes = dict(
        Place.objects.filter(identifiers__scheme=IdentifierScheme.DE_AGS).values_list(
            "identifiers__value", "subdivision_code"
        )
    )
    assert codes["09780147"] == codes["09162000"] == "DE-BY"
    assert codes["11000000"] == "DE-BE"
    assert codes["01001000"] == "DE-SH"
    assert all(code.startswith("DE-") for code in codes.values())


def test_new_places_get_slugs_largest_population_first(db, data_dir):
    run(data_dir)

    assert ags("09000000").slug == "bayern"
    assert ags("01000000").slug == "schleswig-holstein"
    assert ags("09780147").slug == "wildpoldsried"


def test_a_second_run_finds_every_key_by_its_identifier_and_writes_nothing(db, data_dir):
    run(data_dir)
    stamps = dict(Place.objects.values_list("pk", "updated_at"))
    names = PlaceName.objects.count()

    with CaptureQueriesContext(connection) as queries:
        population, renewables = run(data_dir)

    assert writes_in(queries) == []
    assert (population.created, population.updated, population.unchanged) == (0, 0, 20)
    assert (renewables.created, renewables.updated, renewables.unchanged) == (0, 0, 1)
    assert dict(Place.objects.values_list("pk", "updated_at")) == stamps
    assert PlaceName.objects.count() == names


def test_a_second_geonames_run_keeps_the_destatis_figures(db, data_dir):
    run(data_dir)

    report = load_geonames(data_dir, {}, cities=GEONAMES)[1]

    assert (report.updated, report.unchanged) == (0, len(GEONAMES))
    assert ags("08311000").population == 231_848


def test_a_municipality_is_found_again_by_its_key_and_by_its_names(db, data_dir):
    run(data_dir)

    gazetteer = Gazetteer.from_database(countries=["DE"])
    wildpoldsried = ags("09780147")
    assert gazetteer.find_identifier(IdentifierScheme.DE_AGS, "09780147").id == wildpoldsried.pk
    assert [c.id for c in gazetteer.find_name("DE", "WILDPOLDSRIED")] == [wildpoldsried.pk]
    freiburg = gazetteer.find_name("DE", "freiburg im breisgau, stadt", subdivision_code="DE-BW")
    assert [c.id for c in freiburg] == [ags("08311000").pk]
