"""The profile of a place: what the reference data say about it, its indicator values,
its published cases and the events held there.

It lives in cset.site because it combines apps. Every query here is fixed in number,
whatever the size of the place: a UK authority has about 500 measurements, a German
district hundreds of municipalities, Seoul about a hundred names.
"""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import pycountry
from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from benchmarks.choices import QualityFlag, QuantityKind
from benchmarks.models import Measurement
from benchmarks.peers import BANDS, POPULATION_INDICATOR, PeerGroup, Standing, band_of
from benchmarks.scorecard import Scorecard, counting_by_year, scorecard, standings_by_year
from benchmarks.views import format_number
from cset.reference.choices import Commitment, IdentifierScheme, NameKind
from cset.reference.models import Membership, Place
from events.models import Event
from practices.models import BestPractice

# How many children (municipalities of a district, districts of a county) and
# constituents of a combined authority the profile lists; the rest are one link away.
CHILDREN_SHOWN = 100

# How many of its published cases a profile lists; the rest are in the practice list.
CASES_SHOWN = 20

# Above this many other names, the names are folded into a <details> element.
NAMES_SHOWN_OPEN = 12

# The indicators shown first, each in a table of its own by year, because they are the
# ones readers compare places by. The caption names the table for readers and tests.
HEADLINE_INDICATORS = {
    "gb-co2-per-person": _("CO2 per person by year"),
}

# The map's zoom by kind of place: a region whole, a village with its streets.
MAP_ZOOM = {"region": 7, "district": 9, "city": 11, "town": 12, "village": 13}

# Where an identifier can be looked up by its value.
IDENTIFIER_LINKS = {
    IdentifierScheme.GEONAMES: "https://www.geonames.org/{value}",
}

# Unicode's name of a script (the first word of a letter's character name) and the label
# readers know it by. Scripts not listed here are shown by their Unicode name.
SCRIPT_LABELS = {
    "LATIN": _("Latin"),
    "CYRILLIC": _("Cyrillic"),
    "GREEK": _("Greek"),
    "ARMENIAN": _("Armenian"),
    "GEORGIAN": _("Georgian"),
    "HEBREW": _("Hebrew"),
    "ARABIC": _("Arabic"),
    "DEVANAGARI": _("Devanagari"),
    "BENGALI": _("Bengali"),
    "TAMIL": _("Tamil"),
    "TELUGU": _("Telugu"),
    "KANNADA": _("Kannada"),
    "MALAYALAM": _("Malayalam"),
    "GUJARATI": _("Gujarati"),
    "GURMUKHI": _("Gurmukhi"),
    "THAI": _("Thai"),
    "LAO": _("Lao"),
    "TIBETAN": _("Tibetan"),
    "MYANMAR": _("Burmese"),
    "KHMER": _("Khmer"),
    "ETHIOPIC": _("Ethiopic"),
    "MONGOLIAN": _("Mongolian"),
    "HANGUL": _("Korean (Hangul)"),
    "CJK": _("Chinese characters"),
    "HIRAGANA": _("Japanese kana"),
    "KATAKANA": _("Japanese kana"),
}


def place_profile(request: HttpRequest, slug: str) -> HttpResponse:
    """A place's profile: names, hierarchy, identifiers, networks, values, cases, events."""
    place = get_object_or_404(_profile_places(), slug=slug)
    children, children_count = _capped(place.children.all())
    constituents, constituents_count = _capped(place.constituents.all())
    measurements = _measurements(place)
    headlines = headline_tables(place, measurements)
    names = names_by_script(place)
    cases, cases_count = _published_cases(place)

    context = {
        "place": place,
        "names": names,
        "many_names": count_names(names) > NAMES_SHOWN_OPEN,
        "subdivision_name": subdivision_name(place.subdivision_code),
        "identifiers": _identifiers(place),
        "memberships": _memberships(place),
        "children": children,
        "children_count": children_count,
        "children_url": _place_list_url(parent=place.slug),
        "constituents": constituents,
        "constituents_count": constituents_count,
        "scorecard": place_scorecard(place, measurements),
        "headlines": headlines,
        "has_charts": any(table.chart for table in headlines),
        "indicator_groups": indicator_groups(measurements),
        "measurements_api_url": _api_measurements_url(place),
        "cases": cases,
        "cases_count": cases_count,
        "cases_url": reverse("practices:list") + "?" + urlencode({"place": place.slug}),
        "events": Event.objects.filter(venue=place).order_by("-start_date", "pk"),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_zoom": MAP_ZOOM.get(place.kind, 10),
        "coordinates": coordinates_text(place),
    }
    return render(request, "site/place_detail.html", context)


