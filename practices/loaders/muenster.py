"""Münster's climate protection measures as published cases in German (data/LOADING.md, step 8).

The file is the city's "Klimaschutzkonzept 2020" with its progress reports
(Sachstandsberichte). Its records form a hierarchy: a category (``Ü``, ``B``,
``G``, ``E``, ``V``), the measures of a category (``Ü1``, ``B5+6``, …), and
under each measure its plan and status rows (``Ü1-Plan``, ``Ü1-13``,
``Ü1-1516``, ``Ü1-1718``).

- A measure becomes a case: title from its title (its own text only repeats
  the title); summary from the plan row's text, which says what the measure
  sets out to do; actions from the latest status text that says something
  ("Kein neuer Sachstand" does not), which says what had been done by then.
  The concept's priority and potential scores are dropped: their scale and the
  meaning of the parentheses in "(5)" are nowhere explained, and a case has no
  field for them.
- The measure's own colour is the city's latest assessment and gives the
  implementation status; every plan and status row becomes a dated progress
  update with the city's assessment and text.
- Themes come from the committed table ``muenster_themes.csv``, by category.
- Licence and attribution are the source's (the city's reports, shown with
  attribution), not CC BY.

A re-run finds each case by source and measure id and each update by its row
id; it changes only what the file changed, and never a slug, a status or a
publication date once given.
"""

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from cset.reference.choices import IdentifierScheme
from cset.reference.gazetteer import SlugAllocator
from cset.reference.loading import (
    BULK_BATCH_SIZE,
    LoadReport,
    Outcome,
    changed_fields,
    read_csv,
    sync_links,
)
from cset.reference.models import PlaceIdentifier, Source, Theme
from cset.reference.text import clean_name, clean_text, fold

from ..choices import Assessment, Implementation, Status
from ..models import BestPractice, ProgressUpdate
from ..services import record_versions

logger = logging.getLogger(__name__)

LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)

SOURCE = "muenster-measures"
MEASURES_FILE = "de_muenster_climate_measures_status.csv"
THEMES_FILE = "muenster_themes.csv"
MUENSTER_AGS = "05515000"
LANGUAGE = "de"

GREEN = "#01873b"
ORANGE = "orange"
RED = "#ae1b1b"
WHITE = "white"

# Münster's traffic lights, as data/LOADING.md reads them. Colours compare lower-cased.
IMPLEMENTATION_BY_COLOUR = {
    GREEN: Implementation.COMPLETED,
    ORANGE: Implementation.ONGOING,
    RED: Implementation.PLANNED,
}
ASSESSMENT_BY_COLOUR = {
    GREEN: Assessment.ON_TRACK,
    ORANGE: Assessment.PARTIAL,
    RED: Assessment.NOT_IMPLEMENTED,
    WHITE: Assessment.NONE,
}


@dataclass(frozen=True)
class Period:
    """What a child row's id suffix stands for."""

    label: str
    start: int | None
    end: int | None


# In the order of time; the plan row has no year in the file.
PERIODS = {
    "Plan": Period("Plan", None, None),
    "13": Period("2013", 2013, 2013),
    "1516": Period("2015/2016", 2015, 2016),
    "1718": Period("2017/2018", 2017, 2018),
}
NO_NEW_STATUS = fold("Kein neuer Sachstand")
MAX_TITLE_LENGTH = BestPractice._meta.get_field("title").max_length
MAX_KEY_LENGTH = BestPractice._meta.get_field("source_key").max_length

_CASE_FIELDS = (
    "title",
    "title_folded",
    "implementation",
    "summary",
    "actions",
    "language",
    "licence",
    "attribution",
)
_UPDATE_FIELDS = ("period", "period_start", "period_end", "assessment", "text")


@dataclass
class ChildRecord:
    """A plan or status row of a measure."""

    key: str
    suffix: str
    colour: str
    text: str


