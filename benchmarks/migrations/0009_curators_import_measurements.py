"""Curators may import measurements: the Curators group gets ``import_measurement``.

The permission is created here when missing, because Django creates a new model's
permissions only after every migration has run (post_migrate), and this one needs it now.
"""

from django.db import migrations

CODENAME = "import_measurement"
NAME = "Can import measurements from CSV or XLSX files"
GROUP = "Curators"


def grant_import_to_curators(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="benchmarks", model="importbatch")
    permission, _ = Permission.objects.get_or_create(
        codename=CODENAME, content_type=content_type, defaults={"name": NAME}
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def withdraw_import_from_curators(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(codename=CODENAME, content_type__app_label="benchmarks")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("benchmarks", "0008_import_batches"),
    ]

    operations = [
        migrations.RunPython(grant_import_to_curators, withdraw_import_from_curators),
    ]