def _profile_places() -> QuerySet:
    """Places with everything their profile shows of themselves, in a fixed number of queries."""
    memberships = Membership.objects.select_related("network", "group").order_by(
        "network__name", "joined_on", "pk"
    )
    return Place.objects.select_related("country", "parent", "combined_authority").prefetch_related(
        "names",
        "identifiers",
        Prefetch("memberships", queryset=memberships),
    )


def _capped(places: QuerySet) -> tuple[list[Place], int]:
    """The first ``CHILDREN_SHOWN`` of ``places`` by name, and how many there are in all.

    The count costs a query only when the list is cut.
    """
    shown = list(places.order_by("name", "pk")[: CHILDREN_SHOWN + 1])
    if len(shown) <= CHILDREN_SHOWN:
        return shown, len(shown)
    return shown[:CHILDREN_SHOWN], places.count()


def _api_measurements_url(place: Place) -> str:
    return reverse("api-measurement-list") + "?" + urlencode({"place": place.slug})


def count_names(names: list[tuple[str, list]]) -> int:
    return sum(len(script_names) for _script, script_names in names)


def _place_list_url(**params: str) -> str:
    return reverse("places:list") + "?" + urlencode(params)


def script_of(text: str) -> str:
    """Unicode's name of the script of the first letter of ``text`` (``LATIN``, ``HANGUL``)."""
    for character in text:
        if character.isalpha():
            return unicodedata.name(character, "UNKNOWN").split(" ")[0]
    return "UNKNOWN"


def names_by_script(place: Place) -> list[tuple[str, list]]:
    """The place's other names, grouped by script: Latin first, then by label.

    Names that fold to the place's own name or to one already listed ("SEOUL",
    "seoul") are left out; official names come first within their script.
    """
    seen = {place.name_folded}
    groups: dict[str, list] = defaultdict(list)
    names = sorted(place.names.all(), key=lambda name: name.kind != NameKind.OFFICIAL)
    for name in names:
        if name.name_folded in seen:
            continue
        seen.add(name.name_folded)
        groups[script_of(name.name)].append(name)

    def label(script: str) -> str:
        return str(SCRIPT_LABELS.get(script, script.title()))

    ordered = sorted(groups.items(), key=lambda item: (item[0] != "LATIN", label(item[0])))
    merged: dict[str, list] = {}
    for script, script_names in ordered:
        merged.setdefault(label(script), []).extend(script_names)
    return list(merged.items())


def subdivision_name(code: str) -> str:
    """The name of an ISO 3166-2 subdivision (``DE-NW``), or "" when the code is unknown."""
    if not code:
        return ""
    subdivision = pycountry.subdivisions.get(code=code)
    return subdivision.name if subdivision else ""


def coordinates_text(place: Place) -> str:
    """The place's coordinates written out (``53.4810° N, 2.2374° W``), or "" when unknown."""
    if not place.has_coordinates:
        return ""
    latitude = _("%(degrees)s° N") if place.latitude >= 0 else _("%(degrees)s° S")
    longitude = _("%(degrees)s° E") if place.longitude >= 0 else _("%(degrees)s° W")
    north = latitude % {"degrees": formats.number_format(abs(place.latitude), 4, use_l10n=True)}
    east = longitude % {"degrees": formats.number_format(abs(place.longitude), 4, use_l10n=True)}
    return f"{north}, {east}"


def _identifiers(place: Place) -> list[dict]:
    rows = []
    for identifier in place.identifiers.all():
        link = IDENTIFIER_LINKS.get(identifier.scheme, "")
        rows.append(
            {
                "scheme": identifier.get_scheme_display(),
                "value": identifier.value,
                "url": link.format(value=identifier.value) if link else "",
            }
        )
    return rows


