"""Pages of events."""

from django.http import Http404


def event_list(request):
    raise Http404


def event_detail(request, slug):
    raise Http404
