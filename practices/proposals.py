"""Places a submitter proposes for the gazetteer, and the curators' decision on each.

A submitter whose village is missing proposes it with the case (name, country,
coordinates). A curator then approves it (a new place joins the gazetteer), merges
it (it is a place the gazetteer knows under another spelling), or declines it. Each
decision locks the proposal's row and checks its state again, so that two curators
approving at once add one place and the second is told it was already decided. The
decided place joins the case, and the proposer is mailed once the decision commits.
"""

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cset.reference.choices import PlaceKind, PlaceTier
from cset.reference.models import Country, Organisation, Place, PlaceName
from cset.reference.text import clean_text, fold, unicode_slug

from .choices import ProposalStatus
from .models import BestPractice, PlaceProposal, is_curator
from .services import Actor, WorkflowError, check_can_edit, mail_subject

logger = logging.getLogger(__name__)

PROPOSAL_FIELDS = frozenset({"name", "country", "latitude", "longitude"})
NOTE_MAX_LENGTH = 5_000

# How many known places "did you mean?" shows, and how many merge candidates a curator sees.
KNOWN_PLACES_SHOWN = 10
CANDIDATES_PER_PROPOSAL = 5

# A known place this close to a proposal's coordinates may be the same place.
NEARBY_KM = 10.0
EARTH_RADIUS_KM = 6371.0
# Fewer km per degree than the Earth has anywhere, so that the box always holds the circle.
BOX_KM_PER_DEGREE = 110.0

# A new place is a village at the local tier: what a place missing from GeoNames'
# towns and cities almost always is. A curator corrects both in the admin if not.
NEW_PLACE_KIND = PlaceKind.VILLAGE
NEW_PLACE_TIER = PlaceTier.LOCAL

# The outcome in words, for the mail's subject and the pages' messages.
OUTCOMES = {
    ProposalStatus.APPROVED: gettext_lazy("added to the gazetteer"),
    ProposalStatus.MERGED: gettext_lazy("matched to a known place"),
    ProposalStatus.DECLINED: gettext_lazy("declined"),
}


class ProposalAlreadyDecided(WorkflowError):
    """A curator decided on the proposal first (or it is gone with its case)."""


class DuplicateProposal(WorkflowError):
    """The case already has a pending proposal of this place."""


class PlaceMayBeKnown(WorkflowError):
    """The gazetteer has places of this name in this country: perhaps one is the place."""

    def __init__(self, places: list[Place]):
        super().__init__(
            _(
                "The gazetteer already knows a place of this name in this country. If it is "
                "yours, add it to the case instead; if not, propose yours anyway."
            )
        )
        self.places = places


@dataclass(frozen=True)
class Candidate:
    """A known place a proposal may be, for the curators' merge choice."""

    place: Place
    same_name: bool
    distance_km: float | None


# Proposing -------------------------------------------------------------------------------


def _validate(proposal: PlaceProposal, raw_name: Any) -> None:
    """The model's rules, plus a NUL byte in the name as given (cleaning the name would
    silently drop it)."""
    errors: dict[str, list[str]] = {}
    if "\x00" in str(raw_name or ""):
        errors["name"] = [_("Null characters are not allowed.")]
    try:
        proposal.full_clean(exclude=list(errors))
    except ValidationError as error:
        error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def known_places(name: str, country: Country) -> list[Place]:
    """Places of ``country`` called ``name`` (compared folded, alternative names too)."""
    key = fold(name)
    named = PlaceName.objects.filter(name_folded=key).values("place_id")
    places = Place.objects.filter(country=country).filter(Q(name_folded=key) | Q(pk__in=named))
    order = (F("population").desc(nulls_last=True), "name", "pk")
    return list(places.select_related("country").order_by(*order)[:KNOWN_PLACES_SHOWN])


def _check_not_proposed(practice: BestPractice, proposal: PlaceProposal) -> None:
    key = fold(proposal.name)
    pending = practice.place_proposals.filter(
        country_id=proposal.country_id, status=ProposalStatus.PENDING
    ).values_list("name", flat=True)
    if any(fold(name) == key for name in pending):
        raise DuplicateProposal(
            _("This place is already proposed with this case and waits for a curator.")
        )


def propose_place(
    practice: BestPractice,
    data: dict[str, Any],
    *,
    actor: Actor,
    even_if_known: bool = False,
) -> PlaceProposal:
    """Propose a place missing from the gazetteer for ``practice``.

    ``data`` holds ``name``, ``country`` (a Country), ``latitude`` and ``longitude``.
    The actor must be allowed to edit the case now. Refuses (DuplicateProposal) a
    second pending proposal of the same folded name and country on the case, and
    (PlaceMayBeKnown, with the places) a name the gazetteer already has in that
    country, unless ``even_if_known`` says the submitter has seen those places.
    """
    unknown = set(data) - PROPOSAL_FIELDS
    if unknown:
        raise ValueError(f"not a proposal field: {', '.join(sorted(unknown))}")
    check_can_edit(practice, actor)

    proposal = PlaceProposal(practice=practice, **data)
    _validate(proposal, data.get("name"))

    with transaction.atomic():
        # Lock the case: its state is checked again, and two tries of one proposal queue here.
        locked = BestPractice.objects.select_for_update().get(pk=practice.pk)
        user = check_can_edit(locked, actor)
        _check_not_proposed(locked, proposal)
        if not even_if_known:
            places = known_places(proposal.name, proposal.country)
            if places:
                raise PlaceMayBeKnown(places)

        proposal.practice = locked
        proposal.proposed_by = user
        proposal.save()

    logger.info("place proposal %s made for practice %s", proposal.pk, practice.pk)
    return proposal


