"""The IOM cohort lifecycle in a real browser: nominate, adopt at panel, assess pathways, log a
contact and an offence, deselect, view the measure."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from .helpers import fill_date, login_as, logout

pytestmark = pytest.mark.e2e


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("IOM_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_iom_cycle(page: Page, live_server):
    with live_server.seed() as f:
        police = f.agency("police", code="POL", name="Northshire Police")
        probation = f.agency("probation", code="PROB", name="Probation Service")
        officer = f.user("iom_officer", agency=police)
        manager = f.user("iom_manager", agency=probation)
        person = f.person(officer, given_names="Kyle", surname="Benson", dob=date(1991, 3, 4))
    assert probation.id
    today = date.today()

    # 1. The police IOM officer nominates from the person record, then adds a conviction.
    login_as(page, officer)
    page.goto(f"/people/{person.id}")
    page.get_by_role("link", name="Nominate to IOM").click()
    fill_date(page, "Date of nomination", today)
    page.get_by_label("Reasons for the nomination").fill("Five dwelling burglaries in six months")
    page.get_by_label("Proposed strand").select_option("fixed")
    page.get_by_label("Category").select_option("ppo")
    page.get_by_role("button", name="Nominate").click()
    expect(page.get_by_role("status").first).to_contain_text("Nomination recorded")
    case_url = page.url

    page.get_by_role("link", name="Add an arrest, charge or conviction").click()
    offence = page.locator("main")
    offence.get_by_label("Type").select_option("conviction")
    fill_date(page, "Date", date.today() - timedelta(days=30), scope=offence)
    offence.get_by_label("Offence category").select_option(label="Burglary (dwelling) (gravity 6)")
    offence.get_by_role("button", name="Add to the record").click()
    expect(page.get_by_role("status").first).to_contain_text("Offence recorded")
    logout(page)

    # 2. The IOM manager adopts at the panel; a missing lead officer is refused first.
    login_as(page, manager)
    page.goto(case_url)
    page.get_by_role("link", name="Panel decision").click()
    decision = page.locator("main")
    fill_date(page, "Date of the decision", today, scope=decision)
    decision.get_by_label("Management tier").select_option("red")
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose the lead officer")
    decision.get_by_label("Lead officer").select_option(str(officer.id))
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status").first).to_contain_text("Panel decision recorded")
    expect(page.locator("dl.summary")).to_contain_text("On the cohort")
    logout(page)

    # 3. The officer assesses a pathway and logs a home visit.
    login_as(page, officer)
    page.goto(case_url)
    page.get_by_role("link", name="Assess a pathway").click()
    pathway = page.locator("main")
    pathway.get_by_label("Pathway").select_option("accommodation")
    pathway.get_by_label("Level of need").select_option("high")
    pathway.get_by_label("RAG status").select_option("red")
    fill_date(page, "Review date", date.today() + timedelta(days=28), scope=pathway)
    pathway.get_by_label("Details").fill("No fixed abode since release")
    pathway.get_by_role("button", name="Save the assessment").click()
    expect(page.get_by_role("status").first).to_contain_text("Pathway assessment recorded")

    page.get_by_role("link", name="Log a contact").click()
    contact = page.locator("main")
    fill_date(page, "Date of contact", today, scope=contact)
    contact.get_by_label("Type of contact").select_option("home_visit")
    contact.get_by_label("Outcome").select_option("engaged")
    contact.get_by_role("button", name="Log the contact").click()
    expect(page.get_by_role("status").first).to_contain_text("Contact recorded")
    expect(page.get_by_text("No fixed abode since release")).to_be_visible()
    _shot(page, "iom-offender")
    page.goto("/iom/")
    expect(page.get_by_role("cell", name="Kyle BENSON")).to_be_visible()
    _shot(page, "iom-cohort")
    logout(page)

    # 4. The manager deselects with a reason and exit plan, then views the measure.
    login_as(page, manager)
    page.goto(case_url)
    page.get_by_role("link", name="Deselect from the cohort").click()
    deselect = page.locator("main")
    fill_date(page, "Date of deselection", today, scope=deselect)
    deselect.get_by_label("Reason", exact=True).select_option("moved_out")
    deselect.get_by_label("Exit plan").fill("Transfer to the receiving area's IOM team")
    deselect.get_by_role("button", name="Deselect").click()
    expect(page.get_by_role("status").first).to_contain_text("Deselected from the cohort")
    page.get_by_role("link", name="IOM measure").click()
    expect(page.get_by_role("heading", level=1, name="Reoffending measure")).to_be_visible()
    page.get_by_label("Period", exact=True).select_option("custom")
    fill_date(page, "Start date", today)
    fill_date(page, "End date", today)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("dl.summary").first).to_contain_text("Offenders")
    _shot(page, "iom-measure")


def test_iom_pages_have_no_wcag_violations(page: Page, live_server):
    from casework.iom import nominations

    from .test_accessibility import _violations

    with live_server.seed() as f:
        police = f.agency("police", code="POL", name="Northshire Police")
        probation = f.agency("probation", code="PROB", name="Probation Service")
        officer = f.user("iom_officer", agency=police)
        manager = f.user("iom_manager", agency=probation)
        person = f.person(officer, given_names="Ada", surname="Access", dob=date(1990, 1, 1))
        nomination = nominations.nominate(
            officer,
            person,
            {"nominated_on": date.today(), "reasons": "Test", "proposed_strand": "fixed", "category": "ppo"},
        )
        case_id = nomination.case_id
    login_as(page, manager)
    problems: list[str] = []
    for url in (
        "/iom/",
        "/iom/nominations",
        "/iom/caseloads",
        f"/iom/cases/{case_id}",
        f"/iom/cases/{case_id}/decision",
        f"/iom/cases/{case_id}/pathways",
        "/iom/measure",
        "/iom/panel",
        "/iom/settings",
        "/iom/settings/scoring",
    ):
        page.goto(url)
        problems += [f"{url}: {p}" for p in _violations(page)]
    # A form with errors: the error summary and the field messages.
    page.goto(f"/iom/cases/{case_id}/contacts")
    page.get_by_role("button", name="Log the contact").click()
    expect(page.locator(".error-summary")).to_be_visible()
    problems += [f"contact errors: {p}" for p in _violations(page)]
    assert problems == []
