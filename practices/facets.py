"""Queries over published cases beyond filtering: facet counts and related cases.

They are not page logic (the API may offer facets too), so pages call them here.
"""

import datetime
from collections.abc import Callable, Iterable

from django.db.models import Count, F, QuerySet

from cset.reference.pages import FacetChoice
from cset.reference.text import language_name

from .choices import Implementation
from .filters import PracticeFilterSet, PracticePlace, PracticeTheme
from .models import BestPractice

# The place choices of a facet: the most common ones, so that the page stays small
# when cases come from thousands of places. A place beyond them is still filterable.
PLACE_CHOICES_SHOWN = 100

# Which filters each facet replaces: its count ignores them, and only them.
FACET_FILTERS = {
    "theme": {"theme", "theme_id"},
    "country": {"country"},
    "place": {"place", "place_id"},
    "language": {"language"},
    "implementation": {"implementation"},
    "year": {"year"},
}


def _choices(
    rows: Iterable[dict],
    selected: Iterable[str],
    label: Callable[[str], str] = str,
) -> list[FacetChoice]:
    """FacetChoices from rows of ``value``, ``label`` and ``count``.

    A choice that leaves no case is dropped unless it is selected, so that a
    selection never silently disappears from the form.
    """
    selected = [value for value in selected if value not in ("", None)]
    choices = [
        FacetChoice(str(row["value"]), row["label"], row["count"], str(row["value"]) in selected)
        for row in rows
        if row["count"]
    ]
    shown = {choice.value for choice in choices}
    choices += [
        FacetChoice(value, label(value), 0, True) for value in selected if value not in shown
    ]
    return choices


def _theme_facet(cases: QuerySet, filterset: PracticeFilterSet) -> list[FacetChoice]:
    rows = (
        PracticeTheme.objects.filter(bestpractice_id__in=cases.values("pk"))
        .values(value=F("theme__slug"), label=F("theme__name"))
        .annotate(count=Count("bestpractice_id"))
        .order_by("theme__position", "theme__name", "value")
    )
    themes = filterset.form.cleaned_data.get("theme") or []
    names = {theme.slug: theme.name for theme in themes}
    return _choices(rows, names, names.get)


def _country_facet(cases: QuerySet, filterset: PracticeFilterSet) -> list[FacetChoice]:
    # Distinct: a case with two places in one country counts once, as the filter lists it once.
    rows = (
        PracticePlace.objects.filter(bestpractice_id__in=cases.values("pk"))
        .values(value=F("place__country_id"), label=F("place__country__name"))
        .annotate(count=Count("bestpractice_id", distinct=True))
        .order_by("label", "value")
    )
    code = (filterset.form.cleaned_data.get("country") or "").upper()
    return _choices(rows, [code])


def _place_facet(cases: QuerySet, filterset: PracticeFilterSet) -> list[FacetChoice]:
    rows = (
        PracticePlace.objects.filter(bestpractice_id__in=cases.values("pk"))
        .values(value=F("place__slug"), label=F("place__name"))
        .annotate(count=Count("bestpractice_id"))
        .order_by("-count", "place__name_folded", "value")[:PLACE_CHOICES_SHOWN]
    )
    choices = _choices(rows, [filterset.form.cleaned_data.get("place") or ""])
    return sorted(choices, key=lambda choice: (choice.label.casefold(), choice.value))


def _language_facet(cases: QuerySet, filterset: PracticeFilterSet) -> list[FacetChoice]:
    rows = [
        {**row, "label": language_name(row["value"])}
        for row in cases.values(value=F("language")).annotate(count=Count("pk")).order_by("value")
    ]
    return _choices(rows, [filterset.form.cleaned_data.get("language") or ""], language_name)


def _implementation_facet(cases: QuerySet, filterset: PracticeFilterSet) -> list[FacetChoice]:
    counts = dict(
        cases.exclude(implementation="")
        .values_list("implementation")
        .annotate(count=Count("pk"))
        .order_by()
    )
    rows = [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Implementation.choices
    ]
    labels = dict(Implementation.choices)
    return _choices(rows, [filterset.form.cleaned_data.get("implementation") or ""], labels.get)


def _year_facet(cases: QuerySet, filterset: PracticeFilterSet) -> list[FacetChoice]:
    """Cases running in each year, by the rule of PracticeFilterSet.filter_year.

    The database groups the cases by (start year, end year) in one query; the
    years are then spread from those pairs, whose number does not grow with the
    cases (a few hundred at most), so no row is read in Python.
    """
    pairs = list(
        cases.filter(start_year__isnull=False)
        .values_list("start_year", "end_year")
        .annotate(count=Count("pk"))
        .order_by()
    )
    selected = filterset.form.cleaned_data.get("year")
    if not pairs:
        return _choices([], [str(selected or "")])
    this_year = datetime.date.today().year
    first = min(start for start, _end, _count in pairs)
    last = max(max(start, end or this_year) for start, end, _count in pairs)
    rows = [
        {
            "value": year,
            "label": str(year),
            "count": sum(
                count
                for start, end, count in pairs
                if start <= year and (end is None or end >= year)
            ),
        }
        for year in range(last, first - 1, -1)
    ]
    return _choices(rows, [str(selected or "")])


FACETS = {
    "theme": _theme_facet,
    "country": _country_facet,
    "place": _place_facet,
    "language": _language_facet,
    "implementation": _implementation_facet,
    "year": _year_facet,
}


def facet_counts(filterset: PracticeFilterSet, published: QuerySet) -> dict[str, list[FacetChoice]]:
    """Every facet's choices, each counted over the cases all *other* filters leave.

    One aggregate query per facet. ``published`` must be the public cases
    (``BestPractice.objects.published()``); ``filterset`` must be valid.
    """
    return {
        name: facet(filterset.filter_queryset_except(published, FACET_FILTERS[name]), filterset)
        for name, facet in FACETS.items()
    }


def related_practices(practice: BestPractice, limit: int = 5) -> QuerySet:
    """Published cases sharing themes with ``practice``: most shared themes first, then newest.

    One query. The themes are read from ``practice.themes.all()``, prefetched by the caller.
    """
    theme_ids = [theme.pk for theme in practice.themes.all()]
    if not theme_ids:
        return BestPractice.objects.none()
    # The filter on themes comes before the count, so the count is of shared themes only.
    return (
        BestPractice.objects.published()
        .filter(themes__in=theme_ids)
        .exclude(pk=practice.pk)
        .annotate(shared_themes=Count("themes"))
        .order_by("-shared_themes", F("published_at").desc(nulls_last=True), "pk")[:limit]
    )
