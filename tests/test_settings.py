import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _start_django(then: str = "", **environment) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in environment}
    env.update({key: value for key, value in environment.items() if value is not None})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {then}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "cset.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


SITE = "https://portal.example.org"


def test_production_without_secret_key_stops_with_a_clear_message():
    result = _start_django(
        DEBUG="false", SECRET_KEY=None, ALLOWED_HOSTS="portal.example.org", SITE_URL=SITE
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_without_hosts_stops_with_a_clear_message():
    result = _start_django(DEBUG="false", SECRET_KEY="s" * 50, ALLOWED_HOSTS=None, SITE_URL=SITE)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_without_its_public_address_stops_with_a_clear_message():
    # Password-reset and verification links would otherwise point at 127.0.0.1.
    result = _start_django(
        DEBUG="false", SECRET_KEY="s" * 50, ALLOWED_HOSTS="portal.example.org", SITE_URL=None
    )

    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_production_with_every_required_value_starts():
    result = _start_django(
        DEBUG="false", SECRET_KEY="s" * 50, ALLOWED_HOSTS="portal.example.org", SITE_URL=SITE
    )

    assert result.returncode == 0, result.stderr


def test_a_fresh_clone_starts_without_any_setting():
    result = _start_django(
        DEBUG=None, SECRET_KEY=None, ALLOWED_HOSTS=None, DATABASE_URL=None, SITE_URL=None
    )

    assert result.returncode == 0, result.stderr


def test_mailed_links_of_a_development_server_name_its_port():
    # make run PORT=8123 serves there; a verification link to port 8000 would be dead.
    show = "from django.conf import settings; print(settings.SITE_URL)"

    on_8123 = _start_django(show, DEBUG="true", SITE_URL=None, PORT="8123")
    by_default = _start_django(show, DEBUG="true", SITE_URL=None, PORT=None)

    assert on_8123.stdout.strip() == "http://127.0.0.1:8123"
    assert by_default.stdout.strip() == "http://127.0.0.1:8000"
