"""Synthetic data for ``manage.py bench_benchmarks``, written by SQL alone.

Places are spread over a few countries, tiers, subdivisions and (for the UK) statistical
regions. Each value is drawn by inverse-CDF interpolation between the quantiles of the real
values of its indicator (``QUANTILES``), so that ties (the many zero capacities), long tails
and the spread of a peer group look like the real data. A place keeps its position in the
distribution from year to year, with a little drift, so that changes between years are
small as in the real series. A few values are missing, with a notation.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db.backends.utils import CursorWrapper

logger = logging.getLogger(__name__)

SLUG_PREFIX = "bench-"
SOURCE_SLUG = "bench-synthetic"
LAST_YEAR = 2020

# Share of values left missing (with a notation), and how far a place's position in the
# distribution may move from one year to the next.
MISSING_SHARE = 0.03
YEARLY_DRIFT = 0.02

# Places per INSERT of their measurements: bounds each statement's transaction.
PLACES_PER_BATCH = 2_500

PROBABILITIES = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)


@dataclass(frozen=True)
class BenchIndicator:
    code: str
    name: str
    unit: str
    direction: str
    quantity_kind: str
    # value_canonical at each of PROBABILITIES.
    quantiles: tuple[float, ...]


# Measured once (3 December 2025) on the database of the fully loaded real data (`make run`,
# PostgreSQL) with percentile_cont(PROBABILITIES) over value_canonical of each indicator,
# every place and year. Kept here because a fresh clone has no loaded data, and computing
# them from data/ would take longer than the benchmark. The first indicator is the one
# compared; ``population`` is the one population bands read.
INDICATORS = [
    BenchIndicator(
        "gb-co2-per-person", "CO2 emissions per person", "t CO2/person",
        "lower_is_better", "intensity",
        (1.995304, 2.772686, 3.407242, 3.783164, 4.633693, 5.734341, 6.935509, 8.162088,
         9.021284, 11.096138, 247.022749),
    ),
    BenchIndicator(
        "population", "Population", "person", "context", "population",
        (7, 89, 225, 389, 1014, 3913, 23389, 146682.2, 263391.8, 815999.84, 17932651),
    ),
    BenchIndicator(
        "de-capacity-renewable-per-1000", "Renewable capacity per 1,000 inhabitants",
        "kW/1000 persons", "higher_is_better", "capacity",
        (0, 90.196686, 201.498453, 299.720134, 572.590633, 1339.9675, 3702.050716,
         11187.686363, 23774.89272, 84565.848703, 2347673.870968),
    ),
    BenchIndicator(
        "gb-co2-domestic-per-person", "Domestic CO2 emissions per person", "t CO2/person",
        "lower_is_better", "intensity",
        (0.642253, 1.075257, 1.273924, 1.377468, 1.582303, 2.012039, 2.371535, 2.613201,
         2.761019, 3.090557, 3.690189),
    ),
    BenchIndicator(
        "gb-co2-total", "CO2 emissions, total", "kt CO2", "lower_is_better", "emissions",
        (6.459941, 203.454258, 367.01985, 436.751019, 594.908611, 872.337299, 1410.232333,
         3039.320444, 4996.510875, 9584.543345, 49133.20931),
    ),
    BenchIndicator(
        "de-capacity-pv-per-1000", "Photovoltaic capacity per 1,000 inhabitants",
        "kW/1000 persons", "higher_is_better", "capacity",
        (0, 79.251161, 174.429148, 251.241431, 451.372146, 873.282266, 1833.802371,
         3652.78714, 5668.813302, 17379.03633, 1021222.258065),
    ),
    BenchIndicator(
        "de-capacity-wind-onshore-per-1000", "Onshore wind capacity per 1,000 inhabitants",
        "kW/1000 persons", "higher_is_better", "capacity",
        (0, 0, 0, 0, 0, 0, 211.388291, 5650.247971, 16685.132684, 73696.005291,
         1326451.612903),
    ),
    BenchIndicator(
        "gb-co2-per-km2", "CO2 emissions per km²", "kt CO2/km²", "lower_is_better",
        "intensity",
        (0.03845, 0.121148, 0.425487, 0.652283, 1.291401, 2.891022, 8.636118, 17.890898,
         23.964248, 76.320016, 568.930346),
    ),
    BenchIndicator(
        "area", "Area", "km²", "context", "area",
        (3.1496, 17.210953, 32.5419, 43.3525, 99.4601, 316.7558, 886.0557, 2254.8126,
         3612.0597, 7150.505796, 26473.9496),
    ),
    BenchIndicator(
        "de-capacity-renewable-total", "Renewable capacity, total", "kW", "higher_is_better",
        "capacity",
        (0, 42.54, 154.4, 288.905, 1115.12, 4924.88, 16029.445, 42136.577, 87185.731,
         489456.7412, 29587545.033),
    ),
    BenchIndicator(
        "de-capacity-pv", "Photovoltaic capacity", "kW", "higher_is_better", "capacity",
        (0, 37.924, 135.9, 240.94, 726.335, 2794.09, 8502.52, 21056.355, 39014.001,
         260877.9104, 22281460.189),
    ),
    BenchIndicator(
        "de-capacity-wind-onshore", "Onshore wind capacity", "kW", "higher_is_better",
        "capacity",
        (0, 0, 0, 0, 0, 0, 2100, 18906, 42534, 202596.04, 12539182.433),
    ),
    BenchIndicator(
        "de-capacity-biomass", "Biomass capacity", "kW", "higher_is_better", "capacity",
        (0, 0, 0, 0, 0, 0, 773, 2788, 5675.9, 30783.5316, 1883390.44),
    ),
    BenchIndicator(
        "de-capacity-hydro", "Hydropower capacity", "kW", "higher_is_better", "capacity",
        (0, 0, 0, 0, 0, 0, 8.134, 271, 1278, 19643.072, 2786569.979),
    ),
    BenchIndicator(
        "gb-co2-domestic-total", "CO2 emissions, Domestic Total", "kt CO2", "lower_is_better",
        "emissions",
        (2.201895, 69.606773, 128.691658, 153.163778, 206.217676, 296.230497, 476.905426,
         1011.733727, 1659.635249, 3488.785862, 17030.86045),
    ),
    BenchIndicator(
        "gb-co2-industry-total", "CO2 emissions, Industry Total", "kt CO2", "lower_is_better",
        "emissions",
        (0.235727, 12.623998, 28.969132, 39.35621, 68.104056, 128.665163, 270.749858,
         592.847381, 879.917832, 1848.136125, 3959.888219),
    ),
    BenchIndicator(
        "gb-co2-transport-total", "CO2 emissions, Transport Total", "kt CO2",
        "lower_is_better", "emissions",
        (2.109608, 50.034629, 101.682434, 122.991344, 168.552179, 257.758322, 396.064877,
         875.089086, 1514.738709, 2839.028524, 10782.09664),
    ),
    BenchIndicator(
        "gb-co2-commercial-total", "CO2 emissions, Commercial Total", "kt CO2",
        "lower_is_better", "emissions",
        (1.222431, 12.869546, 25.357723, 33.490269, 55.566313, 99.169249, 198.787266,
         408.726203, 664.251014, 1432.617813, 13637.631069),
    ),
    BenchIndicator(
        "gb-co2-public-sector-total", "CO2 emissions, Public Sector Total", "kt CO2",
        "lower_is_better", "emissions",
        (0.130925, 5.451776, 9.321801, 12.990956, 22.000468, 39.179481, 79.313363,
         180.448385, 277.238794, 547.272175, 4090.76642),
    ),
    BenchIndicator(
        "gb-co2-agriculture-total", "CO2 emissions, Agriculture Total", "kt CO2",
        "lower_is_better", "emissions",
        (0.062998, 0.21214, 0.445417, 0.712294, 2.210092, 9.986528, 28.505145, 77.073191,
         117.85647, 197.922907, 334.1622),
    ),
]  # fmt: skip


@dataclass(frozen=True)
class BenchCountry:
    code: str
    name: str
    continent: str
    share: float
    # Places are called "<stem> <number>".
    stem: str
    timezone: str
    subdivisions: tuple[str, ...]
    regions: tuple[str, ...]
    latitudes: tuple[float, float]
    longitudes: tuple[float, float]


GB_REGIONS = (
    "North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West",
)  # fmt: skip

COUNTRIES = [
    BenchCountry(
        "DE", "Germany", "EU", 0.40, "Neustadt", "Europe/Berlin",
        ("DE-BY", "DE-BW", "DE-NW", "DE-NI", "DE-HE", "DE-SN", "DE-RP", "DE-TH"), (),
        (47.3, 55.0), (6.0, 15.0),
    ),
    BenchCountry(
        "IT", "Italy", "EU", 0.20, "Villanova", "Europe/Rome",
        ("IT-25", "IT-21", "IT-34", "IT-62", "IT-72", "IT-82"), (), (37.0, 47.0), (7.0, 18.0),
    ),
    BenchCountry(
        "ES", "Spain", "EU", 0.15, "Villanueva", "Europe/Madrid",
        ("ES-AN", "ES-CT", "ES-MD", "ES-VC", "ES-GA"), (), (36.0, 43.7), (-9.0, 3.0),
    ),
    BenchCountry(
        "GB", "United Kingdom", "EU", 0.10, "Ashby", "Europe/London",
        ("GB-ENG", "GB-SCT", "GB-WLS", "GB-NIR"), GB_REGIONS, (50.0, 58.6), (-6.0, 1.7),
    ),
    BenchCountry(
        "FR", "France", "EU", 0.10, "Villeneuve", "Europe/Paris",
        ("FR-IDF", "FR-ARA", "FR-OCC", "FR-NAQ"), (), (42.5, 51.0), (-4.5, 8.0),
    ),
    BenchCountry(
        "US", "United States", "NA", 0.05, "Springfield", "America/Chicago",
        ("US-IL", "US-MO", "US-OH", "US-MA"), (), (30.0, 47.0), (-120.0, -70.0),
    ),
]  # fmt: skip

# Tiers by cumulative share, as in the real data: nearly every place is local.
TIERS = [("local", 0.94), ("county", 0.98), ("state", 0.995), ("combined", 1.0)]


@dataclass
class FillSizes:
    places: int
    indicators: int
    years: int

    @property
    def first_year(self) -> int:
        return LAST_YEAR - self.years + 1


def fill(cursor: CursorWrapper, sizes: FillSizes, *, seed: float, progress) -> None:
    """Write countries, a source, indicators, places and their measurements.

    ``progress(message)`` is called between the steps of the long measurement insert.
    """
    cursor.execute("SELECT setseed(%s)", [seed])
    _insert_countries(cursor)
    source_id = _insert_source(cursor)
    indicator_ids = _insert_indicators(cursor, INDICATORS[: sizes.indicators])
    _insert_places(cursor, sizes.places)
    _create_segments(cursor, indicator_ids)

    with (
        _without_secondary_indexes(cursor, "benchmarks_measurement"),
        _without_trigger_checks(cursor),
    ):
        place_ids = _bench_place_range(cursor)
        for low in range(place_ids[0], place_ids[1] + 1, PLACES_PER_BATCH):
            high = low + PLACES_PER_BATCH
            _insert_measurements(cursor, sizes, source_id, low, high)
            progress(f"values of places {low} to {min(high - 1, place_ids[1])}")
        progress("rebuilding the indexes of the values")

    _set_place_populations(cursor, sizes)
    # Last: ``--reuse`` takes a database whose source has a load time as filled.
    cursor.execute("UPDATE reference_source SET loaded_at = now() WHERE id = %s", [source_id])


def _insert_countries(cursor: CursorWrapper) -> None:
    cursor.executemany(
        "INSERT INTO reference_country (code, name, name_folded, continent) "
        "VALUES (%s, %s, lower(%s), %s) ON CONFLICT (code) DO NOTHING",
        [(c.code, c.name, c.name, c.continent) for c in COUNTRIES],
    )


def _insert_source(cursor: CursorWrapper) -> int:
    cursor.execute(
        """
        INSERT INTO reference_source (slug, title, publisher, url, licence, licence_url,
            attribution, description, file_name, checksum)
        VALUES (%s, 'Synthetic benchmark values', 'manage.py bench_benchmarks', '',
            'CC0-1.0', '', 'Synthetic values for timing; not data about any real place.',
            'Drawn from the distributions of the real values of each indicator.', '', '')
        RETURNING id
        """,
        [SOURCE_SLUG],
    )
    return cursor.fetchone()[0]


def _insert_indicators(cursor: CursorWrapper, indicators: list[BenchIndicator]) -> list[int]:
    """The indicators by code; an indicator a migration already made is updated."""
    ids = []
    for indicator in indicators:
        cursor.execute(
            """
            INSERT INTO benchmarks_indicator (code, name, name_folded, unit, direction,
                quantity_kind, definition)
            VALUES (%s, %s, lower(%s), %s, %s, %s, '')
            ON CONFLICT (code) DO UPDATE SET unit = EXCLUDED.unit,
                direction = EXCLUDED.direction, quantity_kind = EXCLUDED.quantity_kind
            RETURNING id
            """,
            [
                indicator.code,
                indicator.name,
                indicator.name,
                indicator.unit,
                indicator.direction,
                indicator.quantity_kind,
            ],
        )
        ids.append(cursor.fetchone()[0])
    return ids


def _insert_places(cursor: CursorWrapper, count: int) -> None:
    """``count`` places; country, tier, subdivision, region and coordinates drawn at random."""
    cursor.execute(
        """
        CREATE TEMP TABLE bench_country (code text, low float8, high float8, stem text,
            timezone text, subdivisions text[], regions text[], lat_min float8,
            lat_max float8, lon_min float8, lon_max float8)
        """
    )
    low = 0.0
    for country in COUNTRIES:
        cursor.execute(
            "INSERT INTO bench_country VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                country.code,
                low,
                low + country.share,
                country.stem,
                country.timezone,
                list(country.subdivisions),
                list(country.regions),
                *country.latitudes,
                *country.longitudes,
            ],
        )
        low += country.share
    tier_case = " ".join(f"WHEN d.r_tier < {share} THEN '{tier}'" for tier, share in TIERS[:-1])
    cursor.execute(
        f"""
        INSERT INTO reference_place (name, name_folded, slug, kind, tier, country_id,
            admin1_code, subdivision_code, statistical_region, latitude, longitude, timezone,
            created_at, updated_at)
        SELECT c.stem || ' ' || d.g, lower(c.stem) || ' ' || d.g, %s || d.g, 'town',
            CASE {tier_case} ELSE '{TIERS[-1][0]}' END, c.code, '',
            c.subdivisions[1 + floor(d.r_subdivision * cardinality(c.subdivisions))::int],
            coalesce(c.regions[1 + floor(d.r_region * cardinality(c.regions))::int], ''),
            round((c.lat_min + d.r_lat * (c.lat_max - c.lat_min))::numeric, 5),
            round((c.lon_min + d.r_lon * (c.lon_max - c.lon_min))::numeric, 5),
            c.timezone, now(), now()
        FROM (
            SELECT g, random() AS r_country, random() AS r_tier, random() AS r_subdivision,
                random() AS r_region, random() AS r_lat, random() AS r_lon
            FROM generate_series(1, %s) AS g
        ) d
        JOIN bench_country c ON d.r_country >= c.low AND d.r_country < c.high
        ORDER BY d.g
        """,  # noqa: S608 -- the interpolated tiers are constants of this module
        [SLUG_PREFIX, count],
    )


def _create_segments(cursor: CursorWrapper, indicator_ids: list[int]) -> None:
    """One row per indicator and pair of neighbouring quantiles: the pieces of its CDF."""
    cursor.execute(
        "CREATE TEMP TABLE bench_segment (indicator_id int, p_low float8, p_high float8, "
        "v_low float8, v_high float8)"
    )
    rows = []
    for indicator_id, indicator in zip(indicator_ids, INDICATORS, strict=False):
        knots = list(zip(PROBABILITIES, indicator.quantiles, strict=True))
        for (p_low, v_low), (p_high, v_high) in zip(knots, knots[1:], strict=False):
            rows.append((indicator_id, p_low, p_high, v_low, v_high))
    cursor.executemany("INSERT INTO bench_segment VALUES (%s, %s, %s, %s, %s)", rows)

    # Each place's position in each indicator's distribution, kept over the years.
    cursor.execute(
        """
        CREATE TEMP TABLE bench_position AS
        SELECT p.id AS place_id, i.id AS indicator_id, i.unit, random() AS u
        FROM reference_place p CROSS JOIN benchmarks_indicator i
        WHERE p.slug LIKE %s AND i.id = ANY(%s)
        """,
        [SLUG_PREFIX + "%", indicator_ids],
    )
    cursor.execute("CREATE INDEX ON bench_position (place_id)")
    cursor.execute("ANALYZE bench_position")


def _bench_place_range(cursor: CursorWrapper) -> tuple[int, int]:
    cursor.execute("SELECT min(id), max(id) FROM reference_place WHERE slug LIKE %s", [
        SLUG_PREFIX + "%"
    ])  # fmt: skip
    return cursor.fetchone()


_MEASUREMENTS_SQL = """
INSERT INTO benchmarks_measurement (place_id, indicator_id, year, source_id, value, unit,
    value_canonical, notation, method, verification, quality_flags, note, created_at,
    updated_at)
