"""``manage.py refresh_benchmarks``: recompute derived values and every stored standing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from benchmarks import stored_standings
from benchmarks.derived import refresh_derived


class Command(BaseCommand):
    help = (
        "Recompute every derived value (per person, per 1,000 inhabitants) and every stored "
        "standing. The portal does both after each write it makes; run this after writing "
        "measurements by other means (SQL, a shell)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            report = refresh_derived()
            written = stored_standings.refresh()
        self.stdout.write(
            f"Derived values: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged. {written:,} standings stored."
        )
