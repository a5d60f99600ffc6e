"""Headless Chromium for the browser journeys: Debian's chromium, driven by Playwright.

Playwright never downloads a browser here; it is pointed at the system's Chromium
(``CHROMIUM`` or /usr/bin/chromium). Where none is installed, every browser test is
skipped with a reason that says so.
"""

import os
import shutil
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from tests.excerpt_data import lay_out_excerpts

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

# Flags that keep a headless Chromium quiet on a machine without a network or a GPU.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's chromium package (apt-get install "
        "chromium) or set CHROMIUM to run the browser tests",
        allow_module_level=True,
    )

# Playwright's synchronous API runs an event loop in this thread; the test's own ORM
# calls (loading the data) happen outside it, so Django's async guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def portal(transactional_db, live_server, tmp_path, monkeypatch) -> str:
    """The live portal's address, over excerpts of every real data set."""
    # A transactional test empties every table afterwards, the themes and role groups
    # that migrations seed included; put them back first.
    seed_themes = import_module("cset.reference.migrations.0002_seed_themes").seed_themes
    seed_themes(django_apps, None)
    seed_roles = import_module("cset.accounts.migrations.0002_role_groups").create_role_groups
    seed_roles(django_apps, None)
    call_command("load_initial_data", "--data-dir", str(lay_out_excerpts(tmp_path, monkeypatch)))
    return live_server.url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    page = context.new_page()
    yield page
    context.close()
