"""The machinery every initial-data loader shares: source metadata, checksums,
reading files, and the per-file report.

A load is a sequence of steps. Each step reads the files of one or more
sources, writes in bulk inside one transaction, and stores each file's
checksum on its ``Source``; a step whose files are unchanged since the last
load is skipped and writes nothing.
"""

import csv
import gzip
import hashlib
import io
import logging
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from .models import Source

logger = logging.getLogger(__name__)

DATA_DIR = Path(settings.BASE_DIR) / "data"
BULK_BATCH_SIZE = 2000
_SOURCE_FIELDS = (
    "title",
    "publisher",
    "url",
    "licence",
    "licence_url",
    "attribution",
    "description",
)


@dataclass
class LoadReport:
    """What one step did to the rows of its file(s)."""

    name: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)
    skipped: bool = False
    seconds: float = 0.0

    def refuse(self, row: str, reason: str) -> None:
        """Record a row that was not loaded, and why."""
        self.refused.append((row, reason))

    def flag(self, row: str, reason: str) -> None:
        """Record a row that was loaded but deserves a look (ambiguous, inconsistent, …)."""
        self.flagged.append((row, reason))

    def merge(self, other: "LoadReport") -> None:
        """Add the counts of a sub-step to this report."""
        self.read += other.read
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.refused += other.refused
        self.flagged += other.flagged

    @property
    def wrote_nothing(self) -> bool:
        return self.skipped or (self.created == 0 and self.updated == 0)

    def lines(self, *, details: int = 10) -> list[str]:
        """Human-readable summary, with up to ``details`` refused and flagged rows each."""
        if self.skipped:
            return [f"{self.name}: unchanged since the last load, nothing written"]
        lines = [
            f"{self.name}: read {self.read}, created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, refused {len(self.refused)}, "
            f"flagged {len(self.flagged)} ({self.seconds:.1f} s)"
        ]
        for label, rows in (("refused", self.refused), ("flagged", self.flagged)):
            for row, reason in rows[:details]:
                lines.append(f"    {label} {row}: {reason}")
            if len(rows) > details:
                lines.append(f"    … and {len(rows) - details} more {label}")
        return lines


def source_catalogue(data_dir: Path = DATA_DIR) -> dict[str, dict]:
    """The entries of ``data/sources.toml``, by slug."""
    with open(data_dir / "sources.toml", "rb") as handle:
        return tomllib.load(handle)


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes, as stored."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_checksum(entry: dict, data_dir: Path) -> str:
    """One checksum over every file of a source (and the versions of packages it ships in)."""
    digest = hashlib.sha256()
    for name in entry.get("files", []):
        digest.update(f"{name}:{file_checksum(data_dir / name)}\n".encode())
    for package in entry.get("packages", []):
        digest.update(f"{package}=={version(package)}\n".encode())
    return digest.hexdigest()


