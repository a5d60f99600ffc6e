"""Step 3 of the initial load: the register of UK local authorities (data/LOADING.md).

``data/uk_register_authorities.csv`` holds nine real rows of
``uk_local_authorities.csv``: Manchester and its combined authority, Maidstone and its
county Kent, Preston and its county Lancashire, Bristol, Anglesey (with the
double-encoded Welsh name) and Allerdale (no longer a current authority). GeoNames
places come from a fake cities dict.
"""

import shutil
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cset.reference.choices import IdentifierScheme, NameKind, PlaceKind, PlaceTier
from cset.reference.gazetteer import Gazetteer
from cset.reference.loaders.geonames import load_geonames
from cset.reference.loaders.uk_register import FILE_NAME, load_uk_register, repair_double_encoding
from cset.reference.loading import DATA_DIR
from cset.reference.models import Place, PlaceName
from tests.loaders.test_geonames import cities_dict, fake_city, writes_in

EXCERPT = Path(__file__).parent / "data" / "uk_register_authorities.csv"


def gb_city(
    geonameid: int,
    name: str,
    population: int,
    latitude: float,
    longitude: float,
    alternatenames: tuple[str, ...] = (),
):
    return fake_city(
        geonameid,
        name,
        "GB",
        population,
        latitude,
        longitude,
        admin1="ENG",
        timezone="Europe/London",
        alternatenames=alternatenames,
    )


