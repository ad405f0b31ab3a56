"""ASB Case Review in a real browser: record an application that meets the threshold and see
the threshold check and the decision deadline counted in working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from casework.asb.models import Incident, IncidentType, IncidentVictim
from casework.core import workdays
from casework.extensions import db

from .helpers import fill_date, login_as

pytestmark = pytest.mark.e2e

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{page.url}: {v['id']}: {v['help']}" for v in results.response["violations"]]


def test_record_a_case_review_that_meets_the_threshold(page: Page, live_server):
    today = date.today()
    with live_server.seed() as f:
        council = f.agency("council_asb", code="ASBC", name="Northshire Council ASB")
        officer = f.user("asb_officer", agency=council)
        victim = f.person(officer, given_names="Vera", surname="Marsh")
        case = f.case(officer, kind="asb", people=[(victim, "victim")])
        kind = db.session.scalars(sa.select(IncidentType).order_by(IncidentType.sort_order)).first()
        for days_ago in (60, 30, 2):
            on = today - timedelta(days=days_ago)
            incident = Incident(
                case_id=case.id,
                occurred_at=datetime.combine(on, time(22), tzinfo=UTC),
                occurred_on=on,
                reported_on=on,
                category=kind.category,
                type_code=kind.code,
                description="Loud music and shouting",
            )
            db.session.add(incident)
            db.session.flush()
            incident.victims.append(IncidentVictim(person_id=victim.id, occurred_on=on, event_key=-incident.id))
    with live_server.app.app_context():
        decision_due = workdays.add_working_days(today, live_server.app.config["ASB_CASE_REVIEW_DECISION_WORKING_DAYS"])

    login_as(page, officer)
    page.goto(f"/asb/cases/{case.id}/case-reviews/new")
    problems = _violations(page)
    form = page.locator("main")
    fill_date(page, "Date the application was received", today, scope=form)
    form.get_by_label("The victim", exact=True).check()
    form.get_by_label("Applicant's name").fill("Vera Marsh")
    form.get_by_label("Victim the application is about").select_option(label="Vera MARSH")
    form.get_by_label("Give their views for the meeting", exact=False).check()
    form.get_by_label("Applicant's single point of contact").select_option(str(officer.id))
    form.get_by_role("button", name="Record the application").click()

    expect(page.get_by_role("status").first).to_contain_text("Case Review application recorded")
    expect(page.get_by_role("heading", name="Threshold check")).to_be_visible()
    expect(page.locator("main")).to_contain_text("3 of the 3 complaints needed")
    row = page.locator("#deadline-decision")
    expect(row).to_contain_text("Decide whether the threshold is met")
    expect(row).to_contain_text(f"{decision_due.day} {decision_due:%b %Y}")
    expect(row).to_contain_text("15 working days left")
    problems += _violations(page)
    page.goto("/asb/case-reviews/figures")
    expect(page.get_by_role("heading", name="ASB Case Review figures")).to_be_visible()
    problems += _violations(page)
    assert problems == []
