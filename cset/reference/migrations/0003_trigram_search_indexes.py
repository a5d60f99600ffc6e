"""Trigram indexes for substring search on folded names, on PostgreSQL only.

Search matches ``name_folded LIKE '%text%'``; a B-tree cannot serve that, a
trigram GIN index can. SQLite has no such index and scans, which is fine at
development scale.
"""

from django.db import migrations

INDEXES = [
    ("reference_place", "name_folded", "place_name_folded_trgm"),
    ("reference_placename", "name_folded", "placename_name_folded_trgm"),
    ("reference_organisation", "name_folded", "organisation_name_folded_trgm"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reference", "0002_seed_themes")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
