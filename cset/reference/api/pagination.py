from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """``limit``/``offset`` pages of 50 by default and at most 500 rows (a larger limit
    gives 500).

    A malformed, zero or negative ``limit`` or ``offset`` is a 400 naming it: DRF falls
    back to the first page, and a client with a paging bug would read page one again.
    """

    default_limit = 50
    max_limit = 500

    def get_limit(self, request):
        self._check_whole_number(request, self.limit_query_param, smallest=1)
        return super().get_limit(request)

    def get_offset(self, request):
        self._check_whole_number(request, self.offset_query_param, smallest=0)
        return super().get_offset(request)

    @staticmethod
    def _check_whole_number(request, name: str, smallest: int) -> None:
        text = request.query_params.get(name, "").strip()
        if text and not (text.isascii() and text.isdigit() and int(text) >= smallest):
            raise ValidationError(
                {
                    name: [
                        _("Give a whole number of at least %(smallest)s.") % {"smallest": smallest}
                    ]
                }
            )

    def get_previous_link(self):
        # Past the end, "previous" is the last page, not one more page past the end.
        if self.count and self.offset >= self.count and self.limit:
            last = (self.count - 1) // self.limit * self.limit
            url = self.request.build_absolute_uri()
            if last == 0:
                return remove_query_param(url, self.offset_query_param)
            return replace_query_param(url, self.offset_query_param, last)
        return super().get_previous_link()
