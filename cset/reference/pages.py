"""What every list page shares: its filter parameters, pagination and CSV downloads.

Pages and API use the same FilterSets; this module only adapts a request to
them. It lives in cset.reference because every app's pages use it.
"""

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, QueryDict, StreamingHttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

PAGE_SIZE = 25

# Pages call the search box "q", as most sites do; the FilterSets (and the API) call it
# "search". Both are accepted on pages.
SEARCH_ALIASES = {"q": "search"}


def filter_data(request: HttpRequest) -> QueryDict:
    """The request's query, with page-only names translated to the FilterSet's."""
    data = request.GET.copy()
    for alias, name in SEARCH_ALIASES.items():
        if alias in data and not data.get(name):
            data[name] = data[alias]
        data.pop(alias, None)
    data.pop("page", None)
    return data


def paginate(request: HttpRequest, rows: QuerySet | Sequence, per_page: int = PAGE_SIZE) -> Page:
    """The requested page of ``rows``.

    A malformed page number gives the first page; a page past the end is a 404.
    """
    return page_of(rows, requested_page(request), per_page)


# No list runs to more pages; a larger number is a 404 before any query (a database
# integer would overflow on it).
MAX_PAGE = 1_000_000


def requested_page(request: HttpRequest) -> int:
    """The page number asked for; 1 when it is malformed or below 1."""
    try:
        number = int(request.GET.get("page", "1"))
    except (TypeError, ValueError):
        return 1
    if number > MAX_PAGE:
        raise Http404(_("There is no page %(number)s.") % {"number": number})
    return max(number, 1)


def page_of(rows: QuerySet | Sequence, number: int, per_page: int = PAGE_SIZE) -> Page:
    """Page ``number`` of ``rows``; past the end, a 404 (the first page is always there)."""
    paginator = Paginator(rows, per_page)
    try:
        return paginator.page(number)
    except EmptyPage:
        if number == 1:
            return paginator.page(1)
        raise Http404(_("There is no page %(number)s.") % {"number": number}) from None


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without ``names`` (e.g. ``page``), for links that keep filters."""
    data = request.GET.copy()
    for name in names:
        data.pop(name, None)
    return data.urlencode()


def posted_next_or(request: HttpRequest, default: str) -> str:
    """Where a form asked to go back to (its ``next`` field), if that is on this site;
    else ``default``. Never an address elsewhere: that would make us an open redirect."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else default


class _Echo:
    """A file-like object whose write returns what it was given, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


# A spreadsheet runs a cell starting with these as a formula (OWASP's "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value for a CSV cell: None as empty, text that a spreadsheet would run as a
    formula quoted with a leading apostrophe, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(
    file_name: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """Stream ``rows`` as a UTF-8 CSV download (with a byte-order mark, for spreadsheets)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([spreadsheet_safe(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@dataclass
class FacetChoice:
    """One choice of a filter, with the number of rows it leaves."""

    value: str
    label: str
    count: int
    selected: bool
