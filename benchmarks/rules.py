"""What a measurement must be, however it is written: by an import or by hand in the admin.

Each rule answers the reason a value is refused, or None when it may be stored. The unit's
dimension and the value-or-notation rule live with the model (``Measurement.clean``).
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import QuantityKind
from .derived import DERIVED_INPUTS
from .models import Indicator

NON_NEGATIVE_KINDS = {
    QuantityKind.FINAL_ENERGY,
    QuantityKind.PRIMARY_ENERGY,
    QuantityKind.CAPACITY,
    QuantityKind.SHARE,
    QuantityKind.COUNT,
    QuantityKind.AREA,
    QuantityKind.POPULATION,
}


def derived_refusal(code: str) -> str | None:
    """Values of a derived indicator are computed, never written by hand or imported."""
    if code not in DERIVED_INPUTS:
        return None
    numerator, denominator = DERIVED_INPUTS[code]
    return _(
        "Values of %(code)s are computed from %(numerator)s and %(denominator)s: write those "
        "instead."
    ) % {"code": code, "numerator": numerator, "denominator": denominator}


def country_refusal(indicator: Indicator, place: str, place_country: str) -> str | None:
    """A national statistic takes values of its own country's places only."""
    if indicator.country_id is None or place_country == indicator.country_id:
        return None
    return _("%(code)s holds values of places in %(country)s only; %(place)s is in %(other)s.") % {
        "code": indicator.code,
        "country": indicator.country_id,
        "place": place,
        "other": place_country,
    }


def sign_refusal(indicator: Indicator, canonical: float) -> str | None:
    """Energy, capacity, shares, counts, areas and populations are never negative."""
    if canonical >= 0 or indicator.quantity_kind not in NON_NEGATIVE_KINDS:
        return None
    return _("%(kind)s cannot be negative.") % {"kind": indicator.get_quantity_kind_display()}


def year_refusal(year: int) -> str | None:
    """A measurement is of a year that has begun; what a place plans is a target."""
    this_year = timezone.now().year
    if year <= this_year:
        return None
    return _(
        "%(year)s has not begun: a value of a year to come is a target, not a measurement."
    ) % {"year": year}