def commitment_labels(codes: list[str]) -> list[str]:
    """The readers' names of Covenant commitment codes; an unknown code is shown as it is."""
    known = dict(Commitment.choices)
    return [str(known.get(code, code)) for code in codes or []]


def _memberships(place: Place) -> list[Membership]:
    memberships = list(place.memberships.all())
    for membership in memberships:
        membership.commitment_labels = commitment_labels(membership.commitments)
    return memberships


def _published_cases(place: Place) -> tuple[list[BestPractice], int]:
    """The place's first cases that exist for the public (only published ones, ever),
    and how many there are; the count costs a query only when the list is cut."""
    cases = BestPractice.objects.published().filter(places=place).order_by("title", "pk")
    shown = list(cases.prefetch_related("themes")[: CASES_SHOWN + 1])
    if len(shown) <= CASES_SHOWN:
        return shown, len(shown)
    return shown[:CASES_SHOWN], cases.count()


def _measurements(place: Place) -> list[Measurement]:
    rows = (
        Measurement.objects.filter(place=place)
        .select_related("indicator", "source")
        .order_by("indicator__name", "indicator__code", "source__title", "-year", "pk")
    )
    measurements = list(rows)
    for measurement in measurements:
        _prepare_value(measurement)
    return measurements


def place_scorecard(place: Place, measurements: list[Measurement]) -> Scorecard:
    """The place's scorecard among its default peers (its tier in its country), from the
    measurements the profile holds already, with its changes written out."""
    card = scorecard(place, measurements=measurements)
    for row in card.rows:
        row.change_text = change_text(row.change.difference) if row.change else ""
        row.change_percent = (
            change_text(100 * row.change.relative) if row.change and row.change.relative else ""
        )
    return card


def change_text(difference: float) -> str:
    """A signed number as readers write it: "+0.42", "−1,203" (a minus sign, not a hyphen)."""
    sign = "+" if difference > 0 else "−" if difference < 0 else "±"
    return sign + format_number(abs(difference))


def _prepare_value(measurement: Measurement) -> None:
    """Set ``shown_value`` (formatted, "" when missing) and ``shown_unit`` on a measurement.

    Values are shown in the indicator's canonical unit; a value that could not be
    converted is shown as given, with its own unit.
    """
    if measurement.value_canonical is not None:
        value, unit = measurement.value_canonical, measurement.indicator.unit
    else:
        value, unit = measurement.value, measurement.unit
    measurement.shown_unit = unit
    measurement.other_unit = unit != measurement.indicator.unit
    measurement.shown_value = "" if value is None else format_number(value)
    flags = dict(QualityFlag.choices)
    measurement.flag_labels = [str(flags.get(flag, flag)) for flag in measurement.quality_flags]


@dataclass
class HeadlineTable:
    """One headline indicator of a place, year by year, latest first, with the place's
    standing among its default peers in each year (by measurement id: the one that
    counted)."""

    caption: str
    indicator: object
    measurements: list
    standings: dict[int, Standing] = field(default_factory=dict)
    # The query string of the indicator page comparing the place within its population band.
    band_query: str = ""
    band_label: str = ""

    @property
    def ranked(self) -> bool:
        return any(standing.rank is not None for standing in self.standings.values())

    @property
    def lines(self) -> list[tuple[Measurement, Standing | None]]:
        """Each measurement with the standing it earned (None: another source counted)."""
        return [(m, self.standings.get(m.pk)) for m in self.measurements]

    @property
    def source(self):
        """The source all its values come from, or None when they differ."""
        sources = {m.source for m in self.measurements}
        return sources.pop() if len(sources) == 1 else None

    @property
    def verification(self) -> str:
        """The verification all its values share, or "" when they differ."""
        labels = {str(m.get_verification_display()) for m in self.measurements}
        return labels.pop() if len(labels) == 1 else ""

    @property
    def chart_id(self) -> str:
        return f"series-{self.indicator.code}"

    @property
    def chart(self) -> dict:
        """The values over the years for static/js/charts.js, the one that counts in each
        year (as in the scorecard); empty with fewer than two years with a value."""
        by_year = {
            year: measurement.value_canonical
            for year, measurement in counting_by_year(self.measurements).items()
            if measurement.value_canonical is not None
        }
        if len(by_year) < 2:
            return {}
        years = sorted(by_year)
        return {
            "name": self.indicator.name,
            "unit": self.indicator.unit,
            "years": [str(year) for year in years],
            "values": [by_year[year] for year in years],
        }


