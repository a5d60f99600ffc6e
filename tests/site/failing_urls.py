"""The portal's addresses plus one that always fails, to see the 500 page."""

from django.db import OperationalError
from django.urls import path

from cset.urls import urlpatterns as portal_urlpatterns


def broken(request):
    raise RuntimeError("a bug in a view")


def database_down(request):
    raise OperationalError("could not connect to server")


urlpatterns = [
    path("broken/", broken),
    path("database-down/", database_down),
    *portal_urlpatterns,
]
