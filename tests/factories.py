"""factory_boy factories for every model, shared by the whole test suite.

Values are deterministic (sequences, fixed dates), never random, so that a
failing test fails the same way twice. Many-to-many relations are passed as
lists: ``PublishedPracticeFactory(places=[seoul], themes=[theme])``.
"""

import datetime

import factory
from factory.django import DjangoModelFactory

from benchmarks.choices import (
    Direction,
    MappingMatch,
    MappingScheme,
    Method,
    Notation,
    QuantityKind,
    Verification,
)
from benchmarks.models import Indicator, IndicatorMapping, Measurement, Target
from cset.reference.choices import (
    ActivityKind,
    ActivityStatus,
    Continent,
    IdentifierScheme,
    MembershipStatus,
    NameKind,
    OrganisationKind,
    PlaceKind,
    PlaceTier,
)
from cset.reference.models import (
    Activity,
    Country,
    Membership,
    Network,
    Organisation,
    Place,
    PlaceIdentifier,
    PlaceName,
    Source,
    Theme,
)
from events.choices import DatePrecision, EventKind
from events.models import Event
from practices.choices import Assessment, ImpactBasis, Implementation, Status
from practices.models import Attachment, BestPractice, Impact, PracticeLink, ProgressUpdate

EPOCH = datetime.datetime(2020, 1, 1, 12, 0, tzinfo=datetime.UTC)