def headline_tables(place: Place, measurements: list[Measurement]) -> list[HeadlineTable]:
    """The headline indicators' tables, with the place's standing in each year among its
    default peers (stored standings: one query a table)."""
    by_code: dict[str, list] = defaultdict(list)
    for measurement in measurements:
        if measurement.indicator.code in HEADLINE_INDICATORS:
            by_code[measurement.indicator.code].append(measurement)
    band = band_of(latest_population(place, measurements))
    tables = []
    for code, caption in HEADLINE_INDICATORS.items():
        rows = sorted(by_code.get(code, []), key=lambda m: (-m.year, m.source.title, m.pk))
        if not rows:
            continue
        indicator = rows[0].indicator
        found = standings_by_year(place, indicator, PeerGroup.around(place), measurements=rows)
        table = HeadlineTable(
            str(caption),
            indicator,
            rows,
            standings={row.measurement.pk: row.standing for row in found if row.standing},
        )
        if band:
            table.band_query = urlencode({"place": place.slug, "population": band})
            table.band_label = str(BANDS[band][0])
        tables.append(table)
    return tables


def latest_population(place: Place, measurements: list[Measurement]) -> float | None:
    """The place's population in the latest year measured, else its gazetteer figure."""
    populations = [
        measurement
        for measurement in measurements
        if measurement.indicator.code == POPULATION_INDICATOR
        and measurement.value_canonical is not None
    ]
    counted = counting_by_year(populations)
    if counted:
        return counted[max(counted)].value_canonical
    return place.population


@dataclass
class IndicatorRow:
    """An indicator's values from one source, year by year (a row of the pivot)."""

    indicator: object
    source: object
    by_year: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)

    @property
    def verifications(self) -> list[str]:
        labels = {m.get_verification_display() for m in self.by_year.values()}
        return sorted(str(label) for label in labels)

    @property
    def has_flags(self) -> bool:
        return any(m.quality_flags for m in self.by_year.values())


@dataclass
class IndicatorGroup:
    """Indicators of one quantity kind (emissions, capacity, …) as indicator × year."""

    label: str
    years: list = field(default_factory=list)
    rows: list = field(default_factory=list)

    @property
    def unit(self) -> str:
        """The unit all its indicators share, or "" when they differ."""
        units = {row.indicator.unit for row in self.rows}
        return units.pop() if len(units) == 1 else ""

    @property
    def source(self):
        """The source all its values come from, or None when they differ."""
        sources = {row.source for row in self.rows}
        return sources.pop() if len(sources) == 1 else None

    @property
    def verifications(self) -> list[str]:
        """The verification all its values share (a list of one), or [] when they differ."""
        kinds = {tuple(row.verifications) for row in self.rows}
        return list(kinds.pop()) if len(kinds) == 1 else []


def indicator_groups(measurements: list[Measurement]) -> list[IndicatorGroup]:
    """The place's values as one pivot table per quantity kind: a row per indicator and
    source, a column per year (latest first). A year without a value leaves an empty
    cell; a missing value shows its notation."""
    rows: dict[tuple, IndicatorRow] = {}
    for measurement in measurements:
        key = (measurement.indicator_id, measurement.source_id)
        if key not in rows:
            rows[key] = IndicatorRow(measurement.indicator, measurement.source)
        rows[key].by_year[measurement.year] = measurement

    kinds = dict(QuantityKind.choices)
    order = list(kinds)
    groups: dict[str, IndicatorGroup] = {}
    for row in rows.values():
        kind = row.indicator.quantity_kind
        if kind not in groups:
            groups[kind] = IndicatorGroup(str(kinds.get(kind, kind)))
        groups[kind].rows.append(row)

    ordered = sorted(
        groups.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)
    )
    for _kind, group in ordered:
        group.years = sorted({year for row in group.rows for year in row.by_year}, reverse=True)
        for row in group.rows:
            row.cells = [row.by_year.get(year) for year in group.years]
    return [group for _kind, group in ordered]
