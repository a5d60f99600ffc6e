"""Places missing from the gazetteer: a submitter proposes one with their case, curators
add it, match it to a known place or decline it; the pages of both sides, and two
curators approving at once."""

import logging
import threading
import time

import factory
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from factory.django import DjangoModelFactory

from cset.reference.choices import PlaceKind, PlaceTier
from cset.reference.models import Place
from practices import proposals
from practices.choices import ProposalStatus, Status
from practices.models import BestPractice, PlaceProposal
from tests import factories
from tests.roles import ROLES, Cast, curator, submitter

pytestmark = pytest.mark.django_db

LIST = reverse("review:place-proposals")


class PlaceProposalFactory(DjangoModelFactory):
    class Meta:
        model = PlaceProposal

    practice = factory.SubFactory(factories.PracticeFactory)
    name = factory.Sequence(lambda n: f"Proposed village {n}")
    country = factory.SubFactory(factories.CountryFactory)
    latitude = factory.Sequence(lambda n: -30.0 + n)
    longitude = factory.Sequence(lambda n: 20.0 + n)
    proposed_by = factory.LazyAttribute(lambda o: o.practice.submitted_by)


@pytest.fixture
def cast():
    return Cast()


@pytest.fixture
def georgia():
    return factories.CountryFactory(code="GE", name="Georgia")


@pytest.fixture
def draft(cast):
    return factories.PracticeFactory(submitted_by=cast.owner, title="Solar village")


def data(country, **changes) -> dict:
    return {"name": "Ushguli", "country": country, "latitude": 42.917, "longitude": 43.016} | (
        changes
    )


def propose(practice, country, actor, **changes) -> PlaceProposal:
    return proposals.propose_place(practice, data(country, **changes), actor=actor)


# Proposing: who may ---------------------------------------------------------------------

EDIT_STATES = [Status.DRAFT, Status.CHANGES_REQUESTED, Status.SUBMITTED, Status.PUBLISHED]


def may_propose(role: str, state: str) -> bool:
    if role in {"curator", "superuser"}:
        return True
    return role == "owner" and state in {Status.DRAFT, Status.CHANGES_REQUESTED}


@pytest.mark.parametrize("state", EDIT_STATES)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_propose_a_place(cast, georgia, role, state):
    practice = factories.PracticeFactory(submitted_by=cast.owner, status=state)

    try:
        proposal = propose(practice, georgia, cast[role])
        outcome = True
    except PermissionDenied:
        outcome = False

    assert outcome == may_propose(role, state)
    assert PlaceProposal.objects.count() == int(outcome)
    if outcome:
        assert proposal.proposed_by == cast[role]
        assert proposal.status == ProposalStatus.PENDING


def test_an_organisation_cannot_propose(draft, georgia):
    with pytest.raises(PermissionDenied):
        propose(draft, georgia, factories.OrganisationFactory())


def test_a_submitter_refused_after_submitting_is_told_why(cast, georgia):
    practice = factories.PracticeFactory(submitted_by=cast.owner, status=Status.SUBMITTED)
    with pytest.raises(PermissionDenied, match="only while it is a draft"):
        propose(practice, georgia, cast.owner)


# Proposing: what is accepted ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "\u00a0"}, "name"),
        ({"name": "\u200b"}, "name"),
        ({"name": "\u00a0\u200b\ufeff "}, "name"),
        ({"name": None}, "name"),
        ({"name": "Ush\x00guli"}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"latitude": 0.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 90.5}, "latitude"),
        ({"latitude": -91.0}, "latitude"),
        ({"longitude": 180.01}, "longitude"),
        ({"longitude": -500.0}, "longitude"),
        ({"latitude": float("nan")}, "latitude"),
        ({"longitude": float("inf")}, "longitude"),
        ({"latitude": float("-inf")}, "latitude"),
        ({"latitude": "nan"}, "latitude"),
        ({"latitude": "north"}, "latitude"),
        ({"latitude": None}, "latitude"),
        ({"country": None}, "country"),
    ],
)
def test_bad_proposals_are_refused_and_nothing_is_stored(cast, draft, georgia, changes, field):
    with pytest.raises(ValidationError) as error:
        proposals.propose_place(draft, data(georgia) | changes, actor=cast.owner)

    assert field in error.value.message_dict
    assert not PlaceProposal.objects.exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  하회마을 ", "하회마을"),
        ("ላሊበላ", "ላሊበላ"),
        ("Ушгули", "Ушгули"),
        ("Sa\u0303o  Tome\u0301\u200b", "São Tomé"),
        ("🌞 Sunny Hollow", "🌞 Sunny Hollow"),
    ],
)
def test_names_in_every_script_are_kept_cleaned(cast, draft, georgia, given, stored):
    proposal = propose(draft, georgia, cast.owner, name=given)
    proposal.refresh_from_db()
    assert proposal.name == stored


