"""The role groups (Submitters, Curators, Partners) with their permissions.

Permissions are found by codename and created when missing, so this works
whether or not the practices migration that declares the case permissions has
run its post-migrate step yet.
"""

from django.db import migrations

# (app label, model, verb or codename): a verb means "<verb>_<model>".
CASE = ("practices", "bestpractice")
CASE_PERMISSION_NAMES = {
    "review_bestpractice": "Can review, publish, reject and archive cases",
    "submit_bestpractice": "Can write and submit cases",
}
ROLES = {
    "Submitters": [
        (*CASE, "submit_bestpractice"),
        (*CASE, "add"),
        (*CASE, "view"),
    ],
    "Curators": [
        (*CASE, "review_bestpractice"),
        (*CASE, "submit_bestpractice"),
        (*CASE, "add"),
        (*CASE, "change"),
        (*CASE, "view"),
        *[
            (app_label, model, verb)
            for app_label, model in [
                ("reference", "place"),
                ("reference", "organisation"),
                ("reference", "theme"),
                ("benchmarks", "indicator"),
                ("benchmarks", "measurement"),
            ]
            for verb in ("change", "view")
        ],
        ("benchmarks", "measurement", "add"),
    ],
    "Partners": [
        (*CASE, "view"),
    ],
}


def _permission(apps, app_label, model, verb_or_codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    if verb_or_codename in ("add", "change", "delete", "view"):
        codename = f"{verb_or_codename}_{model}"
        verbose_name = apps.get_model(app_label, model)._meta.verbose_name
        name = f"Can {verb_or_codename} {verbose_name}"
    else:
        codename = verb_or_codename
        name = CASE_PERMISSION_NAMES[codename]
    permission, _ = Permission.objects.get_or_create(
        codename=codename, content_type=content_type, defaults={"name": name}
    )
    return permission


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group_name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*(_permission(apps, *spec) for spec in wanted))


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_profile'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('practices', '0003_indexes_for_api_orderings'),
        ('benchmarks', '0005_measurement_coverage_index'),
        ('reference', '0006_membership_place_network_index'),
    ]

    operations = [
        migrations.RunPython(create_role_groups, remove_role_groups),
    ]
