"""Pages of best practices: the filtered list (and its CSV) and a case's detail.

Only published cases exist here, except for attachments, which anyone who may read the
case (its submitter and the curators too) may download. Filtering is PracticeFilterSet's,
the same the API uses.
"""

from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from cset.reference.models import Place
from cset.reference.pages import csv_response, filter_data, paginate, query_without
from cset.reference.text import language_name

from .attachments import content_disposition
from .choices import Status
from .facets import facet_counts, related_practices
from .filters import PracticeFilterSet, PracticeSort, sort_practices
from .models import Attachment, BestPractice, Impact

CSV_HEADER = [
    "slug",
    "url",
    "title",
    "summary",
    "context",
    "actions",
    "results",
    "costs",
    "lessons",
    "replication",
    "places",
    "countries",
    "themes",
    "organisations",
    "language",
    "implementation",
    "start_year",
    "end_year",
    "published_at",
    "licence",
    "attribution",
    "source",
    "source_url",
]


def _places_by_name() -> Prefetch:
    # Folded order, as sort_practices takes a case's first place: the place a row shows
    # first is the one it was sorted by.
    places = Place.objects.select_related("country").order_by("name_folded", "pk")
    return Prefetch("places", queryset=places)


def practice_list(request: HttpRequest) -> HttpResponse:
    """Published cases, filtered, searched, sorted and counted by facet; or their CSV.

    Invalid filters (an unknown theme, a NUL byte or more than 200 characters in the
    search) answer 400 with the form and its errors, and no result.
    """
    published = BestPractice.objects.published()
    data = filter_data(request)
    filterset = PracticeFilterSet(data, queryset=published, request=request)
    sort = request.GET.get("sort")
    sort = sort if sort in PracticeSort.values else PracticeSort.NEWEST
    # The form refuses NUL bytes; echoing them back into the search boxes would show a blot.
    search = data.get("search", "").replace("\x00", "")
    context = {
        "filterset": filterset,
        "sort": sort,
        "sorts": PracticeSort.choices,
        "q": search,
        "site_search": search,
    }
    if not filterset.is_valid():
        return render(request, "practices/bestpractice_list.html", context, status=400)

    cases = sort_practices(filterset.qs, sort)
    if request.GET.get("format") == "csv":
        return _csv(request, cases)

    page = paginate(request, cases.prefetch_related(_places_by_name(), "themes"))
    context.update(
        page=page,
        query=query_without(request, "page"),
        csv_query=query_without(request, "page", "format"),
        facets=facet_counts(filterset, published),
        filtered=any(filterset.form.cleaned_data.values()),
    )
    return render(request, "practices/bestpractice_list.html", context)


def _csv(request: HttpRequest, cases) -> HttpResponse:
    """The whole filtered result as CSV, one case a row, relations joined by "; "."""
    cases = cases.select_related("source").prefetch_related(
        _places_by_name(), "themes", "organisations"
    )

    def rows():
        for case in cases.iterator(chunk_size=500):
            places = case.places.all()
            yield [
                case.slug,
                request.build_absolute_uri(reverse("practices:detail", args=[case.slug])),
                case.title,
                case.summary,
                case.context,
                case.actions,
                case.results,
                case.costs,
                case.lessons,
                case.replication,
                "; ".join(place.name for place in places),
                "; ".join(sorted({place.country_id for place in places})),
                "; ".join(theme.slug for theme in case.themes.all()),
                "; ".join(organisation.name for organisation in case.organisations.all()),
                case.language,
                case.implementation,
                case.start_year,
                case.end_year,
                case.published_at.isoformat() if case.published_at else None,
                case.licence,
                case.attribution or getattr(case.source, "attribution", ""),
                case.source.title if case.source else "",
                case.source.url if case.source else "",
            ]

    return csv_response("practices.csv", CSV_HEADER, rows())


def practice_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One published case with every section that has content; any other state is a 404."""
    impacts = Impact.objects.select_related("indicator")
    cases = BestPractice.objects.published().select_related("source")
    practice = get_object_or_404(
        cases.prefetch_related(
            _places_by_name(),
            "themes",
            "organisations",
            Prefetch("impacts", queryset=impacts),
            "cost_items",
            "financing",
            "progress_updates",
            "links",
            "attachments",
        ),
        slug=slug,
    )
    context = {
        "practice": practice,
        "language": language_name(practice.language),
        "attribution": practice.attribution or getattr(practice.source, "attribution", ""),
        "related": related_practices(practice),
        "sections": [
            (_("Summary"), practice.summary),
            (_("Context and problem"), practice.context),
            (_("What was done"), practice.actions),
            (_("Results"), practice.results),
            (_("Costs and financing"), practice.costs),
            (_("Lessons learned"), practice.lessons),
            (_("Conditions for replication"), practice.replication),
        ],
    }
    return render(request, "practices/bestpractice_detail.html", context)


def attachment_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """An attachment of a case the user may read, always as a download; else a 404."""
    readable = BestPractice.objects.visible_to(request.user)
    attachment = get_object_or_404(
        Attachment.objects.select_related("practice"),
        pk=pk,
        practice__slug=slug,
        practice__in=readable,
    )
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404(_("The file of this attachment is missing.")) from missing

    # The stored type is the one detected at upload; the browser must not guess another.
    response = FileResponse(stored, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition(attachment)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if attachment.practice.status != Status.PUBLISHED:
        patch_cache_control(response, private=True, no_store=True)
    return response