def test_southern_and_western_coordinates_are_fine(cast, draft, georgia):
    proposal = propose(draft, georgia, cast.owner, latitude=-13.53, longitude=-71.97)
    assert (proposal.latitude, proposal.longitude) == (-13.53, -71.97)


def test_unknown_fields_are_a_programming_error(cast, draft, georgia):
    with pytest.raises(ValueError, match="status"):
        proposals.propose_place(
            draft, data(georgia, status=ProposalStatus.APPROVED), actor=cast.owner
        )


def test_the_same_place_twice_on_one_case_is_refused(cast, draft, georgia):
    propose(draft, georgia, cast.owner, name="Ushguli")

    for spelling in ("USHGULI", " ushgúli "):
        with pytest.raises(proposals.DuplicateProposal):
            propose(draft, georgia, cast.owner, name=spelling)

    other_country = factories.CountryFactory(code="AM", name="Armenia")
    other_case = factories.PracticeFactory(submitted_by=cast.owner)
    propose(draft, other_country, cast.owner, name="Ushguli")
    propose(other_case, georgia, cast.owner, name="Ushguli")
    assert PlaceProposal.objects.count() == 3


def test_a_declined_place_may_be_proposed_again(cast, draft, georgia):
    first = propose(draft, georgia, cast.owner)
    proposals.decline_proposal(first, actor=cast.curator, note="Coordinates are in the sea.")

    again = propose(draft, georgia, cast.owner, latitude=42.92)

    assert again.pk != first.pk


def test_a_known_name_asks_did_you_mean(cast, draft, georgia):
    mestia = factories.PlaceFactory(name="Mestia", slug="mestia", country=georgia)
    alias = factories.PlaceFactory(name="Zugdidi", slug="zugdidi", country=georgia)
    factories.PlaceNameFactory(place=alias, name="Ushguli-Chazhashi")
    factories.PlaceFactory(name="Mestia", slug="mestia-xx")  # another country

    with pytest.raises(proposals.PlaceMayBeKnown) as known:
        propose(draft, georgia, cast.owner, name="MESTIA")
    assert known.value.places == [mestia]

    with pytest.raises(proposals.PlaceMayBeKnown) as by_alias:
        propose(draft, georgia, cast.owner, name="ushguli-chazhashi")
    assert by_alias.value.places == [alias]
    assert not PlaceProposal.objects.exists()

    proposal = proposals.propose_place(
        draft, data(georgia, name="Mestia"), actor=cast.owner, even_if_known=True
    )
    assert proposal.name == "Mestia"


# Deciding: who may ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "owner", "other_submitter"])
@pytest.mark.parametrize("decision", ["approve", "merge", "decline"])
def test_only_curators_decide(cast, draft, georgia, role, decision):
    proposal = propose(draft, georgia, cast.owner)
    known = factories.PlaceFactory(country=georgia)

    with pytest.raises(PermissionDenied):
        if decision == "approve":
            proposals.approve_proposal(proposal, actor=cast[role])
        elif decision == "merge":
            proposals.merge_proposal(proposal, known, actor=cast[role])
        else:
            proposals.decline_proposal(proposal, actor=cast[role], note="No.")

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING
    assert not draft.places.exists()


@pytest.mark.parametrize("actor", [None, "organisation"])
def test_nobody_and_organisations_cannot_decide(draft, georgia, cast, actor):
    proposal = propose(draft, georgia, cast.owner)
    if actor == "organisation":
        actor = factories.OrganisationFactory()
    with pytest.raises(PermissionDenied):
        proposals.approve_proposal(proposal, actor=actor)


# Approving ------------------------------------------------------------------------------


def test_approving_adds_the_place_to_the_gazetteer_and_the_case(cast, draft, georgia):
    proposal = propose(draft, georgia, cast.owner)

    place = proposals.approve_proposal(proposal, actor=cast.curator, note="  Welcome.  ")

    place.refresh_from_db()
    assert (place.name, place.slug, place.country, place.kind, place.tier) == (
        "Ushguli",
        "ushguli",
        georgia,
        PlaceKind.VILLAGE,
        PlaceTier.LOCAL,
    )
    assert (place.latitude, place.longitude) == (42.917, 43.016)
    assert place.subdivision_code == ""
    assert list(draft.places.all()) == [place]

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.place == place
    assert proposal.decided_by == cast.curator
    assert proposal.decided_at is not None
    assert proposal.note == "Welcome."


