"""Best practices: the case, its impacts, progress updates, links and attachments; the
audit record of its workflow."""

import math
from decimal import Decimal

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from benchmarks.choices import Verification
from benchmarks.models import Indicator
from benchmarks.units import UNIT_EXPRESSIONS, UnitError, conversion_factor
from cset.reference.models import Country, Organisation, Place, Source, Theme
from cset.reference.text import clean_name, folded_key
from cset.reference.validators import FiniteInRange

from .choices import (
    Assessment,
    CostKind,
    EnergyBasis,
    FinancingKind,
    ImpactBasis,
    Implementation,
    ProposalStatus,
    Status,
)

DEFAULT_LICENCE = "CC-BY-4.0"

# Django's names of the two workflow permissions (granted through the groups of DESIGN.md).
REVIEW_PERMISSION = "practices.review_bestpractice"
SUBMIT_PERMISSION = "practices.submit_bestpractice"

# The states in which a submitter may still change their own case.
SUBMITTER_EDITABLE_STATES = (Status.DRAFT, Status.CHANGES_REQUESTED)

# The longest section a case may have (about 3,000 words); titles stop at 300.
SECTION_MAX_LENGTH = 20_000
SECTION_FIELDS = ("summary", "context", "actions", "results", "costs", "lessons", "replication")


def is_curator(user) -> bool:
    """Whether ``user`` may review, publish, reject and archive cases (superusers may)."""
    return bool(user and user.is_authenticated and user.has_perm(REVIEW_PERMISSION))


def is_submitter(user) -> bool:
    """Whether ``user`` may write and submit cases."""
    return bool(user and user.is_authenticated and user.has_perm(SUBMIT_PERMISSION))


