"""Searching places and organisations by name, compared folded: the rule the pages, the
pickers and the API share."""

import pytest

from cset.reference.models import Organisation, Place
from tests import factories

pytestmark = pytest.mark.django_db


def test_organisations_are_found_by_any_part_of_their_name_folded():
    factories.OrganisationFactory(name="Stadtwerke München")
    factories.OrganisationFactory(name="Energy Cities")

    assert [o.name for o in Organisation.objects.search("  MUNCHEN ")] == ["Stadtwerke München"]
    assert Organisation.objects.search("   ").count() == 2
    assert not Organisation.objects.search("서울").exists()


def test_places_are_found_by_any_of_their_names():
    place = factories.PlaceFactory(name="München")
    factories.PlaceNameFactory(place=place, name="Munich")

    assert list(Place.objects.search("munich")) == [place]
    assert list(Place.objects.search("MÜNCH")) == [place]