def test_the_case_history_records_the_added_place_and_the_version_moves(cast, draft, georgia):
    proposal = propose(draft, georgia, cast.owner)
    version = draft.version

    place = proposals.approve_proposal(proposal, actor=cast.curator)

    draft.refresh_from_db()
    assert draft.version == version + 1
    latest = draft.history.order_by("-history_id").first()
    assert latest.history_user == cast.curator
    assert latest.history_change_reason == "place added from a proposal"
    assert latest.version == version + 1
    assert [link.place_id for link in latest.places.all()] == [place.pk]


def test_a_stale_case_form_is_refused_after_an_approval(cast, draft, georgia):
    from practices import services

    proposal = propose(draft, georgia, cast.owner)
    proposals.approve_proposal(proposal, actor=cast.curator)

    with pytest.raises(services.StaleVersion):
        services.save_practice(draft, {"places": []}, actor=cast.owner, expected_version=1)
    assert draft.places.count() == 1


def test_approving_twice_adds_one_place(cast, draft, georgia):
    proposal = propose(draft, georgia, cast.owner)
    stale_copy = PlaceProposal.objects.get(pk=proposal.pk)
    proposals.approve_proposal(proposal, actor=cast.curator)
    places = Place.objects.count()

    with pytest.raises(proposals.ProposalAlreadyDecided, match="already decided"):
        proposals.approve_proposal(stale_copy, actor=cast.superuser)
    with pytest.raises(proposals.ProposalAlreadyDecided):
        proposals.decline_proposal(stale_copy, actor=cast.curator, note="Too late.")

    assert Place.objects.count() == places
    assert draft.places.count() == 1


def test_a_deleted_proposal_cannot_be_decided(cast, draft, georgia):
    proposal = propose(draft, georgia, cast.owner)
    PlaceProposal.objects.filter(pk=proposal.pk).delete()
    with pytest.raises(proposals.ProposalAlreadyDecided, match="no longer exists"):
        proposals.approve_proposal(proposal, actor=cast.curator)
    assert not Place.objects.filter(name="Ushguli").exists()


def test_a_second_springfield_gets_its_own_slug(cast, georgia):
    factories.PlaceFactory(name="Springfield", slug="springfield", country=georgia)
    slugs = []
    for number in range(3):
        case = factories.PracticeFactory(submitted_by=cast.owner)
        proposal = proposals.propose_place(
            case,
            data(georgia, name="Springfield", latitude=41.0 + number),
            actor=cast.owner,
            even_if_known=True,
        )
        slugs.append(proposals.approve_proposal(proposal, actor=cast.curator).slug)

    assert slugs == ["springfield-ge", "springfield-ge-2", "springfield-ge-3"]
    assert Place.objects.get(slug="springfield").country == georgia


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("하회마을", "하회마을"),
        ("ላሊበላ", "ላሊበላ"),
        ("Ушгули", "ушгули"),
        ("Ça Va", "ca-va"),
        ("★", "place"),
    ],
)
def test_new_places_get_unicode_slugs(cast, draft, georgia, name, slug):
    proposal = propose(draft, georgia, cast.owner, name=name)
    assert proposals.approve_proposal(proposal, actor=cast.curator).slug == slug


# Merging and declining --------------------------------------------------------------------


def test_merging_adds_the_known_place(cast, draft, georgia):
    known = factories.PlaceFactory(name="Mestia", country=georgia)
    proposal = propose(draft, georgia, cast.owner, name="Mestiya")
    places = Place.objects.count()

    merged = proposals.merge_proposal(proposal, known, actor=cast.curator, note="Same town.")

    assert merged == known
    assert Place.objects.count() == places
    assert list(draft.places.all()) == [known]
    proposal.refresh_from_db()
    assert (proposal.status, proposal.place, proposal.note) == (
        ProposalStatus.MERGED,
        known,
        "Same town.",
    )


def test_merging_into_a_place_the_case_has_keeps_one_link_and_the_version(cast, georgia):
    known = factories.PlaceFactory(country=georgia)
    case = factories.PracticeFactory(submitted_by=cast.owner, places=[known])
    proposal = propose(case, georgia, cast.owner)

    proposals.merge_proposal(proposal, known, actor=cast.curator)

    case.refresh_from_db()
    assert list(case.places.all()) == [known]
    assert case.version == 1


@pytest.mark.parametrize("place", [None, "unsaved", "deleted"])
def test_merging_needs_a_known_place(cast, draft, georgia, place):
    if place == "unsaved":
        place = Place(name="Nowhere", country=georgia)
    elif place == "deleted":
        place = factories.PlaceFactory(country=georgia)
        Place.objects.filter(pk=place.pk).delete()
    proposal = propose(draft, georgia, cast.owner)

    with pytest.raises(ValidationError) as error:
        proposals.merge_proposal(proposal, place, actor=cast.curator)

    assert "place" in error.value.message_dict
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


