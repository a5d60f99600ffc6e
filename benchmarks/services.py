"""What follows a write of measurements: the values and standings computed from them.

Every writer outside the initial load (which recomputes everything once at its end) calls
``measurements_written`` in the transaction of its write: the import commit and the admin.
"""

import logging
from collections.abc import Iterable

from .derived import DERIVED, DERIVED_INPUTS, refresh_derived
from .models import Indicator
from .stored_standings import refresh as refresh_standings

logger = logging.getLogger(__name__)


def measurements_written(pairs: Iterable[tuple[int, int]]) -> None:
    """Recompute what depends on the measurements of the (indicator id, year) ``pairs``:
    the derived values, when one of them or an input of one is among them, then the stored
    standings of those pairs, of the derived values of their years and of every derived
    value the recomputation wrote (in any year: it also puts back one changed or deleted
    behind its back)."""
    pairs = set(pairs)
    if not pairs:
        return
    codes = dict(
        Indicator.objects.filter(pk__in={pk for pk, _year in pairs}).values_list("pk", "code")
    )
    inputs = {code for spec in DERIVED for code in (spec.numerator, spec.denominator)}
    if (inputs | set(DERIVED_INPUTS)) & set(codes.values()):
        # Deleting an input deletes its derived values with it (the refresh never sees them).
        derived = Indicator.objects.filter(code__in=[spec.indicator.code for spec in DERIVED])
        years = {year for _pk, year in pairs}
        pairs |= {(pk, year) for pk in derived.values_list("pk", flat=True) for year in years}
        pairs |= refresh_derived().written
    refresh_standings(pairs)
    logger.info("recomputed after writing %s indicator-years", len(pairs))
