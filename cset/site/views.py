"""Pages that combine apps: the home page, the place profile, about the initiative and the data.

Everything about cases counts only published ones: each query below starts from
``BestPractice.objects.published()``.
"""

from django.db.models import (
    Case,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults

from benchmarks.models import Indicator, Measurement
from cset.reference.choices import IdentifierScheme
from cset.reference.models import (
    Activity,
    Country,
    Membership,
    Place,
    PlaceIdentifier,
    Source,
    Theme,
)
from events.filters import EventFilterSet
from events.models import Event
from practices.filters import PracticeSort, sort_practices
from practices.models import BestPractice

LATEST_CASES = 5
UPCOMING_EVENTS = 5
PAST_EVENTS = 3

# The countries the loaded sources cover in depth, offered as "browse places" entry
# points: registers of every authority (GB, DE), most Covenant signatories (IT, ES),
# and the lower GeoNames threshold of the initiative's project countries (KR, MN, ET, ID).
MAIN_COUNTRIES = ("GB", "DE", "IT", "ES", "KR", "MN", "ET", "ID")

# Which identifier schemes each source gives places, so that "About the data" can say
# how many places a source identified. The loaders know this implicitly (each writes its
# own scheme); a source not listed here identifies no places.
SOURCE_SCHEMES = {
    "geonames": (IdentifierScheme.GEONAMES,),
    "uk-local-authorities": (IdentifierScheme.GB_LA, IdentifierScheme.GB_GSS),
    "de-population": (IdentifierScheme.DE_AGS,),
    "gcom": (IdentifierScheme.GCOM,),
}

PracticePlace = BestPractice.places.through
PracticeTheme = BestPractice.themes.through


class _SubqueryCount(Func):
    """COUNT(DISTINCT expression) as a plain function, so that a subquery selecting it
    needs no GROUP BY and always answers one row (0 where nothing matches)."""

    function = "COUNT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def _count(rows: QuerySet, counted: str = "pk") -> Subquery:
    """The number of distinct ``counted`` among ``rows``, as one value for an annotation.

    Subqueries rather than joins: joining several relations of a row multiplies them."""
    return Subquery(rows.order_by().annotate(n=_SubqueryCount(counted)).values("n")[:1])


def _headline_figures() -> dict[str, int]:
    return {
        "places": Place.objects.count(),
        "practices": BestPractice.objects.published().count(),
        "indicators": Indicator.objects.count(),
        "measurements": Measurement.objects.count(),
        "events": Event.objects.count(),
        "sources": Source.objects.count(),
    }


def _latest_cases(published: QuerySet) -> QuerySet:
    """The newest published cases, in the order of the list's "Newest first"."""
    newest = sort_practices(published, PracticeSort.NEWEST)
    return newest.prefetch_related("places", "themes")[:LATEST_CASES]


def _events_around_today() -> tuple[list[Event], list[Event]]:
    """The next events and the most recent past ones, in one query.

    "Upcoming" is the event FilterSet's own rule (not over yet), so the home page and
    ``/events/?upcoming=true`` always agree.
    """
    events = Event.objects.all()
    upcoming = EventFilterSet({"upcoming": "true"}, queryset=events).qs.order_by("start_date", "pk")
    past = EventFilterSet({"upcoming": "false"}, queryset=events).qs.order_by("-start_date", "pk")
    upcoming_ids = upcoming.values("pk")[:UPCOMING_EVENTS]
    past_ids = past.values("pk")[:PAST_EVENTS]
    rows = (
        events.filter(Q(pk__in=upcoming_ids) | Q(pk__in=past_ids))
        .select_related("venue__country")
        .annotate(is_upcoming=Q(pk__in=upcoming.values("pk")))
    )
    coming = sorted((e for e in rows if e.is_upcoming), key=lambda e: (e.start_date, e.pk))
    gone = sorted(
        (e for e in rows if not e.is_upcoming), key=lambda e: (-e.start_date.toordinal(), e.pk)
    )
    return coming, gone


def _themes_with_counts(published: QuerySet) -> QuerySet:
    links = PracticeTheme.objects.filter(theme=OuterRef("pk"), bestpractice__in=published)
    return Theme.objects.annotate(practice_count=_count(links, "bestpractice"))


def _countries_with_counts(published: QuerySet) -> list[Country]:
    """Countries with published cases, and the main countries of the data even where they
    have none, each with its number of published cases and of places.

    A case with two places in one country counts once.
    """
    public_links = PracticePlace.objects.filter(bestpractice__in=published)
    # Starting from the places that have public cases keeps SQLite from walking every
    # place of a country (eleven thousand in Germany) for each country.
    places_here = Place.objects.filter(
        pk__in=public_links.values("place"), country=OuterRef(OuterRef("pk"))
    )
    wanted = Q(code__in=MAIN_COUNTRIES) | Q(pk__in=public_links.values("place__country"))
    return list(
        Country.objects.filter(wanted)
        .annotate(
            practice_count=_count(public_links.filter(place__in=places_here), "bestpractice"),
            place_count=_count(Place.objects.filter(country=OuterRef("pk"))),
        )
        .order_by("name", "code")
    )


def home(request):
    """The portal's front page: what it is, what it holds, the latest cases, events,
    and ways in by theme and by country."""
    published = BestPractice.objects.published()
    countries = _countries_with_counts(published)
    upcoming_events, past_events = _events_around_today()
    context = {
        "figures": _headline_figures(),
        "latest_cases": _latest_cases(published),
        "upcoming_events": upcoming_events,
        "past_events": past_events,
        "themes": _themes_with_counts(published),
        "practice_countries": [country for country in countries if country.practice_count],
        "place_countries": [country for country in countries if country.code in MAIN_COUNTRIES],
    }
    return render(request, "site/home.html", context)


from .place_profile import place_profile  # noqa: E402, F401  (the profile has its own module)


def about(request):
    """About the initiative: its aims, its activities and its events, from the loaded data."""
    # An activity without a start year goes last on SQLite as on PostgreSQL.
    activities = Activity.objects.prefetch_related("countries", "partners").order_by(
        F("start_year").asc(nulls_last=True), "title", "pk"
    )
    events = Event.objects.select_related("venue__country").order_by("start_date", "pk")
    return render(request, "site/about.html", {"activities": activities, "events": events})


def _sources_with_counts() -> QuerySet:
    """Every source with what the portal holds from it, all in one query."""
    source = OuterRef("pk")
    identified = [
        When(slug=slug, then=_count(PlaceIdentifier.objects.filter(scheme__in=schemes), "place"))
        for slug, schemes in SOURCE_SCHEMES.items()
    ]
    measurements = Measurement.objects.filter(source=source)
    return Source.objects.annotate(
        measurement_count=_count(measurements),
        valued_place_count=_count(measurements, "place"),
        identified_place_count=Case(*identified, default=Value(0)),
        membership_count=_count(Membership.objects.filter(source=source)),
        practice_count=_count(BestPractice.objects.published().filter(source=source)),
        event_count=_count(Event.objects.filter(source=source)),
        activity_count=_count(Activity.objects.filter(source=source)),
    ).order_by("title", "pk")


def about_data(request):
    """About the data: every source with its licence, attribution and what came from it."""
    return render(request, "site/about_data.html", {"sources": _sources_with_counts()})


def favicon(request):
    """Browsers and crawlers ask for /favicon.ico without reading the page's icon link.

    The static address is found per request: with hashed static names it exists only
    after collectstatic, not when the URLs are imported.
    """
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def not_found(request, exception):
    """A 404: JSON for the API's clients, the portal's page for everyone else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
