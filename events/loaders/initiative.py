"""The initiative's own events and activities (data/LOADING.md, step 9).

- An event is dated at the precision the file gives. An event known only to
  the month is stored as the first and last day of that month with precision
  ``month``, as dates and never as datetimes: midnight on 1 May 2017 in Seoul
  is still 30 April in UTC, and a datetime would move the event into April.
- The venue is found through the gazetteer by country and folded city name
  among places of tier ``local``, the most populous when several share the
  name; the event takes the venue's time zone. A city the gazetteer does not
  know keeps its name in ``venue_name`` and is reported.
- Organisers and partners become organisations, found again by source and
  folded name. A trailing role in parentheses ("Republic of Korea (initiative
  lead)") is not part of the name, so that the organiser of the Seoul workshop
  and the partner of the Mongolian project are one organisation; an acronym in
  parentheses ("… Programme (UNEP)") is. Existing organisations are never edited.
- The network of the eco-energy town programme is created when absent; the
  files name no town, so it gets no members here.

An event is found again by source and folded title, an activity by its
(unique) title: a re-run over unchanged files writes nothing.
"""

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.utils import timezone

from cset.reference.choices import ActivityKind, ActivityStatus, OrganisationKind, PlaceTier
from cset.reference.gazetteer import Candidate, Gazetteer, SlugAllocator
from cset.reference.loading import (
    BULK_BATCH_SIZE,
    LoadReport,
    Outcome,
    changed_fields,
    read_csv,
    sync_links,
)
from cset.reference.models import Activity, Country, Network, Organisation, Place, Source
from cset.reference.text import clean_name, clean_text, fold

from ..choices import DatePrecision, EventKind
from ..models import Event

logger = logging.getLogger(__name__)

SOURCE = "cset-initiative"
EVENTS_FILE = "cset_initiative_events.csv"
ACTIVITIES_FILE = "cset_initiative_activities.csv"
NETWORK_SLUG = "cset-eco-energy-towns"
NETWORK_NAME = "CSET eco-energy town programme"
NETWORK_DESCRIPTION = (
    "The towns and rural communities of the Clean Energy Ministerial's Sustainable Cities "
    "and Eco-Energy Towns initiative."
)

# What the files name, and what we know of it. An organisation not listed here is
# created with kind "other" and reported, for a curator to classify.
KNOWN_ORGANISATIONS = {
    fold(name): (kind, country)
    for name, kind, country in (
        ("Republic of Korea", OrganisationKind.GOVERNMENT, "KR"),
        ("Russian Federation", OrganisationKind.GOVERNMENT, "RU"),
        ("Indonesia", OrganisationKind.GOVERNMENT, "ID"),
        ("Clean Energy Ministerial", OrganisationKind.INTERNATIONAL, ""),
        ("United Nations Environment Programme (UNEP)", OrganisationKind.INTERNATIONAL, ""),
    )
}
_ROLE = re.compile(
    r"\s*\((?P<role>[^()]*\b(?:lead|co-lead|host|co-host|chair|organiser|organizer)\b[^()]*)\)$",
    re.IGNORECASE,
)
_LIST_SEPARATOR = re.compile(r"\s*;\s*")
_COUNTRY_SEPARATOR = re.compile(r"[\s;,]+")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


class RowError(ValueError):
    """A row that cannot be loaded; the message is the reason given in the report."""


@dataclass
class EventRecord:
    """An event row, checked."""

    label: str
    title: str
    kind: str
    start: date
    end: date
    precision: str
    city: str
    country: str
    organisers: list[str]
    description: str


@dataclass
class ActivityRecord:
    """An activity row, checked."""

    label: str
    title: str
    kind: str
    status: str
    start_year: int | None
    countries: list[str]
    partners: list[str]
    description: str


