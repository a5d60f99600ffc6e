"""Pages of events: the list (upcoming, then past) and one event."""

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404, render

from cset.reference.pages import filter_data, paginate, query_without
from practices.models import BestPractice

from .choices import EventKind
from .filters import EventFilterSet
from .models import Event

# Upcoming events are few; on the first page they are listed in full up to this many, with a
# link to the rest (``?upcoming=true``) when there are more.
UPCOMING_SHOWN = 25


def _events() -> QuerySet:
    return Event.objects.select_related("venue__country")


def _filtered(data: QueryDict, **extra: str) -> EventFilterSet:
    """The EventFilterSet (the API's) over the page's parameters plus ``extra``."""
    data = data.copy()
    for name, value in extra.items():
        data[name] = value
    return EventFilterSet(data, queryset=_events())


def event_list(request: HttpRequest):
    """Upcoming events, soonest first, and past events, latest first, under the same filters.

    With ``upcoming=true`` or ``upcoming=false`` the page lists only that part, paginated;
    otherwise the past events are paginated and the upcoming ones head the first page.
    """
    data = filter_data(request)
    filterset = EventFilterSet(data, queryset=_events())
    filterset.is_valid()
    only = filterset.form.cleaned_data.get("upcoming")
    upcoming = past = None
    more_upcoming = False
    if only is True:
        page = paginate(request, filterset.qs.order_by("start_date", "pk"))
        upcoming = page.object_list
    else:
        past_events = _filtered(data, upcoming="false").qs if only is None else filterset.qs
        page = paginate(request, past_events.order_by("-start_date", "pk"))
        past = page.object_list
        if only is None and page.number == 1:
            soonest = _filtered(data, upcoming="true").qs.order_by("start_date", "pk")
            upcoming = list(soonest[: UPCOMING_SHOWN + 1])
            more_upcoming = len(upcoming) > UPCOMING_SHOWN
            upcoming = upcoming[:UPCOMING_SHOWN]
    context = {
        "filterset": filterset,
        "only": only,
        "upcoming": upcoming,
        "more_upcoming": more_upcoming,
        "past": past,
        "page": page,
        "query": query_without(request, "page"),
        "upcoming_query": query_without(request, "page", "upcoming"),
        "kinds": EventKind.choices,
        "years": [day.year for day in Event.objects.dates("start_date", "year", order="DESC")],
        "selected": {name: data.get(name, "") for name in ("kind", "year", "search")},
        "is_filtered": any(data.get(name) for name in filterset.filters),
    }
    return render(request, "events/event_list.html", context)


def event_detail(request: HttpRequest, slug: str):
    """One event: when and where, who organised it, what it was about, and related cases."""
    # Related cases follow the public rule: only published ones exist.
    practices = BestPractice.objects.published().order_by("title", "pk")
    event = get_object_or_404(
        Event.objects.select_related("venue__country", "source").prefetch_related(
            "organisers", Prefetch("practices", queryset=practices)
        ),
        slug=slug,
    )
    return render(request, "events/event_detail.html", {"event": event})
