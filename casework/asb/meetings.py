"""ASB multi-agency meetings on the shared meeting mechanism (issue 11 item 6; ``core/meetings.py``):
schedule, list cases, minutes per case, attendance and actions agreed for a listed case."""

from __future__ import annotations

from datetime import date

from ..core import actions, audit, cases
from ..core import meetings as core_meetings
from ..core.models import Action, Meeting, User
from ..core.services import ServiceError
from .common import KIND

MEETING_KIND = "asb_mam"
PURPOSE = "asb_case_review"


def list_case(user: User, meeting: Meeting, case_id: int | None, *, reason: str = "new"):
    """Put an open ASB case the user may see on the meeting's agenda."""
    if case_id is None:
        raise ServiceError("Choose the case to list", "case_id")
    case = cases.load_case(user, case_id, kind=KIND, log=False)
    item = core_meetings.list_case(user, meeting, case, reason=reason)
    audit.record(
        "asb.meeting.list_case",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=cases.person_ids_of(case),
        purpose=PURPOSE,
        details={"case_id": case.id},
    )
    return item


def record_action(
    user: User, meeting: Meeting, *, case_id: int | None, agency_id: int | None, description: str, due_on: date | None
) -> Action:
    """An action agreed at the meeting for one listed case (the shared action mechanism)."""
    listed = {i.case_id for i in core_meetings.active_items(meeting)}
    if case_id not in listed:
        raise ServiceError("Choose a case on this agenda", "case_id")
    case = cases.load_case(user, case_id, kind=KIND, log=False)
    return actions.create_action(
        user, case, agency_id=agency_id, description=description, due_on=due_on, meeting=meeting
    )
