"""Münster's climate measures become published German cases (data/LOADING.md, step 8).

The excerpt ``data/muenster_measures.csv`` holds real records of the file, with
its blank separator lines and multi-line quoted fields: the categories Ü and B
and the measures Ü1 (green), Ü2 (red, "Kein neuer Sachstand" twice), Ü4 (its
2017/2018 row has no colour), Ü5 ("Öffentlichkeitsarbeit"), B1 (orange, red in
2017/2018) and B14 (a title over two lines), each with its four plan and status
rows: 32 records.
"""

import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from cset.reference.choices import IdentifierScheme, PlaceKind, PlaceTier
from cset.reference.loading import DATA_DIR, ensure_source, source_catalogue
from cset.reference.models import Country, Place, PlaceIdentifier
from practices.choices import Assessment, Implementation, Status
from practices.loaders.muenster import (
    MEASURES_FILE,
    SOURCE,
    THEMES_FILE,
    load_muenster_measures,
)
from practices.models import BestPractice, ProgressUpdate

EXCERPTS = Path(__file__).parent / "data"
EXCERPT_RECORDS = 32
EXCERPT_MEASURES = ["Ü1", "Ü2", "Ü4", "Ü5", "B1", "B14"]


@pytest.fixture
def sources(db):
    return {SOURCE: ensure_source(SOURCE, source_catalogue(DATA_DIR)[SOURCE])}


@pytest.fixture
def muenster(db) -> Place:
    """Münster as the German loader leaves it: a place with its AGS."""
    germany = Country.objects.create(code="DE", name="Germany", continent="EU")
    place = Place.objects.create(
        name="Münster",
        slug="munster",
        kind=PlaceKind.CITY,
        tier=PlaceTier.LOCAL,
        country=germany,
        timezone="Europe/Berlin",
    )
    PlaceIdentifier.objects.create(place=place, scheme=IdentifierScheme.DE_AGS, value="05515000")
    return place


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A data folder holding the excerpt under the real file's name, and the real themes table."""
    shutil.copy(EXCERPTS / "muenster_measures.csv", tmp_path / MEASURES_FILE)
    shutil.copy(DATA_DIR / THEMES_FILE, tmp_path / THEMES_FILE)
    return tmp_path


def load(data_dir: Path, sources) -> dict:
    return {report.name: report for report in load_muenster_measures(data_dir, sources)}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def case(key: str) -> BestPractice:
    return BestPractice.objects.get(source_key=key)


def updates(key: str) -> dict[str, ProgressUpdate]:
    return {
        update.period: update for update in ProgressUpdate.objects.filter(practice__source_key=key)
    }


def test_measures_become_published_german_cases(data_dir, sources, muenster):
    before = timezone.now()
    report = load(data_dir, sources)[MEASURES_FILE]

    assert report.read == EXCERPT_RECORDS
    assert report.refused == []
    cases = BestPractice.objects.all()
    assert sorted(cases.values_list("source_key", flat=True)) == sorted(EXCERPT_MEASURES)
    for practice in cases:
        assert practice.status == Status.PUBLISHED
        assert before <= practice.published_at <= timezone.now()
        assert practice.language == "de"
        assert practice.source == sources[SOURCE]
        assert list(practice.places.all()) == [muenster]
    assert BestPractice.objects.published().count() == len(EXCERPT_MEASURES)
    # Six cases and their 24 plan and status rows; the two category records are neither.
    assert report.created == 6 + 24


def test_licence_and_attribution_are_the_sources_not_cc_by(data_dir, sources, muenster):
    load(data_dir, sources)

    practice = case("Ü1")
    assert practice.licence == "Apache-2.0 (repository); the city's own public progress reports"
    assert practice.attribution == (
        "Stadt Münster, Sachstandsberichte Klimaschutz 2013–2018, "
        "via Klimawatch (Code for Münster)."
    )
    assert "CC" not in practice.licence


