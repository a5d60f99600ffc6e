"""The indicator catalogue: about 25 indicators defined by the portal, loaded idempotently,
with known units and themes, one scale for shares, and mappings to external frameworks;
and the admin where curators keep the catalogue and the saved peer groups."""

import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.choices import MappingMatch, MappingScheme, QuantityKind
from benchmarks.loaders.catalogue import CATALOGUE_FILE, SHARE_UNIT, SOURCE, read_catalogue
from benchmarks.models import Indicator, IndicatorMapping, SavedPeerGroup
from benchmarks.units import UNIT_EXPRESSIONS, convert
from cset.reference.choices import PlaceTier
from cset.reference.loading import DATA_DIR, Step, run_step
from cset.reference.models import Source, Theme
from cset.site.loading_steps import INITIAL_LOAD
from tests import factories

pytestmark = pytest.mark.django_db

CATALOGUE = read_catalogue(DATA_DIR / CATALOGUE_FILE)
ENTRIES = CATALOGUE["indicator"]
STEP = next(step for step in INITIAL_LOAD if step.sources == (SOURCE,))

# The indicators other steps load that the catalogue maps, as those steps declare them.
LOADED = {
    "gb-co2-per-person": "t CO2/person",
    "gb-co2-total": "kt CO2",
    "de-co2-total": "kt CO2",
}


