"""Indicators, their values per place and year, and the targets places set."""

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cset.reference.choices import PlaceTier
from cset.reference.models import Country, Place, Source, Theme
from cset.reference.text import clean_name, folded_key

from .choices import (
    Direction,
    MappingMatch,
    MappingScheme,
    Method,
    Notation,
    QualityFlag,
    QuantityKind,
    Verification,
)
from .units import UnitError, convert, known_units

YEAR_RANGE = Q(year__gte=1900, year__lte=2100)
YEAR_RANGE_MESSAGE = _("Give a year from 1900 to 2100.")


def validate_quality_flags(flags) -> None:
    """A list of known quality flags, each once (JSON lets anything in)."""
    known = QualityFlag.values
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        raise ValidationError(
            _('Give a list of quality flags, such as [] or ["%(flag)s"].') % {"flag": known[0]}
        )
    unknown = [flag for flag in flags if flag not in known]
    if unknown or len(set(flags)) != len(flags):
        raise ValidationError(_("Each flag once, among: %(flags)s.") % {"flags": ", ".join(known)})


class Indicator(models.Model):
    """A quantity measured for places: code, canonical unit, direction and meaning."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_folded = models.CharField(max_length=200, editable=False, db_index=True, default="")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="indicators"
    )
    unit = models.CharField(_("canonical unit"), max_length=40)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    quantity_kind = models.CharField(
        _("quantity kind"), max_length=20, choices=QuantityKind.choices
    )
    definition = models.TextField(_("definition"), blank=True)
    # A national statistic (UK emissions, the German registers) has values for places of
    # its country only; an import refuses others.
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
        help_text=_("Set when only places of this country can have values (a national statistic)."),
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="indicators",
        help_text=_("Where the indicator's values come from, when a single source defines it."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        indexes = [models.Index(fields=["name", "id"], name="indicator_name_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = clean_name(self.name)
        self.name_folded = folded_key(self, "name", "name_folded")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A unit we can convert into; once values are stored in it, it stays (they are not
        converted)."""
        super().clean()
        if self.unit not in known_units():
            raise ValidationError(
                {"unit": _("Unknown unit “%(unit)s”.") % {"unit": self.unit[:40]}}
            )
        stored = Indicator.objects.filter(pk=self.pk).values_list("unit", flat=True).first()
        if stored not in (None, self.unit) and self.measurements.exists():
            raise ValidationError(
                {
                    "unit": _(
                        "Its values are stored in %(unit)s: the unit cannot change under them."
                    )
                    % {"unit": stored}
                }
            )


