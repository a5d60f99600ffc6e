from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """``limit``/``offset`` pages of 50 by default and at most 500 rows.

    A malformed or negative ``limit`` or ``offset`` falls back to the default
    rather than failing: DRF's own parsing already does that.
    """

    default_limit = 50
    max_limit = 500