@dataclass
class MeasureRecord:
    """A measure of the file with its plan and status rows."""

    key: str
    category: str
    title: str
    colour: str
    children: dict[str, ChildRecord] = field(default_factory=dict)

    def child_text(self, suffix: str) -> str:
        child = self.children.get(suffix)
        return child.text if child else ""

    def latest_status_text(self) -> str:
        """The text of the latest status row that reports something new."""
        for suffix in reversed(list(PERIODS)):
            if suffix == "Plan":
                continue
            text = self.child_text(suffix)
            if text and fold(text) != NO_NEW_STATUS:
                return text
        return ""


def load_muenster_measures(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """Load the measures of Münster's climate protection concept as published cases.

    The measures file's report counts its records: each measure and each plan or
    status row is created, updated or unchanged; the five category records are
    only the keys of the themes table and are counted in none of these. The
    themes table's report counts its rows read and refused; a case whose themes
    change is counted as updated in the measures report.
    """
    source = sources[SOURCE]
    report = LoadReport(name=MEASURES_FILE)
    themes_report = LoadReport(name=THEMES_FILE)

    themes_by_category = read_theme_table(data_dir / THEMES_FILE, themes_report)
    measures = read_measures(data_dir / MEASURES_FILE, report)
    for category in sorted({measure.category for measure in measures} - set(themes_by_category)):
        themes_report.flag(category, "no theme for this category: its cases have no theme")

    place_id = (
        PlaceIdentifier.objects.filter(scheme=IdentifierScheme.DE_AGS, value=MUENSTER_AGS)
        .values_list("place_id", flat=True)
        .first()
    )
    if place_id is None:
        report.refuse(
            MEASURES_FILE,
            f"the whole file: no place has the identifier de-ags {MUENSTER_AGS} (Münster); "
            "load the German municipalities first",
        )
        return [report, themes_report]

    outcome = Outcome()
    new, practice_ids = write_cases(measures, source, outcome, report)
    changed = sync_links(
        BestPractice.places.through,
        "bestpractice_id",
        "place_id",
        {practice_ids[measure.key]: {place_id} for measure in measures},
    )
    changed |= sync_links(
        BestPractice.themes.through,
        "bestpractice_id",
        "theme_id",
        {
            practice_ids[measure.key]: themes_by_category.get(measure.category, set())
            for measure in measures
        },
    )
    outcome.updated |= changed
    outcome.count(report)
    record_import(new, outcome.updated - outcome.created)
    write_progress_updates(measures, practice_ids, source, report)
    return [report, themes_report]


def read_theme_table(path: Path, report: LoadReport) -> dict[str, set[int]]:
    """The theme ids of each category, from the committed table; unknown slugs are refused."""
    themes = dict(Theme.objects.values_list("slug", "id"))
    by_category: dict[str, set[int]] = defaultdict(set)
    for number, row in read_csv(path):
        report.read += 1
        category = clean_name(row.get("category"))
        slug = clean_name(row.get("theme"))
        if not category:
            report.refuse(f"row {number}", "no category")
        elif slug not in themes:
            report.refuse(f"row {number} ({category})", f"unknown theme {slug!r}")
        else:
            by_category[category].add(themes[slug])
    return dict(by_category)


def read_measures(path: Path, report: LoadReport) -> list[MeasureRecord]:
    """The measures of the file, each with its plan and status rows; bad records refused."""
    records = []
    for number, row in read_csv(path):
        report.read += 1
        records.append((number, clean_name(row.get("id")), clean_name(row.get("parent")), row))
    # A record without a parent is a category, wherever it stands in the file.
    categories = {key for _, key, parent, _ in records if key and not parent}

    measures: dict[str, MeasureRecord] = {}
    children = []
    seen: set[str] = set()
    for number, key, parent, row in records:
        label = f"{key or '(no id)'} (row {number})"
        if not key:
            report.refuse(label, "no id")
        elif len(key) > MAX_KEY_LENGTH:
            report.refuse(label, f"an id longer than {MAX_KEY_LENGTH} characters")
        elif key in seen:
            report.refuse(label, f"the id {key} appears twice; the first record kept")
        elif not parent:
            seen.add(key)
        elif parent in categories:
            seen.add(key)
            measure = read_measure(key, parent, row, label, report)
            if measure is not None:
                measures[key] = measure
        else:
            seen.add(key)
            children.append((label, key, parent, row))

    for label, key, parent, row in children:
        add_child(measures, label, key, parent, row, report)
    return list(measures.values())


def read_measure(
    key: str, category: str, row: dict[str, str | None], label: str, report: LoadReport
) -> MeasureRecord | None:
    """A measure record, or None (refused) when it has no title."""
    title = clean_name(row.get("title"))
    if not title:
        report.refuse(label, "a measure needs a title")
        return None
    if len(title) > MAX_TITLE_LENGTH:
        report.refuse(label, f"a title longer than {MAX_TITLE_LENGTH} characters")
        return None
    colour = clean_name(row.get("assessment")).lower()
    if colour not in IMPLEMENTATION_BY_COLOUR:
        report.flag(label, f"colour {colour!r} gives no implementation status; left blank")
    return MeasureRecord(key=key, category=category, title=title, colour=colour)


def add_child(
    measures: dict[str, MeasureRecord],
    label: str,
    key: str,
    parent: str,
    row: dict[str, str | None],
    report: LoadReport,
) -> None:
    """Attach a plan or status row to its measure, or refuse it with the reason."""
    measure = measures.get(parent)
    suffix = key.removeprefix(f"{parent}-") if key.startswith(f"{parent}-") else ""
    if measure is None:
        report.refuse(label, f"its parent {parent!r} is neither a category nor a loaded measure")
        return
    if suffix not in PERIODS:
        report.refuse(label, f"the id is not {parent}- followed by one of {', '.join(PERIODS)}")
        return
    colour = clean_name(row.get("assessment")).lower()
    if colour not in ASSESSMENT_BY_COLOUR:
        report.flag(label, f"colour {colour!r} is no assessment the file uses; loaded as none")
    measure.children[suffix] = ChildRecord(
        key=key, suffix=suffix, colour=colour, text=prose(row.get("text"))
    )


def prose(text: str | None) -> str:
    """The city's text, its literal ``<br>`` tags (a dozen rows have them) as line breaks."""
    return clean_text(LINE_BREAK_TAG.sub("\n", text or ""))


def case_values(measure: MeasureRecord, source: Source) -> dict:
    """The fields of the case that the file decides."""
    return {
        "title": measure.title,
        "title_folded": fold(measure.title),
        "implementation": IMPLEMENTATION_BY_COLOUR.get(measure.colour, ""),
        "summary": measure.child_text("Plan"),
        "actions": measure.latest_status_text(),
        "language": LANGUAGE,
        "licence": source.licence,
        "attribution": source.attribution,
    }


def write_cases(
    measures: list[MeasureRecord], source: Source, outcome: Outcome, report: LoadReport
) -> tuple[list[BestPractice], dict[str, int]]:
    """Create the new cases and update the changed ones; return the new cases and every
    case id by measure id."""
    existing = {
        practice.source_key: practice
        for practice in BestPractice.objects.filter(source=source).only(
            "id", "source_key", *_CASE_FIELDS
        )
    }
    slugs = SlugAllocator.for_model(BestPractice)
    now = timezone.now()
    new, changed, changed_names = [], [], set()
    for measure in measures:
        values = case_values(measure, source)
        flag_disagreement(measure, report)
        practice = existing.get(measure.key)
        if practice is None:
            new.append(
                BestPractice(
                    slug=slugs.allocate(measure.title, "de", measure.key),
                    status=Status.PUBLISHED,
                    published_at=now,
                    source=source,
                    source_key=measure.key,
                    **values,
                )
            )
            continue
        outcome.seen.add(practice.pk)
        names = changed_fields(practice, values)
        if names:
            practice.updated_at = now
            changed.append(practice)
            changed_names.update(names)
            outcome.updated.add(practice.pk)

    # Without history here: record_versions writes it once the cases' links are set too.
    BestPractice.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    if changed:
        BestPractice.objects.bulk_update(
            changed, [*sorted(changed_names), "updated_at"], batch_size=BULK_BATCH_SIZE
        )
    ids = dict(
        BestPractice.objects.filter(
            source=source, source_key__in=[measure.key for measure in measures]
        ).values_list("source_key", "id")
    )
    outcome.created |= {ids[practice.source_key] for practice in new}
    outcome.seen |= outcome.created

    missing = set(existing) - set(ids)
    for key in sorted(missing):
        report.flag(key, "a case loaded earlier is no longer in the file; left as it is")
    if new:
        logger.info("Münster measures: %s cases created", len(new))
    return new, ids


def record_import(new: list[BestPractice], changed_ids: set[int]) -> None:
    """Keep a version of every case the load created or changed (fields or links), in bulk."""
    record_versions(new, created=True, reason="import")
    if changed_ids:
        changed = list(BestPractice.objects.filter(pk__in=changed_ids))
        record_versions(changed, created=False, reason="import")


def flag_disagreement(measure: MeasureRecord, report: LoadReport) -> None:
    """Flag a measure whose own colour differs from its 2017/2018 status row's colour.

    LOADING.md takes the measure's colour as the city's latest assessment; where
    the latest status row says otherwise, a curator should know.
    """
    latest = measure.children.get("1718")
    # A status row without a known colour is flagged on its own; there is nothing to compare.
    if latest is None or latest.colour not in ASSESSMENT_BY_COLOUR:
        return
    if latest.colour == measure.colour:
        return
    report.flag(
        measure.key,
        f"the measure's colour {measure.colour!r} (implementation "
        f"{IMPLEMENTATION_BY_COLOUR.get(measure.colour, 'none')}) differs from its "
        f"2017/2018 assessment {latest.colour!r}",
    )


def update_values(child: ChildRecord) -> dict:
    """The fields of a progress update that the file decides."""
    period = PERIODS[child.suffix]
    return {
        "period": period.label,
        "period_start": period.start,
        "period_end": period.end,
        "assessment": ASSESSMENT_BY_COLOUR.get(child.colour, Assessment.NONE),
        "text": child.text,
    }


def write_progress_updates(
    measures: list[MeasureRecord], practice_ids: dict[str, int], source: Source, report: LoadReport
) -> None:
    """Create, update or (when their row left the file) delete the cases' progress updates.

    Updates a curator added by hand have no source key and are never touched.
    """
    existing = {
        (update.practice_id, update.source_key): update
        for update in ProgressUpdate.objects.filter(practice__source=source)
        .exclude(source_key="")
        .only("id", "practice_id", "source_key", *_UPDATE_FIELDS)
    }
    new, changed, changed_names, wanted = [], [], set(), set()
    for measure in measures:
        practice_id = practice_ids[measure.key]
        for suffix in PERIODS:
            child = measure.children.get(suffix)
            if child is None:
                continue
            wanted.add((practice_id, child.key))
            values = update_values(child)
            update = existing.get((practice_id, child.key))
            if update is None:
                new.append(ProgressUpdate(practice_id=practice_id, source_key=child.key, **values))
                report.created += 1
                continue
            names = changed_fields(update, values)
            if names:
                changed.append(update)
                changed_names.update(names)
                report.updated += 1
            else:
                report.unchanged += 1

    ProgressUpdate.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    if changed:
        ProgressUpdate.objects.bulk_update(
            changed, sorted(changed_names), batch_size=BULK_BATCH_SIZE
        )
    loaded = set(practice_ids.values())
    gone = [
        update
        for key, update in existing.items()
        if key not in wanted and update.practice_id in loaded
    ]
    if gone:
        ProgressUpdate.objects.filter(pk__in=[update.pk for update in gone]).delete()
        for update in gone:
            report.flag(update.source_key, "no longer in the file: its progress update removed")
