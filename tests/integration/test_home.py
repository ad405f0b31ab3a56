"""Home page "My work": open actions, plan reviews and meetings for the signed-in user."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from casework.core import actions as core_actions
from casework.core.models import Action, Meeting, MeetingAgency, Plan
from casework.core.types import utcnow
from casework.extensions import db
from casework.home import services as home
from tests.helpers import marker, signed_in


def _section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert match, heading_id
    return match.group(1)


def _row_for(section: str, text: str) -> str:
    rows = [r for r in re.findall(r"<tr.*?</tr>", section, re.S) if text in r]
    assert len(rows) == 1, text
    return rows[0]


@pytest.fixture
def work(app, factory):
    today = date.today()
    m = marker()
    agency = factory.agency("idva_service")
    user = factory.user("idva", agency=agency)
    colleague = factory.user("idva", agency=agency)
    elsewhere = factory.agency("housing")
    case = factory.case(user)
    # A restricted case in which the user is not named, although their agency is involved.
    outsider = factory.user("idva")
    hidden_case = factory.case(outsider, agencies=[agency], restricted=True)

    def action(description, *, case_id=case.id, agency_id=agency.id, user_id=None, due=0, status="open"):
        db.session.add(
            Action(
                case_id=case_id,
                assigned_agency_id=agency_id,
                assigned_user_id=user_id,
                description=description,
                due_on=today + timedelta(days=due),
                status=status,
            )
        )

    action("OVERDUE-MINE", user_id=user.id, due=-2)
    action("AGENCY-UNASSIGNED", due=5)
    action("COLLEAGUE-ONLY", user_id=colleague.id, due=1)
    action("ALREADY-DONE", user_id=user.id, due=-5, status="done")
    action("OTHER-AGENCY", agency_id=elsewhere.id, due=1)
    action(f"{m}-HIDDEN-CASE-MINE", case_id=hidden_case.id, user_id=user.id, due=-1)
    action(f"{m}-HIDDEN-CASE-AGENCY", case_id=hidden_case.id, due=-1)

    def plan(title, *, case_id=case.id, owner=user.id, review=5, active=True):
        db.session.add(
            Plan(
                case_id=case_id,
                kind="safety",
                title=title,
                owner_user_id=owner,
                review_due_on=today + timedelta(days=review),
                is_active=active,
            )
        )

    plan("PLAN-DUE-SOON", review=5)
    plan("PLAN-OVERDUE", review=-3)
    plan("PLAN-LATER", review=30)
    plan("PLAN-COLLEAGUE", owner=colleague.id, review=1)
    plan("PLAN-INACTIVE", review=1, active=False)
    plan(f"{m}-PLAN-HIDDEN", case_id=hidden_case.id, review=1)

    now = utcnow()

    def meeting(venue, *, kind="marac", days=3, chair=None, circulate=(), status="scheduled"):
        mt = Meeting(kind=kind, starts_at=now + timedelta(days=days), venue=venue, chair_user_id=chair, status=status)
        mt.agency_links = [MeetingAgency(agency_id=a.id) for a in circulate]
        db.session.add(mt)

    meeting("VENUE-CHAIRED", chair=user.id, days=4)
    meeting("VENUE-CIRCULATED", circulate=[agency], days=2)
    meeting("VENUE-NOT-CIRCULATED", circulate=[elsewhere])
    meeting("VENUE-CANCELLED", circulate=[agency], status="cancelled")
    meeting("VENUE-PAST", circulate=[agency], days=-2)
    meeting("VENUE-IOM", kind="iom_panel", circulate=[agency])
    db.session.commit()
    return {"user": user, "marker": m, "today": today}


def test_my_work_page(app, work):
    resp = signed_in(app, work["user"]).get("/")
    assert resp.status_code == 200
    html = resp.text
    m = work["marker"]
    assert m not in html  # nothing from the case the user cannot see

    actions = _section(html, "actions-h")
    assert "1 overdue" in actions
    assert "OVERDUE-MINE" in actions and "AGENCY-UNASSIGNED" in actions
    for absent in ("COLLEAGUE-ONLY", "ALREADY-DONE", "OTHER-AGENCY"):
        assert absent not in actions, absent
    overdue_row = _row_for(actions, "OVERDUE-MINE")
    assert 'class="overdue"' in overdue_row and "Overdue" in overdue_row
    upcoming_row = _row_for(actions, "AGENCY-UNASSIGNED")
    assert "Overdue" not in upcoming_row and "overdue" not in upcoming_row
    assert actions.index("OVERDUE-MINE") < actions.index("AGENCY-UNASSIGNED")  # soonest due first

    plans = _section(html, "plans-h")
    assert "PLAN-DUE-SOON" in plans and "PLAN-OVERDUE" in plans
    for absent in ("PLAN-LATER", "PLAN-COLLEAGUE", "PLAN-INACTIVE"):
        assert absent not in plans, absent
    overdue_plan = next(li for li in re.findall(r"<li>.*?</li>", plans, re.S) if "PLAN-OVERDUE" in li)
    assert "was due" in overdue_plan and "Overdue" in overdue_plan
    soon_plan = next(li for li in re.findall(r"<li>.*?</li>", plans, re.S) if "PLAN-DUE-SOON" in li)
    assert "Overdue" not in soon_plan

    meetings = _section(html, "meetings-h")
    assert "VENUE-CHAIRED" in meetings and "VENUE-CIRCULATED" in meetings
    assert meetings.index("VENUE-CIRCULATED") < meetings.index("VENUE-CHAIRED")
    for absent in ("VENUE-NOT-CIRCULATED", "VENUE-CANCELLED", "VENUE-PAST", "VENUE-IOM"):
        assert absent not in meetings, absent


def test_my_work_service(app, work):
    result = home.my_work(work["user"], work["today"])
    assert [a.description for a in result.actions] == ["OVERDUE-MINE", "AGENCY-UNASSIGNED"]
    assert result.overdue_count == 1
    assert [p.title for p in result.plan_reviews] == ["PLAN-OVERDUE", "PLAN-DUE-SOON"]
    assert [mt.venue for mt in result.meetings] == ["VENUE-CIRCULATED", "VENUE-CHAIRED"]


def test_empty_my_work(app, factory):
    resp = signed_in(app, factory.user("analyst")).get("/")
    assert resp.status_code == 200
    assert "You have no open actions." in resp.text
    assert "No plan reviews due" in resp.text
    assert "No upcoming meetings." in resp.text


def test_overdue_count_covers_actions_beyond_the_list(app, factory, monkeypatch):
    """ "My work" lists the 50 soonest open actions; the overdue figure counts all of them."""
    today = date.today()
    agency = factory.agency("idva_service")
    user = factory.user("idva", agency=agency)
    case = factory.case(user)
    for i in range(53):  # 52 overdue (27 of them past the list), then one due later
        db.session.add(
            Action(
                case_id=case.id,
                assigned_agency_id=agency.id,
                assigned_user_id=user.id,
                description=f"ACTION-{i:02d}",
                due_on=today + timedelta(days=-60 + i if i < 52 else 3),
                status="open",
            )
        )
    db.session.commit()

    result = home.my_work(user, today)
    assert len(result.actions) == 25 and result.more_actions
    assert (result.overdue_count, result.overdue_capped) == (52, False)

    actions = _section(signed_in(app, user).get("/").text, "actions-h")
    assert "52 overdue" in actions and "more than" not in actions
    assert "The 25 due soonest are listed" in actions
    assert "ACTION-24" in actions and "ACTION-25" not in actions

    # Past the cap the figure says "more than".
    monkeypatch.setattr(core_actions, "OVERDUE_CAP", 51)
    result = home.my_work(user, today)
    assert (result.overdue_count, result.overdue_capped) == (51, True)
    assert "more than 51 overdue" in _section(signed_in(app, user).get("/").text, "actions-h")


def test_overdue_count_when_every_open_action_is_listed(app, work):
    result = home.my_work(work["user"], work["today"])
    assert not result.more_actions
    html = _section(signed_in(app, work["user"]).get("/").text, "actions-h")
    assert "due soonest are listed" not in html
