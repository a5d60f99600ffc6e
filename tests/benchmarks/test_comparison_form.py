"""The comparison form: query-string choices become a peer group, or clear errors."""

import pytest

from benchmarks.forms import ComparisonForm
from benchmarks.models import SavedPeerGroup
from cset.reference.choices import PlaceTier
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def manchester():
    return factories.PlaceFactory(
        slug="manchester", country=factories.CountryFactory(code="GB"), tier=PlaceTier.LOCAL
    )


def test_a_place_alone_means_its_tier_in_its_country(manchester):
    form = ComparisonForm({"place": "manchester"})

    assert form.is_valid(), form.errors
    group = form.group()
    assert (group.tier, group.country, group.band) == ("local", "GB", "")


def test_narrowing_by_band_and_across_countries(manchester):
    form = ComparisonForm({"place": "manchester", "population": "100k-1m", "all_countries": "on"})

    assert form.is_valid(), form.errors
    assert (form.group().country, form.group().band) == ("", "100k-1m")


def test_a_subdivision_in_any_case_narrows_to_its_places(db):
    germany = factories.CountryFactory(code="DE")
    bavarian = factories.PlaceFactory(country=germany, subdivision_code="DE-BY")
    factories.PlaceFactory(country=germany, subdivision_code="DE-BW")

    form = ComparisonForm({"tier": "local", "subdivision": " de-by "})

    assert form.is_valid(), form.errors
    assert form.group().subdivision == "DE-BY"
    assert list(form.group().places(2021)) == [bavarian]


def test_a_subdivision_without_places_is_refused(db):
    factories.PlaceFactory(country=factories.CountryFactory(code="DE"), subdivision_code="DE-BY")

    form = ComparisonForm({"tier": "local", "subdivision": "DE-ZZ"})

    assert not form.is_valid()
    assert form.errors["subdivision"] == ["No place lies in a subdivision with this code."]


def test_a_saved_group_lists_its_places(manchester):
    saved = SavedPeerGroup.objects.create(slug="towns", name="Eco towns", tier=PlaceTier.LOCAL)
    saved.places.add(manchester)

    form = ComparisonForm({"peer_group": "towns"})

    assert form.is_valid(), form.errors
    assert form.group().place_ids == (manchester.pk,)
    assert list(form.group().places(2020)) == [manchester]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "tier"),
        ({"place": "atlantis"}, "place"),
        ({"tier": "local", "year": "1800"}, "year"),
        ({"tier": "local", "year": "twenty"}, "year"),
        ({"tier": "planet"}, "tier"),
        ({"tier": "local", "country": "G\x00"}, "country"),
        ({"tier": "local", "subdivision": "Bavaria"}, "subdivision"),
        ({"tier": "local", "population": "huge"}, "population"),
        ({"tier": "local", "network": "nope"}, "network"),
        ({"tier": "local", "peer_group": "nope"}, "peer_group"),
        ({"tier": "local", "region": "x" * 10_000}, "region"),
        ({"tier": "local", "country": "XX"}, "country"),
        ({"tier": "local", "verified": "bogus"}, "verified"),
        ({"place": "manchester", "all_countries": "maybe"}, "all_countries"),
    ],
)
def test_bad_choices_are_field_errors(manchester, data, field):
    form = ComparisonForm(data)

    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.parametrize(("text", "verified"), [("true", True), ("1", True), ("0", False)])
def test_verified_reads_true_and_false_words(manchester, text, verified):
    form = ComparisonForm({"place": "manchester", "verified": text})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["verified"] is verified


@pytest.mark.parametrize(("text", "every_country"), [("on", True), ("0", False), ("off", False)])
def test_all_countries_reads_true_and_false_words(manchester, text, every_country):
    form = ComparisonForm({"place": "manchester", "all_countries": text})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["all_countries"] is every_country
