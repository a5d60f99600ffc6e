"""Best practices: the case, its impacts, progress updates, links and attachments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from benchmarks.choices import Verification
from benchmarks.models import Indicator
from cset.reference.models import Organisation, Place, Source, Theme
from cset.reference.text import clean_name, fold

from .choices import Assessment, EnergyBasis, ImpactBasis, Implementation, Status

DEFAULT_LICENCE = "CC-BY-4.0"


class BestPracticeQuerySet(models.QuerySet):
    def published(self) -> "BestPracticeQuerySet":
        """The cases that exist for the public. Every public entry point starts here."""
        return self.filter(status=Status.PUBLISHED)


class BestPractice(models.Model):
    """A case: what a place did for energy efficiency or clean energy, and how it went."""

    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    title = models.CharField(_("title"), max_length=300)
    title_folded = models.CharField(max_length=300, editable=False, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    implementation = models.CharField(
        _("implementation"), max_length=12, choices=Implementation.choices, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)
    context = models.TextField(_("context and problem"), blank=True)
    actions = models.TextField(_("what was done"), blank=True)
    results = models.TextField(_("results"), blank=True)
    costs = models.TextField(_("costs and financing"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    replication = models.TextField(_("conditions for replication"), blank=True)
    places = models.ManyToManyField(Place, blank=True, related_name="practices")
    themes = models.ManyToManyField(Theme, blank=True, related_name="practices")
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="practices")
    start_year = models.PositiveSmallIntegerField(_("started in"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("ended in"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=12, default="en")
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_is_public = models.BooleanField(_("show the contact publicly"), default=False)
    licence = models.CharField(_("licence"), max_length=120, default=DEFAULT_LICENCE)
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="practices"
    )
    source_key = models.CharField(_("key in the source"), max_length=100, blank=True)
    attribution = models.TextField(_("attribution"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practices",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BestPracticeQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "pk"]
        verbose_name = _("best practice")
        verbose_name_plural = _("best practices")
        indexes = [
            models.Index(fields=["status", "published_at", "id"], name="practice_published_idx"),
            models.Index(fields=["status", "title", "id"], name="practice_title_idx"),
            models.Index(fields=["status", "language"], name="practice_language_idx"),
            models.Index(fields=["status", "implementation"], name="practice_implementation_idx"),
            models.Index(fields=["status", "start_year"], name="practice_start_year_idx"),
            models.Index(fields=["status", "end_year"], name="practice_end_year_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__isnull=True)
                | Q(start_year__isnull=True)
                | Q(end_year__gte=models.F("start_year")),
                name="practice_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(start_year__gte=1900, start_year__lte=2100),
                name="practice_start_year_in_range",
            ),
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~Q(source_key=""),
                name="practice_unique_source_key",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="practice_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.title = clean_name(self.title)
        self.title_folded = fold(self.title)
        super().save(*args, **kwargs)


class Impact(models.Model):
    """A measured or estimated effect of a case, with its unit and basis."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="impacts")
    metric = models.CharField(_("metric"), max_length=200)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.SET_NULL, null=True, blank=True, related_name="impacts"
    )
    value = models.FloatField(_("value"))
    unit = models.CharField(_("unit"), max_length=40)
    period = models.CharField(_("period"), max_length=60, blank=True, default="per year")
    baseline = models.CharField(_("baseline"), max_length=200, blank=True)
    basis = models.CharField(_("basis"), max_length=10, choices=ImpactBasis.choices)
    energy_basis = models.CharField(
        _("energy basis"), max_length=10, choices=EnergyBasis.choices, blank=True
    )
    verification = models.CharField(
        _("verification"),
        max_length=24,
        choices=Verification.choices,
        default=Verification.SELF_REPORTED,
    )
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        ordering = ["practice", "pk"]
        verbose_name = _("impact")
        verbose_name_plural = _("impacts")

    def __str__(self) -> str:
        return f"{self.metric}: {self.value} {self.unit}"


class ProgressUpdate(models.Model):
    """A dated account of how a case is going."""

    practice = models.ForeignKey(
        BestPractice, on_delete=models.CASCADE, related_name="progress_updates"
    )
    period = models.CharField(_("period"), max_length=40, help_text=_("e.g. 2015/2016"))
    period_start = models.PositiveSmallIntegerField(_("from year"), null=True, blank=True)
    period_end = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    assessment = models.CharField(
        _("assessment"), max_length=20, choices=Assessment.choices, default=Assessment.NONE
    )
    text = models.TextField(_("text"), blank=True)
    source_key = models.CharField(_("key in the source"), max_length=100, blank=True)

    class Meta:
        # The plan (no year) first on every database: SQLite and PostgreSQL differ by default.
        ordering = ["practice", models.F("period_start").asc(nulls_first=True), "pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="progress_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.period}"


class PracticeLink(models.Model):
    """A web page about the case."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(_("URL"), max_length=500)
    title = models.CharField(_("title"), max_length=300, blank=True)

    class Meta:
        ordering = ["practice", "pk"]
        verbose_name = _("link")
        verbose_name_plural = _("links")

    def __str__(self) -> str:
        return self.title or self.url


class Attachment(models.Model):
    """A document or picture of the case (PDF or raster image)."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    title = models.CharField(_("title"), max_length=300)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["practice", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.title
