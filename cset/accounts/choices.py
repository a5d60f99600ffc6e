"""Names the accounts app shares with every other app."""

from django.db import models


class Role(models.TextChoices):
    """The groups that carry the portal's roles (created by a data migration)."""

    SUBMITTERS = "Submitters"
    CURATORS = "Curators"
    PARTNERS = "Partners"
