"""The curated themes of DESIGN.md's glossary; curators edit them afterwards."""

from django.db import migrations

THEMES = [
    ("district-energy", "District energy", "Heat and cold networks serving many buildings."),
    ("waste-to-energy", "Waste-to-energy", "Heat, power or fuel recovered from municipal waste."),
    ("building-efficiency", "Building efficiency", "Less energy used in new and existing buildings."),
    ("public-lighting", "Public lighting", "Street and public-space lighting."),
    ("renewable-generation", "Renewable generation", "Solar, wind, biomass and hydro power and heat."),
    ("transport", "Transport", "Public transport, cycling, walking and cleaner vehicles."),
    ("planning-and-policy", "Planning and policy", "Plans, targets, rules and land use."),
    ("rural-energy-access", "Rural energy access", "Modern energy for villages and rural areas."),
    ("finance-and-procurement", "Finance and procurement", "Funding, financing and purchasing."),
    ("governance-and-capacity", "Governance and capacity", "Organisation, staff, data and skills."),
    ("awareness-and-behaviour", "Awareness and behaviour", "Information, advice and participation."),
    ("adaptation", "Adaptation", "Preparing for the effects of a changing climate."),
]


def seed_themes(apps, schema_editor):
    Theme = apps.get_model("reference", "Theme")
    for position, (slug, name, description) in enumerate(THEMES, start=1):
        Theme.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def remove_themes(apps, schema_editor):
    Theme = apps.get_model("reference", "Theme")
    Theme.objects.filter(slug__in=[slug for slug, _, _ in THEMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]

    operations = [migrations.RunPython(seed_themes, remove_themes)]