def _two_letters(n: int) -> str:
    """A two-capital code from a sequence number, starting at "QA" (user-assigned ISO
    codes), so that generated countries rarely meet the real ones tests name."""
    index = (16 * 26 + n) % (26 * 26)
    return chr(65 + index // 26) + chr(65 + index % 26)


class _M2MFactory(DjangoModelFactory):
    """Sets many-to-many relations after creation without saving the object twice."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True


def _set_many(field_name: str) -> factory.PostGeneration:
    def setter(obj, create, extracted, **kwargs):
        if create and extracted:
            getattr(obj, field_name).set(extracted)

    return factory.PostGeneration(setter)


class CountryFactory(DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = factory.Sequence(_two_letters)
    name = factory.Sequence(lambda n: f"Country {n}")
    continent = Continent.EUROPE


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source {n}")
    publisher = "Test publisher"
    url = factory.LazyAttribute(lambda o: f"https://data.example.org/{o.slug}")
    licence = "CC-BY-4.0"
    attribution = factory.LazyAttribute(lambda o: f"{o.title}, Test publisher, CC BY 4.0")
    retrieved_on = datetime.date(2024, 1, 15)


class PlaceFactory(DjangoModelFactory):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Place {n}")
    slug = factory.Sequence(lambda n: f"place-{n}")
    kind = PlaceKind.CITY
    tier = PlaceTier.LOCAL
    country = factory.SubFactory(CountryFactory)
    # Always in the "under 15,000" band, however many places a test run has made.
    population = factory.Sequence(lambda n: 10_000 + n % 5_000)
    population_year = 2020
    latitude = factory.Sequence(lambda n: 40.0 + (n % 100) / 10)
    longitude = factory.Sequence(lambda n: 10.0 + (n % 100) / 10)
    timezone = "Europe/Berlin"


class PlaceNameFactory(DjangoModelFactory):
    class Meta:
        model = PlaceName

    place = factory.SubFactory(PlaceFactory)
    name = factory.Sequence(lambda n: f"Other name {n}")
    kind = NameKind.ALTERNATIVE


class PlaceIdentifierFactory(DjangoModelFactory):
    class Meta:
        model = PlaceIdentifier

    place = factory.SubFactory(PlaceFactory)
    scheme = IdentifierScheme.GEONAMES
    value = factory.Sequence(lambda n: str(1_000_000 + n))


class OrganisationFactory(_M2MFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = OrganisationKind.AGENCY
    country = factory.SubFactory(CountryFactory)
    url = factory.LazyAttribute(lambda o: f"https://{o.slug}.example.org/")
    places = _set_many("places")


class ThemeFactory(DjangoModelFactory):
    """Themes are seeded by a migration: a seeded slug returns the existing theme."""

    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Theme {n}")
    position = factory.Sequence(lambda n: 100 + n)


class NetworkFactory(DjangoModelFactory):
    class Meta:
        model = Network
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"network-{n}")
    name = factory.Sequence(lambda n: f"Network {n}")
    url = factory.LazyAttribute(lambda o: f"https://{o.slug}.example.org/")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    network = factory.SubFactory(NetworkFactory)
    place = factory.SubFactory(PlaceFactory)
    organisation = None
    external_id = factory.Sequence(lambda n: str(5_000 + n))
    status = MembershipStatus.ACTIVE
    joined_on = datetime.date(2012, 3, 1)
    commitments = factory.LazyFunction(lambda: ["com2020"])


class ActivityFactory(_M2MFactory):
    class Meta:
        model = Activity

    title = factory.Sequence(lambda n: f"Activity {n}")
    kind = ActivityKind.PROJECT
    status = ActivityStatus.ONGOING
    start_year = 2018
    description = "An activity of the initiative."
    countries = _set_many("countries")
    partners = _set_many("partners")


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"indicator-{n}")
    name = factory.Sequence(lambda n: f"Indicator {n}")
    theme = factory.SubFactory(ThemeFactory, slug="district-energy")
    unit = "MWh"
    direction = Direction.LOWER_IS_BETTER
    quantity_kind = QuantityKind.FINAL_ENERGY
    definition = "Final energy consumed in a year."


class IndicatorMappingFactory(DjangoModelFactory):
    class Meta:
        model = IndicatorMapping

    indicator = factory.SubFactory(IndicatorFactory)
    scheme = MappingScheme.ISO_37120
    code = factory.Sequence(lambda n: f"7.{n}")
    match = MappingMatch.EXACT


class MeasurementFactory(DjangoModelFactory):
    """A value as given; with ``missing=True`` a missing value with its notation."""

    class Meta:
        model = Measurement

    place = factory.SubFactory(PlaceFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    year = 2020
    source = factory.SubFactory(SourceFactory)
    value = factory.Sequence(lambda n: 100.0 + n)
    unit = "MWh"
    value_canonical = factory.LazyAttribute(lambda o: o.value)
    notation = ""
    method = Method.REPORTED
    verification = Verification.SELF_REPORTED

    class Params:
        missing = factory.Trait(value=None, value_canonical=None, notation=Notation.NOT_REPORTED)


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    place = factory.SubFactory(PlaceFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    year = 2030
    source = factory.SubFactory(SourceFactory)
    value = 50.0
    unit = "MWh"
    value_canonical = factory.LazyAttribute(lambda o: o.value)


class PracticeFactory(_M2MFactory):
    """A case in ``draft``; ``published=True`` (or PublishedPracticeFactory) publishes it."""

    class Meta:
        model = BestPractice

    slug = factory.Sequence(lambda n: f"practice-{n}")
    title = factory.Sequence(lambda n: f"Practice {n}")
    status = Status.DRAFT
    implementation = Implementation.ONGOING
    summary = "What the place did, in short."
    context = "The problem."
    actions = "What was done."
    results = "What came of it."
    start_year = 2015
    language = "en"
    contact_name = "Jo Contact"
    contact_email = "jo@example.org"
    places = _set_many("places")
    themes = _set_many("themes")
    organisations = _set_many("organisations")

    class Params:
        published = factory.Trait(
            status=Status.PUBLISHED,
            published_at=factory.Sequence(lambda n: EPOCH + datetime.timedelta(days=n)),
        )


class PublishedPracticeFactory(PracticeFactory):
    published = True


class ImpactFactory(DjangoModelFactory):
    class Meta:
        model = Impact

    practice = factory.SubFactory(PracticeFactory)
    metric = "Final energy saved"
    value = 1200.0
    unit = "MWh"
    basis = ImpactBasis.ACHIEVED


class ProgressUpdateFactory(DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    practice = factory.SubFactory(PracticeFactory)
    period = "2016/2017"
    period_start = 2016
    period_end = 2017
    assessment = Assessment.ON_TRACK
    text = "Going as planned."


class PracticeLinkFactory(DjangoModelFactory):
    class Meta:
        model = PracticeLink

    practice = factory.SubFactory(PracticeFactory)
    url = factory.Sequence(lambda n: f"https://example.org/case/{n}")
    title = "About the case"


class AttachmentFactory(DjangoModelFactory):
    class Meta:
        model = Attachment

    practice = factory.SubFactory(PracticeFactory)
    file = factory.django.FileField(filename="case.pdf", data=b"%PDF-1.4\n%%EOF\n")
    title = "Case study"
    content_type = "application/pdf"
    size = 15


class EventFactory(_M2MFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    title = factory.Sequence(lambda n: f"Event {n}")
    kind = EventKind.WORKSHOP
    start_date = factory.Sequence(lambda n: datetime.date(2019, 1, 1) + datetime.timedelta(days=n))
    end_date = factory.LazyAttribute(lambda o: o.start_date)
    date_precision = DatePrecision.DAY
    venue = factory.SubFactory(PlaceFactory)
    venue_name = "Town hall"
    organisers = _set_many("organisers")
    practices = _set_many("practices")
