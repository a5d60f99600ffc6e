"""Stored standings: the same ranks and percentiles as the live ranking of each place's
default group (its tier in its country), kept right by every writer of measurements,
places and indicators, and read by the scorecard."""

import pytest
from django.urls import reverse

from benchmarks import stored_standings
from benchmarks.choices import Direction, Verification
from benchmarks.models import Measurement, StoredStanding
from benchmarks.peers import PeerGroup, standings
from benchmarks.scorecard import scorecard
from benchmarks.services import measurements_written
from cset.reference.choices import PlaceTier
from tests import factories

pytestmark = pytest.mark.django_db

GB_VALUES = {"A": 10.0, "B": 20.0, "C": 20.0, "D": 40.0, "E": 50.0, "F": 60.0}
DE_VALUES = {"G": 5.0, "H": 7.0, "I": 7.0}


@pytest.fixture
def world():
    gb = factories.CountryFactory(code="GB", name="United Kingdom")
    de = factories.CountryFactory(code="DE", name="Germany")
    places = {name: factories.PlaceFactory(name=name, country=gb) for name in GB_VALUES}
    places |= {name: factories.PlaceFactory(name=name, country=de) for name in DE_VALUES}
    # A county of GB over the districts: another tier, another group.
    places["county"] = factories.PlaceFactory(name="County", country=gb, tier=PlaceTier.COUNTY)
    indicators = {
        direction: factories.IndicatorFactory(direction=direction) for direction in Direction
    }
    official = factories.SourceFactory(slug="official")
    reported = factories.SourceFactory(slug="reported")
    for indicator in indicators.values():
        for year, shift in ((2019, 3.0), (2020, 0.0)):
            for name, value in (GB_VALUES | DE_VALUES | {"county": 1.0}).items():
                factories.MeasurementFactory(
                    place=places[name],
                    indicator=indicator,
                    year=year,
                    source=official,
                    value=value + shift * (name == "A"),
                    verification=Verification.THIRD_PARTY_VERIFIED,
                )
        # A second, self-reported value of A: the verified one counts.
        factories.MeasurementFactory(
            place=places["A"], indicator=indicator, year=2020, source=reported, value=99.0
        )
        # A missing value is never ranked.
        factories.MeasurementFactory(
            place=factories.PlaceFactory(name="Z", country=gb),
            indicator=indicator,
            year=2020,
            source=official,
            missing=True,
        )
    return {"places": places, "indicators": indicators}


def _stored(place, indicator, year=2020):
    found = stored_standings.for_place(
        place, [(indicator.pk, year)], {indicator.pk: indicator.direction}
    )
    return found.get((indicator.pk, year))


def _live(place, indicator, year=2020):
    ranked = standings(
        [indicator], [(indicator.pk, year)], PeerGroup.around(place), place_id=place.pk
    )
    return ranked[0] if ranked else None


def test_stored_standings_are_the_live_ranking_of_each_default_group(world):
    stored_standings.refresh()

    checked = 0
    for indicator in world["indicators"].values():
        for year in (2019, 2020):
            for place in world["places"].values():
                assert _stored(place, indicator, year) == _live(place, indicator, year)
                checked += 1
    assert checked == 3 * 2 * 10


def test_stored_standings_hold_the_hand_computed_figures(world):
    places, lower = world["places"], world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()

    # GB districts, lower is better: A 10, B = C 20, D 40, E 50, F 60 (six places).
    a, b, f = (_stored(places[name], lower) for name in "ABF")
    assert (a.rank, a.percentile, a.group_size, a.value) == (1, 100.0, 6, 10.0)
    assert (b.rank, b.percentile) == (2, 80.0)
    assert (f.rank, f.percentile) == (6, 0.0)
    # Three German places: too few to rank; the county is alone in its tier.
    assert _stored(places["G"], lower).rank is None
    assert _stored(places["G"], lower).group_size == 3
    assert _stored(places["county"], lower).group_size == 1
    # A context indicator is stored but never ranked.
    context = world["indicators"][Direction.CONTEXT]
    assert _stored(places["A"], context).rank is None


def test_a_refresh_of_some_years_leaves_the_others_alone(world):
    lower = world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()
    Measurement.objects.filter(indicator=lower, place=world["places"]["F"]).update(
        value=1.0, value_canonical=1.0
    )

    written = stored_standings.refresh([(lower.pk, 2020)])

    assert written == 10
    assert _stored(world["places"]["F"], lower, 2020).rank == 1
    assert _stored(world["places"]["F"], lower, 2019).rank == 6


