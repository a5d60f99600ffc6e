"""Folded keys after fold() learnt letters Unicode does not decompose (ł, ı, ø, æ, đ):
every stored key is recomputed, or a search for "lodz" would miss Łódź."""

from django.db import migrations

from cset.reference.text import refold

FOLDED = [
    ("reference", "Country", "name", "name_folded"),
    ("reference", "Place", "name", "name_folded"),
    ("reference", "PlaceName", "name", "name_folded"),
    ("reference", "Organisation", "name", "name_folded"),
    ("benchmarks", "Indicator", "name", "name_folded"),
    ("practices", "BestPractice", "title", "title_folded"),
    ("events", "Event", "title", "title_folded"),
]


def refold_every_key(apps, schema_editor):
    for app, model, source, key in FOLDED:
        refold(apps.get_model(app, model), source, key)


class Migration(migrations.Migration):
    dependencies = [
        ("reference", "0007_place_region_index"),
        ("benchmarks", "0017_year_range_message"),
        ("events", "0003_indexes_for_api_orderings"),
        ("practices", "0008_proposal_coordinates_are_finite"),
    ]

    operations = [migrations.RunPython(refold_every_key, migrations.RunPython.noop)]
