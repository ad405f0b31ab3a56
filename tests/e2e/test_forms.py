"""GOV.UK form patterns in a real browser: the error summary, its links, dates and the character count."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import fill_date, login_as
from .test_accessibility import WCAG

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("CASEWORK_SCREENSHOTS")


def _shot(page: Page, name: str, locator=None) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        (locator or page).screenshot(path=os.path.join(SHOTS, name), **({} if locator else {"full_page": True}))


def test_referral_errors_all_at_once_with_a_linked_summary(page: Page, live_server):
    with live_server.seed() as f:
        idva = f.user("idva", agency=f.agency("idva_service", code="IDVA", name="IDVA Service"))
        victim = f.person(idva, given_names="Erin", surname="Errors", dob=date(1990, 1, 1))
    login_as(page, idva)
    page.goto(f"/marac/referrals/new/{victim.id}")
    page.get_by_label("Referrer's name").fill("")
    group = page.get_by_role("group", name="Perpetrator's date of birth")
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("2")
    group.get_by_label("Year").fill("1985")
    page.get_by_label("Reason for referral").fill("x" * 4005)
    page.get_by_role("button", name="Submit referral").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    for message in (
        "Enter the referrer's name",
        "Select whether the victim is aware of the referral",
        "Select whether the victim has consented to information sharing",
        "Select whether it is safe to call the victim",
        "Perpetrator's date of birth must be a real date",
        "Reason for referral must be 4,000 characters or fewer",
        "Select the MARAC criterion that applies",
    ):
        expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(page.get_by_text("You have 5 characters too many")).to_be_visible()
    _shot(page, "referral-errors.png")
    _shot(page, "date-input-error.png", page.locator(".form-group").filter(has=group).first)

    # A summary link takes keyboard focus to the field it names.
    summary.get_by_role("link", name="Perpetrator's date of birth must be a real date").click()
    expect(group.get_by_label("Day")).to_be_focused()
    summary.get_by_role("link", name="Enter the referrer's name").click()
    expect(page.get_by_label("Referrer's name")).to_be_focused()

    # The character count follows typing.
    page.get_by_label("Reason for referral").fill("x" * 3990)
    expect(page.get_by_text("You have 10 characters remaining")).to_be_visible()

    violations = Axe().run(page, options=WCAG).response["violations"]
    assert [v["id"] for v in violations] == []


def test_date_input_round_trip(page: Page, live_server):
    with live_server.seed() as f:
        idva = f.user("idva", agency=f.agency("idva_service", code="IDVA", name="IDVA Service"))
    login_as(page, idva)
    page.goto("/people/new")
    page.get_by_label("Surname").fill("Datewood")
    fill_date(page, "Date of birth", date(2007, 3, 27))
    group = page.get_by_role("group", name="Date of birth")
    _shot(page, "date-input.png", page.locator(".form-group").filter(has=group))
    page.get_by_role("button", name="Save person").click()
    expect(page.get_by_role("status")).to_contain_text("created")
    expect(page.get_by_text("27 Mar 2007")).to_be_visible()


def test_meeting_time_the_clocks_skip_is_explained(page: Page, live_server):
    with live_server.seed() as f:
        coordinator = f.user("marac_coordinator", agency=f.agency("other", code="CSP", name="Partnership"))
    login_as(page, coordinator)
    page.goto("/marac/meetings/new")
    day = date(date.today().year + 1, 3, 31)
    spring_forward = day - timedelta(days=(day.weekday() + 1) % 7)  # last Sunday in March
    fill_date(page, "Date", spring_forward)
    page.get_by_label("Start time").fill("01:30")
    page.get_by_label("Venue").fill("Civic Centre")
    page.get_by_role("button", name="Schedule meeting").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("does not exist that day")
    _shot(page, "meeting-time-error.png", page.locator("main"))
    page.get_by_label("Start time").fill("10:00")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_role("status")).to_contain_text("Meeting scheduled")
    expect(page.get_by_role("heading", level=1)).to_contain_text("10:00")