class BestPracticeQuerySet(models.QuerySet):
    def published(self) -> "BestPracticeQuerySet":
        """The cases that exist for the public. Every public entry point starts here."""
        return self.filter(status=Status.PUBLISHED)

    def visible_to(self, user) -> "BestPracticeQuerySet":
        """The cases ``user`` may read: published ones; their own; every case for curators."""
        if is_curator(user):
            return self.all()
        if user is None or not user.is_authenticated:
            return self.published()
        return self.filter(Q(status=Status.PUBLISHED) | Q(submitted_by=user))


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
    # The curator who has taken the case on; not a state, so no transition records it.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_practices",
        verbose_name=_("assigned to"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    submission_key = models.UUIDField(
        _("submission key"),
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("Chosen by the submitting form or client, so that a repeated submit is one."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BestPracticeQuerySet.as_manager()
    # Every save through the model is kept, with who made it and (for transitions) why,
    # and with the places, themes and organisations the case had at that moment.
    history = HistoricalRecords(m2m_fields=[places, themes, organisations])

    class Meta:
        ordering = ["-published_at", "pk"]
        verbose_name = _("best practice")
        verbose_name_plural = _("best practices")
        permissions = [
            ("review_bestpractice", "Can review, publish, reject and archive cases"),
            ("submit_bestpractice", "Can write and submit cases"),
        ]
        indexes = [
            models.Index(fields=["status", "published_at", "id"], name="practice_published_idx"),
            models.Index(fields=["status", "title", "id"], name="practice_title_idx"),
            models.Index(fields=["status", "language"], name="practice_language_idx"),
            models.Index(fields=["status", "implementation"], name="practice_implementation_idx"),
            models.Index(fields=["status", "start_year"], name="practice_start_year_idx"),
            models.Index(fields=["status", "end_year"], name="practice_end_year_idx"),
            # The review queue: open states, oldest change first.
            models.Index(fields=["status", "updated_at", "id"], name="practice_review_queue_idx"),
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
        self.title_folded = folded_key(self, "title", "title_folded")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The rules every form and API write meets, beyond the fields' own."""
        self.title = clean_name(self.title)
        errors = {}
        if not self.title:
            errors["title"] = _("A case needs a title.")
        for field in self._meta.concrete_fields:
            is_text = isinstance(field, models.CharField | models.TextField)
            if is_text and "\x00" in (getattr(self, field.attname) or ""):
                errors[field.name] = _("Null characters are not allowed.")
        for name in SECTION_FIELDS:
            if len(getattr(self, name) or "") > SECTION_MAX_LENGTH:
                errors[name] = _("At most %(limit)s characters, please.") % {
                    "limit": f"{SECTION_MAX_LENGTH:,}"
                }
        for name in ("start_year", "end_year"):
            year = getattr(self, name)
            if year is not None and not 1900 <= year <= 2100:
                errors[name] = _("Give a year between 1900 and 2100.")
        if self.start_year and self.end_year and self.end_year < self.start_year:
            errors.setdefault("end_year", _("A case cannot end before it starts."))
        if errors:
            raise ValidationError(errors)

    def is_editable_by(self, user) -> bool:
        """Curators edit in any state; a submitter edits their own case in draft or when
        changes are requested."""
        if is_curator(user):
            return True
        return (
            is_submitter(user)
            and self.submitted_by_id == user.pk
            and self.status in SUBMITTER_EDITABLE_STATES
        )


class Transition(models.Model):
    """The audit record of one workflow step: who moved a case from which state to which."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practice_transitions",
    )
    actor_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practice_transitions",
        help_text=_("The organisation that acted through an API key."),
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["practice", "created_at", "pk"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        indexes = [
            models.Index(fields=["practice", "created_at", "id"], name="transition_practice_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id}: {self.from_status} → {self.to_status}"


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

    history = HistoricalRecords()

    class Meta:
        ordering = ["practice", "pk"]
        verbose_name = _("impact")
        verbose_name_plural = _("impacts")

    def __str__(self) -> str:
        return f"{self.metric}: {self.value} {self.unit}"

    def clean(self) -> None:
        """The rules every form and API write of an impact meets: a metric that is more
        than blanks, a finite value, a unit of our vocabulary, and, when the impact names
        the indicator it moves, a unit that converts into the indicator's."""
        errors = {}
        for name in ("metric", "unit", "period", "baseline", "source"):
            if "\x00" in (getattr(self, name) or ""):
                errors[name] = _("Null characters are not allowed.")
        # An empty metric is the field's "blank" error; one of blanks only is this rule's.
        given = self.metric
        self.metric = clean_name(self.metric)
        if given and not self.metric and "metric" not in errors:
            errors["metric"] = _("Say what the impact measures.")
        # A value the field could not read is the field's error already, not this rule's.
        if isinstance(self.value, float | int) and not math.isfinite(self.value):
            errors["value"] = _("Give a finite number.")
        unit_error = self._unit_error()
        if unit_error and "unit" not in errors:
            errors["unit"] = unit_error
        if errors:
            raise ValidationError(errors)

    def _unit_error(self) -> str | None:
        # An empty unit is the field's "required" error; a form leaves it empty when its
        # own choice field refused the value, and one message is enough.
        if not self.unit:
            return None
        if self.unit not in UNIT_EXPRESSIONS:
            return _("“%(unit)s” is not a unit the portal knows; choose one from the list.") % {
                "unit": self.unit
            }
        if self.indicator is None:
            return None
        try:
            conversion_factor(self.unit, self.indicator.unit)
        except UnitError:
            return _(
                "%(unit)s cannot be expressed in %(canonical)s; choose a unit of the same kind."
            ) % {"unit": self.unit, "canonical": self.indicator.unit}
        return None


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


WEB_SCHEMES = frozenset({"http", "https"})


def validate_web_address(url: str) -> None:
    """Refuse links that are not web pages (``javascript:``, ``data:``, ``ftp:`` …).

    An address without a scheme is left to the URL validator, which refuses it in
    words of its own; the form adds ``https://`` to it first.
    """
    scheme, separator, _rest = (url or "").partition(":")
    if separator and scheme and scheme.lower() not in WEB_SCHEMES:
        raise ValidationError(
            _("Only web addresses that start with http:// or https:// can be linked."),
            code="scheme",
        )


class WebAddressValidator(URLValidator):
    """A valid http or https address; another scheme is refused in words of its own rather
    than as "Enter a valid URL."."""

    def __init__(self, **kwargs):
        super().__init__(schemes=sorted(WEB_SCHEMES), **kwargs)

    def __call__(self, value):
        validate_web_address(value)
        super().__call__(value)


class WebAddressField(models.URLField):
    """A link to a web page: http or https only."""

    default_validators = [WebAddressValidator()]


class PracticeLink(models.Model):
    """A web page about the case."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="links")
    url = WebAddressField(_("URL"), max_length=500)
    title = models.CharField(_("title"), max_length=300, blank=True)

    history = HistoricalRecords()

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


def validate_currency(code: str) -> None:
    """An ISO 4217 code of a currency in use (EUR, GBP, KRW …)."""
    if not (len(code) == 3 and pycountry.currencies.get(alpha_3=code.upper())):
        raise ValidationError(
            _("“%(code)s” is not an ISO 4217 currency code (such as EUR, USD or KRW)."),
            params={"code": code},
        )


YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]
AMOUNT_VALIDATORS = [MinValueValidator(Decimal(0))]


class Cost(models.Model):
    """What a case cost: an amount in a currency, at the prices of one year."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="cost_items")
    kind = models.CharField(_("kind of cost"), max_length=12, choices=CostKind.choices)
    item = models.CharField(_("what it paid for"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, validators=AMOUNT_VALIDATORS
    )
    currency = models.CharField(
        _("currency"), max_length=3, validators=[validate_currency], help_text=_("e.g. EUR")
    )
    price_year = models.PositiveSmallIntegerField(
        _("price year"),
        validators=YEAR_VALIDATORS,
        help_text=_("The year whose prices the amount is in."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["practice", "pk"]
        verbose_name = _("cost")
        verbose_name_plural = _("costs")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="cost_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(price_year__gte=1900, price_year__lte=2100),
                name="cost_price_year_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.price_year})"

    def save(self, *args, **kwargs):
        self.currency = self.currency.upper()
        super().save(*args, **kwargs)


class Financing(models.Model):
    """Where the money of a case came from; the amount is optional."""

    practice = models.ForeignKey(BestPractice, on_delete=models.CASCADE, related_name="financing")
    kind = models.CharField(_("kind of financing"), max_length=20, choices=FinancingKind.choices)
    funder = models.CharField(_("funder or programme"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AMOUNT_VALIDATORS,
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[validate_currency]
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["practice", "pk"]
        verbose_name = _("financing")
        verbose_name_plural = _("financing")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="financing_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | ~Q(currency=""),
                name="financing_amount_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return self.funder or self.get_kind_display()

    def save(self, *args, **kwargs):
        self.currency = self.currency.upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.amount is not None and not self.currency:
            raise ValidationError({"currency": _("Say in which currency the amount is.")})


class PlaceProposal(models.Model):
    """A place a submitter did not find in the gazetteer, until a curator decides on it.

    Approving adds a new place; merging says it is a place the gazetteer knows. Either
    way the decided place joins the case the proposal came with.
    """

    practice = models.ForeignKey(
        BestPractice, on_delete=models.CASCADE, related_name="place_proposals"
    )
    name = models.CharField(_("name"), max_length=200)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country")
    )
    latitude = models.FloatField(
        _("latitude"),
        validators=[FiniteInRange(-90, 90)],
    )
    longitude = models.FloatField(
        _("longitude"),
        validators=[FiniteInRange(-180, 180)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided place"),
        help_text=_("The place added on approval, or the known place it was merged into."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="place_proposals",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("curator's note"), blank=True)
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("place proposal")
        verbose_name_plural = _("place proposals")
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="proposal_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="proposal_name_not_empty"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="proposal_coordinates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = clean_name(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.name = clean_name(self.name)
        if not self.name:
            raise ValidationError({"name": _("Give the place's name.")})
        if "\x00" in self.name:
            raise ValidationError({"name": _("Null characters are not allowed.")})
        if self.latitude == 0 and self.longitude == 0:
            raise ValidationError(
                {"latitude": _("0, 0 is in the ocean: give the place's own coordinates.")}
            )
