"""IOM panel meetings on the shared meeting mechanism (``core/meetings.py``; domain-notes §4:
"Nominations and removals are agreed at a multi-agency panel").

The agenda lists every nomination waiting for a decision ("new") and every offender
due for review ("review"): a pathway review past its date, or a release from custody
expected before the panel plus four weeks. Decisions are recorded on the offender's
page against the meeting, and actions through the shared action mechanism.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..core import actions, audit, cases
from ..core import meetings as core_meetings
from ..core.models import Action, Case, Meeting, User
from ..core.services import ServiceError
from ..extensions import db
from .models import Nomination, Offender, PathwayNeed

MEETING_KIND = "iom_panel"
RELEASE_HORIZON_DAYS = 28


def due_for_review(meeting: Meeting) -> list[int]:
    """Case ids of open IOM cases due for review at this panel (see module doc)."""
    day = meeting.starts_at.date()
    overdue = sa.select(PathwayNeed.case_id).where(PathwayNeed.review_due_on <= day)
    releasing = sa.select(Offender.case_id).where(
        Offender.supervision == "custody",
        Offender.expected_release_on <= day + timedelta(days=RELEASE_HORIZON_DAYS),
    )
    return sorted(
        set(
            db.session.scalars(
                sa.select(Case.id).where(Case.closed_on.is_(None), sa.or_(Case.id.in_(overdue), Case.id.in_(releasing)))
            )
        )
    )


def build_agenda(user: User, meeting: Meeting) -> int:
    """List the nominations to decide and the offenders due for review; returns how many were added."""
    nominated = list(
        db.session.scalars(
            sa.select(Nomination.case_id).where(Nomination.status == "open").order_by(Nomination.nominated_on)
        )
    )
    added = 0
    for case_ids, reason in ((nominated, "new"), (due_for_review(meeting), "review")):
        for case_id in case_ids:
            case = db.session.get(Case, case_id)
            try:
                with db.session.begin_nested():
                    core_meetings.list_case(user, meeting, case, reason=reason)
                added += 1
            except ServiceError:
                continue  # already listed, or not listable: leave it
    audit.record(
        "iom.meeting.build_agenda",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=cases.person_ids_of_cases([i.case_id for i in core_meetings.active_items(meeting)]),
        purpose="iom_panel",
        details={"added": added},
    )
    return added


def record_action(
    user: User, meeting: Meeting, *, case_id: int | None, agency_id: int | None, description: str, due_on
) -> Action:
    """An action agreed at the panel for one listed case."""
    listed = {i.case_id for i in core_meetings.active_items(meeting)}
    if case_id not in listed:
        raise ServiceError("Choose a case on this agenda", "case_id")
    case = cases.load_case(user, case_id, kind="iom", log=False)
    return actions.create_action(
        user, case, agency_id=agency_id, description=description, due_on=due_on, meeting=meeting
    )