@pytest.mark.parametrize("note", ["", "   ", "\u00a0\u200b", None])
def test_declining_needs_a_note(cast, draft, georgia, note):
    proposal = propose(draft, georgia, cast.owner)
    with pytest.raises(ValidationError) as error:
        proposals.decline_proposal(proposal, actor=cast.curator, note=note)
    assert "note" in error.value.message_dict
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


def test_a_note_of_ten_thousand_characters_is_refused(cast, draft, georgia):
    proposal = propose(draft, georgia, cast.owner)
    with pytest.raises(ValidationError):
        proposals.decline_proposal(proposal, actor=cast.curator, note="x" * 10_000)


def test_declining_adds_no_place(cast, draft, georgia):
    proposal = propose(draft, georgia, cast.owner)
    places = Place.objects.count()

    proposals.decline_proposal(proposal, actor=cast.curator, note="Outside the initiative.")

    proposal.refresh_from_db()
    assert (proposal.status, proposal.place, proposal.note) == (
        ProposalStatus.DECLINED,
        None,
        "Outside the initiative.",
    )
    assert Place.objects.count() == places
    assert not draft.places.exists()


# Mail -----------------------------------------------------------------------------------


def test_the_proposer_is_mailed_after_commit(
    cast, draft, georgia, django_capture_on_commit_callbacks
):
    proposal = propose(draft, georgia, cast.owner)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        proposals.approve_proposal(proposal, actor=cast.curator, note="Added, thanks.")
        assert mail.outbox == []
    for callback in callbacks:
        callback()

    [message] = mail.outbox
    assert message.to == [cast.owner.email]
    assert "Ushguli" in message.subject
    assert "added to the gazetteer" in message.subject
    assert "Added, thanks." in message.body
    assert reverse("submit:preview", args=[draft.slug]) in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Ushguli" in html


def test_a_decline_mail_carries_the_note(cast, draft, georgia, django_capture_on_commit_callbacks):
    proposal = propose(draft, georgia, cast.owner, name="Ушгули <b>")
    with django_capture_on_commit_callbacks(execute=True):
        proposals.decline_proposal(proposal, actor=cast.curator, note="The <b>coordinates</b>.")

    [message] = mail.outbox
    assert "declined" in message.subject
    assert "The <b>coordinates</b>." in message.body
    assert "&lt;b&gt;coordinates" in message.alternatives[0][0]


def test_no_mail_to_a_proposer_without_address(
    draft, georgia, cast, django_capture_on_commit_callbacks
):
    silent = submitter("silent", email="")
    case = factories.PracticeFactory(submitted_by=silent)
    proposal = propose(case, georgia, silent)
    with django_capture_on_commit_callbacks(execute=True):
        proposals.approve_proposal(proposal, actor=cast.curator)
    assert mail.outbox == []


