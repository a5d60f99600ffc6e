"""Pages that combine apps: the home page for now."""

from django.http import Http404
from django.shortcuts import render

from benchmarks.models import Indicator, Measurement
from cset.reference.models import Place, Source
from events.models import Event
from practices.models import BestPractice


def home(request):
    """The portal's front page: what it holds, in headline figures."""
    figures = {
        "places": Place.objects.count(),
        "practices": BestPractice.objects.published().count(),
        "indicators": Indicator.objects.count(),
        "measurements": Measurement.objects.count(),
        "events": Event.objects.count(),
        "sources": Source.objects.count(),
    }
    return render(request, "site/home.html", {"figures": figures})


def place_profile(request, slug):
    raise Http404


def about(request):
    raise Http404


def about_data(request):
    raise Http404
