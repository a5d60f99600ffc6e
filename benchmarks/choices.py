from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("Higher is better")
    LOWER_IS_BETTER = "lower_is_better", _("Lower is better")
    CONTEXT = "context", _("Context only")


class QuantityKind(models.TextChoices):
    FINAL_ENERGY = "final_energy", _("Final energy")
    PRIMARY_ENERGY = "primary_energy", _("Primary energy")
    EMISSIONS = "emissions", _("Emissions")
    SHARE = "share", _("Share")
    CAPACITY = "capacity", _("Capacity")
    INTENSITY = "intensity", _("Intensity")
    COUNT = "count", _("Count")
    POPULATION = "population", _("Population")
    AREA = "area", _("Area")
    MONEY = "money", _("Money")


class MappingScheme(models.TextChoices):
    ISO_37120 = "iso37120", _("ISO 37120:2018")
    ISO_37122 = "iso37122", _("ISO 37122:2019")
    U4SSC = "u4ssc", _("U4SSC KPIs")
    SDG = "sdg", _("SDG indicator")


class MappingMatch(models.TextChoices):
    EXACT = "exact", _("Exact")
    ADAPTED = "adapted", _("Adapted")


class Method(models.TextChoices):
    METERED = "metered", _("Metered")
    SURVEYED = "surveyed", _("Surveyed")
    MODELLED = "modelled", _("Modelled")
    ESTIMATED = "estimated", _("Estimated")
    REPORTED = "reported", _("Reported")


class Verification(models.TextChoices):
    SELF_REPORTED = "self_reported", _("Self-reported")
    SECRETARIAT_REVIEWED = "secretariat_reviewed", _("Reviewed by the secretariat")
    THIRD_PARTY_VERIFIED = "third_party_verified", _("Verified by a third party")


class Notation(models.TextChoices):
    """Why a value is missing (the Covenant of Mayors' notation keys)."""

    NOT_OCCURRING = "NO", _("Not occurring")
    INCLUDED_ELSEWHERE = "IE", _("Included elsewhere")
    NOT_ESTIMATED = "NE", _("Not estimated")
    CONFIDENTIAL = "C", _("Confidential")
    NOT_REPORTED = "NR", _("Not reported")


class QualityFlag(models.TextChoices):
    INCONSISTENT_TOTAL = "inconsistent_total", _("Sectors disagree with the total")
    THOUSANDS_SEPARATOR_READ = (
        "thousands_separator_read",
        _("Read with a thousands separator, as the total requires"),
    )
    REPEATS_EARLIER_YEAR = (
        "repeats_earlier_year",
        _("Every part as in the source's year before: possibly not updated"),
    )