def test_a_failing_mail_is_logged_and_the_decision_stays(
    cast, draft, georgia, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    proposal = propose(draft, georgia, cast.owner)

    with (
        caplog.at_level(logging.ERROR, logger="practices.proposals"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        proposals.approve_proposal(proposal, actor=cast.curator)

    assert "could not be sent" in caplog.text
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED


def test_decisions_are_logged_with_keys_only(
    cast, draft, georgia, django_capture_on_commit_callbacks, caplog
):
    proposal = propose(draft, georgia, cast.owner)
    with (
        caplog.at_level(logging.INFO, logger="practices.proposals"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        place = proposals.approve_proposal(proposal, actor=cast.curator)
    assert f"place proposal {proposal.pk} approved (place {place.pk})" in caplog.text
    assert cast.owner.email not in caplog.text


# Merge candidates -----------------------------------------------------------------------


def test_merge_candidates_are_same_name_or_near_in_the_same_country(cast, draft, georgia):
    far_twin = factories.PlaceFactory(
        name="Ushguli", country=georgia, latitude=41.0, longitude=44.0
    )
    near = factories.PlaceFactory(
        name="Chazhashi", country=georgia, latitude=42.95, longitude=43.05
    )
    nearer = factories.PlaceFactory(
        name="Murkmeli", country=georgia, latitude=42.92, longitude=43.02
    )
    factories.PlaceFactory(name="Kala", country=georgia, latitude=43.2, longitude=43.016)  # 31 km
    factories.PlaceFactory(name="Ushguli", latitude=42.917, longitude=43.016)  # other country
    factories.PlaceFactory(name="Unknown spot", country=georgia, latitude=None, longitude=None)
    proposal = PlaceProposalFactory(
        practice=draft, name="ushguli", country=georgia, latitude=42.917, longitude=43.016
    )

    [candidates] = proposals.merge_candidates([proposal]).values()

    assert [c.place for c in candidates] == [far_twin, nearer, near]
    assert [c.same_name for c in candidates] == [True, False, False]
    assert candidates[1].distance_km < 1 < candidates[2].distance_km < proposals.NEARBY_KM


def test_merge_candidates_are_at_most_five(cast, draft, georgia):
    for number in range(8):
        factories.PlaceFactory(country=georgia, latitude=42.917 + number / 1000, longitude=43.016)
    proposal = propose(draft, georgia, cast.owner)
    assert len(proposals.merge_candidates([proposal])[proposal.pk]) == 5


def test_merge_candidates_cross_the_180th_meridian(cast, draft):
    fiji = factories.CountryFactory(code="FJ", name="Fiji")
    across = factories.PlaceFactory(country=fiji, latitude=-16.5, longitude=-179.98)
    proposal = propose(draft, fiji, cast.owner, latitude=-16.5, longitude=179.98)
    [candidate] = proposals.merge_candidates([proposal])[proposal.pk]
    assert candidate.place == across
    assert candidate.distance_km < 5


def test_merge_candidates_take_two_queries_for_any_number(cast, georgia, django_assert_num_queries):
    batch = []
    for number in range(12):
        case = factories.PracticeFactory(submitted_by=cast.owner)
        factories.PlaceFactory(country=georgia, latitude=40.0 + number, longitude=44.0)
        batch.append(
            PlaceProposalFactory(
                practice=case, country=georgia, latitude=40.0 + number, longitude=44.01
            )
        )
    with django_assert_num_queries(2):
        found = proposals.merge_candidates(batch)
    assert all(len(found[proposal.pk]) == 1 for proposal in batch)


def test_no_proposals_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert proposals.merge_candidates([]) == {}


# The submitter's page -------------------------------------------------------------------


def propose_url(practice) -> str:
    return reverse("submit:propose-place", args=[practice.slug])


def form_data(in_country, **changes) -> dict:
    return {
        "name": "Ushguli",
        "country": in_country.pk,
        "latitude": "42.917",
        "longitude": "43.016",
    } | (changes)


@pytest.fixture
def owner_client(client, cast):
    client.force_login(cast.owner)
    return client


def test_the_propose_form(owner_client, draft, georgia):
    factories.CountryFactory(code="AF", name="Afghanistan")
    response = owner_client.get(propose_url(draft))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="latitude"' in page and 'name="longitude"' in page
    assert page.count('step="any"') == 2
    assert 'for="id_name"' in page and 'aria-describedby="id_latitude_helptext"' in page
    assert page.index("Afghanistan") < page.index("Georgia")


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    response = client.get(propose_url(draft))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_others_and_late_owners_are_refused_with_the_reason(client, cast, georgia):
    practice = factories.PracticeFactory(submitted_by=cast.owner, status=Status.SUBMITTED)
    client.force_login(cast.other_submitter)
    response = client.post(propose_url(practice), form_data(georgia))
    assert response.status_code == 403
    assert "Only the case" in response.content.decode()

    client.force_login(cast.owner)
    response = client.post(propose_url(practice), form_data(georgia))
    assert response.status_code == 403
    assert "only while it is a draft" in response.content.decode()
    assert not PlaceProposal.objects.exists()


def test_an_unknown_case_is_404(owner_client):
    assert (
        owner_client.get(reverse("submit:propose-place", args=["no-such-case"])).status_code == 404
    )


def test_proposing_goes_back_to_the_case_with_a_message(owner_client, cast, draft, georgia):
    response = owner_client.post(propose_url(draft), form_data(georgia), follow=True)

    assert response.redirect_chain[-1][0] == reverse("submit:edit", args=[draft.slug])
    assert "the curators will look at the place" in response.content.decode()
    proposal = PlaceProposal.objects.get()
    assert (proposal.practice, proposal.proposed_by, proposal.name) == (
        draft,
        cast.owner,
        "Ushguli",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "\u00a0\u200b"}, "name"),
        ({"name": "Ush\x00guli"}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"latitude": "nan"}, "latitude"),
        ({"latitude": "inf"}, "latitude"),
        ({"longitude": "1e309"}, "longitude"),
        ({"latitude": "north"}, "latitude"),
        ({"latitude": "-91"}, "latitude"),
        ({"latitude": "0", "longitude": "0"}, "latitude"),
        ({"country": "ZZ"}, "country"),
        ({"country": ""}, "country"),
    ],
)
def test_bad_input_is_a_form_error(owner_client, draft, georgia, changes, field):
    response = owner_client.post(propose_url(draft), form_data(georgia, **changes))

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'href="#id_{field}"' in response.content.decode()
    assert not PlaceProposal.objects.exists()


def test_a_known_name_shows_the_places_and_can_still_be_proposed(owner_client, draft, georgia):
    factories.PlaceFactory(name="Mestia", slug="mestia", country=georgia)

    response = owner_client.post(propose_url(draft), form_data(georgia, name="mestia"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Did you mean one of these places?" in page
    assert f"{reverse('submit:edit', args=[draft.slug])}?place_q=mestia" in page
    assert 'name="seen_known" value="GE:mestia"' in page
    assert not PlaceProposal.objects.exists()

    # Another name is checked again, though the page said it had seen the first one's.
    factories.PlaceFactory(name="Kala", slug="kala", country=georgia)
    again = owner_client.post(
        propose_url(draft), form_data(georgia, name="Kala", seen_known="GE:mestia")
    )
    assert "Did you mean one of these places?" in again.content.decode()

    response = owner_client.post(
        propose_url(draft), form_data(georgia, name="Mestia", seen_known="GE:mestia")
    )
    assert response.status_code == 302
    assert PlaceProposal.objects.get().name == "Mestia"


def test_a_double_click_stores_one_proposal(owner_client, draft, georgia):
    assert owner_client.post(propose_url(draft), form_data(georgia)).status_code == 302
    response = owner_client.post(propose_url(draft), form_data(georgia))
    assert response.status_code == 409
    assert "already proposed" in response.content.decode()
    assert PlaceProposal.objects.count() == 1


# The includes ---------------------------------------------------------------------------


def test_the_case_form_include_for_a_new_case():
    html = render_to_string("practices/submit/includes/place_proposals.html", {"practice": None})
    assert "Is your place missing? Save your draft, then propose it." in html


def test_the_case_form_include_lists_the_proposals_in_one_query(
    cast, draft, georgia, django_assert_num_queries
):
    PlaceProposalFactory(practice=draft, name="Ushguli")
    declined = PlaceProposalFactory(practice=draft, name="Chazhashi")
    proposals.decline_proposal(declined, actor=cast.curator, note="Part of Ushguli.")
    for _ in range(5):
        PlaceProposalFactory(practice=draft)
    practice = BestPractice.objects.get(pk=draft.pk)

    with django_assert_num_queries(1):
        html = render_to_string(
            "practices/submit/includes/place_proposals.html", {"practice": practice}
        )

    assert propose_url(draft) in html
    assert "Ushguli" in html and "Waiting for a curator" in html
    assert "Declined" in html and "Part of Ushguli." in html


def test_the_review_include_links_pending_proposals(
    cast, draft, georgia, django_assert_num_queries
):
    waiting = PlaceProposalFactory(practice=draft, name="Ushguli")
    for _ in range(4):
        PlaceProposalFactory(practice=draft)
    request = RequestFactory().get(reverse("review:practice", args=[draft.slug]))
    practice = BestPractice.objects.get(pk=draft.pk)

    with django_assert_num_queries(1):
        html = render_to_string(
            "practices/review/includes/place_proposals.html",
            {"practice": practice, "request": request},
        )

    assert reverse("review:decide-place", args=[waiting.pk]) in html
    assert LIST in html


def test_the_case_form_and_the_review_page_show_the_proposals(client, cast, draft):
    waiting = PlaceProposalFactory(practice=draft, name="Ushguli")

    client.force_login(cast.owner)
    form_page = client.get(reverse("submit:edit", args=[draft.slug])).content.decode()
    new_page = client.get(reverse("submit:new")).content.decode()
    client.force_login(cast.curator)
    review_page = client.get(reverse("review:practice", args=[draft.slug])).content.decode()

    assert propose_url(draft) in form_page and "Ushguli" in form_page
    assert "Save your draft, then propose it." in new_page
    assert reverse("review:decide-place", args=[waiting.pk]) in review_page


def test_the_review_include_is_empty_without_proposals(draft):
    html = render_to_string("practices/review/includes/place_proposals.html", {"practice": draft})
    assert html.strip() == ""


# The curators' pages --------------------------------------------------------------------


@pytest.fixture
def curator_client(client, cast):
    client.force_login(cast.curator)
    return client


def decide_url(proposal) -> str:
    return reverse("review:decide-place", args=[proposal.pk])


def decision(proposal, **values) -> dict:
    return {f"proposal-{proposal.pk}-{name}": value for name, value in values.items()}


def test_the_list_is_for_curators_only(client, cast, draft):
    proposal = PlaceProposalFactory(practice=draft)
    response = client.get(LIST)
    assert response.status_code == 302
    client.force_login(cast.owner)
    assert client.get(LIST).status_code == 403
    assert client.get(decide_url(proposal)).status_code == 403
    assert (
        client.post(decide_url(proposal), decision(proposal, action="approve")).status_code == 403
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


def test_the_queue_links_to_the_proposals(curator_client):
    assert LIST in curator_client.get(reverse("review:queue")).content.decode()


def test_the_list_shows_pending_proposals_oldest_first(curator_client, cast, draft, georgia):
    older = PlaceProposalFactory(practice=draft, name="Older", country=georgia)
    newer = PlaceProposalFactory(practice=draft, name="Newer", country=georgia)
    decided = PlaceProposalFactory(practice=draft, name="Decided")
    proposals.decline_proposal(decided, actor=cast.curator, note="No.")
    twin = factories.PlaceFactory(name="Older", slug="older", country=georgia)

    response = curator_client.get(LIST)

    assert response.status_code == 200
    assert [row["proposal"] for row in response.context["rows"]] == [older, newer]
    page = response.content.decode()
    assert reverse("review:practice", args=[draft.slug]) in page
    assert f'value="{twin.slug}"' in page
    assert f'id="id_proposal-{older.pk}-action_0"' in page
    assert "Decided" not in page


def test_the_list_pages(curator_client, draft):
    PlaceProposalFactory(practice=draft)
    assert curator_client.get(LIST, {"page": "abc"}).status_code == 200
    assert curator_client.get(LIST, {"page": "7"}).status_code == 404


def test_the_list_runs_no_query_per_proposal(
    curator_client, cast, georgia, django_assert_max_num_queries
):
    def add(count):
        for number in range(count):
            case = factories.PracticeFactory(submitted_by=cast.owner)
            factories.PlaceFactory(country=georgia, latitude=10.0 + number, longitude=10.0)
            PlaceProposalFactory(
                practice=case, country=georgia, latitude=10.0 + number, longitude=10.01
            )

    add(2)
    with django_assert_max_num_queries(10) as few:
        curator_client.get(LIST)
    add(20)
    with django_assert_max_num_queries(10) as many:
        response = curator_client.get(LIST)
    assert len(few.captured_queries) == len(many.captured_queries)
    assert all(row["candidates"] for row in response.context["rows"])


def test_approving_from_the_page(curator_client, draft, georgia):
    proposal = PlaceProposalFactory(practice=draft, name="Ushguli", country=georgia)

    response = curator_client.post(
        decide_url(proposal), decision(proposal, action="approve", note=""), follow=True
    )

    assert response.redirect_chain[-1][0] == LIST
    assert "“Ushguli” was added to the gazetteer" in response.content.decode()
    place = Place.objects.get(name="Ushguli")
    assert list(draft.places.all()) == [place]


def test_a_double_click_on_approve_adds_one_place(curator_client, draft, georgia):
    proposal = PlaceProposalFactory(practice=draft, name="Ushguli", country=georgia)
    values = decision(proposal, action="approve")

    curator_client.post(decide_url(proposal), values)
    response = curator_client.post(decide_url(proposal), values, follow=True)

    assert "already decided" in response.content.decode()
    assert Place.objects.filter(name="Ushguli").count() == 1
    assert draft.places.count() == 1


def test_merging_from_the_page_by_candidate_or_slug(curator_client, draft, georgia):
    first = PlaceProposalFactory(practice=draft, name="Mestiya", country=georgia)
    second = PlaceProposalFactory(practice=draft, name="Kala", country=georgia)
    mestia = factories.PlaceFactory(name="Mestia", slug="mestia", country=georgia)
    kala = factories.PlaceFactory(name="Kala", slug="ყალა", country=georgia)

    curator_client.post(decide_url(first), decision(first, action="merge", place="mestia"))
    curator_client.post(
        decide_url(second), decision(second, action="merge", place="mestia", place_slug=" ყალა ")
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.place, second.place) == (ProposalStatus.MERGED, mestia, kala)
    assert set(draft.places.all()) == {mestia, kala}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "action"),
        ({"action": "publish"}, "action"),
        ({"action": "merge"}, "place_slug"),
        ({"action": "merge", "place_slug": "no-such-place"}, "place_slug"),
        ({"action": "merge", "place": "x\x00y"}, "place"),
        ({"action": "decline", "note": "  \u200b "}, "note"),
        ({"action": "decline", "note": "x" * 10_000}, "note"),
    ],
)
def test_bad_decisions_are_form_errors(curator_client, draft, values, field):
    proposal = PlaceProposalFactory(practice=draft)

    response = curator_client.post(decide_url(proposal), decision(proposal, **values))

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


def test_an_unknown_proposal_is_404(curator_client):
    url = reverse("review:decide-place", args=[999_999])
    assert curator_client.get(url).status_code == 404
    assert curator_client.post(url, {"proposal-999999-action": "approve"}).status_code == 404


def test_declining_from_the_page_then_the_decision_is_shown(curator_client, cast, draft):
    proposal = PlaceProposalFactory(practice=draft, name="Atlantis")
    curator_client.post(
        decide_url(proposal), decision(proposal, action="decline", note="Not a real place.")
    )

    page = curator_client.get(decide_url(proposal)).content.decode()

    assert "Declined" in page and "Not a real place." in page
    assert 'name="proposal-' not in page


def test_the_decision_returns_to_a_safe_next_page_only(curator_client, draft):
    back = reverse("review:practice", args=[draft.slug])
    first, second = PlaceProposalFactory(practice=draft), PlaceProposalFactory(practice=draft)

    response = curator_client.post(
        decide_url(first), {**decision(first, action="approve"), "next": back}
    )
    assert response["Location"] == back
    response = curator_client.post(
        decide_url(second), {**decision(second, action="approve"), "next": "https://evil.example/"}
    )
    assert response["Location"] == LIST


def test_the_decision_page_keeps_next_from_the_review_page(curator_client, draft):
    proposal = PlaceProposalFactory(practice=draft)
    back = reverse("review:practice", args=[draft.slug])
    page = curator_client.get(decide_url(proposal), {"next": back}).content.decode()
    assert f'name="next" value="{back}"' in page


# Two curators at once -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_curators_approving_at_once_add_one_place(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time and has no row locks to test")
    first, second = curator("first"), curator("second")
    owner = submitter("owner")
    practice = factories.PracticeFactory(submitted_by=owner)
    proposal = PlaceProposalFactory(practice=practice, name="Ushguli")

    # Hold the lock a while after the state is read, so that the second curator has to wait.
    original_save = Place.save

    def slow_save(self, *args, **kwargs):
        time.sleep(0.3)
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(Place, "save", slow_save)
    start = threading.Barrier(2)
    outcomes = []

    def approve(actor):
        copy = PlaceProposal.objects.get(pk=proposal.pk)
        start.wait()
        try:
            proposals.approve_proposal(copy, actor=actor)
            outcomes.append("approved")
        except proposals.ProposalAlreadyDecided as refusal:
            outcomes.append(str(refusal))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(actor,)) for actor in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [
        "This proposal was already decided: added to the gazetteer.",
        "approved",
    ]
    assert Place.objects.filter(name="Ushguli").count() == 1
    assert practice.places.count() == 1


