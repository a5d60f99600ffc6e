"""Pages of reference data: the list of places (a place's profile is in cset.site)."""

from django.http import Http404


def place_list(request):
    raise Http404
