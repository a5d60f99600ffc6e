"""Standings kept in the database for each place's default peer group (its tier in its
country), so that a scorecard reads them rather than ranking thousands of peers.

``refresh`` rebuilds them with the ranking's own rules (``peers``: the best-verified value
counts, rank 1 and percentile 100 are best) in one INSERT … SELECT per call, on SQLite and
PostgreSQL alike. Every writer of measurements calls it: the initial load, the import
commit, derived values and the admin. ``for_place`` reads a place's rows back as
``peers.Standing``.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from cset.reference.models import Place

from .choices import Direction
from .models import Indicator, Measurement, StoredStanding
from .peers import SIGNS, VERIFICATION_ORDER, Standing, standing_from_row

logger = logging.getLogger(__name__)

# PostgreSQL: refreshes of overlapping years wait for each other instead of colliding on
# the unique constraint. Any constant of our own will do.
_ADVISORY_LOCK = 37_120

_DELETE_SQL = "DELETE FROM {stored} WHERE {scope}"

_REFRESH_SQL = """
INSERT INTO {stored} (
    measurement_id, place_id, indicator_id, year, value, position, share_below, group_size
)
SELECT id, place_id, indicator_id, year, value_canonical,
    RANK() OVER by_merit,
    CAST(COUNT(*) OVER peers - RANK() OVER by_merit AS DOUBLE PRECISION)
        / NULLIF(COUNT(*) OVER peers - 1, 0),
    COUNT(*) OVER peers
FROM (
    SELECT m.id, m.place_id, m.indicator_id, m.year, m.value_canonical, p.tier, p.country_id,
        m.value_canonical * (CASE i.direction {sign_cases} ELSE 0 END) AS better,
        ROW_NUMBER() OVER (
            PARTITION BY m.indicator_id, m.year, m.place_id
            ORDER BY (CASE m.verification {trust_cases} ELSE 0 END) DESC, m.source_id
        ) AS pick
    FROM {measurement} m
    JOIN {place} p ON p.id = m.place_id
    JOIN {indicator} i ON i.id = m.indicator_id
    WHERE m.value_canonical IS NOT NULL AND ({scope})
) kept
WHERE pick = 1
WINDOW peers AS (PARTITION BY indicator_id, year, tier, country_id),
    by_merit AS (peers ORDER BY better DESC)
"""


def refresh(pairs: Iterable[tuple[int, int]] | None = None) -> int:
    """Rebuild the stored standings of the (indicator id, year) ``pairs``, or of every
    indicator and year; the number of rows written."""
    years_by_indicator = None
    if pairs is not None:
        years_by_indicator = defaultdict(set)
        for indicator_id, year in pairs:
            years_by_indicator[indicator_id].add(year)
        if not years_by_indicator:
            return 0

    scope, params = _scope(years_by_indicator, "m.")
    stored_scope, stored_params = _scope(years_by_indicator, "")
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
            # The two sorts of a full refresh fit in memory: 40 % faster than the default.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        stored = StoredStanding._meta.db_table
        cursor.execute(_DELETE_SQL.format(stored=stored, scope=stored_scope), stored_params)
        sql, sql_params = _refresh_sql(scope)
        cursor.execute(sql, [*sql_params, *params])
        written = cursor.rowcount
    logger.info("stored standings: %s rows written", written)
    return written


def refresh_places(place_ids: Iterable[int]) -> int:
    """Rebuild the standings of every indicator and year the places have values in: what
    a change of their tier or country, or their removal, moves."""
    pairs = (
        Measurement.objects.filter(place_id__in=list(place_ids))
        .order_by()
        .values_list("indicator_id", "year")
        .distinct()
    )
    return refresh(list(pairs))


def refresh_indicator(indicator: Indicator) -> int:
    """Rebuild an indicator's standings (its direction may have turned)."""
    years = (
        Measurement.objects.filter(indicator=indicator)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    return refresh([(indicator.pk, year) for year in years])


def _scope(years_by_indicator: dict[int, set[int]] | None, prefix: str) -> tuple[str, list]:
    """A WHERE condition on ``indicator_id`` and ``year`` for the pairs (all: ``1 = 1``)."""
    if years_by_indicator is None:
        return "1 = 1", []
    conditions, params = [], []
    for indicator_id, years in sorted(years_by_indicator.items()):
        marks = ", ".join(["%s"] * len(years))
        conditions.append(f"({prefix}indicator_id = %s AND {prefix}year IN ({marks}))")
        params += [indicator_id, *sorted(years)]
    return " OR ".join(conditions), params


def _refresh_sql(scope: str) -> tuple[str, list]:
    sign_cases = " ".join(["WHEN %s THEN %s"] * len(SIGNS))
    trust_cases = " ".join(["WHEN %s THEN %s"] * len(VERIFICATION_ORDER))
    sql = _REFRESH_SQL.format(
        stored=StoredStanding._meta.db_table,
        measurement=Measurement._meta.db_table,
        place=Place._meta.db_table,
        indicator=Indicator._meta.db_table,
        sign_cases=sign_cases,
        trust_cases=trust_cases,
        scope=scope,
    )
    params = [value for pair in SIGNS.items() for value in pair]
    params += [value for pair in VERIFICATION_ORDER.items() for value in pair]
    return sql, params


def for_place(
    place: Place, pairs: Iterable[tuple[int, int]], directions: dict[int, str]
) -> dict[tuple[int, int], Standing]:
    """The place's stored standings for the (indicator id, year) ``pairs``, by pair (one
    query). ``directions`` ({indicator id: direction}) decide which are judged."""
    wanted = set(pairs)
    rows = StoredStanding.objects.filter(
        place=place, indicator_id__in={indicator_id for indicator_id, _year in wanted}
    ).values_list(
        "measurement_id",
        "place_id",
        "indicator_id",
        "year",
        "value",
        "position",
        "share_below",
        "group_size",
    )
    found = {}
    for row in rows:
        pair = (row[2], row[3])
        if pair in wanted:
            judged = directions[row[2]] != Direction.CONTEXT
            found[pair] = standing_from_row(row, judged)
    return found


def is_empty() -> bool:
    """Whether no standing is stored although values exist (a database loaded before
    standings were kept)."""
    if StoredStanding.objects.exists():
        return False
    return Measurement.objects.filter(value_canonical__isnull=False).exists()