def test_a_proposal_is_never_merged_into_a_place_of_another_country(django_user_model):
    """A typed slug may name any place: Manchester is not a village in Ethiopia."""
    from django.core.exceptions import ValidationError

    from practices import proposals
    from tests.roles import curator, submitter

    owner = submitter("proposer")
    practice = factories.PracticeFactory(submitted_by=owner)
    ethiopia = factories.CountryFactory(code="ET", name="Ethiopia")
    manchester = factories.PlaceFactory(country=factories.CountryFactory(code="GB"))
    proposal = proposals.propose_place(
        practice,
        {"name": "ሰላም", "country": ethiopia, "latitude": 9.03, "longitude": 38.74},
        actor=owner,
    )

    with pytest.raises(ValidationError, match="another country"):
        proposals.merge_proposal(proposal, manchester, actor=curator("decider"))

    proposal.refresh_from_db()
    assert proposal.status == "pending"
    assert not practice.places.exists()


@pytest.mark.parametrize("coordinate", [float("nan"), float("inf"), float("-inf")])
def test_the_model_itself_refuses_coordinates_that_are_not_finite(db, coordinate):
    # NaN passes the range validators (every comparison with it is false); the admin and
    # any other ModelForm rely on the model to refuse it.
    proposal = PlaceProposal(
        practice=factories.PracticeFactory(),
        name="Neustadt",
        country=factories.CountryFactory(code="DE", name="Germany"),
        latitude=coordinate,
        longitude=coordinate,
        proposed_by=submitter("sam"),
    )

    with pytest.raises(ValidationError) as refused:
        proposal.full_clean()

    assert refused.value.message_dict["latitude"] == ["Give a finite number."]
    assert refused.value.message_dict["longitude"] == ["Give a finite number."]
