"""``manage.py refresh_benchmarks`` puts back what writes behind the services left stale."""

from io import StringIO

import pytest
from django.core.management import call_command

from benchmarks import stored_standings
from benchmarks.models import Measurement, StoredStanding
from tests import factories

pytestmark = pytest.mark.django_db


def test_standings_left_stale_by_a_direct_write_are_rebuilt():
    indicator, country = factories.IndicatorFactory(), factories.CountryFactory()
    values = [
        factories.MeasurementFactory(
            indicator=indicator, place=factories.PlaceFactory(country=country), value=value
        )
        for value in (1, 2, 3, 4, 5)
    ]
    stored_standings.refresh()
    worst = values[-1]
    assert StoredStanding.objects.get(measurement=worst).position == 5
    Measurement.objects.filter(pk=worst.pk).update(value=0, value_canonical=0)
    out = StringIO()

    call_command("refresh_benchmarks", stdout=out)

    standing = StoredStanding.objects.get(measurement=worst)
    assert (standing.value, standing.position) == (0, 1)
    assert "5 standings stored" in out.getvalue()