SELECT v.place_id, v.indicator_id, v.year, %(source)s, v.value, v.unit, v.value,
    CASE WHEN v.value IS NULL
        THEN (ARRAY['NR', 'NE', 'C', 'NO', 'IE'])[1 + floor(v.r_notation * 5)::int]
        ELSE '' END,
    'reported',
    CASE WHEN v.r_trust < 0.6 THEN 'self_reported'
        WHEN v.r_trust < 0.9 THEN 'secretariat_reviewed'
        ELSE 'third_party_verified' END,
    '[]'::jsonb, '', now(), now()
FROM (
    SELECT d.*, CASE WHEN d.r_missing < %(missing)s THEN NULL
        ELSE s.v_low + (s.v_high - s.v_low) * (d.u - s.p_low) / (s.p_high - s.p_low)
        END AS value
    FROM (
        SELECT b.place_id, b.indicator_id, b.unit, y.year,
            least(greatest(b.u + (random() - 0.5) * %(drift)s, 0), 0.999999) AS u,
            random() AS r_missing, random() AS r_notation, random() AS r_trust
        FROM bench_position b CROSS JOIN generate_series(%(first)s, %(last)s) AS y(year)
        WHERE b.place_id >= %(low)s AND b.place_id < %(high)s
    ) d
    JOIN bench_segment s
        ON s.indicator_id = d.indicator_id AND d.u >= s.p_low AND d.u < s.p_high
) v
"""


def _insert_measurements(cursor, sizes: FillSizes, source_id: int, low: int, high: int):
    cursor.execute(
        _MEASUREMENTS_SQL,
        {
            "source": source_id,
            "missing": MISSING_SHARE,
            "drift": YEARLY_DRIFT,
            "first": sizes.first_year,
            "last": LAST_YEAR,
            "low": low,
            "high": high,
        },
    )


def _set_place_populations(cursor: CursorWrapper, sizes: FillSizes) -> None:
    """The gazetteer population of each place: its value of the last year, if any."""
    cursor.execute(
        """
        UPDATE reference_place p
        SET population = round(m.value_canonical)::bigint, population_year = m.year,
            kind = CASE WHEN p.tier <> 'local' THEN 'region'
                WHEN m.value_canonical >= 100000 THEN 'city'
                WHEN m.value_canonical < 5000 THEN 'village' ELSE 'town' END
        FROM benchmarks_measurement m JOIN benchmarks_indicator i ON i.id = m.indicator_id
        WHERE m.place_id = p.id AND i.code = 'population' AND m.year = %s
            AND m.value_canonical IS NOT NULL
        """,
        [LAST_YEAR],
    )


@contextmanager
def _without_trigger_checks(cursor: CursorWrapper) -> Iterator[None]:
    """Skip the foreign-key triggers, as pg_dump's --disable-triggers does, when the role may
    (a superuser): every inserted row points at a place, indicator and source just read
    from their tables, and the checks took half the time of the fill."""
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    allowed = cursor.fetchone()[0]
    if allowed:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if allowed:
            cursor.execute("RESET session_replication_role")


@contextmanager
def _without_secondary_indexes(cursor: CursorWrapper, table: str) -> Iterator[None]:
    """Drop the table's indexes that back no constraint, and build them again afterwards:
    building an index once is much faster than updating it for every inserted row."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = %s
            AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c
                WHERE c.conindid = format('%%I.%%I', i.schemaname, i.indexname)::regclass
            )
        """,
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for name, definition in indexes:
        logger.debug("building index %s", name)
        cursor.execute(definition)