def load_initiative(data_dir: Path, sources: dict[str, Source]) -> list[LoadReport]:
    """Load the initiative's events and activities, their organisations and its network."""
    source = sources[SOURCE]
    events_report = LoadReport(name=EVENTS_FILE)
    activities_report = LoadReport(name=ACTIVITIES_FILE)

    events = read_records(data_dir / EVENTS_FILE, events_report, parse_event)
    activities = read_records(data_dir / ACTIVITIES_FILE, activities_report, parse_activity)

    names = [(name, events_report) for event in events for name in event.organisers]
    names += [(name, activities_report) for activity in activities for name in activity.partners]
    organisations = ensure_organisations(names, source)

    write_events(events, organisations, source, events_report)
    write_activities(activities, organisations, source, activities_report)
    ensure_network()
    return [events_report, activities_report]


def read_records(path: Path, report: LoadReport, parse) -> list:
    """The rows of ``path`` that ``parse`` accepts; the others refused, and duplicates too."""
    records, titles = [], set()
    for number, row in read_csv(path):
        report.read += 1
        label = f"row {number}"
        try:
            record = parse(label, {name: row.get(name) or "" for name in row})
        except RowError as error:
            report.refuse(label, str(error))
            continue
        if fold(record.title) in titles:
            report.refuse(label, f"the title {record.title!r} appears twice; the first row kept")
            continue
        titles.add(fold(record.title))
        records.append(record)
    return records


