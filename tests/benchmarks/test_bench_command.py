"""``manage.py bench_benchmarks`` with tiny sizes, end to end, on a throwaway PostgreSQL
database made and dropped here; and its refusals to touch any other database."""

import os
import subprocess
import sys

import environ
import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from psycopg2 import sql

from benchmarks.management.bench_data import INDICATORS

DATABASE_URL = os.environ.get("DATABASE_URL", "")

needs_postgres = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://")),
    reason="the bench command needs PostgreSQL: set DATABASE_URL to a PostgreSQL database",
)


def _url_of(name: str) -> str:
    """The URL of database ``name`` on the server of DATABASE_URL."""
    return DATABASE_URL.rsplit("/", 1)[0] + "/" + name


def _server():
    config = environ.Env.db_url_config(DATABASE_URL)
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or None,
    )
    admin.autocommit = True
    return admin


def _drop(name: str) -> None:
    admin = _server()
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        admin.close()


@pytest.fixture
def throwaway():
    """The name of a database that does not exist yet, dropped after the test."""
    base = environ.Env.db_url_config(DATABASE_URL)["NAME"]
    name = f"{base}_bench_test_{os.getpid()}"[:63]
    _drop(name)
    yield name
    _drop(name)


def _run(name: str, *arguments: str, bench_url: str | None = None):
    environment = {
        **os.environ,
        "DATABASE_URL": _url_of(name),
        "BENCH_DATABASE_URL": bench_url or _url_of(name),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "bench_benchmarks", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _query(name: str, query: str):
    config = environ.Env.db_url_config(_url_of(name))
    database = psycopg2.connect(
        dbname=name,
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or None,
    )
    try:
        with database.cursor() as cursor:
            cursor.execute(query)
            rows = cursor.fetchall()
        database.commit()
        return rows
    finally:
        database.close()


@needs_postgres
def test_fills_the_bench_database_and_reports_every_timing(throwaway):
    arguments = ("--places", "50", "--indicators", "2", "--years", "2", "--repeat", "1")

    result = _run(throwaway, *arguments, "--warmup", "0")

    assert result.returncode == 0, result.stderr
    for line in ("comparison", "scorecard", "indicator page", "page of a place", "?place="):
        assert line in result.stdout
    for target in ("< 200", "< 150", "< 300"):
        assert target in result.stdout
    # Every case gets a verdict (timings themselves are not tested: they depend on the load).
    verdicts = [line.split()[-1] for line in result.stdout.splitlines() if "< " in line]
    assert len(verdicts) == 4 and set(verdicts) <= {"met", "missed"}
    assert "cores" in result.stdout
    assert "50 places, 200 measurements" in result.stdout

    # Two indicators × two years for every place; values inside the real quantiles' range,
    # or missing with a notation, never both.
    rows = _query(
        throwaway,
        "SELECT i.code, count(*), count(m.value_canonical), min(m.value_canonical), "
        "max(m.value_canonical), count(*) FILTER (WHERE (m.value IS NULL) = (m.notation = '')) "
        "FROM benchmarks_measurement m JOIN benchmarks_indicator i ON i.id = m.indicator_id "
        "GROUP BY i.code ORDER BY i.code",
    )
    limits = {indicator.code: indicator.quantiles for indicator in INDICATORS[:2]}
    assert [row[0] for row in rows] == sorted(limits)
    for code, total, present, low, high, inconsistent in rows:
        assert total == 100
        assert present > 80
        assert limits[code][0] <= low <= high <= limits[code][-1]
        assert inconsistent == 0
    assert (
        _query(throwaway, "SELECT count(*) FROM reference_place WHERE population IS NULL")[0][0]
        == _query(
            throwaway,
            "SELECT count(*) FROM benchmarks_measurement m JOIN benchmarks_indicator i "
            "ON i.id = m.indicator_id WHERE i.code = 'population' AND m.year = 2020 "
            "AND m.value IS NULL",
        )[0][0]
    )

    # A second run makes the database again rather than adding to it.
    again = _run(throwaway, *arguments, "--warmup", "0")
    assert again.returncode == 0, again.stderr
    assert _query(throwaway, "SELECT count(*) FROM reference_place") == [(50,)]


@needs_postgres
def test_refuses_a_database_it_did_not_make(throwaway):
    admin = _server()
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(throwaway)))
    finally:
        admin.close()
    _query(throwaway, "CREATE TABLE precious (id int); INSERT INTO precious VALUES (1) RETURNING 1")

    result = _run(throwaway, "--places", "5")

    assert result.returncode != 0
    assert "was not made by this command" in result.stderr
    assert _query(throwaway, "SELECT count(*) FROM precious") == [(1,)]


def test_refuses_when_django_uses_another_database():
    # Django's connection here is the test database (SQLite or PostgreSQL), not the bench's.
    bench_url = "postgres://postgres@127.0.0.1:5432/cset_bench_elsewhere"

    with pytest.raises(CommandError, match="not the bench database"):
        call_command("bench_benchmarks", database_url=bench_url)


def test_refuses_a_bench_database_that_is_not_postgresql():
    with pytest.raises(CommandError, match="must be PostgreSQL"):
        call_command("bench_benchmarks", database_url="sqlite:////tmp/bench.sqlite3")
