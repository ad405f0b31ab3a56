"""Notifications in a real browser: the header count, the list, following an entry, marking read."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from .helpers import fill_date, login_as, logout

pytestmark = pytest.mark.e2e


def test_header_count_and_list(page: Page, live_server):
    with live_server.seed() as f:
        police = f.agency("police", code="POL", name="Northshire Police")
        probation = f.agency("probation", code="PROB", name="Probation Service")
        officer = f.user("iom_officer", agency=police)
        manager = f.user("iom_manager", agency=probation)
        person = f.person(officer, given_names="Kyle", surname="Benson", dob=date(1991, 3, 4))

    login_as(page, officer)
    page.goto(f"/people/{person.id}")
    page.get_by_role("link", name="Nominate to IOM").click()
    fill_date(page, "Date of nomination", date.today())
    page.get_by_label("Reasons for the nomination").fill("Five dwelling burglaries in six months")
    page.get_by_label("Proposed strand").select_option("fixed")
    page.get_by_label("Category").select_option("ppo")
    page.get_by_role("button", name="Nominate").click()
    expect(page.get_by_role("status").first).to_contain_text("Nomination recorded")
    case_url = page.url
    logout(page)

    login_as(page, manager)
    link = page.locator("a.notification-count")
    expect(link).to_contain_text("Notifications 1 unread")
    link.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    entry = page.get_by_role("link", name="An IOM nomination is waiting for the next panel")
    expect(entry).to_be_visible()
    entry.click()
    expect(page).to_have_url(case_url)
    page.goto("/notifications/")
    page.get_by_role("button", name="Mark as read").click()
    expect(page.get_by_role("status").first).to_contain_text("Marked as read")
    expect(page.locator("a.notification-count")).to_have_text("Notifications")