def parse_date(text: str, column: str) -> date:
    """An ISO date, or a RowError naming the column."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RowError(f"{column} {text.strip()!r} is not a date (YYYY-MM-DD)") from None


def check_precision(start: date, end: date, precision: str) -> None:
    """A month- or year-precision event must span whole months or years, as stored."""
    last_of_month = calendar.monthrange(end.year, end.month)[1]
    if precision == DatePrecision.MONTH and (start.day != 1 or end.day != last_of_month):
        raise RowError("an event known to the month must run from the first to a last day")
    whole_years = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    if precision == DatePrecision.YEAR and not whole_years:
        raise RowError("an event known to the year must run from 1 January to 31 December")


def check_title(title: str, model) -> None:
    """A title is required and must fit its column."""
    longest = model._meta.get_field("title").max_length
    if not title:
        raise RowError("no title")
    if len(title) > longest:
        raise RowError(f"a title longer than {longest} characters")


def parse_event(label: str, row: dict[str, str]) -> EventRecord:
    """An event row, checked; a RowError says why it cannot be loaded."""
    title = clean_name(row.get("title"))
    check_title(title, Event)
    kind = clean_name(row.get("kind"))
    if kind not in EventKind.values:
        raise RowError(f"unknown kind {kind!r} (one of {', '.join(EventKind.values)})")
    start = parse_date(row.get("start", ""), "start")
    end = parse_date(row.get("end", ""), "end")
    if end < start:
        raise RowError(f"ends ({end}) before it starts ({start})")
    precision = clean_name(row.get("date_precision")) or DatePrecision.DAY
    if precision not in DatePrecision.values:
        raise RowError(f"unknown date precision {precision!r}")
    check_precision(start, end, precision)
    country = clean_name(row.get("country_code")).upper()
    if country and not _COUNTRY_CODE.match(country):
        raise RowError(f"country code {country!r} is not ISO 3166-1 alpha-2")
    return EventRecord(
        label=label,
        title=title,
        kind=kind,
        start=start,
        end=end,
        precision=precision,
        city=clean_name(row.get("city")),
        country=country,
        organisers=split_names(row.get("organisers", "")),
        description=clean_text(row.get("notes")),
    )


def parse_activity(label: str, row: dict[str, str]) -> ActivityRecord:
    """An activity row, checked; a RowError says why it cannot be loaded."""
    title = clean_name(row.get("title"))
    check_title(title, Activity)
    kind = clean_name(row.get("kind"))
    if kind not in ActivityKind.values:
        raise RowError(f"unknown kind {kind!r} (one of {', '.join(ActivityKind.values)})")
    status = clean_name(row.get("status"))
    if status not in ActivityStatus.values:
        raise RowError(f"unknown status {status!r} (one of {', '.join(ActivityStatus.values)})")
    year_text = clean_name(row.get("start_year"))
    start_year = None
    if year_text:
        if not year_text.isdigit() or not 1990 <= int(year_text) <= 2100:
            raise RowError(f"start year {year_text!r} is not a year from 1990 to 2100")
        start_year = int(year_text)
    countries = [
        code.upper() for code in _COUNTRY_SEPARATOR.split(clean_name(row.get("countries"))) if code
    ]
    for code in countries:
        if not _COUNTRY_CODE.match(code):
            raise RowError(f"country code {code!r} is not ISO 3166-1 alpha-2")
    return ActivityRecord(
        label=label,
        title=title,
        kind=kind,
        status=status,
        start_year=start_year,
        countries=countries,
        partners=split_names(row.get("partners", "")),
        description=clean_text(row.get("notes")),
    )


def split_names(text: str) -> list[str]:
    """Organisation names of a cell (separated by semicolons), each without a trailing role."""
    longest = Organisation._meta.get_field("name").max_length
    names = []
    for part in _LIST_SEPARATOR.split(clean_name(text)):
        name = clean_name(_ROLE.sub("", part))
        if len(name) > longest:
            raise RowError(f"an organisation name longer than {longest} characters")
        if name and name not in names:
            names.append(name)
    return names


def ensure_organisations(names: list[tuple[str, LoadReport]], source: Source) -> dict[str, int]:
    """Get or create an organisation per folded name; return their ids by folded name.

    Each name comes with the report of the file that names it, for the flag raised
    when the loader creates an organisation whose kind it does not know.
    """
    keys = {fold(name): (name, report) for name, report in reversed(names)}
    existing = dict(
        Organisation.objects.filter(source=source, source_key__in=keys).values_list(
            "source_key", "id"
        )
    )
    known_countries = [country for _, country in KNOWN_ORGANISATIONS.values() if country]
    countries = set(Country.objects.filter(code__in=known_countries).values_list("code", flat=True))
    slugs = SlugAllocator.for_model(Organisation)
    new = []
    for key, (name, report) in sorted(keys.items()):
        if key in existing:
            continue
        kind, country = KNOWN_ORGANISATIONS.get(key, (OrganisationKind.OTHER, ""))
        if key not in KNOWN_ORGANISATIONS:
            report.flag(name, "an organisation the loader does not know: created with kind other")
        country = country if country in countries else ""
        new.append(
            Organisation(
                name=name,
                name_folded=key,
                slug=slugs.allocate(name, country, key),
                kind=kind,
                country_id=country or None,
                source=source,
                source_key=key,
            )
        )
    Organisation.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    if new:
        logger.info("initiative: %s organisations created", len(new))
    return dict(
        Organisation.objects.filter(source=source, source_key__in=keys).values_list(
            "source_key", "id"
        )
    )


def find_venues(events: list[EventRecord], report: LoadReport) -> dict[str, tuple[int, str]]:
    """The venue place id and time zone of each event title, where the gazetteer knows the city."""
    gazetteer = Gazetteer.from_database(countries={event.country for event in events})
    chosen: dict[str, Candidate] = {}
    for event in events:
        found = gazetteer.find_name(event.country, event.city, tiers=[PlaceTier.LOCAL])
        if not event.city or not found:
            report.flag(
                event.label,
                f"no local place named {event.city!r} in {event.country or '(no country)'}: "
                "the venue is kept as a name only",
            )
            continue
        chosen[event.title] = max(found, key=lambda place: (place.population or 0, -place.id))
        if len(found) > 1:
            report.flag(
                event.label,
                f"{len(found)} places named {event.city!r} in {event.country}: "
                f"took the most populous (place {chosen[event.title].id})",
            )
    zones = dict(
        Place.objects.filter(pk__in=[place.id for place in chosen.values()]).values_list(
            "id", "timezone"
        )
    )
    return {title: (place.id, zones[place.id]) for title, place in chosen.items()}


def event_values(event: EventRecord, venue: tuple[int, str] | None) -> dict:
    """The fields of an event that the file decides."""
    venue_id, zone = venue or (None, "")
    return {
        "title": event.title,
        "title_folded": fold(event.title),
        "kind": event.kind,
        "description": event.description,
        "start_date": event.start,
        "end_date": event.end,
        "date_precision": event.precision,
        # The file gives days at most: no time of day, hence no datetimes.
        "starts_at": None,
        "ends_at": None,
        "timezone": zone,
        "venue_id": venue_id,
        "venue_name": event.city,
    }


def write_events(
    events: list[EventRecord], organisations: dict[str, int], source: Source, report: LoadReport
) -> None:
    """Create the new events, update the changed ones, and link their organisers."""
    venues = find_venues(events, report)
    existing = {event.title_folded: event for event in Event.objects.filter(source=source)}
    slugs = SlugAllocator.for_model(Event)
    now = timezone.now()
    outcome = Outcome()
    new, changed, changed_names = [], [], set()
    for event in events:
        values = event_values(event, venues.get(event.title))
        current = existing.get(values["title_folded"])
        if current is None:
            slug = slugs.allocate(event.title, event.country, str(event.start.year))
            new.append(Event(slug=slug, source=source, **values))
            continue
        outcome.seen.add(current.pk)
        names = changed_fields(current, values)
        if names:
            current.updated_at = now
            changed.append(current)
            changed_names.update(names)
            outcome.updated.add(current.pk)

    Event.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    if changed:
        Event.objects.bulk_update(
            changed, [*sorted(changed_names), "updated_at"], batch_size=BULK_BATCH_SIZE
        )
    ids = dict(
        Event.objects.filter(
            source=source, title_folded__in=[fold(event.title) for event in events]
        ).values_list("title_folded", "id")
    )
    outcome.created = {ids[event.title_folded] for event in new}
    outcome.seen |= outcome.created
    outcome.updated |= sync_links(
        Event.organisers.through,
        "event_id",
        "organisation_id",
        {
            ids[fold(event.title)]: {organisations[fold(name)] for name in event.organisers}
            for event in events
        },
    )
    outcome.count(report)


def activity_values(activity: ActivityRecord, source: Source) -> dict:
    """The fields of an activity that the file decides."""
    return {
        "title": activity.title,
        "kind": activity.kind,
        "status": activity.status,
        "start_year": activity.start_year,
        "description": activity.description,
        "source_id": source.pk,
    }


def write_activities(
    activities: list[ActivityRecord],
    organisations: dict[str, int],
    source: Source,
    report: LoadReport,
) -> None:
    """Create the new activities, update the changed ones, and link countries and partners."""
    titles = [activity.title for activity in activities]
    existing = {activity.title: activity for activity in Activity.objects.filter(title__in=titles)}
    outcome = Outcome()
    new, changed, changed_names = [], [], set()
    for activity in activities:
        values = activity_values(activity, source)
        current = existing.get(activity.title)
        if current is None:
            new.append(Activity(**values))
            continue
        outcome.seen.add(current.pk)
        names = changed_fields(current, values)
        if names:
            changed.append(current)
            changed_names.update(names)
            outcome.updated.add(current.pk)

    Activity.objects.bulk_create(new, batch_size=BULK_BATCH_SIZE)
    if changed:
        Activity.objects.bulk_update(changed, sorted(changed_names), batch_size=BULK_BATCH_SIZE)
    ids = dict(Activity.objects.filter(title__in=titles).values_list("title", "id"))
    outcome.created = {ids[activity.title] for activity in new}
    outcome.seen |= outcome.created

    codes = {code for activity in activities for code in activity.countries}
    known_codes = set(Country.objects.filter(code__in=codes).values_list("code", flat=True))
    for activity in activities:
        for code in activity.countries:
            if code not in known_codes:
                report.flag(activity.label, f"country {code} is not loaded: not linked")
    outcome.updated |= sync_links(
        Activity.countries.through,
        "activity_id",
        "country_id",
        {
            ids[activity.title]: {code for code in activity.countries if code in known_codes}
            for activity in activities
        },
    )
    outcome.updated |= sync_links(
        Activity.partners.through,
        "activity_id",
        "organisation_id",
        {
            ids[activity.title]: {organisations[fold(name)] for name in activity.partners}
            for activity in activities
        },
    )
    outcome.count(report)


def ensure_network() -> Network:
    """The network of the eco-energy town programme, created when absent, never edited."""
    network, created = Network.objects.get_or_create(
        slug=NETWORK_SLUG, defaults={"name": NETWORK_NAME, "description": NETWORK_DESCRIPTION}
    )
    if created:
        logger.info("network %s created", network.pk)
    return network
