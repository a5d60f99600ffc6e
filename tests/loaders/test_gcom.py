"""Step 5 of the initial load: the Covenant of Mayors signatories (LOADING.md, DESIGN "Identity").

The excerpt holds 23 real rows of ``gcom_signatories_2024.csv``: a group with two of
its members, members of groups absent from the file, a whole-degree position, a
position shared by three names, a same-name pair 211 km apart, towns that adhered
twice, a British city and council, a bilingual name, the row whose adhesion type
is ``1`` and the real row with no name. The bad-rows file is real rows with one
field spoilt each.
"""

from datetime import date
from pathlib import Path

import pytest

from benchmarks.choices import Method, Verification
from benchmarks.loaders.gcom import load_gcom
from benchmarks.models import Measurement
from cset.reference.choices import (
    Commitment,
    IdentifierScheme,
    MembershipStatus,
    NameKind,
    OrganisationKind,
    PlaceKind,
    PlaceTier,
)
from cset.reference.loaders.gcom import NETWORK_NAME, NETWORK_SLUG, normalise_group_id
from cset.reference.loading import ensure_source, source_catalogue
from cset.reference.models import (
    Country,
    Membership,
    Network,
    Organisation,
    Place,
    PlaceIdentifier,
    PlaceName,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
EXCERPT = "gcom_signatories_excerpt.csv"
BAD_ROWS = "gcom_signatories_bad_rows.csv"
COUNTRIES = {
    "IT": "Italy",
    "GB": "United Kingdom",
    "BE": "Belgium",
    "MD": "Moldova",
    "PS": "Palestine",
    "HU": "Hungary",
}


@pytest.fixture
def countries():
    for code, name in COUNTRIES.items():
        Country(code=code, name=name, continent="AS" if code == "PS" else "EU").save()


@pytest.fixture
def sources(countries):
    return {"gcom": ensure_source("gcom", source_catalogue()["gcom"])}


def make_place(
    name: str,
    country: str,
    latitude: float | None,
    longitude: float | None,
    *,
    tier: str = PlaceTier.LOCAL,
    kind: str = PlaceKind.CITY,
    population: int | None = None,
    identifiers: tuple[tuple[str, str], ...] = (),
    names: tuple[str, ...] = (),
) -> Place:
    """A place as an earlier step (GeoNames, the UK register) would have left it."""
    place = Place(
        name=name,
        slug=f"{name.lower().replace(' ', '-')}-{country.lower()}-{kind}-{tier}-{latitude}",
        kind=kind,
        tier=tier,
        country_id=country,
        latitude=latitude,
        longitude=longitude,
        population=population,
    )
    place.save()
    for scheme, value in identifiers:
        PlaceIdentifier.objects.create(place=place, scheme=scheme, value=value)
    for other in names:
        PlaceName(place=place, name=other).save()
    return place


def run(sources, file_name: str = EXCERPT):
    return load_gcom(DATA, sources, file_name=file_name)


def membership(external_id: str) -> Membership:
    return Membership.objects.select_related("place", "organisation", "group").get(
        network__slug=NETWORK_SLUG, external_id=external_id
    )


def flags_of(report, row_id: str) -> list[str]:
    return [reason for row, reason in report.flagged if row.endswith(f"({row_id})")]


def test_every_loadable_row_becomes_one_membership_of_the_network(sources):
    rows, populations = run(sources)

    assert rows.read == 23
    assert rows.refused == [("row 18 (14991)", "empty organisation name")]
    assert rows.created == 22
    assert Membership.objects.filter(network__slug=NETWORK_SLUG).count() == 22
    assert Network.objects.get(slug=NETWORK_SLUG).name == NETWORK_NAME
    assert not PlaceIdentifier.objects.filter(value="14991").exists()


def test_membership_fields_come_from_the_row(sources):
    run(sources)

    manchester = membership("12114")
    assert manchester.status == MembershipStatus.ACTIVE
    assert manchester.joined_on == date(2009, 5, 27)
    assert manchester.commitments == [Commitment.COM_2020]
    assert manchester.declared_population == 520_000
    assert manchester.network_code == "GB0050"
    assert manchester.name_in_network == "Manchester"
    assert manchester.source.slug == "gcom"
    assert membership("27847").status == MembershipStatus.SUSPENDED
    assert membership("25051_med").commitments == [Commitment.COM_2030, Commitment.MAYORS_ADAPT]


def test_a_place_is_found_by_name_within_10_km_first_then_by_its_identifier(sources):
    manchester = make_place(
        "Manchester",
        "GB",
        53.48095,
        -2.23743,
        population=395_515,
        identifiers=((IdentifierScheme.GEONAMES, "2643123"),),
    )

    first, _ = run(sources)

    assert membership("12114").place == manchester
    assert manchester.identifiers.filter(scheme=IdentifierScheme.GCOM, value="12114").exists()
    manchester.refresh_from_db()
    assert manchester.population == 395_515, "another source's figures are left alone"
    assert not flags_of(first, "12114")

    # Moved far away by a curator: only the identifier can still find it.
    Place.objects.filter(pk=manchester.pk).update(latitude=10.0, longitude=10.0)
    run(sources)
    assert membership("12114").place == manchester
    assert Place.objects.filter(name_folded="manchester").count() == 1


def test_british_councils_match_the_register_places_by_their_council_names(sources):
    # The register gives the centre of the borough, 17 km from the file's position.
    sefton = make_place(
        "Sefton",
        "GB",
        53.60,
        -3.02,
        kind=PlaceKind.DISTRICT,
        identifiers=((IdentifierScheme.GB_LA, "SFT"),),
        names=("Sefton Council",),
    )

    # A GeoNames town nearer the file's position than the register's council.
    make_place("Manchester", "GB", 53.479, -2.245, identifiers=((IdentifierScheme.GEONAMES, "1"),))
    council = make_place(
        "Manchester",
        "GB",
        53.4515,
        -2.2325,
        kind=PlaceKind.DISTRICT,
        identifiers=((IdentifierScheme.GB_LA, "MAN"),),
        names=("Manchester City Council",),
    )

    rows, _ = run(sources)

    assert membership("17093").place == sefton
    assert flags_of(rows, "17093") == [
        "matched by country and name alone (British council, 17 km from the file's position)"
    ]
    assert membership("12114").place == council


def test_a_whole_degree_position_never_matches_nor_becomes_coordinates(sources):
    # A county place of the same name sits exactly on the placeholder position: the
    # name would match within 10 km if the position counted.
    county = make_place("Codogno", "IT", 45.0, 9.0, tier=PlaceTier.COUNTY)

    rows, _ = run(sources)

    place = membership("17339").place
    assert place != county
    assert (place.latitude, place.longitude) == (None, None)
    assert flags_of(rows, "17339") == [
        "a whole-degree position, no place so named: new place without coordinates"
    ]


def test_a_position_shared_by_three_names_never_matches_nor_becomes_coordinates(sources):
    county = make_place("Barchi and Piagge", "IT", 42.6384261, 12.674297, tier=PlaceTier.COUNTY)

    rows, _ = run(sources)

    place = membership("20578").place
    assert place != county
    assert (place.latitude, place.longitude) == (None, None)
    assert flags_of(rows, "20578") == [
        "a position shared by 3 names, no place so named: new place without coordinates"
    ]
    assert not Place.objects.filter(latitude=42.6384261).exclude(pk=county.pk).exists()


def test_a_placeholder_row_joins_the_only_local_place_of_its_name_and_is_flagged(sources):
    rows, _ = run(sources)

    good, placeholder = membership("21234"), membership("18274")
    assert placeholder.place == good.place
    assert (good.place.latitude, good.place.longitude) == (38.15833989999999, 15.3511289)
    assert flags_of(rows, "18274") == [
        "matched by country and name alone (a whole-degree position)"
    ]


def test_same_name_far_apart_stays_two_places_and_is_flagged(sources):
    rows, _ = run(sources)

    assert membership("20612").place != membership("17387").place
    assert flags_of(rows, "17387") == [
        "same name as signatory 20612 (211 km away): not merged, new place"
    ]


def test_a_town_that_adhered_twice_is_one_place_with_two_memberships(sources):
    _, populations = run(sources)

    bertrix = membership("28660").place
    assert membership("27847").place == bertrix
    assert bertrix.memberships.count() == 2
    assert set(bertrix.identifiers.values_list("value", flat=True)) == {"28660", "27847"}
    # Both declared a population for 2020: the larger row describes the place.
    assert bertrix.population == 8880
    assert populations.flagged == [
        (f"population 2020 place {bertrix.pk}", "duplicate row, the first one kept")
    ]
    assert membership("20816").place == membership("17983").place


def test_rows_with_one_gcom_id_are_one_place(sources):
    rows, _ = run(sources)

    assert membership("25051_med").place == membership("17945_med").place
    assert flags_of(rows, "25051_med") == ["same GCoM id PS0007 as another row: merged"]


def test_a_group_profile_is_an_organisation_with_its_own_membership(sources):
    run(sources)

    group = Organisation.objects.get(source__slug="gcom", source_key="16453")
    assert group.kind == OrganisationKind.AUTHORITY_GROUP
    assert group.name == "Unione Reno Galliera"
    assert group.country_id == "IT"
    own = membership("16453")
    assert (own.organisation, own.place) == (group, None)
    assert own.declared_population == 75049
    member = membership("21009")
    assert member.group == group
    assert member.group_external_id == "16453"
    assert set(group.places.all()) == {member.place, membership("14287").place}
    assert not Measurement.objects.filter(place__isnull=True).exists()


def test_a_float_text_group_id_is_normalised():
    assert normalise_group_id("16453.0") == "16453"
    assert normalise_group_id(" 16453 ") == "16453"
    assert normalise_group_id("") == ""


def test_a_group_absent_from_the_file_is_kept_and_flagged(sources):
    rows, _ = run(sources)

    member = membership("26438")
    assert member.group is None
    assert member.group_external_id == "26439"
    assert (
        "group 26439",
        "referenced by 1 signatories but absent from the file; reference kept",
    ) in rows.flagged


def test_a_new_place_takes_its_kind_population_and_names_from_the_row(sources):
    run(sources)

    bolzano = membership("11823").place
    assert bolzano.name == "Bolzano/Bozen"
    assert bolzano.slug == "bolzano-bozen"
    assert (bolzano.kind, bolzano.tier) == (PlaceKind.CITY, PlaceTier.LOCAL)
    assert (bolzano.population, bolzano.population_year) == (102_880, 2009)
    assert set(bolzano.names.values_list("name", "kind")) == {
        ("Bolzano", NameKind.ALTERNATIVE),
        ("Bozen", NameKind.ALTERNATIVE),
    }
    assert membership("17983").place.kind == PlaceKind.TOWN  # 31,440 from its other row
    assert membership("20578").place.kind == PlaceKind.VILLAGE


def test_a_new_british_place_is_named_for_the_place_not_the_council(sources):
    run(sources)

    sefton = membership("17093")
    assert sefton.place.name == "Sefton"
    assert sefton.name_in_network == "Sefton Council"
    assert PlaceName.objects.filter(place=sefton.place, name="Sefton Council").exists()


def test_the_unknown_adhesion_type_is_flagged_and_the_row_loaded(sources):
    rows, _ = run(sources)

    assert flags_of(rows, "11557") == ["unknown adhesion type '1', ignored"]
    assert membership("11557").place.name == "Ialoveni (Rayon)"


def test_the_declared_population_is_a_reported_self_reported_measurement(sources):
    _, populations = run(sources)

    measurement = Measurement.objects.get(place=membership("11823").place)
    assert measurement.indicator.code == "population"
    assert (measurement.year, measurement.value, measurement.unit) == (2009, 102_880, "person")
    assert measurement.value_canonical == 102_880
    assert measurement.method == Method.REPORTED
    assert measurement.verification == Verification.SELF_REPORTED
    assert measurement.source.slug == "gcom"
    # 18 of the 19 towns declared a population; Bertrix declared twice for 2020.
    assert populations.read == 18
    assert populations.created == 17


def test_a_second_run_writes_nothing(sources):
    run(sources)
    counts = (Place.objects.count(), PlaceName.objects.count(), Measurement.objects.count())

    rows, populations = run(sources)

    assert rows.wrote_nothing and populations.wrote_nothing
    assert rows.unchanged == 22
    assert populations.unchanged == 17
    assert (Place.objects.count(), PlaceName.objects.count(), Measurement.objects.count()) == counts


def test_bad_rows_are_refused_with_their_reasons(sources):
    rows, _ = run(sources, BAD_ROWS)

    assert rows.read == 5
    assert rows.refused == [
        ("row 3 (27847)", "unknown country 'zz'"),
        ("row 4 (17983)", "empty organisation name"),
        ("row 5 (21234)", "date of adhesion '2010-02-30' is not a date"),
        ("row 6 (28660)", "organisation_id seen before in the file"),
    ]
    assert list(Membership.objects.values_list("external_id", flat=True)) == ["28660"]
