"""A submitter and a curator take a case from sign-up to publication, in headless Chromium."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from cset.accounts.services import make_curator
from tests.browser.support import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-and-unusual-passphrase-17"
TITLE = "Solardächer auf allen Schulen"
# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def sign_in(page, portal: str, email: str) -> None:
    page.goto(portal + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def the_link_in_the_last_mail() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def a_curator(email: str):
    user = get_user_model().objects.create_user(username="curator", email=email)
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    make_curator(user)
    return user


def test_a_case_goes_from_sign_up_to_publication(portal, browser, settings, tmp_path):
    settings.SITE_URL = portal
    submitter = browser.new_context(locale="en-GB").new_page()
    curator = browser.new_context(locale="en-GB").new_page()
    a_curator("curator@example.org")

    # Sign up and verify the address by the mailed link.
    submitter.goto(portal + "/accounts/signup/")
    submitter.get_by_label("Email", exact=True).fill("ana@example.org")
    submitter.get_by_label("Password", exact=True).fill(PASSWORD)
    submitter.get_by_label("Password (again)").fill(PASSWORD)
    submitter.get_by_role("button", name="Sign up").click()
    submitter.goto(the_link_in_the_last_mail())
    submitter.get_by_role("button", name="Confirm").click()
    sign_in(submitter, portal, "ana@example.org")

    # Write a case with an impact row and submit it.
    submitter.goto(portal + "/submit/new/")
    assert serious_accessibility_violations(submitter) == []
    submitter.get_by_label(re.compile(r"^Title")).fill(TITLE)
    submitter.get_by_label("Summary").fill("Photovoltaik auf 40 Schuldächern.")
    submitter.locator("#id_impacts-0-metric").fill("Electricity generated")
    submitter.locator("#id_impacts-0-value").fill("1200")
    submitter.locator("#id_impacts-0-unit").select_option("MWh")
    submitter.locator("#id_impacts-0-basis").select_option("achieved")
    picture = tmp_path / "schuldach.png"
    picture.write_bytes(PNG)
    submitter.get_by_label("Attach a document or picture").set_input_files(str(picture))
    screenshot(submitter, "submit-form")
    submitter.get_by_role("button", name="Save and submit").click()
    expect(submitter.get_by_text("Submitted").first).to_be_visible()

    # The curator takes it into review and asks for changes.
    sign_in(curator, portal, "curator@example.org")
    curator.goto(portal + "/review/")
    assert serious_accessibility_violations(curator) == []
    curator.get_by_role("link", name=TITLE).click()
    curator.get_by_role("button", name="Start review").click()
    curator.get_by_label("What should change (required)").fill("Bitte die Kosten nennen.")
    curator.get_by_role("button", name="Request changes").click()
    screenshot(curator, "review-page")

    # The submitter answers and resubmits.
    submitter.goto(portal + "/submit/")
    expect(submitter.get_by_text("Bitte die Kosten nennen.")).to_be_visible()
    submitter.get_by_role("link", name=re.compile("Edit")).first.click()
    submitter.get_by_label("Costs and financing").fill("310.000 Euro, davon 40 % Förderung.")
    submitter.get_by_label("Your answer to the curators").fill("Kosten ergänzt.")
    submitter.get_by_role("button", name="Save and resubmit").click()

    # The curator publishes it.
    curator.goto(portal + "/review/")
    curator.get_by_role("link", name=TITLE).click()
    curator.get_by_role("button", name="Start review").click()
    curator.get_by_role("button", name="Publish").click()
    expect(curator.get_by_text(re.compile("published", re.IGNORECASE)).first).to_be_visible()

    # Anyone finds it in the list and by search.
    visitor = browser.new_context(locale="en-GB").new_page()
    visitor.goto(portal + "/practices/?q=solardacher")
    visitor.get_by_role("link", name=TITLE).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(visitor.get_by_text("310.000 Euro")).to_be_visible()
    expect(visitor.get_by_role("link", name=re.compile("schuldach"))).to_be_visible()
