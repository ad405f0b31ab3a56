"""A restricted case listed on a meeting: the meeting's other agencies see its reference only,
never the actions agreed for it (ASB meetings, and IOM panels likewise)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from casework.asb import meetings as asb_meetings
from casework.core import meetings as core_meetings
from casework.extensions import db
from tests.helpers import audit_events, marker, signed_in


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
