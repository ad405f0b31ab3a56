"""ASB in a real browser: log three incidents for a victim, see the repeat flag, assess high risk,
start a support plan, then (time moved on past the 6-week review date) see the review overdue."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import Page, expect

from .helpers import fill_date, login_as, logout

pytestmark = pytest.mark.e2e


def _log_incident(page: Page, day: date, *, first: bool = False) -> None:
    form = page.locator("main")
    if first:
        form.get_by_label("Open a new ASB case").check()
    fill_date(page, "Date of the incident", day, scope=form)
    fill_date(page, "Date first reported", day, scope=form)
    form.get_by_label("Category").select_option("personal")
    form.get_by_label("Type of incident").select_option("harassment")
    form.get_by_label("What happened").fill("Shouting through the letterbox")
    form.get_by_label("The perpetrator is not known").check()
    form.get_by_role("button", name="Log the incident").click()
    expect(page.get_by_role("status").first).to_contain_text("Incident logged")


def test_asb_repeat_victim_to_overdue_review(page: Page, live_server):
    with live_server.seed() as f:
        council = f.agency("council_asb", code="ASB", name="Council ASB Team")
        officer = f.user("asb_officer", agency=council)
        person = f.person(officer, given_names="Maureen", surname="Talbot", dob=date(1948, 2, 3))
    today = date.today()

    login_as(page, officer)
    page.goto(f"/people/{person.id}")
    page.get_by_role("link", name="Log an ASB incident").click()
    _log_incident(page, today - timedelta(days=60), first=True)
    case_url = page.url
    expect(page.locator("h1")).not_to_contain_text("Repeat victim")
    for days_ago in (30, 2):
        page.get_by_role("link", name="Log an incident").click()
        _log_incident(page, today - timedelta(days=days_ago))
    expect(page.locator("h1")).to_contain_text("Repeat victim")
    page.goto("/asb/repeat-victims")
    expect(page.get_by_role("cell", name="Maureen TALBOT")).to_be_visible()

    page.goto(case_url)
    page.get_by_role("link", name="Assess risk").click()
    form = page.locator("main")
    for group in form.get_by_role("group").all():
        yes = group.get_by_label("Yes", exact=True)
        if yes.count():
            yes.check()
    form.get_by_role("button", name="Score the assessment").click()
    expect(page.get_by_role("status").first).to_contain_text("Risk assessed: high")
    page.get_by_role("link", name="start one now").click()
    page.locator("main").get_by_role("button", name="Start the plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Support plan started")
    expect(page.locator("main")).not_to_contain_text("Review overdue")
    logout(page)

    # Six weeks and a day later the review has not been done: overdue on the case and the team list.
    later = datetime.now() + timedelta(days=43)
    with time_machine.travel(later, tick=True):
        login_as(page, officer)
        page.goto(case_url)
        expect(page.locator("main")).to_contain_text("Review overdue")
        page.goto("/asb/team")
        expect(page.locator("main")).to_contain_text("Support plan reviews overdue")
        expect(page.get_by_role("link", name="Review the plan")).to_be_visible()
        logout(page)
