"""The ASB incident list by keyboard: open it from the ASB pages, narrow it to the last 7 days
and to hate-motivated incidents, with no WCAG violations."""

from __future__ import annotations

import os
from datetime import date, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from casework.asb import incidents
from casework.asb.common import asb_case_for

from .helpers import login_as
from .test_accessibility import _violations

pytestmark = pytest.mark.e2e


def _incident(officer, victim, days_ago: int, location: str, asb=None, **extra):
    on = date.today() - timedelta(days=days_ago)
    data = incidents.IncidentData(
        occurred_on=on, occurred_time=time(21, 30), reported_on=on, category="nuisance", type_code="noise",
        description="Loud music", victim_ids=[victim.id], perpetrator_unknown=True, location=location, **extra,
    )  # fmt: skip
    return incidents.log_incident(officer, data, asb=asb)


def test_incident_list_by_keyboard(page: Page, live_server):
    with live_server.seed() as f:
        council = f.agency("council_asb", code="ASB", name="Council ASB Team")
        officer = f.user("asb_officer", agency=council)
        victim = f.person(officer, given_names="Maureen", surname="Talbot", dob=date(1948, 2, 3))
        first = _incident(officer, victim, 20, "Car park behind Elm Court")
        _incident(officer, victim, 2, "Stairwell, Elm Court", is_hate=True, hate_characteristic="race")
        _incident(officer, victim, 1, "Elm Court", asb=asb_case_for(first.case))  # the same case

    login_as(page, officer)
    page.goto("/asb/")
    page.get_by_role("link", name="Incidents", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("ASB incidents")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Elm Court")

    page.get_by_label("Happened in").focus()
    page.get_by_label("Happened in").select_option("7")
    page.get_by_label("Hate-motivated incidents only").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Filter").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Stairwell, Elm Court")
    expect(rows.first).to_contain_text("Hate-motivated")
    assert _violations(page) == []
    shots = os.environ.get("CASEWORK_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/asb-incidents.png", full_page=True)
