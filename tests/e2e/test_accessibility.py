"""Automated WCAG 2.1 AA checks (axe-core) on the pages people use most. Keyboard use and
labels are exercised by the other browser tests; this catches contrast, landmarks, ARIA."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import login_as, logout

pytestmark = pytest.mark.e2e

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def _listed_referral(idva, coordinator, person, agencies):
    from casework.core import meetings as core_meetings
    from casework.marac import dash, referrals

    answers = {c: {"answer": "yes" if i < 15 else "no", "note": None} for i, c in enumerate(dash.checklist().codes)}
    assessment = dash.record_assessment(idva, person, completed_on=date.today(), answers=answers)
    ref = referrals.create_referral(
        idva,
        person,
        {
            "referral_date": date.today(),
            "referrer_name": "R",
            "dash_id": assessment.id,
            "victim_aware": "yes",
            "consent": "yes",
        },
        perpetrators=[],
        children=[],
    )
    referrals.decide(coordinator, ref, accept=True, reason=None, version=ref.version_id)
    meeting = core_meetings.schedule(
        coordinator,
        kind="marac",
        starts_at=datetime.combine(date.today() + timedelta(days=20), time(10), tzinfo=UTC),
        venue="Hall",
        chair_user_id=coordinator.id,
        agency_ids=[a.id for a in agencies],
    )
    item = core_meetings.list_case(coordinator, meeting, ref.case, reason="new")
    return ref, meeting, item


def test_key_pages_have_no_wcag_violations(page: Page, live_server):
    with live_server.seed() as f:
        idva_service = f.agency("idva_service", code="IDVA", name="IDVA Service")
        housing = f.agency("housing", code="HOUS", name="Homes")
        idva = f.user("idva", agency=idva_service)
        coordinator = f.user("marac_coordinator", agency=f.agency("other", code="CSP", name="CSP"))
        housing_rep = f.user("marac_rep", agency=housing)
        person = f.person(idva, given_names="Ada", surname="Access", dob=date(1990, 1, 1))
        ref, meeting, item = _listed_referral(idva, coordinator, person, [idva_service, housing])
        waiting = f.person(idva, given_names="Wren", surname="Waiting", dob=date(1991, 2, 2))
        from casework.marac import referrals

        submitted = referrals.create_referral(
            idva,
            waiting,
            {
                "referral_date": date.today(),
                "referrer_name": "R",
                "victim_aware": "yes",
                "consent": "yes",
                "judgement_reason": "Escalating",
                "crit_professional_judgement": True,
            },
            perpetrators=[],
            children=[],
        )
    assert housing.id
    problems: list[str] = []
    page.goto("/login")
    problems += _violations(page)
    login_as(page, idva)
    for url in (
        "/",
        "/people/",
        "/people/new",
        f"/people/{person.id}",
        f"/marac/people/{person.id}/dash/new",
        f"/marac/referrals/new/{person.id}",
        "/account/password",
    ):
        page.goto(url)
        problems += _violations(page)
    # A form with errors: the error summary and field messages must be accessible too.
    page.goto("/people/new")
    page.get_by_role("button", name="Save person").click()
    problems += _violations(page)
    # The compact DASH form with an error on every question, and the help page.
    page.goto(f"/marac/people/{person.id}/dash/new")
    page.get_by_role("button", name="Save assessment").click()
    problems += _violations(page)
    page.get_by_role("link", name="Help").click()
    problems += _violations(page)
    logout(page)
    login_as(page, coordinator)
    for url in (
        "/marac/",
        "/marac/cases",
        f"/marac/cases/{ref.case_id}",
        f"/marac/cases/{submitted.case_id}",  # with the decision form and its meeting choice
        "/marac/meetings/new",
        f"/marac/meetings/{meeting.id}",
        f"/marac/meetings/{meeting.id}/agenda",
        f"/marac/agenda-items/{item.id}/minutes",
        f"/marac/meetings/{meeting.id}/running-order/1",
        "/marac/actions",
        "/reports/marac/quarterly",
    ):
        page.goto(url)
        problems += _violations(page)
    # The confirmation steps before removing a case from the agenda and cancelling a meeting.
    page.goto(f"/marac/meetings/{meeting.id}")
    page.locator("summary", has_text="Move or remove").first.click()
    page.get_by_label("Reason for removing").first.fill("Listed twice")
    page.get_by_role("button", name="Remove", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Are you sure you want to remove")
    problems += _violations(page)
    page.get_by_role("link", name="Cancel").click()
    page.locator("summary", has_text="Cancel this meeting").click()
    page.get_by_label("Reason for cancelling").fill("Room flooded")
    page.get_by_role("button", name="Cancel the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Are you sure you want to cancel the meeting")
    problems += _violations(page)
    page.goto("/help")
    problems += _violations(page)
    # The running order with errors on its action form, and an agency's research form,
    # including the "no trace" confirmation step.
    page.goto(f"/marac/meetings/{meeting.id}/running-order/1")
    page.get_by_role("button", name="Add action").click()
    problems += _violations(page)
    logout(page)
    login_as(page, housing_rep)
    page.goto(f"/marac/agenda-items/{item.id}/research")
    problems += _violations(page)
    page.get_by_label("No trace").check()
    page.get_by_label("Findings").fill("Some text")
    page.get_by_role("button", name="Save research").click()
    problems += _violations(page)
    assert problems == []
