"""Pages of measurements: ``limit``/``offset`` as every list, or a cursor for large pulls.

An offset makes the database count and skip every row before the page, which grows
with the offset; a cursor remembers the last id seen and starts after it, so walking
all 400,000 measurements costs the same per page from the first to the last, and rows
added meanwhile are neither repeated nor skipped.
"""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, Cursor, CursorPagination

from cset.reference.api.pagination import CappedLimitOffsetPagination
from cset.reference.filters import MAX_ID

CURSOR_PARAM = "cursor"
# What a cursor the API gives out is made of: a short base64 text.
_CURSOR_TEXT = re.compile(r"[A-Za-z0-9+/=]{0,200}")


class IdCursorPagination(CursorPagination):
    """Pages in id order (unique and indexed), of ``limit`` rows: 50 by default, 500 at most.

    A malformed cursor is a 400 that names the parameter, never a 404 or a 500.
    """

    cursor_query_param = CURSOR_PARAM
    ordering = ("id",)
    page_size = CappedLimitOffsetPagination.default_limit
    page_size_query_param = "limit"
    max_page_size = CappedLimitOffsetPagination.max_limit

    def get_ordering(self, request, queryset, view):
        # Always the id: the view's ``ordering`` is for offset pages only.
        return self.ordering

    def decode_cursor(self, request):
        # Base64 decoding skips characters outside its alphabet: "\x00" would read as "".
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None and not _CURSOR_TEXT.fullmatch(encoded):
            raise self._invalid()
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is None or cursor.position is None:
            return cursor
        # DRF would hand any text to the database as an id.
        try:
            position = int(cursor.position)
        except ValueError:
            raise self._invalid() from None
        if not 0 <= position <= MAX_ID:
            raise self._invalid()
        return Cursor(offset=cursor.offset, reverse=cursor.reverse, position=position)

    @staticmethod
    def _invalid() -> ValidationError:
        return ValidationError(
            {CURSOR_PARAM: [_("This cursor is not one the API gave out; start again without it.")]}
        )


class MeasurementPagination(BasePagination):
    """Offset pages by default; with ``?cursor=`` (empty for the first page), cursor pages.

    Cursor pages follow the id alone, so ``ordering`` is refused with them.
    """

    def __init__(self):
        self.offset_pages = CappedLimitOffsetPagination()
        self.cursor_pages = IdCursorPagination()
        self.active = self.offset_pages

    def paginate_queryset(self, queryset, request, view=None):
        if CURSOR_PARAM in request.query_params:
            if request.query_params.get("ordering"):
                raise ValidationError(
                    {"ordering": [_("Cursor pages are in id order; leave out ordering.")]}
                )
            if request.query_params.get("offset"):
                raise ValidationError(
                    {"offset": [_("Cursor pages follow next, not an offset; leave it out.")]}
                )
            self.active = self.cursor_pages
        return self.active.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return self.active.get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        offset_schema = self.offset_pages.get_paginated_response_schema(schema)
        offset_schema["properties"]["count"]["description"] = _(
            "How many rows match; only in limit/offset pages."
        )
        offset_schema["required"] = ["results"]
        return offset_schema

    def get_schema_operation_parameters(self, view):
        cursor = {
            "name": CURSOR_PARAM,
            "required": False,
            "in": "query",
            "description": _(
                "Cursor pages for large pulls: give it empty for the first page, then follow "
                "next. Rows come in id order, limit rows a page (at most 500), without count; "
                "ordering and offset do not apply."
            ),
            "schema": {"type": "string"},
        }
        return [*self.offset_pages.get_schema_operation_parameters(view), cursor]