def test_the_measures_colour_gives_the_implementation_as_written(data_dir, sources, muenster):
    load(data_dir, sources)

    assert case("Ü1").implementation == Implementation.COMPLETED  # #01873B
    assert case("B1").implementation == Implementation.ONGOING  # orange
    assert case("Ü2").implementation == Implementation.PLANNED  # #AE1B1B


def test_plan_and_status_rows_become_dated_progress_updates(data_dir, sources, muenster):
    load(data_dir, sources)

    found = updates("Ü1")
    assert sorted(found) == ["2013", "2015/2016", "2017/2018", "Plan"]
    assert (found["Plan"].period_start, found["Plan"].period_end) == (None, None)
    assert (found["2013"].period_start, found["2013"].period_end) == (2013, 2013)
    assert (found["2015/2016"].period_start, found["2015/2016"].period_end) == (2015, 2016)
    assert (found["2017/2018"].period_start, found["2017/2018"].period_end) == (2017, 2018)
    assert found["2013"].source_key == "Ü1-13"
    assert found["2013"].text.startswith("Die Klenko ist nunmehr personell auf 4 Personen")
    assert ProgressUpdate.objects.count() == 4 * len(EXCERPT_MEASURES)


def test_assessment_colours_map_as_written(data_dir, sources, muenster):
    load(data_dir, sources)

    found = updates("Ü1")
    assert found["Plan"].assessment == Assessment.NONE  # white
    assert found["2013"].assessment == Assessment.PARTIAL  # orange
    assert found["2015/2016"].assessment == Assessment.ON_TRACK  # #01873B
    assert updates("Ü2")["2013"].assessment == Assessment.NOT_IMPLEMENTED  # #AE1B1B


def test_a_status_row_without_colour_is_none_and_flagged(data_dir, sources, muenster):
    report = load(data_dir, sources)[MEASURES_FILE]

    assert updates("Ü4")["2017/2018"].assessment == Assessment.NONE
    assert any(row.startswith("Ü4-1718") for row, _ in report.flagged)


def test_a_measure_whose_latest_report_disagrees_is_flagged_not_changed(
    data_dir, sources, muenster
):
    report = load(data_dir, sources)[MEASURES_FILE]

    # B1 is orange itself, red in 2017/2018; B14 red itself, orange in 2017/2018.
    # LOADING.md takes the measure's own colour.
    assert case("B1").implementation == Implementation.ONGOING
    assert updates("B1")["2017/2018"].assessment == Assessment.NOT_IMPLEMENTED
    assert case("B14").implementation == Implementation.PLANNED
    assert updates("B14")["2017/2018"].assessment == Assessment.PARTIAL
    assert [row for row, _ in report.flagged if not row.startswith("Ü4-")] == ["B1", "B14"]


def test_summary_is_the_plan_and_actions_the_latest_news(data_dir, sources, muenster):
    load(data_dir, sources)

    practice = case("Ü2")
    assert practice.title == (
        "Klimaschutzfond zur Finanzierung eines Teils der zusätzlichen Maßnahmen und Projekte"
    )
    assert practice.summary.startswith("Zur Finanzierung eines Teils der zusätzlichen")
    # 2015/2016 and 2017/2018 say only "Kein neuer Sachstand": the 2013 report is the latest news.
    assert practice.actions.startswith("Auf Grund der angespannten Haushaltslage")
    assert case("Ü1").actions.startswith("Seit Anfang 2018 sind alle 6 Personalstellen")


def test_multi_line_fields_and_blank_separator_lines(data_dir, sources, muenster):
    load(data_dir, sources)

    practice = case("B14")
    # The title spans two lines in the file; a title is one line.
    assert practice.title == "Anreizsystem Stromsparen in Münster (ehemals: Stromsparprämien)"
    # Prose keeps its line breaks.
    assert "\n" in updates("B14")["2015/2016"].text


def test_slugs_are_folded_unicode_slugs_of_the_title(data_dir, sources, muenster):
    load(data_dir, sources)

    assert case("Ü5").slug == "fortsetzung-und-weiterentwicklung-offentlichkeitsarbeit"
    assert case("B14").slug == "anreizsystem-stromsparen-in-munster-ehemals-stromsparpramien"


