"""Validators shared by the apps' models."""

import math

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


def validate_finite(value) -> None:
    """Refuse NaN and the infinities, which range validators let through or misname
    (every comparison with NaN is false)."""
    if isinstance(value, float | int) and not math.isfinite(value):
        raise ValidationError(_("Give a finite number."), code="not_finite")


@deconstructible
class FiniteInRange:
    """A finite number from ``low`` to ``high``: one message, whichever rule it breaks."""

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def __call__(self, value) -> None:
        validate_finite(value)
        MinValueValidator(self.low)(value)
        MaxValueValidator(self.high)(value)

    def __eq__(self, other) -> bool:
        return isinstance(other, FiniteInRange) and (self.low, self.high) == (
            other.low,
            other.high,
        )
