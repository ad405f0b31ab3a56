"""Every MARAC list and meeting page runs the same number of SQL statements with three
cases as with nine: nothing is loaded one row at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.core import meetings as core_meetings
from casework.core.models import CaseParticipant
from casework.extensions import db
from casework.marac import meetings, referrals
from tests.helpers import item_action, signed_in
from tests.integration.test_query_counts import count_statements

from .conftest import make_referral, record_dash, schedule


def _add_cases(marac, factory, meeting, n: int) -> None:
    """n more cases listed on the meeting, each with a DASH, a perpetrator, a child,
    research from housing and an action for police."""
    for _ in range(n):
        victim = factory.person(marac.idva)
        perpetrator = factory.person(marac.idva)
        child = factory.person(marac.idva)
        ref = make_referral(
            marac.idva, victim, dash_assessment=record_dash(marac.idva, victim, 15), perpetrators=[perpetrator]
        )
        db.session.add(CaseParticipant(case_id=ref.case_id, person_id=child.id, role="child"))
        referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
        item = core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
        db.session.commit()
        meetings.record_research(marac.housing_rep, item, no_trace=False, findings="Tenancy", risks=None, withheld=None)
        item_action(
            marac.coordinator,
            item,
            agency_id=marac.police.id,
            description="Check bail",
            due_on=meeting.starts_at.date() + timedelta(days=7),
        )
        db.session.commit()


PAGES = [
    ("coordinator", "/marac/"),
    ("coordinator", "/marac/cases"),
    ("coordinator", "/marac/cases?status=listed"),
    ("coordinator", "/marac/actions"),
    ("coordinator", "/marac/meetings"),
    ("coordinator", "/marac/meetings/{meeting}"),
    ("coordinator", "/marac/meetings/{meeting}/agenda"),
    ("coordinator", "/marac/meetings/{meeting}/agenda.pdf"),
    ("coordinator", "/marac/meetings/{meeting}/running-order/1"),
    ("coordinator", "/"),
    ("housing_rep", "/marac/cases"),
    ("housing_rep", "/marac/actions"),
    ("housing_rep", "/marac/meetings/{meeting}/agenda"),
    ("police_rep", "/"),
    ("idva", "/marac/"),
    ("idva", "/"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_statement_count_does_not_grow_with_rows(app, marac, factory, who, url):
    meeting = schedule(marac.coordinator, days_ahead=10, agencies=[marac.housing, marac.police])
    url = url.format(meeting=meeting.id)
    client = signed_in(app, getattr(marac, who))
    _add_cases(marac, factory, meeting, 3)

    def statements() -> int:
        client.get(url)  # warm up
        with count_statements() as seen:
            resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        return len(seen)

    few = statements()
    _add_cases(marac, factory, meeting, 6)
    assert statements() == few
