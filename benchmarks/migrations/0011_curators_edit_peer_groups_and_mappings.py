"""Curators edit saved peer groups and indicator mappings in the admin (DESIGN.md: they
"edit taxonomies, indicators and places")."""

from django.db import migrations

GROUP = "Curators"
MODELS = {"savedpeergroup": "saved peer group", "indicatormapping": "indicator mapping"}
VERBS = ("add", "change", "delete", "view")


def _permissions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model, label in MODELS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="benchmarks", model=model)
        for verb in VERBS:
            permission, _ = Permission.objects.get_or_create(
                codename=f"{verb}_{model}",
                content_type=content_type,
                defaults={"name": f"Can {verb} {label}"},
            )
            yield permission


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def withdraw(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("benchmarks", "0010_bench_indexes"),
    ]

    operations = [migrations.RunPython(grant, withdraw)]
