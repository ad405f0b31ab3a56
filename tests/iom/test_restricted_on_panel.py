"""A restricted IOM record listed at a panel: the page gives the panel's other agencies its
reference only, never the actions agreed for it, as the agenda and minutes PDFs do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from casework.core import meetings as core_meetings
from casework.extensions import db
from casework.iom import panel
from tests.helpers import marker, signed_in


def test_panel_page_hides_a_restricted_records_actions(app, factory, team):
    secret, open_secret = marker("RESTRICTEDACT"), marker("OPENACT")
    offender = factory.person(team.manager)
    restricted = factory.case(
        team.manager, kind="iom", agencies=[team.probation, team.health], people=[(offender, "offender")],
        restricted=True, members=[team.manager],
    )  # fmt: skip
    ordinary = factory.case(team.manager, kind="iom", agencies=[team.probation, team.health])
    starts = datetime.combine(date.today() + timedelta(days=7), time(10, 0), tzinfo=UTC)
    meeting = core_meetings.schedule(
        team.manager, kind=panel.MEETING_KIND, starts_at=starts, venue="Probation office",
        chair_user_id=team.manager.id, agency_ids=[team.probation.id, team.health.id],
    )  # fmt: skip
    for case, text in ((restricted, secret), (ordinary, open_secret)):
        core_meetings.list_case(team.manager, meeting, case, reason="review")
        panel.record_action(
            team.manager, meeting, case_id=case.id, agency_id=team.health.id, description=text,
            due_on=date.today() + timedelta(days=14),
        )  # fmt: skip
    db.session.commit()

    member = signed_in(app, team.manager).get(f"/iom/panel/{meeting.id}")
    assert member.status_code == 200 and secret in member.text

    page = signed_in(app, team.partner).get(f"/iom/panel/{meeting.id}")
    assert page.status_code == 200
    assert open_secret in page.text and restricted.reference in page.text
    assert secret not in page.text
