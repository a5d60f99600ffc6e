"""Event dates at the precision they are known, in the language of the page.

An event known only to the month reads "May 2017", never an invented "1 May 2017"; one
known to the day reads "24 May 2018", several days "1–3 June 2019"; one known to the year
"2019". Times, when known, are shown in the event's own time zone, with its name.

The formats go through translation (with a context), so that each language orders day,
month and year its own way; month names come from Django's localised date formatting.
"""

import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from ..choices import DatePrecision
from ..models import Event

register = template.Library()


def _day(value: datetime.date) -> str:
    return date_format(value, pgettext("event date: day, month and year", "j F Y"))


def _day_range(start: datetime.date, end: datetime.date) -> str:
    if start == end:
        return _day(start)
    if (start.year, start.month) == (end.year, end.month):
        first = date_format(start, pgettext("event date: first day of a range in one month", "j"))
    elif start.year == end.year:
        first = date_format(start, pgettext("event date: first day of a range in one year", "j F"))
    else:
        first = _day(start)
    return gettext("%(start)s–%(end)s") % {"start": first, "end": _day(end)}


def _month_range(start: datetime.date, end: datetime.date) -> str:
    last = date_format(end, "YEAR_MONTH_FORMAT")
    if (start.year, start.month) == (end.year, end.month):
        return last
    if start.year == end.year:
        first = date_format(start, pgettext("event date: first month of a range in one year", "F"))
    else:
        first = date_format(start, "YEAR_MONTH_FORMAT")
    return gettext("%(start)s–%(end)s") % {"start": first, "end": last}


def _year_range(start: datetime.date, end: datetime.date) -> str:
    if start.year == end.year:
        return str(start.year)
    return gettext("%(start)s–%(end)s") % {"start": start.year, "end": end.year}


@register.filter
def event_dates(event: Event) -> str:
    """The event's dates at their precision (``{{ event|event_dates }}``)."""
    if event.date_precision == DatePrecision.YEAR:
        return _year_range(event.start_date, event.end_date)
    if event.date_precision == DatePrecision.MONTH:
        return _month_range(event.start_date, event.end_date)
    return _day_range(event.start_date, event.end_date)


def event_zone(event: Event) -> ZoneInfo | None:
    """The event's time zone: its own, else its venue's; None when neither is known."""
    for name in (event.timezone, getattr(event.venue, "timezone", "")):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


@register.filter
def event_times(event: Event) -> str:
    """The start and end times in the event's time zone, with the zone's name; "" if unknown.

    Without a known zone the times are given in UTC, and say so.
    """
    if event.starts_at is None:
        return ""
    zone = event_zone(event) or datetime.UTC
    starts = event.starts_at.astimezone(zone)
    ends = event.ends_at.astimezone(zone) if event.ends_at else None
    time = pgettext("event time", "H:i")
    if ends is None:
        span = date_format(starts, time)
    elif ends.date() == starts.date():
        span = gettext("%(start)s–%(end)s") % {
            "start": date_format(starts, time),
            "end": date_format(ends, time),
        }
    else:
        span = gettext("%(start)s – %(end)s") % {
            "start": f"{_day(starts.date())} {date_format(starts, time)}",
            "end": f"{_day(ends.date())} {date_format(ends, time)}",
        }
    zone_name = getattr(zone, "key", "UTC")
    return gettext("%(times)s (%(abbreviation)s, time zone %(zone)s)") % {
        "times": span,
        "abbreviation": date_format(starts, "T"),
        "zone": zone_name,
    }


@register.filter
def event_datetime_attribute(event: Event) -> str:
    """A machine-readable start for ``<time datetime>``, at the event's precision."""
    if event.date_precision == DatePrecision.YEAR:
        return f"{event.start_date.year:04d}"
    if event.date_precision == DatePrecision.MONTH:
        return f"{event.start_date.year:04d}-{event.start_date.month:02d}"
    return event.start_date.isoformat()
