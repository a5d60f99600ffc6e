from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    ARCHIVED = "archived", _("Archived")


class Implementation(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    DISCONTINUED = "discontinued", _("Discontinued")


class ImpactBasis(models.TextChoices):
    ESTIMATED = "estimated", _("Estimated")
    ACHIEVED = "achieved", _("Achieved")


class EnergyBasis(models.TextChoices):
    FINAL = "final", _("Final energy")
    PRIMARY = "primary", _("Primary energy")


class Assessment(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    PARTIAL = "partial", _("Partly implemented")
    NOT_IMPLEMENTED = "not_implemented", _("Not implemented")
    NONE = "none", _("No assessment")


class CostKind(models.TextChoices):
    INVESTMENT = "investment", _("Investment (one-off)")
    OPERATING = "operating", _("Operating (per year)")


class FinancingKind(models.TextChoices):
    OWN_BUDGET = "own_budget", _("The place's own budget")
    NATIONAL_GRANT = "national_grant", _("National or regional grant")
    INTERNATIONAL_GRANT = "international_grant", _("International or EU grant")
    LOAN = "loan", _("Loan")
    PRIVATE = "private", _("Private investment or partnership")
    CITIZENS = "citizens", _("Citizens or cooperative")
    OTHER = "other", _("Other")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a curator")
    APPROVED = "approved", _("Added to the gazetteer")
    MERGED = "merged", _("Matched to a known place")
    DECLINED = "declined", _("Declined")
