"""The rows of a case: impacts, costs, financing and links, and the rules they share.

The case form edits rows one at a time (formsets); an API client sends every row of a
kind at once, and that list replaces the case's rows of the kind (``replace_rows``).
Both reach the same rules: the models' fields and ``clean()``, the text tidying of
``tidy``.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from cset.reference.text import clean_text

from .models import BestPractice, Cost, Financing, Impact, PracticeLink

logger = logging.getLogger(__name__)

# As many rows of one kind as the form offers (its formsets' max_num).
MAX_ROWS = 50


@dataclass(frozen=True)
class RowKind:
    """One kind of row: its model and the rules it has beyond the model's own."""

    model: type[models.Model]
    validators: Mapping[str, Sequence] = field(default_factory=dict)


# By the name of the case's relation, which is also the API's field name.
KINDS: dict[str, RowKind] = {
    "impacts": RowKind(Impact),
    "cost_items": RowKind(Cost),
    "financing": RowKind(Financing),
    "links": RowKind(PracticeLink),
}


class RowErrors(Exception):
    """Rows that break the rules. ``errors`` maps a kind to the field errors of each bad
    row by its position in the list sent, ``{"impacts": {1: {"unit": ["…"]}}}``, as
    the API's serializers report theirs; or to ``{"non_field_errors": [...]}`` about the
    whole list."""

    def __init__(self, errors: dict[str, list]):
        super().__init__("invalid rows: " + ", ".join(sorted(errors)))
        self.errors = errors


def tidy(values: dict[str, Any]) -> dict[str, Any]:
    """Text values in NFC, stripped, without zero-width characters: a value of blanks
    only is empty. NUL bytes are refused before this, by the form or serializer fields."""
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = clean_text(value)
    return values


def _checked_row(
    practice: BestPractice, kind: str, values: Mapping[str, Any]
) -> tuple[models.Model, dict[str, list[str]]]:
    """A new, unsaved row of ``kind`` and its errors by field (empty when it is good)."""
    row_kind = KINDS[kind]
    row = row_kind.model(practice=practice, **tidy(dict(values)))
    errors: dict[str, list[str]] = {}
    for name, validators in row_kind.validators.items():
        for validator in validators:
            try:
                validator(getattr(row, name))
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.messages)
    try:
        # The case is the caller's and exists: checking it again would cost a query a row.
        # A field refused above is not checked again, so that it carries one message.
        row.full_clean(exclude=["practice", *errors])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return row, errors


def _by(row: models.Model, actor: AbstractBaseUser | None) -> models.Model:
    if actor is not None:
        row._history_user = actor
    return row


def replace_rows(
    practice: BestPractice,
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    actor: AbstractBaseUser | None = None,
) -> None:
    """Replace the case's rows of every kind named in ``rows`` with rows of these values.

    ``rows`` maps a kind of ``KINDS`` to the field values of each new row; a kind left
    out keeps its rows, an empty list removes them all. Every row is checked by its
    model's ``full_clean`` before anything changes: one bad row raises ``RowErrors``
    and leaves every stored row as it was. Call it inside the transaction that saves
    the case, after the workflow's checks of who may edit it.
    """
    unknown = set(rows) - set(KINDS)
    if unknown:
        raise ValueError(f"not a kind of row: {', '.join(sorted(unknown))}")

    built, errors = {}, {}
    for kind, values_list in rows.items():
        if len(values_list) > MAX_ROWS:
            message = _("At most %(limit)s rows of a kind, please.") % {"limit": MAX_ROWS}
            errors[kind] = {"non_field_errors": [message]}
            continue
        checked = [_checked_row(practice, kind, values) for values in values_list]
        bad = {index: row_errors for index, (_row, row_errors) in enumerate(checked) if row_errors}
        if bad:
            errors[kind] = bad
        built[kind] = [row for row, _row_errors in checked]
    if errors:
        raise RowErrors(errors)

    with transaction.atomic():
        for kind, new_rows in built.items():
            # One by one rather than in bulk, so that the history keeps every row and who
            # changed it (without an actor, the history takes the request's user).
            for old in getattr(practice, kind).all():
                _by(old, actor).delete()
            for row in new_rows:
                _by(row, actor).save()
    logger.info(
        "practice %s rows replaced: %s",
        practice.pk,
        ", ".join(f"{kind} {len(new_rows)}" for kind, new_rows in built.items()),
    )