class IndicatorMapping(models.Model):
    """The indicator's counterpart in an external framework (ISO 37120, SDG, …)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="mappings")
    scheme = models.CharField(_("scheme"), max_length=10, choices=MappingScheme.choices)
    code = models.CharField(_("code"), max_length=30)
    match = models.CharField(_("match"), max_length=10, choices=MappingMatch.choices)

    class Meta:
        ordering = ["indicator", "scheme", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "scheme", "code"], name="indicatormapping_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.code}"


class Measurement(models.Model):
    """One value of one indicator for one place and year, from one source.

    The value is kept as given (with its unit) and in the indicator's canonical
    unit. A missing value carries a notation saying why, never a 0.
    """

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="measurements")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="measurements")
    value = models.FloatField(_("value as given"), null=True, blank=True)
    unit = models.CharField(_("unit as given"), max_length=40)
    value_canonical = models.FloatField(_("value in the canonical unit"), null=True, blank=True)
    notation = models.CharField(
        _("notation"),
        max_length=2,
        choices=Notation.choices,
        blank=True,
        help_text=_("Why the value is missing."),
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    verification = models.CharField(_("verification"), max_length=24, choices=Verification.choices)
    quality_flags = models.JSONField(
        _("quality flags"), default=list, blank=True, validators=[validate_quality_flags]
    )
    note = models.TextField(_("note"), blank=True)
    # The inputs of a derived value (per capita, per 1,000 inhabitants): it goes with them.
    numerator = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("numerator"),
    )
    denominator = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("denominator"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["place", "indicator", "year", "pk"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        indexes = [
            models.Index(
                fields=["indicator", "year", "value_canonical"], name="measurement_rank_idx"
            ),
            models.Index(fields=["place", "indicator", "year"], name="measurement_place_idx"),
            models.Index(fields=["year", "id"], name="measurement_year_idx"),
            models.Index(fields=["source", "id"], name="measurement_source_idx"),
            models.Index(fields=["source", "place"], name="measurement_source_place_idx"),
            models.Index(
                fields=["indicator", "place", "value_canonical"], name="measurement_coverage_idx"
            ),
            models.Index(fields=["verification", "id"], name="measurement_verified_idx"),
            # The sources an indicator's values come from, one probe per source.
            models.Index(fields=["indicator", "source"], name="measurement_sources_idx"),
            models.Index(fields=["method", "id"], name="measurement_method_idx"),
            models.Index(fields=["value_canonical", "id"], name="measurement_value_idx"),
            # A peer comparison reads it alone (see migration 0010).
            models.Index(
                fields=[
                    "indicator",
                    "year",
                    "place",
                    "value_canonical",
                    "verification",
                    "source",
                    "id",
                ],
                name="measurement_peers_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "indicator", "year", "source"], name="measurement_unique"
            ),
            models.CheckConstraint(
                condition=YEAR_RANGE,
                name="measurement_year_in_range",
                violation_error_message=YEAR_RANGE_MESSAGE,
            ),
            # A value always has its canonical reading: comparisons read only that one.
            models.CheckConstraint(
                condition=Q(value__isnull=False, value_canonical__isnull=False, notation="")
                | Q(value__isnull=True, value_canonical__isnull=True) & ~Q(notation=""),
                name="measurement_value_or_notation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.place_id} {self.year}"

    def clean(self) -> None:
        """Check a value entered by hand and compute its canonical reading, as an import
        does: a value or a notation, never both; a finite number; a unit of the indicator's
        dimension."""
        super().clean()
        # Validators skip empty values: {} or "" would be stored as they are.
        if not self.quality_flags:
            self.quality_flags = []
        if self.value is not None and self.notation:
            raise ValidationError(
                {"notation": _("Give a value or a notation saying why it is missing, not both.")}
            )
        if self.value is None:
            if not self.notation:
                raise ValidationError(
                    {"value": _("Give a value, or a notation saying why it is missing.")}
                )
            self.value_canonical = None
            return
        if not math.isfinite(self.value):
            raise ValidationError({"value": _("Give a finite number.")})
        if self.indicator_id is not None and self.unit:
            self.value_canonical = self._canonical()

    def _canonical(self) -> float:
        try:
            canonical = convert(self.value, self.unit, self.indicator.unit)
        except UnitError as error:
            raise ValidationError({"unit": str(error)}) from None
        if not math.isfinite(canonical):
            raise ValidationError({"value": _("The value is too large in the indicator's unit.")})
        return canonical


class StoredStanding(models.Model):
    """Where a place stood for an indicator in a year among the places of its tier in its
    country: the peer group a scorecard shows by default.

    A scorecard ranks one place on some twenty indicators among up to 10,000 peers each;
    reading these rows instead keeps it fast. They are written only by
    ``benchmarks.stored_standings.refresh``, after every write of measurements, places or
    indicators that could move a rank; ``position`` and ``share_below`` are the raw figures
    of ``peers._standing`` (the n < 5 rule is applied when they are read).
    """

    measurement = models.OneToOneField(Measurement, on_delete=models.CASCADE, related_name="+")
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="+", db_index=False)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    value = models.FloatField()
    position = models.PositiveIntegerField()
    share_below = models.FloatField(null=True)
    group_size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("stored standing")
        verbose_name_plural = _("stored standings")
        indexes = [models.Index(fields=["indicator", "year"], name="storedstanding_pair_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "indicator", "year"], name="storedstanding_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.place_id} {self.year}: {self.position}"


class Target(models.Model):
    """A value a place plans to reach for an indicator by a year (a target, not a measurement)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("target year"))
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="targets")
    value = models.FloatField(_("value as given"))
    unit = models.CharField(_("unit as given"), max_length=40)
    value_canonical = models.FloatField(_("value in the canonical unit"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["place", "indicator", "year", "pk"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "indicator", "year", "source"], name="target_unique"
            ),
            models.CheckConstraint(
                condition=YEAR_RANGE,
                name="target_year_in_range",
                violation_error_message=YEAR_RANGE_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.place_id} by {self.year}"


class SavedPeerGroup(models.Model):
    """A curated list of peers (the eco-energy towns of one programme, say), of one tier."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=PlaceTier.choices)
    places = models.ManyToManyField(Place, related_name="saved_peer_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved peer group")
        verbose_name_plural = _("saved peer groups")

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    DRY_RUN = "dry_run", _("Dry run")
    COMMITTED = "committed", _("Committed")
    REFUSED = "refused", _("Refused")
    # A dry run whose file was dropped after IMPORT_DRY_RUN_DAYS; its plan stays.
    EXPIRED = "expired", _("Expired")


IMPORT_PERMISSION = "benchmarks.import_measurement"


class ImportBatch(models.Model):
    """One upload of measurements by a curator: the file as uploaded, what its dry run
    planned row by row, and whether it was committed.

    ``changes`` holds one entry per row (its outcome, the reasons of a refusal, and for an
    update the old and new values), so that history shows what an import changed. The
    file's bytes are kept (within ``IMPORT_MAX_BYTES``) so that a commit re-reads the very
    file the dry run read.
    """

    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    checksum = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    content = models.BinaryField(_("file content"), default=b"", editable=False)
    # A digest of what the dry run found stored; a commit that finds otherwise is refused.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    refused_count = models.PositiveIntegerField(_("refused"), default=0)
    changes = models.JSONField(_("changes row by row"), default=list, blank=True)
    message = models.TextField(_("why the file was refused"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("committed by"),
    )
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("measurement import")
        verbose_name_plural = _("measurement imports")
        permissions = [
            ("import_measurement", "Can import measurements from CSV or XLSX files"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ImportStatus.COMMITTED) | Q(committed_at__isnull=False),
                name="importbatch_committed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
