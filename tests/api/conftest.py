"""Data shared by the API tests."""

import pytest

from tests import factories


@pytest.fixture
def many_rows(db):
    """Thirty rows of every resource, each with the related objects its list shows."""
    network = factories.NetworkFactory(slug="covenant-of-mayors")
    themes = [
        factories.ThemeFactory(slug="district-energy"),
        factories.ThemeFactory(slug="public-lighting"),
    ]
    source = factories.SourceFactory()
    for n in range(30):
        country = factories.CountryFactory()
        parent = factories.PlaceFactory(country=country, kind="region", tier="state")
        place = factories.PlaceFactory(country=country, parent=parent)
        factories.PlaceNameFactory(place=place)
        factories.PlaceIdentifierFactory(place=place)
        factories.MembershipFactory(network=network, place=place)
        organisation = factories.OrganisationFactory(country=country, places=[place], source=source)
        practice = factories.PublishedPracticeFactory(
            places=[place, parent], themes=themes, organisations=[organisation], source=source
        )
        factories.ImpactFactory(practice=practice)
        indicator = factories.IndicatorFactory(source=source)
        factories.IndicatorMappingFactory(indicator=indicator)
        factories.MeasurementFactory(place=place, indicator=indicator, source=source, year=2000 + n)
        factories.EventFactory(venue=place, organisers=[organisation], practices=[practice])
        factories.SourceFactory()