def test_a_taken_slug_gets_the_country_code(data_dir, sources, muenster):
    BestPractice.objects.create(slug="gutesiegel-gebaudesanierung", title="Elsewhere")

    load(data_dir, sources)

    assert case("B1").slug == "gutesiegel-gebaudesanierung-de"


def test_themes_come_from_the_committed_table_by_category(data_dir, sources, muenster):
    reports = load(data_dir, sources)

    assert reports[THEMES_FILE].refused == []
    assert set(case("Ü1").themes.values_list("slug", flat=True)) == {
        "governance-and-capacity",
        "planning-and-policy",
    }
    assert set(case("B1").themes.values_list("slug", flat=True)) == {"building-efficiency"}


def test_the_real_table_maps_every_category_to_known_themes(sources, muenster):
    report = load(DATA_DIR, sources)[THEMES_FILE]

    assert report.refused == []
    assert report.flagged == []


def test_an_unknown_theme_slug_is_refused(data_dir, sources, muenster):
    edit(data_dir / THEMES_FILE, "B,Bauen und Wohnen,building-efficiency", "B,Bauen,buildings")

    reports = load(data_dir, sources)

    assert [reason for _, reason in reports[THEMES_FILE].refused] == ["unknown theme 'buildings'"]
    assert ("B", "no theme for this category: its cases have no theme") in reports[
        THEMES_FILE
    ].flagged
    assert case("B1").themes.count() == 0


def test_without_muenster_the_whole_file_is_refused(data_dir, sources, db):
    report = load(data_dir, sources)[MEASURES_FILE]

    assert len(report.refused) == 1
    assert "05515000" in report.refused[0][1]
    assert report.created == 0
    assert not BestPractice.objects.exists()
    assert not ProgressUpdate.objects.exists()


def test_a_second_run_writes_nothing(data_dir, sources, muenster, django_assert_max_num_queries):
    load(data_dir, sources)
    stamps = dict(BestPractice.objects.values_list("slug", "updated_at"))
    published = dict(BestPractice.objects.values_list("slug", "published_at"))

    with django_assert_max_num_queries(12):
        report = load(data_dir, sources)[MEASURES_FILE]

    assert (report.created, report.updated, report.unchanged) == (0, 0, 30)
    assert dict(BestPractice.objects.values_list("slug", "updated_at")) == stamps
    assert dict(BestPractice.objects.values_list("slug", "published_at")) == published


def test_the_first_run_writes_in_bulk(data_dir, sources, muenster, django_assert_max_num_queries):
    # A query per row would be at least 30 here.
    with django_assert_max_num_queries(16):
        load(data_dir, sources)


def test_an_edited_text_updates_the_case_and_keeps_slug_and_dates(data_dir, sources, muenster):
    load(data_dir, sources)
    first = case("Ü2")
    edit(
        data_dir / MEASURES_FILE,
        "Zur Finanzierung eines Teils der zusätzlichen Maßnahmen und Projekte soll",
        "Zur Finanzierung der zusätzlichen Maßnahmen und Projekte soll",
    )
    edit(
        data_dir / MEASURES_FILE,
        '"Klimaschutzfond zur Finanzierung eines Teils der zusätzlichen Maßnahmen und Projekte",'
        '"Klimaschutzfond zur Finanzierung eines Teils der zusätzlichen Maßnahmen und Projekte"',
        '"Klimaschutzfonds","Klimaschutzfonds"',
    )

    report = load(data_dir, sources)[MEASURES_FILE]

    # The case changed (title, summary); so did its plan row's text.
    assert (report.created, report.updated) == (0, 2)
    second = case("Ü2")
    assert second.title == "Klimaschutzfonds"
    assert second.summary.startswith("Zur Finanzierung der zusätzlichen")
    assert updates("Ü2")["Plan"].text.startswith("Zur Finanzierung der zusätzlichen")
    assert second.slug == first.slug
    assert second.published_at == first.published_at
    assert second.version == first.version
    assert second.updated_at > first.updated_at


