"""The chair runs a MARAC meeting from the running order, in a real browser: one screen per
case with the summary, all research and outstanding actions, minutes and actions recorded
without leaving the page, and next / previous case. Agencies answer research as "no trace"
or "information held", and are asked before any text they typed is removed."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .helpers import fill_date, login_as, logout

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("CASEWORK_SCREENSHOTS", "/tmp/casework-screens"))


def _seed(live_server):
    from casework.core import actions
    from casework.core import meetings as core_meetings
    from casework.core.models import AgendaItem
    from casework.extensions import db
    from casework.marac import dash, referrals

    with live_server.seed() as f:
        idva_service = f.agency("idva_service", code="IDVA", name="IDVA Service")
        housing = f.agency("housing", code="HOUS", name="Homes Trust")
        police = f.agency("police", code="POL", name="Police")
        csp = f.agency("other", code="CSP", name="Partnership")
        idva = f.user("idva", agency=idva_service)
        coordinator = f.user("marac_coordinator", agency=csp)
        housing_rep = f.user("marac_rep", agency=housing)
        meeting = core_meetings.schedule(
            coordinator,
            kind="marac",
            starts_at=datetime.combine(date.today() + timedelta(days=20), time(10), tzinfo=UTC),
            venue="Civic Centre",
            chair_user_id=coordinator.id,
            agency_ids=[idva_service.id, housing.id, police.id],
        )
        earlier = core_meetings.schedule(
            coordinator,
            kind="marac",
            starts_at=datetime.combine(date.today() + timedelta(days=1), time(10), tzinfo=UTC),
            venue="Civic Centre",
            chair_user_id=coordinator.id,
            agency_ids=[housing.id],
        )
        refs = []
        for given, surname in (("Robin", "Ashdown"), ("Sam", "Birchwood")):
            victim = f.person(idva, given_names=given, surname=surname, dob=date(1990, 3, 4))
            perp = f.person(idva, given_names="Morgan", surname=f"Perp{surname}", dob=date(1988, 1, 2))
            answers = {
                c: {"answer": "yes" if i < 16 else "no", "note": None} for i, c in enumerate(dash.checklist().codes)
            }
            assessment = dash.record_assessment(idva, victim, completed_on=date.today(), answers=answers)
            ref = referrals.create_referral(
                idva,
                victim,
                {
                    "referral_date": date.today(),
                    "referrer_name": "Indira Referrer",
                    "dash_id": assessment.id,
                    "victim_aware": "yes",
                    "consent": "yes",
                },
                perpetrators=[referrals.PersonLink(perp.id, "Ex-partner")],
                children=[],
            )
            referrals.decide(coordinator, ref, accept=True, reason=None, version=ref.version_id)
            core_meetings.list_case(coordinator, meeting, ref.case, reason="new")
            refs.append(ref)
        # An action agreed at an earlier meeting, still open, on the first case.
        earlier_item = AgendaItem(case=refs[0].case, position=1, reason="new")
        earlier.items.append(earlier_item)
        db.session.flush()
        actions.create_action(
            coordinator,
            refs[0].case,
            meeting=earlier,
            agency_id=housing.id,
            description="Check the tenancy for a sole-name transfer",
            due_on=date.today() + timedelta(days=5),
        )
        earlier.starts_at = datetime.combine(date.today() - timedelta(days=14), time(10), tzinfo=UTC)
        earlier.status = "held"
        references = [r.case.reference for r in refs]
    return {
        "coordinator": coordinator,
        "housing_rep": housing_rep,
        "meeting_id": meeting.id,
        "references": references,
    }


def test_housing_records_research_and_is_asked_before_text_is_removed(page: Page, live_server):
    s = _seed(live_server)
    first = s["references"][0]
    login_as(page, s["housing_rep"])
    # "My work" chases the research not done yet.
    chase = page.get_by_role("region", name="MARAC research your agency has not done yet")
    expect(chase.get_by_role("link", name=first)).to_be_visible()
    chase.get_by_role("link", name=first).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Research for {first}")

    page.get_by_label("No trace").check()
    page.get_by_label("Findings").fill("Tenancy in the victim's sole name since 2021.")
    page.get_by_role("button", name="Save research").click()
    warning = page.get_by_role("alert").filter(has_text='You chose "No trace" but entered information')
    expect(warning).to_be_visible()
    expect(page.get_by_label("Findings")).to_have_value("Tenancy in the victim's sole name since 2021.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "research-confirm.png"), full_page=True)
    page.get_by_role("button", name="No, keep the text as information held").click()
    expect(page.get_by_role("status")).to_contain_text("information held")

    page.goto("/")
    expect(page.get_by_role("region", name="MARAC research your agency has not done yet")).not_to_contain_text(first)
    logout(page)


def test_chair_runs_the_meeting_from_the_running_order(page: Page, live_server):
    s = _seed(live_server)
    first, second = s["references"]
    # Housing researches the first case before the meeting.
    login_as(page, s["housing_rep"])
    page.goto(f"/marac/meetings/{s['meeting_id']}")
    page.get_by_role("link", name=f"Research for {first}").click()
    page.get_by_label("Information held").check()
    page.get_by_label("Findings").fill("Tenancy in the victim's sole name since 2021.")
    page.get_by_label("Risks identified").fill("Perpetrator still has keys.")
    page.get_by_role("button", name="Save research").click()
    expect(page.get_by_role("status")).to_contain_text("information held")
    logout(page)

    login_as(page, s["coordinator"])
    page.goto(f"/marac/meetings/{s['meeting_id']}")
    page.get_by_role("link", name="Run the meeting: running order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first)
    expect(page.get_by_text("Case 1 of 2")).to_be_visible()
    summary = page.get_by_role("region", name="Case summary")
    expect(summary).to_contain_text("Robin ASHDOWN")
    expect(summary).to_contain_text("Morgan PERPASHDOWN")
    expect(summary).to_contain_text("Score 16, high risk")
    expect(summary).to_contain_text("IDVA Service")
    research = page.get_by_role("region", name="Research received")
    expect(research.get_by_role("row").filter(has_text="Homes Trust")).to_contain_text("Perpetrator still has keys.")
    expect(research.get_by_role("row").filter(has_text="Police")).to_contain_text("Not received")
    outstanding = page.get_by_role("region", name="Outstanding actions from earlier meetings")
    expect(outstanding).to_contain_text("Check the tenancy for a sole-name transfer")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "running-order.png"), full_page=True)

    # Minutes and outcome, then an action: the page stays on this case.
    page.get_by_label("Discussion").fill("Housing to arrange a sole-name tenancy and new locks.")
    page.locator("#outcome").select_option("actions_agreed")
    page.get_by_role("button", name="Save minutes").click()
    expect(page.get_by_role("status")).to_contain_text("Minutes saved")
    expect(page.get_by_role("heading", level=1)).to_contain_text(first)
    expect(page.get_by_label("Discussion")).to_have_value("Housing to arrange a sole-name tenancy and new locks.")

    page.get_by_role("button", name="Add action").click()  # nothing entered: errors on this page
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text("Describe the action")
    expect(page.get_by_role("heading", level=1)).to_contain_text(first)
    page.get_by_label("Owning agency").select_option(label="Homes Trust")
    page.get_by_label("Action", exact=True).fill("Fit new locks and a door viewer")
    fill_date(page, "Deadline", date.today() + timedelta(days=35))
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("status")).to_contain_text("Action recorded")
    agreed = page.get_by_role("region", name="Actions agreed at this meeting")
    expect(agreed).to_contain_text("Fit new locks and a door viewer")
    expect(page.get_by_role("navigation", name="Running order")).to_contain_text("Heard")

    # Next case, by keyboard; then back.
    page.get_by_role("link", name=f"Next case: {second}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(second)
    expect(page.get_by_text("Case 2 of 2")).to_be_visible()
    expect(page.get_by_role("region", name="Case summary")).to_contain_text("Sam BIRCHWOOD")
    expect(page.get_by_text("Robin ASHDOWN")).to_have_count(0)
    expect(page.get_by_role("link", name="Last case heard: back to the meeting")).to_be_visible()
    page.get_by_role("navigation", name="Previous and next case").get_by_role("link", name="Previous case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first)
    logout(page)

    # A representative cannot open the running order.
    login_as(page, s["housing_rep"])
    resp = page.goto(f"/marac/meetings/{s['meeting_id']}/running-order/1")
    assert resp is not None and resp.status in (403, 404)
    expect(page.get_by_text("Robin ASHDOWN")).to_have_count(0)
