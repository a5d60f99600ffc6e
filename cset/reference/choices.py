from django.db import models
from django.utils.translation import gettext_lazy as _


class Continent(models.TextChoices):
    AFRICA = "AF", _("Africa")
    ANTARCTICA = "AN", _("Antarctica")
    ASIA = "AS", _("Asia")
    EUROPE = "EU", _("Europe")
    NORTH_AMERICA = "NA", _("North America")
    OCEANIA = "OC", _("Oceania")
    SOUTH_AMERICA = "SA", _("South America")


class PlaceKind(models.TextChoices):
    """What a place is."""

    REGION = "region", _("Region")
    DISTRICT = "district", _("District")
    CITY = "city", _("City")
    TOWN = "town", _("Town")
    VILLAGE = "village", _("Village")


class PlaceTier(models.TextChoices):
    """Which level of government a place is; peers are ranked within one tier."""

    STATE = "state", _("State")
    COMBINED = "combined", _("Combined authority")
    COUNTY = "county", _("County")
    LOCAL = "local", _("Local")


class IdentifierScheme(models.TextChoices):
    GEONAMES = "geonames", _("GeoNames id")
    GCOM = "gcom", _("Covenant of Mayors organisation id")
    DE_AGS = "de-ags", _("German municipality key (AGS)")
    GB_LA = "gb-la", _("UK local-authority code")
    GB_GSS = "gb-gss", _("UK GSS code")


class NameKind(models.TextChoices):
    OFFICIAL = "official", _("Official name")
    ALTERNATIVE = "alternative", _("Alternative name")


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


class Commitment(models.TextChoices):
    """Commitments a Covenant of Mayors signatory can take."""

    COM_2020 = "com2020", _("Covenant 2020 (20% CO2 cut)")
    COM_2030 = "com2030", _("Covenant 2030 (40% CO2 cut)")
    COM_2050 = "com2050", _("Covenant 2050 (climate neutrality)")
    MAYORS_ADAPT = "mayors_adapt", _("Mayors Adapt")


class OrganisationKind(models.TextChoices):
    GOVERNMENT = "government", _("National government")
    LOCAL_AUTHORITY = "local_authority", _("Local authority")
    AUTHORITY_GROUP = "authority_group", _("Group of local authorities")
    INTERNATIONAL = "international", _("International organisation")
    AGENCY = "agency", _("Agency")
    NETWORK = "network", _("Network")
    COMMUNITY = "community", _("Civil society or community group")
    COMPANY = "company", _("Company")
    RESEARCH = "research", _("Research or academia")
    OTHER = "other", _("Other")


class ActivityKind(models.TextChoices):
    PROJECT = "project", _("Project")
    OUTREACH = "outreach", _("Outreach")
    STUDY = "study", _("Study")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
