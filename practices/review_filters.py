"""The review queue's filters: the case filters of the public pages, plus state and age."""

import datetime

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Status
from .filters import PracticeFilterSet

# The states a curator works on; the queue shows these when no state is chosen.
OPEN_STATES = (Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED)

# Drafts belong to their submitters until submitted: the queue never offers them.
QUEUE_STATE_CHOICES = [(value, label) for value, label in Status.choices if value != Status.DRAFT]

AGE_CHOICES = [
    ("7", _("Unchanged for more than 7 days")),
    ("30", _("Unchanged for more than 30 days")),
    ("90", _("Unchanged for more than 90 days")),
]


class ReviewFilterSet(PracticeFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=QUEUE_STATE_CHOICES, label=_("State"), method="filter_status"
    )
    age = django_filters.ChoiceFilter(choices=AGE_CHOICES, label=_("Age"), method="filter_age")

    class Meta(PracticeFilterSet.Meta):
        fields = ["status", "theme", "country", "age", "search"]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # With no state chosen, the queue is the cases waiting for a curator.
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=OPEN_STATES)
        return super().filter_queryset(queryset)

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(status__in=value) if value else queryset

    def filter_age(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        cutoff = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(updated_at__lt=cutoff)
