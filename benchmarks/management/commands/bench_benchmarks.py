"""``manage.py bench_benchmarks``: how fast comparisons, scorecards and indicator pages are
on a large synthetic database (issue 5, "Speed to measure")."""

import logging
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import environ
import psycopg2
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from psycopg2 import sql

from benchmarks import stored_standings
from benchmarks.management.bench_data import (
    INDICATORS,
    LAST_YEAR,
    SLUG_PREFIX,
    SOURCE_SLUG,
    FillSizes,
    fill,
)
from benchmarks.models import Indicator, Measurement
from benchmarks.peers import PeerGroup, compare
from benchmarks.scorecard import scorecard
from benchmarks.views import RANKED_PER_PAGE
from cset.reference.choices import PlaceTier
from cset.reference.models import Place

logger = logging.getLogger(__name__)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cset_bench"

# Written on every database this command creates; it drops no database without it.
MARKER = "Made by manage.py bench_benchmarks; dropped and made again by it."

# Milliseconds, on a 2-core machine like CI (issue 5).
TARGETS = {"comparison": 200, "scorecard": 150, "indicator page": 300, "page of a place": 300}


@dataclass
class Case:
    """One timed call: ``run`` is called ``repeat`` times after the warm-ups."""

    name: str
    timed: str
    run: Callable[[], object]


@dataclass
class Timing:
    case: Case
    median: float
    p95: float
    note: str = ""


