import unicodedata

import pytest

from cset.reference.gazetteer import SlugAllocator, distance_km, is_whole_degree_pair
from cset.reference.models import Place
from cset.reference.text import clean_name, clean_text, fold, refold, unicode_slug
from tests import factories


def test_text_is_stored_in_nfc():
    decomposed = "Mu\u0308nster"

    assert clean_name(decomposed) == "Münster"
    assert unicodedata.is_normalized("NFC", clean_name(decomposed))


@pytest.mark.parametrize("blank", ["", "   ", "\u00a0\u00a0", "\u200b", " \u200b\u00a0\t\n", None])
def test_a_name_of_only_spaces_is_empty(blank):
    assert clean_name(blank) == ""
    assert clean_text(blank) == ""


def test_nul_bytes_never_survive():
    assert clean_text("Mün\x00ster") == "Münster"
    assert fold("\x00") == ""


def test_inner_white_space_collapses_in_names_but_not_in_prose():
    assert clean_name("  Frankfurt \n am   Main ") == "Frankfurt am Main"
    assert clean_text("line one\nline two") == "line one\nline two"


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("São Paulo", "sao paulo"),
        ("Düsseldorf", "dusseldorf"),
        ("Straße", "strasse"),
        ("Улаанбаатар", "улаанбаатар"),
        ("ÉCOLE", "ecole"),
        ("Łódź", "lodz"),
        ("Bağcılar", "bagcilar"),
        ("Đà Nẵng", "da nang"),
        ("København", "kobenhavn"),
        ("Ærø", "aero"),
        ("Þingvellir", "thingvellir"),
        ("Œuf", "oeuf"),
    ],
)
def test_folding_drops_accents_and_case(name, folded):
    assert fold(name) == folded


def test_folding_keeps_korean_syllables_whole():
    folded = fold("서울특별시")

    assert folded == "서울특별시"
    assert len(folded) == 5
    assert all("\uac00" <= ch <= "\ud7a3" for ch in folded)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("서울특별시", "서울특별시"),
        ("Улаанбаатар хот", "улаанбаатар-хот"),
        ("አዲስ አበባ", "አዲስ-አበባ"),
        ("ᠤᠯᠠᠭᠠᠨᠪᠠᠭᠠᠲᠤᠷ", "ᠤᠯᠠᠭᠠᠨᠪᠠᠭᠠᠲᠤᠷ"),
        ("Frankfurt am Main", "frankfurt-am-main"),
        ("São Paulo", "sao-paulo"),
    ],
)
def test_slugs_are_unicode(name, slug):
    assert unicode_slug(name) == slug


def test_same_name_gets_name_then_country_then_identifier():
    allocator = SlugAllocator(taken=[])

    first = allocator.allocate("Springfield", "US", "1")
    second = allocator.allocate("Springfield", "US", "2")
    third = allocator.allocate("Springfield", "US", "3")
    abroad = allocator.allocate("Springfield", "AU", "4")

    assert (first, second, third) == ("springfield", "springfield-us", "springfield-us-3")
    assert abroad == "springfield-au"


def test_slug_allocator_never_reuses_a_taken_slug():
    allocator = SlugAllocator(taken=["berlin", "berlin-de", "berlin-de-1"])

    assert allocator.allocate("Berlin", "DE", "1") == "berlin-de-1-2"


def test_whole_degree_pairs_are_placeholders():
    assert is_whole_degree_pair(45.0, 9.0)
    assert not is_whole_degree_pair(45.0, 9.19)
    assert not is_whole_degree_pair(None, None)


def test_distance_between_two_cities():
    # Münster to Osnabrück is about 44 km as the crow flies.
    assert 40 < distance_km(51.9625, 7.6256, 52.2726, 8.0498) < 48


@pytest.mark.django_db
def test_refold_rewrites_only_the_keys_that_change():
    lodz = factories.PlaceFactory(name="Łódź")
    bonn = factories.PlaceFactory(name="Bonn")
    # As stored before fold() knew ł: the key a search for "lodz" missed.
    Place.objects.filter(pk=lodz.pk).update(name_folded="łodz")

    changed = refold(Place, "name", "name_folded")

    assert changed == 1
    assert Place.objects.get(pk=lodz.pk).name_folded == "lodz"
    assert Place.objects.get(pk=bonn.pk).name_folded == "bonn"


@pytest.mark.django_db
def test_a_search_without_the_stroke_finds_the_place(client):
    place = factories.PlaceFactory(name="Bağcılar")

    body = client.get("/api/v1/places/", {"search": "bagcilar"}).json()

    assert [row["id"] for row in body["results"]] == [place.pk]


@pytest.mark.django_db
def test_a_name_that_folds_longer_than_its_field_is_saved_with_its_key_cut():
    # "ß" folds to "ss": 200 of them fill the name and would overflow its key.
    place = factories.PlaceFactory(name="ß" * 200)
    practice = factories.PracticeFactory(title="Æ" * 300)

    place.refresh_from_db()
    practice.refresh_from_db()
    assert place.name_folded == "s" * 200
    assert practice.title_folded == "ae" * 150
    assert Place.objects.search("ssss").filter(pk=place.pk).exists()
