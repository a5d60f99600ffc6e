"""``manage.py expire_import_dry_runs``: drop the files of old import dry runs."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from benchmarks.imports import expire_dry_runs


class Command(BaseCommand):
    help = (
        "Drop the kept files of measurement-import dry runs older than --days (default: "
        "IMPORT_DRY_RUN_DAYS). Their plans stay in the import history; committing one asks "
        "for the file again. Run it daily, from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.IMPORT_DRY_RUN_DAYS)

    def handle(self, *args, days: int, **options):
        if days < 0:
            raise CommandError("--days cannot be negative.")
        count = expire_dry_runs(days)
        self.stdout.write(f"{count} dry runs older than {days} days expired.")