class Command(BaseCommand):
    help = (
        "Create (or recreate) a separate PostgreSQL database, fill it by SQL with synthetic "
        "places and values drawn from the real data's distributions, then time a peer "
        "comparison, a place scorecard and an indicator page. Run with DATABASE_URL set to "
        "the bench database (make bench-benchmarks does); the default database is never "
        "touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-url",
            default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
            help="The bench database (default: $BENCH_DATABASE_URL, else %(default)s).",
        )
        parser.add_argument("--places", type=int, default=25_000, help="Places to make.")
        parser.add_argument(
            "--indicators",
            type=int,
            default=len(INDICATORS),
            choices=range(1, len(INDICATORS) + 1),
            metavar=f"1…{len(INDICATORS)}",
            help="Indicators with values for every place (default: %(default)s).",
        )
        parser.add_argument(
            "--years",
            type=int,
            default=10,
            choices=range(1, 51),
            metavar="1…50",
            help=f"Years of values, up to {LAST_YEAR} (default: %(default)s).",
        )
        parser.add_argument("--repeat", type=int, default=30, help="Timed runs of each case.")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed runs before them.")
        parser.add_argument("--seed", type=float, default=0.42, help="For random(), -1 to 1.")
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="Keep a bench database filled before (migrating it) instead of refilling.",
        )

    def handle(self, *args, database_url: str, reuse: bool, **options):
        if options["places"] < 1 or options["repeat"] < 1 or options["warmup"] < 0:
            raise CommandError("--places and --repeat must be at least 1, --warmup at least 0.")
        if not -1 <= options["seed"] <= 1:
            raise CommandError("--seed must lie between -1 and 1 (PostgreSQL's setseed).")
        bench = _bench_config(database_url)
        _check_django_uses(bench)

        if not (reuse and _is_filled(bench)):
            self._create_and_fill(bench, options)
        else:
            self._log(f"Reusing the filled database {bench['NAME']}; migrating it.")
            call_command("migrate", interactive=False, verbosity=0)
            if stored_standings.is_empty():
                self._store_standings()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        timings = [self._time(case, options) for case in _cases()]
        self._report(bench, timings, options)

    # Database ----------------------------------------------------------------------------

    def _create_and_fill(self, bench: dict, options: dict) -> None:
        started = time.monotonic()
        _recreate_database(bench)
        self._log(f"Created the database {bench['NAME']}; migrating it.")
        call_command("migrate", interactive=False, verbosity=0)

        sizes = FillSizes(options["places"], options["indicators"], options["years"])
        self._log(
            f"Filling it: {sizes.places:,} places × {sizes.indicators} indicators × "
            f"{sizes.years} years ({sizes.first_year}–{LAST_YEAR})."
        )
        with connection.cursor() as cursor:
            fill(cursor, sizes, seed=options["seed"], progress=self._log)
        self._store_standings()
        with connection.cursor() as cursor:
            self._log("VACUUM ANALYZE")
            cursor.execute("VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        logger.info("bench database %s filled in %.0f s", bench["NAME"], elapsed)
        self._log(f"Filled in {elapsed:.0f} s.")

    def _store_standings(self) -> None:
        """Rank every place among its default peers, as load_initial_data does."""
        self._log("Storing the standings of every place among its default peers.")
        started = time.monotonic()
        written = stored_standings.refresh()
        self._log(f"Stored {written:,} standings in {time.monotonic() - started:.0f} s.")

    def _log(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    # Timing ------------------------------------------------------------------------------

    def _time(self, case: Case, options: dict) -> Timing:
        self._log(f"Timing the {case.name}: {case.timed}")
        note = ""
        samples = []
        for round_number in range(options["warmup"] + options["repeat"]):
            # A cached answer would time the cache, not the comparison.
            cache.clear()
            started = time.perf_counter()
            result = case.run()
            elapsed = (time.perf_counter() - started) * 1000
            if round_number >= options["warmup"]:
                samples.append(elapsed)
            note = note or _problem(result)
        return Timing(case, statistics.median(samples), _percentile_95(samples), note)

    def _report(self, bench: dict, timings: list[Timing], options: dict) -> None:
        server = _server_settings()
        places = Place.objects.filter(slug__startswith=SLUG_PREFIX).count()
        values = Measurement.objects.filter(source__slug=SOURCE_SLUG)
        counts = values.aggregate(rows=Count("pk"), present=Count("value_canonical"))
        write = self.stdout.write

        write("")
        write(self.style.MIGRATE_HEADING(f"Benchmarks on {bench['NAME']}"))
        write(
            f"{places:,} places, {counts['rows']:,} measurements "
            f"({counts['rows'] - counts['present']:,} missing with a notation)."
        )
        write(
            f"PostgreSQL {server['server_version']} (work_mem {server['work_mem']}, "
            f"shared_buffers {server['shared_buffers']}, jit {server['jit']}); {_cores()}; "
            f"load average {os.getloadavg()[0]:.1f}."
        )
        write(
            f"Machine speed: PostgreSQL counted a million generated rows in {_calibration():.0f} "
            "ms (median of 5), to compare runs on different machines."
        )
        write(
            f"Timed runs per case: {options['repeat']}, after {options['warmup']} untimed; "
            "the cache is cleared before each run. Times in ms."
        )
        write("")
        write(f"{'':16}{'median':>9}{'p95':>9}{'target':>9}   ")
        for timing in timings:
            target = TARGETS[timing.case.name]
            met = timing.p95 < target and not timing.note
            verdict = self.style.SUCCESS("met") if met else self.style.ERROR("missed")
            write(
                f"{timing.case.name:16}{timing.median:9.1f}{timing.p95:9.1f}"
                f"{'< ' + str(target):>9}   {verdict}"
            )
        write("")
        for timing in timings:
            write(f"{timing.case.name}: {timing.case.timed}")
            if timing.note:
                write(self.style.WARNING(f"  {timing.note}"))


# The cases ---------------------------------------------------------------------------


def _cases() -> list[Case]:
    indicators = list(Indicator.objects.filter(code__in=[i.code for i in INDICATORS]))
    compared = next(i for i in indicators if i.code == INDICATORS[0].code)
    group = PeerGroup(tier=PlaceTier.LOCAL)
    size = group.places(LAST_YEAR).count()
    place = _scorecard_place()
    client = Client(raise_request_exception=False)
    page = f"/indicators/{compared.code}/?tier={PlaceTier.LOCAL}&year={LAST_YEAR}"
    # The same page with a place: its standing year by year among its default peers too.
    place_page = f"/indicators/{compared.code}/?place={place.slug}"
    return [
        Case(
            "comparison",
            f"benchmarks.peers.compare({compared.code}, {LAST_YEAR}, all {size:,} local places): "
            f"the spread and the first {RANKED_PER_PAGE} of the list, as a page asks",
            lambda: compare(compared, LAST_YEAR, group, limit=RANKED_PER_PAGE),
        ),
        _scorecard_case(place),
        Case("indicator page", f"GET {page}", lambda: client.get(page)),
        Case("page of a place", f"GET {place_page}", lambda: client.get(place_page)),
    ]


def _scorecard_place() -> Place:
    """A local place of the country with the most local places: the largest default group."""
    local = Place.objects.filter(tier=PlaceTier.LOCAL, slug__startswith=SLUG_PREFIX)
    country = (
        local.values("country").annotate(n=Count("pk")).order_by("-n", "country")[0]["country"]
    )
    return local.filter(country=country).select_related("country").order_by("pk")[0]


def _scorecard_case(place: Place) -> Case:
    peers = PeerGroup.around(place).places(LAST_YEAR).count()
    return Case(
        "scorecard",
        f"benchmarks.scorecard.scorecard({place.slug}), {peers:,} local peers in "
        f"{place.country_id}",
        lambda: scorecard(place),
    )


def _server_settings() -> dict[str, str]:
    names = ["server_version", "work_mem", "shared_buffers", "jit"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [names]
        )
        return dict(cursor.fetchall())


def _calibration() -> float:
    """Milliseconds of a fixed CPU-bound query: how fast this machine is right now."""
    samples = []
    with connection.cursor() as cursor:
        for _round in range(5):
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM generate_series(1, 1000000)")
            cursor.fetchone()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _problem(result: object) -> str:
    """What went wrong with a page answer (a status other than 200), else ''."""
    status = getattr(result, "status_code", 200)
    return f"answered HTTP {status}, not 200" if status != 200 else ""


def _percentile_95(samples: list[float]) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _cores() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    total = os.cpu_count()
    if usable and usable != total:
        return f"{usable} of {total} cores usable"
    return f"{total} cores"


# The bench database ------------------------------------------------------------------------


def _bench_config(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        raise CommandError(f"The bench database must be PostgreSQL, not {url!r}.")
    return config


def _check_django_uses(bench: dict) -> None:
    """Refuse unless Django's own connection is the bench database: the fill and the
    timings go through it."""
    ours = connection.settings_dict
    same = (
        connection.vendor == "postgresql"
        and ours["NAME"] == bench["NAME"]
        and (ours["HOST"] or "localhost") == (bench["HOST"] or "localhost")
        and str(ours["PORT"] or 5432) == str(bench["PORT"] or 5432)
    )
    if not same:
        raise CommandError(
            f"Django's database is {ours['NAME']!r}, not the bench database "
            f"{bench['NAME']!r}. Run with DATABASE_URL set to the bench database "
            "(make bench-benchmarks does)."
        )


def _maintenance_connection(bench: dict):
    """A connection to the server's ``postgres`` database, to create and drop others."""
    admin = psycopg2.connect(
        dbname="postgres",
        user=bench["USER"],
        password=bench["PASSWORD"],
        host=bench["HOST"],
        port=bench["PORT"] or None,
    )
    admin.autocommit = True
    return admin


def _marker(cursor, name: str) -> str | None:
    """The database's comment, '' without one; None when there is no such database."""
    cursor.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        "WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return None if row is None else row[0]


def _recreate_database(bench: dict) -> None:
    """Drop the bench database if this command made it, and create it empty."""
    name = bench["NAME"]
    identifier = sql.Identifier(name)
    connection.close()
    admin = _maintenance_connection(bench)
    try:
        with admin.cursor() as cursor:
            marker = _marker(cursor, name)
            if marker is not None and marker != MARKER:
                raise CommandError(
                    f"The database {name!r} exists and was not made by this command: "
                    "it is left alone. Choose another name in BENCH_DATABASE_URL."
                )
            if marker is not None:
                logger.info("dropping bench database %s", name)
                cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(identifier))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
            cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS %s").format(identifier), [MARKER])
    finally:
        admin.close()


def _is_filled(bench: dict) -> bool:
    """Whether the bench database exists, was made by this command and holds its values."""
    admin = _maintenance_connection(bench)
    try:
        with admin.cursor() as cursor:
            if _marker(cursor, bench["NAME"]) != MARKER:
                return False
    finally:
        admin.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('reference_source') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            "SELECT count(*) FROM reference_source WHERE slug = %s AND loaded_at IS NOT NULL",
            [SOURCE_SLUG],
        )
        return cursor.fetchone()[0] > 0