def test_refreshing_twice_stores_the_same_rows(world):
    first = stored_standings.refresh()
    rows = set(StoredStanding.objects.values_list("measurement_id", "position", "group_size"))

    assert stored_standings.refresh() == first
    assert set(StoredStanding.objects.values_list("measurement_id", "position", "group_size")) == (
        rows
    )
    assert stored_standings.refresh([]) == 0


def test_is_empty_only_when_values_exist_without_standings(world):
    assert stored_standings.is_empty()
    stored_standings.refresh()
    assert not stored_standings.is_empty()


def test_a_written_measurement_moves_the_standings_of_its_year(world):
    lower = world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()
    newcomer = factories.PlaceFactory(name="N", country=world["places"]["A"].country)
    factories.MeasurementFactory(place=newcomer, indicator=lower, year=2020, value=1.0)

    measurements_written({(lower.pk, 2020)})

    assert _stored(newcomer, lower).rank == 1
    assert _stored(world["places"]["A"], lower).rank == 2
    assert _stored(world["places"]["A"], lower).group_size == 7


def test_the_scorecard_reads_stored_standings_and_ranks_changed_values_live(world):
    place, lower = world["places"]["F"], world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()
    card = scorecard(place)
    assert card.group == PeerGroup.around(place)
    assert _row(card, lower).standing.rank == 6

    # Written behind the services' back: the stored standing no longer ranks this value.
    Measurement.objects.filter(indicator=lower, place=place, year=2020).update(
        value=1.0, value_canonical=1.0
    )

    assert _row(scorecard(place), lower).standing.rank == 1


def test_another_group_is_ranked_live(world):
    place, lower = world["places"]["F"], world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()

    card = scorecard(place, PeerGroup(tier=PlaceTier.LOCAL))

    # All nine districts of both countries: F's 60 is the worst.
    assert _row(card, lower).standing.group_size == 9
    assert _row(card, lower).standing.rank == 9


def _row(card, indicator):
    return next(row for row in card.rows if row.indicator == indicator)


# The admin writes through the same services -------------------------------------------------


def test_changing_a_value_in_the_admin_moves_the_standings(admin_client, world):
    place, lower = world["places"]["F"], world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()
    measurement = Measurement.objects.get(indicator=lower, place=place, year=2020)
    url = reverse("admin:benchmarks_measurement_change", args=[measurement.pk])
    form = {
        "place": place.pk,
        "indicator": lower.pk,
        "year": 2020,
        "source": measurement.source_id,
        "value": "1",
        "unit": "MWh",
        "value_canonical": "1",
        "notation": "",
        "method": measurement.method,
        "verification": measurement.verification,
        "quality_flags": "[]",
        "note": "",
    }

    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert _stored(place, lower).rank == 1
    assert _stored(world["places"]["A"], lower).rank == 2


def test_deleting_a_value_in_the_admin_moves_the_standings(admin_client, world):
    lower = world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()
    measurement = Measurement.objects.get(
        indicator=lower, place=world["places"]["A"], year=2020, source__slug="official"
    )
    url = reverse("admin:benchmarks_measurement_delete", args=[measurement.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 302

    # A's self-reported 99 counts now: the worst of six.
    assert _stored(world["places"]["A"], lower).rank == 6
    assert _stored(world["places"]["B"], lower).rank == 1


def test_turning_an_indicator_round_in_the_admin_moves_its_standings(admin_client, world):
    lower = world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()
    url = reverse("admin:benchmarks_indicator_change", args=[lower.pk])
    form = {
        "code": lower.code,
        "name": lower.name,
        "unit": lower.unit,
        "direction": Direction.HIGHER_IS_BETTER,
        "quantity_kind": lower.quantity_kind,
        "definition": "",
        "mappings-TOTAL_FORMS": "0",
        "mappings-INITIAL_FORMS": "0",
    }

    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert _stored(world["places"]["F"], lower).rank == 1
    assert _stored(world["places"]["F"], lower, 2019).rank == 1


def test_moving_a_place_to_another_tier_in_the_admin_moves_the_standings(admin_client, world):
    place, lower = world["places"]["A"], world["indicators"][Direction.LOWER_IS_BETTER]
    stored_standings.refresh()
    response = admin_client.get(reverse("admin:reference_place_change", args=[place.pk]))
    form = _form_data(response)
    form["tier"] = PlaceTier.COUNTY

    response = admin_client.post(reverse("admin:reference_place_change", args=[place.pk]), form)

    assert response.status_code == 302, response.content.decode()[:2000]
    # A joins the county: two counties; the five districts left rank without it.
    assert _stored(place, lower).group_size == 2
    assert _stored(world["places"]["B"], lower).rank == 1
    assert _stored(world["places"]["B"], lower).group_size == 5


def _form_data(response) -> dict:
    """The values of the admin form as the browser would send them back."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
    return data
