"""The whole initial load, end to end, over small excerpts of every real file.

Each loader has its own tests under tests/loaders/; this one checks that the
steps run in order through ``manage.py load_initial_data``, that later steps
find what earlier ones loaded, and that a second run writes nothing.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.models import Indicator, Measurement, StoredStanding, Target
from cset.reference.choices import IdentifierScheme
from cset.reference.models import Activity, Country, Membership, Place, Source
from cset.site.loading_steps import INITIAL_LOAD
from events.models import Event
from practices.models import BestPractice
from tests.excerpt_data import lay_out_excerpts


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    return lay_out_excerpts(tmp_path, monkeypatch)


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
    assert output.count("unchanged since the last load") == len(INITIAL_LOAD)
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

    assert output.count("unchanged since the last load") == len(INITIAL_LOAD) - 1
    assert Event.objects.filter(description="Side event held during the ninth CEM.").exists()


def test_the_load_stores_every_place_s_standing_among_its_peers(db, data_dir):
    load(data_dir)

    valued = Measurement.objects.filter(value_canonical__isnull=False)
    kept = valued.values("place", "indicator", "year").distinct().count()
    assert StoredStanding.objects.count() == kept > 0


def test_a_database_without_stored_standings_gets_them_on_the_next_run(db, data_dir):
    load(data_dir)
    count = StoredStanding.objects.count()
    StoredStanding.objects.all().delete()

    output = load(data_dir)

    assert StoredStanding.objects.count() == count
    assert f"{count:,} standings stored" in output