@pytest.fixture
def loaded_indicators():
    return {
        code: factories.IndicatorFactory(code=code, unit=unit, theme=None)
        for code, unit in LOADED.items()
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder holding only the catalogue and the source list, free to edit."""
    shutil.copy(DATA_DIR / CATALOGUE_FILE, tmp_path / CATALOGUE_FILE)
    shutil.copy(DATA_DIR / "sources.toml", tmp_path / "sources.toml")
    return tmp_path


def load(data_dir: Path = DATA_DIR, **options):
    [report] = run_step(STEP, data_dir=data_dir, **options)
    return report


def written(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(verbs)]


# The file ---------------------------------------------------------------------------------


def test_the_catalogue_defines_about_25_indicators_without_a_country_prefix():
    codes = [entry["code"] for entry in ENTRIES]

    assert 20 <= len(codes) <= 35
    assert len(set(codes)) == len(codes)
    assert not [code for code in codes if code[:3] in ("gb-", "de-")]
    for expected in (
        "final-energy-per-capita",
        "renewable-share-final-energy",
        "electricity-access",
        "ghg-per-capita",
        "public-building-energy-intensity",
        "street-lighting-energy-per-km",
        "waste-to-energy-share",
        "district-heating-share",
        "local-energy-self-sufficiency",
    ):
        assert expected in codes


def test_every_unit_is_one_the_portal_converts():
    for entry in ENTRIES:
        assert entry["unit"] in UNIT_EXPRESSIONS, entry["code"]
        assert convert(1.0, entry["unit"], entry["unit"]) == 1.0


def test_every_theme_is_one_of_the_curated_themes():
    themes = set(Theme.objects.values_list("slug", flat=True))

    for entry in [*ENTRIES, *CATALOGUE["loaded"]]:
        if "theme" in entry:
            assert entry["theme"] in themes, entry["code"]


def test_every_entry_has_a_definition_and_known_mappings():
    for entry in ENTRIES:
        assert len(entry["definition"]) > 40, entry["code"]
        for mapping in entry.get("mappings", []):
            assert mapping["scheme"] in MappingScheme.values
            assert mapping["match"] in MappingMatch.values


def test_shares_have_one_scale_percent():
    shares = [entry for entry in ENTRIES if entry["quantity_kind"] == QuantityKind.SHARE]

    assert len(shares) >= 10
    assert {entry["unit"] for entry in shares} == {SHARE_UNIT}
    # 42 % is 42; the fraction 0.42 arrives as "share" and becomes 42, never 0.42 %.
    assert convert(42, "%", SHARE_UNIT) == 42
    assert convert(0.42, "share", SHARE_UNIT) == 42


# Loading ----------------------------------------------------------------------------------


def test_the_load_creates_every_catalogue_indicator_with_its_mappings(loaded_indicators):
    report = load()

    assert report.refused == []
    assert Indicator.objects.filter(code__in=[entry["code"] for entry in ENTRIES]).count() == len(
        ENTRIES
    )
    lighting = Indicator.objects.get(code="street-lighting-energy-per-km")
    assert (lighting.unit, lighting.theme.slug) == ("kWh/km", "public-lighting")
    assert lighting.source is None
    renewable = Indicator.objects.get(code="renewable-share-final-energy")
    assert set(renewable.mappings.values_list("scheme", "code", "match")) == {
        ("iso37120", "7.2", "exact"),
        ("sdg", "7.2.1", "exact"),
    }
    assert Source.objects.get(slug=SOURCE).licence == "CC BY 4.0"


def test_loaded_indicators_get_their_mappings_and_the_derived_ones_are_made(loaded_indicators):
    load()

    per_person = Indicator.objects.get(code="gb-co2-per-person")
    assert list(per_person.mappings.values_list("scheme", "code", "match")) == [
        ("iso37120", "8.3", "adapted")
    ]
    assert per_person.theme.slug == "planning-and-policy"
    assert "Carbon dioxide only" in per_person.definition
    assert per_person.unit == "t CO2/person"
    # Computed after every step, so made here from its declaration in benchmarks.derived.
    german = Indicator.objects.get(code="de-co2-per-person")
    assert german.unit == "t CO2/person"
    assert german.mappings.get().match == MappingMatch.ADAPTED


def test_a_loaded_indicator_not_loaded_yet_is_refused_with_the_reason():
    report = load()

    assert {code for code, _reason in report.refused} == set(LOADED)
    assert "no step has loaded" in report.refused[0][1]


def test_a_second_run_writes_nothing(loaded_indicators):
    load()
    count = Indicator.objects.count(), IndicatorMapping.objects.count()

    with CaptureQueriesContext(connection) as skipped:
        assert load().skipped
    with CaptureQueriesContext(connection) as forced:
        report = load(force=True)

    assert written(skipped.captured_queries) == []
    assert written(forced.captured_queries) == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(ENTRIES) + 4)
    assert (Indicator.objects.count(), IndicatorMapping.objects.count()) == count


def test_a_changed_file_updates_its_indicators_and_mappings_exactly(loaded_indicators, data_dir):
    load(data_dir)
    catalogue = data_dir / CATALOGUE_FILE
    text = catalogue.read_text(encoding="utf-8")
    text = text.replace('name = "Street lights using LEDs"', 'name = "LED street lights"')
    text = text.replace(
        '    { scheme = "iso37120", code = "7.2", match = "exact" },\n', "", 1
    ).replace('code = "7.3", match = "adapted"', 'code = "7.3", match = "exact"')
    catalogue.write_text(text, encoding="utf-8")

    report = load(data_dir)

    assert (report.created, report.updated) == (0, 3)
    assert Indicator.objects.get(code="street-lighting-led-share").name == "LED street lights"
    renewable = Indicator.objects.get(code="renewable-share-final-energy")
    assert list(renewable.mappings.values_list("code", flat=True)) == ["7.2.1"]
    access = Indicator.objects.get(code="electricity-access")
    assert access.mappings.get(scheme="iso37120").match == MappingMatch.EXACT


def test_a_unit_is_not_changed_under_stored_values(loaded_indicators, data_dir):
    load(data_dir)
    factories.MeasurementFactory(
        indicator=Indicator.objects.get(code="street-lighting-energy-per-km"),
        value=30_000,
        unit="kWh/km",
    )
    catalogue = data_dir / CATALOGUE_FILE
    catalogue.write_text(
        catalogue.read_text(encoding="utf-8").replace('unit = "kWh/km"', 'unit = "MWh/km"'),
        encoding="utf-8",
    )

    report = load(data_dir)

    assert report.refused == [
        (
            "street-lighting-energy-per-km",
            "its unit would change from kWh/km to MWh/km, but it has values stored in the old unit",
        )
    ]
    assert Indicator.objects.get(code="street-lighting-energy-per-km").unit == "kWh/km"


BAD_ENTRIES = [
    ('unit = "kWhr"', "unknown unit"),
    ('theme = "space-travel"', "unknown theme"),
    ('direction = "sideways"', "direction"),
    ('quantity_kind = "share"', "a share is given in %"),
    ('colour = "green"', "unknown field(s) colour"),
    ('code = "Bad Code"', "a code is lower-case"),
    ('name = ["a", "list"]', "must be text"),
    ('mappings = [{ scheme = "iso37120", code = 7.10, match = "exact" }]', "quoted text"),
    ('mappings = [{ scheme = "iso9999", code = "1", match = "exact" }]', "scheme"),
    ('mappings = [{ scheme = "sdg", code = "7.1.1", match = "maybe" }]', "match"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_ENTRIES)
def test_a_bad_entry_is_refused_with_its_reason(loaded_indicators, data_dir, line, reason):
    key = line.split(" =")[0]
    entry = {
        "code": 'code = "test-indicator"',
        "name": 'name = "Test indicator"',
        "theme": 'theme = "public-lighting"',
        "unit": 'unit = "MWh"',
        "direction": 'direction = "lower_is_better"',
        "quantity_kind": 'quantity_kind = "final_energy"',
        "definition": 'definition = "A test."',
    }
    entry[key] = line
    catalogue = data_dir / CATALOGUE_FILE
    catalogue.write_text("[[indicator]]\n" + "\n".join(entry.values()) + "\n", encoding="utf-8")

    report = load(data_dir)

    assert len(report.refused) == 1
    assert reason in report.refused[0][1]
    assert not Indicator.objects.filter(name="Test indicator").exists()


def test_a_second_entry_for_one_code_is_refused(data_dir):
    catalogue = data_dir / CATALOGUE_FILE
    first = catalogue.read_text(encoding="utf-8").split("\n[[indicator]]\n")[1]
    catalogue.write_text(f"[[indicator]]\n{first}\n[[indicator]]\n{first}", encoding="utf-8")

    report = load(data_dir)

    assert report.created == 1
    assert [reason for _code, reason in report.refused] == [
        "a second entry for this code (the first one counts)"
    ]


def test_the_step_comes_after_the_steps_whose_indicators_it_maps():
    position = {source: n for n, step in enumerate(INITIAL_LOAD) for source in step.sources}

    assert isinstance(STEP, Step)
    assert position[SOURCE] > max(position["uk-emissions"], position["klimawatch"])


# Curating in the admin --------------------------------------------------------------------


@pytest.fixture
def curator_client(client):
    user = get_user_model().objects.create(username="curator", is_staff=True)
    codenames = [
        f"{verb}_{model}"
        for model in ("savedpeergroup", "indicator", "indicatormapping")
        for verb in ("add", "change", "view", "delete")
    ]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="benchmarks", codename__in=codenames),
        Permission.objects.get(codename="view_place"),
    )
    client.force_login(user)
    return client


def _group_form(places, tier=PlaceTier.LOCAL) -> dict:
    return {
        "name": "Eco-energy towns",
        "slug": "eco-energy-towns",
        "tier": tier,
        "description": "",
        "places": [str(place.pk) for place in places],
    }


def test_a_curator_saves_a_peer_group_of_one_tier(curator_client):
    towns = factories.PlaceFactory.create_batch(3, tier=PlaceTier.LOCAL)

    response = curator_client.post(
        reverse("admin:benchmarks_savedpeergroup_add"), _group_form(towns)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    group = SavedPeerGroup.objects.get(slug="eco-energy-towns")
    assert set(group.places.all()) == set(towns)
    changelist = curator_client.get(reverse("admin:benchmarks_savedpeergroup_changelist"))
    assert changelist.status_code == 200


def test_a_peer_group_refuses_places_of_another_tier(curator_client):
    town = factories.PlaceFactory(tier=PlaceTier.LOCAL)
    county = factories.PlaceFactory(name="Kent", tier=PlaceTier.COUNTY)

    response = curator_client.post(
        reverse("admin:benchmarks_savedpeergroup_add"), _group_form([town, county])
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["places"]
    assert "Kent (County)" in errors[0]
    assert not SavedPeerGroup.objects.exists()


def test_the_places_of_a_peer_group_are_searched_not_listed(curator_client):
    factories.PlaceFactory.create_batch(5)

    page = curator_client.get(reverse("admin:benchmarks_savedpeergroup_add"))

    assert page.status_code == 200
    assert "admin-autocomplete" in page.content.decode()


def test_a_catalogue_indicator_is_edited_with_its_mappings(curator_client):
    indicator = factories.IndicatorFactory(code="district-heating-share", unit="%")

    page = curator_client.get(reverse("admin:benchmarks_indicator_change", args=[indicator.pk]))

    assert page.status_code == 200
    assert "mappings-TOTAL_FORMS" in page.content.decode()
