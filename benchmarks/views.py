"""Pages of indicators."""

from django.http import Http404


def indicator_list(request):
    raise Http404


def indicator_detail(request, code):
    raise Http404
