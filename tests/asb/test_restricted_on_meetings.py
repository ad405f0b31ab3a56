"""A restricted case listed on a meeting: the meeting's other agencies see its reference only,
never the actions agreed for it (ASB meetings, and IOM panels likewise)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from casework.asb import meetings as asb_meetings
from casework.core import meetings as core_meetings
from casework.extensions import db
from tests.asb.conftest import log
from tests.helpers import audit_events, csrf_token, marker, signed_in


def _meeting(user, kind: str, agencies):
    starts = datetime.combine(date.today() + timedelta(days=7), time(10, 0), tzinfo=UTC)
    agency_ids = [a.id for a in agencies]
    meeting = core_meetings.schedule(
        user, kind=kind, starts_at=starts, venue="Civic Centre", chair_user_id=user.id, agency_ids=agency_ids
    )
    db.session.commit()
    return meeting


def test_asb_meeting_hides_a_restricted_cases_actions(app, factory, team):
    secret, open_secret = marker("RESTRICTEDACT"), marker("OPENACT")
    victim = factory.person(team.officer)
    restricted = factory.case(
        team.officer, kind="asb", agencies=[team.council, team.housing], people=[(victim, "victim")],
        restricted=True, members=[team.officer],
    )  # fmt: skip
    ordinary = factory.case(team.officer, kind="asb", agencies=[team.council, team.housing])
    meeting = _meeting(team.officer, asb_meetings.MEETING_KIND, [team.council, team.housing])
    for case, text in ((restricted, secret), (ordinary, open_secret)):
        asb_meetings.list_case(team.officer, meeting, case.id)
        asb_meetings.record_action(
            team.officer, meeting, case_id=case.id, agency_id=team.housing.id, description=text,
            due_on=date.today() + timedelta(days=14),
        )  # fmt: skip
    db.session.commit()

    member = signed_in(app, team.officer).get(f"/asb/meetings/{meeting.id}")
    assert member.status_code == 200 and secret in member.text and open_secret in member.text

    page = signed_in(app, team.partner).get(f"/asb/meetings/{meeting.id}")
    assert page.status_code == 200
    assert open_secret in page.text
    assert secret not in page.text
    # The view is recorded for the people the reader was shown, not those of the restricted case.
    (event,) = [e for e in audit_events("asb.meeting.view") if e.actor_user_id == team.partner.id]
    assert victim.id not in event.data["person_ids"]


def test_meeting_access_opens_a_case_for_research_not_for_changes(app, factory, team):
    """An ASB officer whose agency is only on the distribution list of a meeting the case is
    listed at may read the case, but not close it or otherwise change it."""
    _incident, asb = log(team.officer, factory.person(team.officer), date.today() - timedelta(days=1))
    case = asb.case
    meeting = _meeting(team.officer, asb_meetings.MEETING_KIND, [team.council, team.police])
    asb_meetings.list_case(team.officer, meeting, case.id)
    db.session.commit()

    client = signed_in(app, team.police_officer)
    assert client.get(f"/asb/cases/{case.id}").status_code == 200  # research
    assert client.get(f"/asb/cases/{case.id}/close").status_code == 403
    token = csrf_token(client.get(f"/asb/cases/{case.id}").text)
    resp = client.post(
        f"/asb/cases/{case.id}/close",
        data={
            "csrf_token": token,
            "closed_on-day": "1",
            "closed_on-month": "1",
            "closed_on-year": "2026",
            "reason": "x",
        },
    )
    assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(type(case), case.id).closed_on is None

    # The case's own agency still may.
    assert signed_in(app, team.officer).get(f"/asb/cases/{case.id}/close").status_code == 200