def ensure_source(slug: str, entry: dict) -> Source:
    """The ``Source`` row for a catalogue entry, created or brought up to date."""
    values = {name: entry.get(name, "") for name in _SOURCE_FIELDS}
    values["retrieved_on"] = entry.get("retrieved_on")
    if isinstance(values["retrieved_on"], str):
        values["retrieved_on"] = date.fromisoformat(values["retrieved_on"])
    values["file_name"] = ", ".join(entry.get("files", []) or entry.get("packages", []))
    source, created = Source.objects.get_or_create(slug=slug, defaults=values)
    if not created and any(getattr(source, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(source, name, value)
        source.save()
    return source


@dataclass
class Step:
    """One step of the initial load: the sources it reads and the function that loads them.

    ``load`` receives the data folder and the step's sources by slug, and returns one
    report per file it read.
    """

    name: str
    sources: tuple[str, ...]
    load: Callable[[Path, dict[str, Source]], list[LoadReport]]


def run_step(step: Step, *, data_dir: Path = DATA_DIR, force: bool = False) -> list[LoadReport]:
    """Run ``step`` in one transaction, unless all its files are unchanged since the last load."""
    started = time.monotonic()
    catalogue = source_catalogue(data_dir)
    checksums = {slug: source_checksum(catalogue[slug], data_dir) for slug in step.sources}
    stored = dict(Source.objects.filter(slug__in=step.sources).values_list("slug", "checksum"))
    if not force and all(stored.get(slug) == checksum for slug, checksum in checksums.items()):
        logger.info("step %s skipped: its files are unchanged", step.name)
        return [LoadReport(name=step.name, skipped=True)]

    with transaction.atomic():
        sources = {slug: ensure_source(slug, catalogue[slug]) for slug in step.sources}
        reports = step.load(data_dir, sources)
        wrote = not all(report.wrote_nothing for report in reports)
        now = timezone.now()
        for slug, source in sources.items():
            if wrote or stored.get(slug) != checksums[slug]:
                Source.objects.filter(pk=source.pk).update(checksum=checksums[slug], loaded_at=now)

    seconds = time.monotonic() - started
    for report in reports:
        report.seconds = report.seconds or seconds
        logger.info(
            "%s: created %s, updated %s, refused %s",
            report.name,
            report.created,
            report.updated,
            len(report.refused),
        )
    return reports


def open_text(path: Path) -> io.TextIOBase:
    """Open a UTF-8 data file (optionally gzipped) for reading, dropping a byte-order mark."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as dicts, with their line-independent row numbers (header is row 1).

    Blank separator lines are skipped.
    """
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=2):
            if not any((value or "").strip() for value in row.values()):
                continue
            yield number, row


def parse_float(text: str | None) -> float | None:
    """A number written with ``.`` as decimal mark, or None for an empty cell.

    Raises ValueError on anything else, and on NaN and infinity.
    """
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    number = float(cleaned)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{cleaned!r} is not a finite number")
    return number


def changed_fields(instance, values: dict) -> list[str]:
    """Set ``values`` on ``instance`` and return the names of the fields that changed."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def insert_rows(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain tuples of already clean values into ``model``'s table, many per statement.

    Why not ``bulk_create``: it builds a model instance for each row and prepares each
    value through the field API, which for GeoNames' 360,000 names takes longer than the
    whole step may. The values must already be in their database form (see ``db_values``).
    """
    opts = model._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(opts.get_field(name).column) for name in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BULK_BATCH_SIZE):
            batch = rows[start : start + BULK_BATCH_SIZE]
            values = ", ".join([row_sql] * len(batch))
            # Table and column names come from the model, never from the data.
            sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608
            cursor.execute(sql, [value for row in batch for value in row])


@dataclass
class Outcome:
    """What happened to each row of a load (by primary key), so that each is counted once:
    created, else updated (its fields or its links), else unchanged."""

    created: set = field(default_factory=set)
    updated: set = field(default_factory=set)
    seen: set = field(default_factory=set)

    def count(self, report: LoadReport) -> None:
        updated = self.updated - self.created
        report.created += len(self.created)
        report.updated += len(updated)
        report.unchanged += len(self.seen - self.created - updated)


def sync_links(
    through: type[Model], owner_field: str, target_field: str, wanted: dict[int, set]
) -> set[int]:
    """Make the many-to-many links of each owner in ``wanted`` exactly the given targets.

    Works on the through table in bulk (two or three queries in all); returns the
    owners whose links changed.
    """
    existing: dict[int, set] = defaultdict(set)
    rows = through.objects.filter(**{f"{owner_field}__in": list(wanted)}).values_list(
        owner_field, target_field
    )
    for owner, target in rows:
        existing[owner].add(target)

    new = [
        through(**{owner_field: owner, target_field: target})
        for owner, targets in wanted.items()
        for target in sorted(targets - existing[owner])
    ]
    stale = {
        owner: targets - wanted[owner]
        for owner, targets in existing.items()
        if targets - wanted[owner]
    }
    through.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    if stale:
        condition = Q()
        for owner, targets in stale.items():
            condition |= Q(**{owner_field: owner, f"{target_field}__in": targets})
        through.objects.filter(condition).delete()
    return {getattr(link, owner_field) for link in new} | set(stale)