GEONAMES = cities_dict(
    gb_city(2643123, "Manchester", 395_515, 53.48095, -2.23743),
    gb_city(2643179, "Maidstone", 113_137, 51.26667, 0.51667),
    # Preston in Brighton: the right name, 300 km from the Lancashire authority.
    gb_city(900001, "Preston", 20_000, 50.8427, -0.1443),
    gb_city(2654675, "Bristol", 617_280, 51.45523, -2.59665),
    # A GeoNames place named like a county, close to its position: a county never merges.
    gb_city(900002, "Kent", 16_000, 51.52, 0.10),
    # A neighbour of Preston whose alternative names include the authority's name.
    gb_city(900003, "Fulwood", 28_000, 53.7833, -2.7167, alternatenames=("Preston",)),
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    shutil.copy(EXCERPT, tmp_path / FILE_NAME)
    shutil.copy(DATA_DIR / "de_states.csv", tmp_path / "de_states.csv")
    load_geonames(tmp_path, {}, cities=GEONAMES)
    return tmp_path


def authority(code: str) -> Place:
    return Place.objects.get(identifiers__scheme=IdentifierScheme.GB_LA, identifiers__value=code)


def geonames_place(geonameid: int) -> Place:
    return Place.objects.get(
        identifiers__scheme=IdentifierScheme.GEONAMES, identifiers__value=str(geonameid)
    )


def test_current_authorities_become_places_the_past_ones_are_refused(db, data_dir):
    (report,) = load_uk_register(data_dir, {})

    assert report.read == 9
    assert report.created + report.updated == 8
    assert report.refused == [("row 3 (ALL)", "not a current authority")]
    assert not Place.objects.filter(names__name="Allerdale").exists()


def test_tiers_and_kinds_follow_the_authority_type(db, data_dir):
    load_uk_register(data_dir, {})

    assert (authority("KEN").tier, authority("KEN").kind) == (PlaceTier.COUNTY, PlaceKind.REGION)
    assert (authority("LAN").tier, authority("LAN").kind) == (PlaceTier.COUNTY, PlaceKind.REGION)
    assert (authority("GMCA").tier, authority("GMCA").kind) == (
        PlaceTier.COMBINED,
        PlaceKind.REGION,
    )
    assert (authority("PRE").tier, authority("PRE").kind) == (PlaceTier.LOCAL, PlaceKind.DISTRICT)
    assert authority("AGY").tier == PlaceTier.LOCAL


def test_manchester_is_its_geonames_city_and_gains_the_register_s_codes_names_and_figures(
    db, data_dir
):
    load_uk_register(data_dir, {})

    manchester = authority("MAN")
    assert manchester == geonames_place(2643123)
    assert set(manchester.identifiers.values_list("scheme", "value")) == {
        (IdentifierScheme.GEONAMES, "2643123"),
        (IdentifierScheme.GB_LA, "MAN"),
        (IdentifierScheme.GB_GSS, "E08000003"),
    }
    # GeoNames' name, kind and position stay; the register's figures come in.
    assert (manchester.name, manchester.kind, manchester.latitude) == (
        "Manchester",
        PlaceKind.CITY,
        53.48095,
    )
    assert (manchester.population, manchester.population_year) == (555_741, 2020)
    assert manchester.statistical_region == "North West"
    assert manchester.subdivision_code == "GB-ENG"
    names = dict(manchester.names.values_list("name", "kind"))
    assert names["Manchester City Council"] == NameKind.OFFICIAL
    assert "manchester district" in names
    assert "manchester" not in names  # the same name, folded, as "Manchester"


def test_membership_of_a_combined_authority_is_a_relation_not_a_parent(db, data_dir):
    load_uk_register(data_dir, {})

    manchester = authority("MAN")
    assert manchester.combined_authority == authority("GMCA")
    assert manchester.parent is None
    assert authority("BST").combined_authority is None  # WECA is not in the excerpt


def test_a_district_s_parent_is_its_county(db, data_dir):
    load_uk_register(data_dir, {})

    assert authority("MAI").parent == authority("KEN")
    assert authority("MAI") == geonames_place(2643179)
    assert authority("PRE").parent == authority("LAN")


def test_a_county_never_merges_with_a_geonames_place_of_its_name(db, data_dir):
    load_uk_register(data_dir, {})

    kent = authority("KEN")
    assert kent != geonames_place(900002)
    assert kent.slug == "kent-gb"  # the GeoNames place had the bare name first
    assert (kent.name, kent.latitude, kent.population) == ("Kent", 51.515402964, 1_589_057)
    assert not geonames_place(900002).identifiers.exclude(scheme="geonames").exists()


def test_a_geonames_place_of_the_same_name_beyond_15_km_is_another_place(db, data_dir):
    load_uk_register(data_dir, {})

    preston = authority("PRE")
    assert preston != geonames_place(900001)
    assert preston.kind == PlaceKind.DISTRICT
    assert preston.slug == "preston-gb"
    assert (preston.latitude, preston.timezone) == (53.8117956728, "Europe/London")


def test_only_the_short_name_decides_a_merge(db, data_dir):
    # "City of Bristol" is not the GeoNames name "Bristol", though an alternative name is.
    load_uk_register(data_dir, {})

    assert authority("BST") != geonames_place(2654675)
    assert authority("BST").names.filter(name="Bristol, City of").exists()


def test_an_alternative_name_of_a_nearby_geonames_place_never_merges(db, data_dir):
    load_uk_register(data_dir, {})

    assert authority("PRE") != geonames_place(900003)
    assert not geonames_place(900003).identifiers.filter(scheme=IdentifierScheme.GB_LA).exists()


def test_the_double_encoded_welsh_name_is_repaired(db, data_dir):
    (report,) = load_uk_register(data_dir, {})

    names = set(authority("AGY").names.values_list("name", flat=True))
    assert "Sir Ynys Môn" in names
    assert not any("ï¿½" in name or "\ufffd" in name for name in names)
    assert [flag for flag in report.flagged if "AGY" in flag[0]] == []


def test_repairing_double_encoding():
    assert repair_double_encoding("Sir Ynys MÃ´n") == "Sir Ynys Môn"
    assert repair_double_encoding("Sir Ynys Mï¿½n") == "Sir Ynys Môn"
    assert repair_double_encoding("Sir Ynys Môn") == "Sir Ynys Môn"
    assert repair_double_encoding("Caerdydd") == "Caerdydd"
    assert repair_double_encoding("Abertaw\u00ef\u00bf\u00bd") is None


def test_a_second_run_finds_every_authority_by_its_code_and_writes_nothing(db, data_dir):
    load_uk_register(data_dir, {})
    stamps = dict(Place.objects.values_list("pk", "updated_at"))
    names = PlaceName.objects.count()

    with CaptureQueriesContext(connection) as queries:
        (report,) = load_uk_register(data_dir, {})

    assert writes_in(queries) == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 8)
    assert dict(Place.objects.values_list("pk", "updated_at")) == stamps
    assert PlaceName.objects.count() == names


def test_a_second_geonames_run_keeps_the_register_s_figures(db, data_dir):
    load_uk_register(data_dir, {})

    report = load_geonames(data_dir, {}, cities=GEONAMES)[1]

    assert (report.updated, report.unchanged) == (0, len(GEONAMES))
    assert authority("MAN").population == 555_741


def test_an_authority_is_found_again_by_its_code_and_by_its_names(db, data_dir):
    load_uk_register(data_dir, {})

    gazetteer = Gazetteer.from_database(countries=["GB"])
    kent = authority("KEN")
    assert gazetteer.find_identifier(IdentifierScheme.GB_LA, "KEN").id == kent.pk
    assert gazetteer.find_identifier(IdentifierScheme.GB_GSS, "E10000016").id == kent.pk
    assert [c.id for c in gazetteer.find_name("GB", "KENT COUNTY COUNCIL")] == [kent.pk]
