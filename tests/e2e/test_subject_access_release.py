"""Subject access in a real browser: the DPO logs a request, approves the pack and downloads
it with the button (a form post); the request shows as released."""

from __future__ import annotations

import zipfile
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from .helpers import fill_date, login_as

pytestmark = pytest.mark.e2e


def test_dpo_logs_approves_and_downloads_a_pack(page: Page, live_server, tmp_path):
    with live_server.seed() as f:
        dpo = f.user("dpo")
        idva = f.user("idva")
        person = f.person(idva, given_names="Vera", surname="Victim", dob=date(1980, 5, 6))
        reference = person.reference

    login_as(page, dpo)
    page.goto("/governance/sars/new")
    form = page.locator("main form").last
    form.get_by_label("Person reference").fill(reference)
    fill_date(page, "Date the request was received", date.today(), scope=form)
    form.get_by_label("Requester", exact=True).fill("The person themselves")
    form.get_by_label("Made under").select_option("uk_gdpr")
    form.get_by_label("The requester's identity has been checked").check()
    form.get_by_label("How the identity was checked").fill("Passport seen")
    form.get_by_role("button").last.click()
    page.get_by_role("button", name="Approve the pack for release").click()
    expect(page.get_by_role("status").first).to_be_visible()

    sar_url = page.url
    button = page.get_by_role("button", name="Download the pack to send (PDF and JSON, ZIP)")
    expect(button).to_be_visible()
    with page.expect_download() as info:
        button.focus()
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.startswith("subject-access-") and download.suggested_filename.endswith(".zip")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as z:
        assert sorted(n.rsplit(".", 1)[1] for n in z.namelist()) == ["json", "pdf"]
    page.goto(sar_url)
    expect(page.locator("dl.summary").first).to_contain_text("Pack released")
    expect(page.get_by_role("button", name="Download the pack to send (PDF and JSON, ZIP)")).to_have_count(0)
