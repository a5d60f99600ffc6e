"""Pages of best practices."""

from django.http import Http404


def practice_list(request):
    raise Http404


def practice_detail(request, slug):
    raise Http404
