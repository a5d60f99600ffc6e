"""Pages of reference data: the list of places (a place's profile is in cset.site)."""

from django.db.models import Count, F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .choices import Commitment, PlaceKind, PlaceTier
from .filters import PlaceFilterSet
from .models import Country, Network, Place
from .pages import filter_data, paginate, query_without

# The orders the list offers, by the value of ``?ordering=`` (the API's parameter name).
# Each ends with the primary key so that pages never repeat or skip a place.
PLACE_ORDERINGS = {
    "name": (_("Name"), ("name", "pk")),
    "-population": (
        _("Population, largest first"),
        (F("population").desc(nulls_last=True), "name", "pk"),
    ),
}
DEFAULT_PLACE_ORDERING = "name"


def _countries_with_places() -> list[Country]:
    """Countries that have at least one place, each with ``place_count``, in one query."""
    countries = Country.objects.annotate(place_count=Count("places")).filter(place_count__gt=0)
    return list(countries.order_by("name", "code"))


def place_list(request: HttpRequest) -> HttpResponse:
    """Places, searchable by any of their names and filterable as the API's place list.

    An invalid filter (a search over 200 characters or with a NUL byte, an unknown
    kind) answers 400 with the form's error next to the field, as the API answers 400.
    """
    queryset = Place.objects.select_related("country", "parent")
    filterset = PlaceFilterSet(filter_data(request), queryset=queryset)
    ordering = request.GET.get("ordering", DEFAULT_PLACE_ORDERING)
    if ordering not in PLACE_ORDERINGS:
        ordering = DEFAULT_PLACE_ORDERING

    valid = filterset.is_valid()
    page = None
    if valid:
        rows = filterset.qs.order_by(*PLACE_ORDERINGS[ordering][1])
        page = paginate(request, rows)

    parent = None
    parent_slug = filterset.form.cleaned_data.get("parent") if valid else None
    if parent_slug:
        parent = Place.objects.filter(slug=parent_slug).only("name", "slug").first()

    context = {
        "filterset": filterset,
        "page": page,
        "query": query_without(request, "page"),
        "selected": request.GET,
        # NUL bytes cannot be shown back in the box; the FilterSet refuses them anyway.
        "search": (request.GET.get("q") or request.GET.get("search") or "").replace("\x00", ""),
        "countries": _countries_with_places(),
        "kinds": PlaceKind.choices,
        "tiers": PlaceTier.choices,
        "networks": Network.objects.order_by("name", "pk"),
        "commitments": Commitment.choices,
        "orderings": [(value, label) for value, (label, _order) in PLACE_ORDERINGS.items()],
        "ordering": ordering,
        "parent": parent,
        "query_without_parent": query_without(request, "page", "parent"),
        "is_filtered": bool(query_without(request, "page", "ordering")),
    }
    return render(request, "reference/place_list.html", context, status=200 if valid else 400)