# Deciding --------------------------------------------------------------------------------


def _check_curator(actor: Actor) -> AbstractBaseUser:
    user = actor if actor is not None else AnonymousUser()
    if isinstance(user, Organisation) or not is_curator(user):
        raise PermissionDenied(_("Only curators may decide on proposed places."))
    return user


def _clean_note(note: str | None, *, required: bool) -> str:
    note = clean_text(note)
    if required and not note:
        raise ValidationError({"note": _("Tell the submitter why: a note is required.")})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": _("At most %(limit)s characters, please.") % {"limit": f"{NOTE_MAX_LENGTH:,}"}}
        )
    return note


def _lock_pending(proposal: PlaceProposal) -> PlaceProposal:
    """The proposal's row, locked; refused unless it still waits for a decision."""
    locked = PlaceProposal.objects.select_for_update().filter(pk=proposal.pk).first()
    if locked is None:
        raise ProposalAlreadyDecided(_("This proposal no longer exists."))
    if locked.status != ProposalStatus.PENDING:
        raise ProposalAlreadyDecided(
            _("This proposal was already decided: %(outcome)s.")
            % {"outcome": OUTCOMES[locked.status]}
        )
    return locked


def free_place_slug(name: str, country_code: str) -> str:
    """DESIGN.md's slug for a new place: the folded name; then with the country code;
    then with a number."""
    base = unicode_slug(name)[:200].strip("-") or "place"
    with_country = f"{base}-{country_code.lower()}"
    taken = set(Place.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    for slug in (base, with_country):
        if slug not in taken:
            return slug
    number = 2
    while f"{with_country}-{number}" in taken:
        number += 1
    return f"{with_country}-{number}"


def _create_place(proposal: PlaceProposal) -> Place:
    place = Place(
        name=proposal.name,
        slug=free_place_slug(proposal.name, proposal.country_id),
        kind=NEW_PLACE_KIND,
        tier=NEW_PLACE_TIER,
        country_id=proposal.country_id,
        latitude=proposal.latitude,
        longitude=proposal.longitude,
    )
    try:
        with transaction.atomic():
            place.save()
    except IntegrityError:
        # A curator approving the same name at this moment took the slug: take the next.
        place.slug = free_place_slug(proposal.name, proposal.country_id)
        place.save()
    return place


def _add_to_case(proposal: PlaceProposal, place: Place, user: AbstractBaseUser) -> None:
    """Add ``place`` to the proposal's case; the history records it, the version moves on
    so that a form opened before cannot drop the place unnoticed."""
    practice = BestPractice.objects.select_for_update().get(pk=proposal.practice_id)
    if practice.places.filter(pk=place.pk).exists():
        return

    # Not a save: the case's edit date (its age in the review queue) stays.
    practice.version += 1
    BestPractice.objects.filter(pk=practice.pk).update(version=practice.version)
    practice._history_user = user
    practice._change_reason = "place added from a proposal"
    practice.places.add(place)


def _record(
    proposal: PlaceProposal, status: str, place: Place | None, user, note: str
) -> PlaceProposal:
    proposal.status = status
    proposal.place = place
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.note = note
    proposal.save(update_fields=["status", "place", "decided_by", "decided_at", "note"])
    transaction.on_commit(partial(_after_decision, proposal.pk), robust=True)
    return proposal


def _copy_decision(target: PlaceProposal, source: PlaceProposal) -> None:
    for name in ("status", "place", "decided_by", "decided_at", "note"):
        setattr(target, name, getattr(source, name))


def approve_proposal(proposal: PlaceProposal, *, actor: Actor, note: str = "") -> Place:
    """A curator adds the proposed place to the gazetteer and to the proposal's case."""
    user = _check_curator(actor)
    note = _clean_note(note, required=False)

    with transaction.atomic():
        locked = _lock_pending(proposal)
        place = _create_place(locked)
        _add_to_case(locked, place, user)
        _record(locked, ProposalStatus.APPROVED, place, user, note)

    _copy_decision(proposal, locked)
    return place


def merge_proposal(
    proposal: PlaceProposal, place: Place | None, *, actor: Actor, note: str = ""
) -> Place:
    """A curator says the proposed place is ``place``, which the gazetteer knows; it joins
    the proposal's case."""
    user = _check_curator(actor)
    note = _clean_note(note, required=False)
    missing = ValidationError({"place": _("Choose the known place this proposal is.")})
    if place is None or place.pk is None:
        raise missing

    with transaction.atomic():
        locked = _lock_pending(proposal)
        known = Place.objects.filter(pk=place.pk).first()
        if known is None:
            raise missing
        if known.country_id != locked.country_id:
            # A typed slug may name a place anywhere; a proposal is a place of its country.
            raise ValidationError(
                {
                    "place": _(
                        "%(place)s is in another country than the proposed place: choose a "
                        "place of the same country."
                    )
                    % {"place": known.name}
                }
            )
        _add_to_case(locked, known, user)
        _record(locked, ProposalStatus.MERGED, known, user, note)

    _copy_decision(proposal, locked)
    return known


def decline_proposal(proposal: PlaceProposal, *, actor: Actor, note: str) -> PlaceProposal:
    """A curator turns the proposal down, telling the submitter why."""
    user = _check_curator(actor)
    note = _clean_note(note, required=True)

    with transaction.atomic():
        locked = _lock_pending(proposal)
        _record(locked, ProposalStatus.DECLINED, None, user, note)

    _copy_decision(proposal, locked)
    return proposal


# Mail ------------------------------------------------------------------------------------


def _after_decision(proposal_id: int) -> None:
    """Log the committed decision and mail the proposer; a mail failure is logged only."""
    try:
        proposal = PlaceProposal.objects.select_related(
            "practice", "proposed_by", "place", "country"
        ).get(pk=proposal_id)
        logger.info(
            "place proposal %s %s (place %s)", proposal.pk, proposal.status, proposal.place_id
        )
        proposer = proposal.proposed_by
        if proposer is None or not proposer.is_active or not proposer.email:
            return

        path = reverse("submit:preview", kwargs={"slug": proposal.practice.slug})
        context = {
            "proposal": proposal,
            "practice": proposal.practice,
            "outcome": OUTCOMES[proposal.status],
            "link": f"{settings.SITE_URL}{path}",
        }
        subject = mail_subject(
            proposal.name, _("Proposed place %(outcome)s") % {"outcome": context["outcome"]}
        )
        template = "practices/email/place_proposal_decided"
        message = EmailMultiAlternatives(
            subject, render_to_string(f"{template}.txt", context), to=[proposer.email]
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.send()
    except Exception:
        logger.exception("mail about place proposal %s could not be sent", proposal_id)


# Merge candidates ------------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _box(latitude: float, longitude: float) -> Q:
    """Places within a latitude/longitude box holding the NEARBY_KM circle (a database
    filter that needs no GIS: the exact distance is computed afterwards)."""
    dlat = NEARBY_KM / BOX_KM_PER_DEGREE
    condition = Q(latitude__gte=latitude - dlat, latitude__lte=latitude + dlat)
    shrink = math.cos(math.radians(min(abs(latitude) + dlat, 90.0)))
    dlon = NEARBY_KM / (BOX_KM_PER_DEGREE * shrink) if shrink > 0.01 else 180.0
    if dlon >= 180:
        return condition
    west, east = longitude - dlon, longitude + dlon
    # Near the 180th meridian the box continues on the other side.
    if west < -180:
        return condition & (Q(longitude__gte=west + 360) | Q(longitude__lte=east))
    if east > 180:
        return condition & (Q(longitude__gte=west) | Q(longitude__lte=east - 360))
    return condition & Q(longitude__gte=west, longitude__lte=east)


def _candidates_of(proposal: PlaceProposal, places: list[Place], alternative: set[int]):
    key = fold(proposal.name)
    found = []
    for place in places:
        if place.country_id != proposal.country_id:
            continue
        same_name = place.name_folded == key or place.pk in alternative
        distance = None
        if place.has_coordinates:
            distance = distance_km(
                proposal.latitude, proposal.longitude, place.latitude, place.longitude
            )
        if same_name or (distance is not None and distance <= NEARBY_KM):
            found.append(Candidate(place, same_name, distance))
    found.sort(
        key=lambda c: (
            not c.same_name,
            math.inf if c.distance_km is None else c.distance_km,
            c.place.pk,
        )
    )
    return found[:CANDIDATES_PER_PROPOSAL]


def merge_candidates(proposals: Sequence[PlaceProposal]) -> dict[int, list[Candidate]]:
    """For each proposal, up to five known places of its country that may be it: those of
    the same folded name (alternative names too), then those within about 10 km, nearest
    first. Two queries for the whole sequence, whatever its length."""
    if not proposals:
        return {}
    keys = {fold(proposal.name) for proposal in proposals}
    countries = {proposal.country_id for proposal in proposals}
    alternative: dict[str, set[int]] = defaultdict(set)
    for place_id, key in PlaceName.objects.filter(
        name_folded__in=keys, place__country__in=countries
    ).values_list("place_id", "name_folded"):
        alternative[key].add(place_id)

    condition = Q()
    for proposal in proposals:
        key = fold(proposal.name)
        same_name = Q(name_folded=key) | Q(pk__in=alternative[key])
        near = _box(proposal.latitude, proposal.longitude)
        condition |= Q(country_id=proposal.country_id) & (same_name | near)
    places = list(Place.objects.filter(condition).order_by("pk"))

    return {
        proposal.pk: _candidates_of(proposal, places, alternative[fold(proposal.name)])
        for proposal in proposals
    }
