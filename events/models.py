"""Workshops, summits, side events and meetings where practices are exchanged."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cset.reference.models import Organisation, Place, Source
from cset.reference.text import clean_name, folded_key
from practices.models import BestPractice

from .choices import DatePrecision, EventKind


class Event(models.Model):
    """An event, dated at the precision the source gives.

    ``start_date``/``end_date`` always hold the calendar dates in the venue's
    time zone (for an event known only to the month: its first and last day,
    with ``date_precision`` month). ``starts_at``/``ends_at`` hold aware
    datetimes only when the times are known.
    """

    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    title = models.CharField(_("title"), max_length=300)
    title_folded = models.CharField(max_length=300, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    description = models.TextField(_("description"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    venue = models.ForeignKey(
        Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    venue_name = models.CharField(_("venue"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), max_length=500, blank=True)
    organisers = models.ManyToManyField(Organisation, blank=True, related_name="events")
    practices = models.ManyToManyField(BestPractice, blank=True, related_name="events")
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["start_date", "id"], name="event_start_idx"),
            models.Index(fields=["end_date", "id"], name="event_end_idx"),
            models.Index(fields=["title", "id"], name="event_title_idx"),
            models.Index(fields=["kind", "start_date"], name="event_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="event_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gte=models.F("starts_at")),
                name="event_time_ends_after_it_starts",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="event_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.title = clean_name(self.title)
        self.title_folded = folded_key(self, "title", "title_folded")
        super().save(*args, **kwargs)
