"""``manage.py load_initial_data``: load every real data set of data/, in order."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection

from benchmarks import stored_standings
from benchmarks.derived import DERIVED, refresh_derived
from benchmarks.models import Indicator
from cset.reference.loading import DATA_DIR, run_step
from cset.site.loading_steps import INITIAL_LOAD


class Command(BaseCommand):
    help = (
        "Load the real data sets under data/ as data/LOADING.md says, in its order. "
        "A step whose files are unchanged since the last load is skipped and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run every step even over unchanged files."
        )
        parser.add_argument(
            "--data-dir", type=Path, default=DATA_DIR, help="Folder holding the data files."
        )
        parser.add_argument(
            "--details",
            type=int,
            default=10,
            help="How many refused and flagged rows to list per file.",
        )

    def handle(self, *args, force: bool, data_dir: Path, details: int, **options):
        started = time.monotonic()
        reports = []
        for step in INITIAL_LOAD:
            self.stdout.write(f"{step.name} …")
            reports += run_step(step, data_dir=data_dir, force=force)
        if self._inputs_changed(reports, force):
            self.stdout.write("Derived indicators …")
            reports.append(refresh_derived())
        wrote = not all(report.wrote_nothing for report in reports)
        if wrote or stored_standings.is_empty():
            self.stdout.write("Standings among peers …")
            written = stored_standings.refresh()
            self.stdout.write(f"  {written:,} standings stored.")

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Report per file"))
        for report in reports:
            for line in report.lines(details=details):
                self.stdout.write(line)

        if wrote:
            # Fresh statistics after a bulk load: without them SQLite ran the network
            # filter as a nested loop over every place and membership (minutes).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        elapsed = time.monotonic() - started
        if not wrote:
            self.stdout.write(
                self.style.SUCCESS(f"Nothing changed: no data written ({elapsed:.1f} s).")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Initial data loaded in {elapsed:.1f} s."))

    @staticmethod
    def _inputs_changed(reports, force: bool) -> bool:
        """Whether derived values need computing: their inputs changed, or they never were."""
        if force or not all(report.wrote_nothing for report in reports):
            return True
        codes = [spec.indicator.code for spec in DERIVED]
        return Indicator.objects.filter(code__in=codes).count() < len(codes)
