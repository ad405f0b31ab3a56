"""A whole MARAC cycle in a real browser, each step by the person who does it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from .helpers import fill_date, login_as, logout

pytestmark = pytest.mark.e2e


def test_marac_cycle(page: Page, live_server):
    with live_server.seed() as f:
        police = f.agency("police", code="POL", name="Police")
        idva_service = f.agency("idva_service", code="IDVA", name="IDVA Service")
        housing = f.agency("housing", code="HOUS", name="Homes Trust")
        csp = f.agency("other", code="CSP", name="Partnership")
        idva = f.user("idva", agency=idva_service)
        coordinator = f.user("marac_coordinator", agency=csp)
        housing_rep = f.user("marac_rep", agency=housing)
        victim = f.person(idva, given_names="Robin", surname="Ashdown", dob=date(1992, 7, 14))
    assert police.id and csp.id

    # 1. The IDVA records a DASH with 15 "yes" answers, then refers the victim.
    login_as(page, idva)
    page.goto(f"/people/{victim.id}")
    page.get_by_role("link", name="Record a DASH assessment").click()
    fill_date(page, "Date completed", date.today())
    for i, group in enumerate(page.locator("ol.dash-questions > li").all()):
        group.get_by_label("Yes" if i < 15 else "No", exact=True).check()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("status")).to_contain_text("score 15, high risk")

    page.goto(f"/people/{victim.id}")
    page.get_by_role("link", name="Refer to MARAC").click()
    fill_date(page, "Referral date", date.today())
    page.get_by_label("DASH risk assessment").select_option(index=1)
    page.locator("#victim_aware").get_by_label("Yes").check()
    page.locator("#consent").get_by_label("Yes").check()
    page.locator("#safe_to_call").get_by_label("No").check()
    page.get_by_label("Perpetrator's given names").fill("Morgan")
    page.get_by_label("Perpetrator's surname").fill("Blackthorn")
    page.get_by_label("Relationship to the victim").fill("Ex-partner")
    page.get_by_role("button", name="Submit referral").click()
    expect(page.get_by_role("status").first).to_contain_text("submitted to the MARAC coordinator")
    reference = re.search(r"MARAC-\d{4}-\d{4}", page.get_by_role("heading", level=1).inner_text()).group(0)
    case_url = page.url
    logout(page)

    # 2. The coordinator schedules a meeting, accepts the referral (listed automatically) and opens the agenda.
    login_as(page, coordinator)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="MARAC", exact=True).click()
    page.get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name="Schedule a meeting").click()
    fill_date(page, "Date", date.today() + timedelta(days=21))
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Venue").fill("Civic Centre")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_role("status")).to_contain_text("Meeting scheduled")
    expect(page.get_by_role("heading", level=1)).to_contain_text("10:00")  # local time, as entered
    meeting_url = page.url

    page.goto(case_url)
    page.locator("#decision").get_by_label("Accept for MARAC").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".notice").filter(has_text="Listed for the meeting")).to_be_visible()

    page.goto(meeting_url)
    page.get_by_role("link", name="Agenda (print)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("MARAC agenda")
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Robin ASHDOWN")
    expect(row).to_contain_text("DASH 15")
    logout(page)

    # 3. The housing representative researches the case: by name (the default disclosure policy).
    login_as(page, housing_rep)
    page.goto(meeting_url)
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Robin ASHDOWN")
    page.get_by_role("link", name=f"Research for {reference}").click()
    page.get_by_label("Information held").check()
    page.get_by_label("Findings").fill("Tenancy in victim's sole name since 2021.")
    page.get_by_role("button", name="Save research").click()
    expect(page.get_by_role("status")).to_contain_text("Research for")
    logout(page)

    # 4. The coordinator records minutes and an action for housing.
    login_as(page, coordinator)
    page.goto(meeting_url)
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("1 of 4")
    page.get_by_role("link", name=f"Minutes and actions for {reference}").click()
    page.get_by_label("Discussion").fill("Housing to secure the property.")
    page.get_by_label("Outcome").select_option("actions_agreed")
    page.get_by_role("button", name="Save minutes").click()
    expect(page.get_by_role("status")).to_contain_text("Minutes saved")
    page.get_by_label("Owning agency").select_option(label="Homes Trust")
    page.get_by_label("Action", exact=True).fill("Fit new locks and a door viewer")
    fill_date(page, "Deadline", date.today() + timedelta(days=35))
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("status")).to_contain_text("Action recorded")
    logout(page)

    # 5. The housing representative marks the action done.
    login_as(page, housing_rep)
    expect(page.get_by_role("cell", name="Fit new locks and a door viewer")).to_be_visible()  # on "My work"
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="MARAC", exact=True).click()
    page.get_by_role("link", name="Actions").click()
    page.get_by_role("link", name="Fit new locks and a door viewer").click()
    page.get_by_label("Status").select_option("done")
    page.get_by_label("Update").fill("Locks fitted.")
    page.get_by_role("button", name="Save update").click()
    expect(page.get_by_role("status")).to_contain_text("Action updated")
    expect(page.get_by_role("row").filter(has_text="Fit new locks")).to_contain_text("Done")