def test_a_changed_colour_updates_implementation_and_assessment(data_dir, sources, muenster):
    load(data_dir, sources)
    edit(data_dir / MEASURES_FILE, "#AE1B1B,Ü2-13,", "orange,Ü2-13,")
    edit(data_dir / MEASURES_FILE, "#AE1B1B,Ü2,", "#01873B,Ü2,")

    load(data_dir, sources)

    assert case("Ü2").implementation == Implementation.COMPLETED
    assert updates("Ü2")["2013"].assessment == Assessment.PARTIAL


def test_a_curators_status_and_own_updates_survive_a_rerun(data_dir, sources, muenster):
    load(data_dir, sources)
    BestPractice.objects.filter(source_key="Ü1").update(status=Status.ARCHIVED)
    own = ProgressUpdate.objects.create(practice=case("Ü1"), period="2024", text="Neu.")

    report = load(data_dir, sources)[MEASURES_FILE]

    assert case("Ü1").status == Status.ARCHIVED
    assert ProgressUpdate.objects.filter(pk=own.pk).exists()
    assert report.updated == 0


def test_a_status_row_gone_from_the_file_removes_its_update(data_dir, sources, muenster):
    load(data_dir, sources)
    path = data_dir / MEASURES_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if ",Ü2-1718," not in line), encoding="utf-8")

    report = load(data_dir, sources)[MEASURES_FILE]

    assert "2017/2018" not in updates("Ü2")
    assert ("Ü2-1718", "no longer in the file: its progress update removed") in report.flagged


def test_bad_records_are_refused_with_reasons(data_dir, sources, muenster):
    with open(data_dir / MEASURES_FILE, "a", encoding="utf-8") as handle:
        handle.write(
            "\n"
            'white,X9-Plan,"geplant","Ein Plan ohne Maßnahme.",3,-,X9\n'
            'orange,Ü1-1920,"Sachstand 2019 / 2020","Ein Zeitraum, den die Datei nicht kennt.",'
            "5,(5),Ü1\n"
            'orange,Ü1,"Noch einmal Ü1","Doppelt.",5,(5),Ü\n'
            'orange,Ü77,"","Ohne Titel.",5,(5),Ü\n'
            f'orange,Ü78,"{"Sehr lang " * 31}","Zu lang.",5,(5),Ü\n'
        )

    report = load(data_dir, sources)[MEASURES_FILE]

    reasons = {row.split(" ")[0]: reason for row, reason in report.refused}
    assert set(reasons) == {"X9-Plan", "Ü1-1920", "Ü1", "Ü77", "Ü78"}
    assert "neither a category nor a loaded measure" in reasons["X9-Plan"]
    assert "Ü1- followed by one of" in reasons["Ü1-1920"]
    assert "appears twice" in reasons["Ü1"]
    assert "needs a title" in reasons["Ü77"]
    assert reasons["Ü78"] == "a title longer than 300 characters"
    assert report.read == EXCERPT_RECORDS + 5
    assert case("Ü1").title == "Klimaschutzkoordination (Klenko) personell ausbauen"
    assert BestPractice.objects.count() == len(EXCERPT_MEASURES)


def test_the_real_file_gives_54_published_cases(sources, muenster):
    reports = load(DATA_DIR, sources)

    report = reports[MEASURES_FILE]
    assert report.read == 275
    assert report.refused == []
    assert BestPractice.objects.published().filter(language="de").count() == 54
    assert ProgressUpdate.objects.count() == 54 * 4
    assert BestPractice.objects.filter(themes__isnull=True).count() == 0


def test_literal_line_break_tags_become_line_breaks():
    from practices.loaders.muenster import prose

    assert prose("Erster Satz.<br>Zweiter Satz.<BR />Dritter.") == (
        "Erster Satz.\nZweiter Satz.\nDritter."
    )
    assert prose(None) == ""
