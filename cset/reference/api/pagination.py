from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """``limit``/``offset`` pages of 50 by default and at most 500 rows.

    A malformed or negative ``limit`` or ``offset`` falls back to the default
    rather than failing: DRF's own parsing already does that.
    """

    default_limit = 50
    max_limit = 500

    def get_previous_link(self):
        # Past the end, "previous" is the last page, not one more page past the end.
        if self.count and self.offset >= self.count and self.limit:
            last = (self.count - 1) // self.limit * self.limit
            url = self.request.build_absolute_uri()
            if last == 0:
                return remove_query_param(url, self.offset_query_param)
            return replace_query_param(url, self.offset_query_param, last)
        return super().get_previous_link()
