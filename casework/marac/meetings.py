"""MARAC meetings: scheduling, cut-off, listing cases, research, attendance and minutes.

Meetings are held every 2-4 weeks and hear about 16 cases on average
(SafeLives). A referral is listed on the first meeting whose cut-off it
meets; the cut-off is a configurable number of working days before the
meeting (MARAC_CUTOFF_WORKING_DAYS; weekends skipped, bank holidays not).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from ..core import audit, cases
from ..core.access import AccessDenied, can_view_case, visible_case_clause
from ..core.models import Action, AgendaItem, Attendance, Case, Meeting, MeetingAgency, User
from ..core.services import ServiceError, check_version
from ..core.types import utcnow
from ..extensions import db
from .models import Referral, ResearchResponse

OUTCOMES = {
    "actions_agreed": "Actions agreed",
    "no_further_action": "No further action",
    "deferred": "Deferred to next meeting",
    "transferred": "Transferred to another MARAC",
}
LISTING_REASONS = {"new": "New referral", "repeat": "Repeat", "urgent": "Urgent", "transfer_in": "Transfer in"}


def subtract_working_days(day: date, n: int) -> date:
    while n > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def cutoff_date(meeting: Meeting) -> date:
    return subtract_working_days(meeting.starts_at.date(), current_app.config["MARAC_CUTOFF_WORKING_DAYS"])


def schedule(
    user: User, *, starts_at: datetime, venue: str, chair_user_id: int | None, agency_ids: Iterable[int]
) -> Meeting:
    if starts_at < utcnow() - timedelta(days=1):
        raise ServiceError("A new meeting cannot be in the past", "starts_at")
    agency_ids = set(agency_ids)
    if not agency_ids:
        raise ServiceError("Choose the agencies the agenda is circulated to", "agency_ids")
    meeting = Meeting(
        kind="marac", starts_at=starts_at, venue=venue, chair_user_id=chair_user_id, created_by_id=user.id
    )
    meeting.agency_links = [MeetingAgency(agency_id=a) for a in sorted(agency_ids)]
    db.session.add(meeting)
    db.session.flush()
    audit.record("marac.meeting_scheduled", object_type="meeting", object_id=meeting.id)
    return meeting


def update_distribution(user: User, meeting: Meeting, agency_ids: set[int], version: int | None) -> None:
    check_version(meeting, version)
    if not agency_ids:
        raise ServiceError("Choose the agencies the agenda is circulated to", "agency_ids")
    meeting.agency_links = [link for link in meeting.agency_links if link.agency_id in agency_ids] + [
        MeetingAgency(agency_id=a) for a in sorted(agency_ids - meeting.agency_ids)
    ]
    meeting.updated_at = utcnow()  # bumps the version: the list is part of the meeting
    db.session.flush()
    audit.record("marac.meeting_updated", object_type="meeting", object_id=meeting.id)


def next_meeting_for(ready_on: date) -> Meeting | None:
    """The first scheduled MARAC meeting whose cut-off is on or after ``ready_on``."""
    candidates = db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.kind == "marac", Meeting.status == "scheduled", Meeting.starts_at >= utcnow())
        .order_by(Meeting.starts_at)
        .limit(20)
    )
    for meeting in candidates:
        if cutoff_date(meeting) >= ready_on:
            return meeting
    return None


def active_items(meeting: Meeting) -> list[AgendaItem]:
    return sorted((i for i in meeting.items if i.removed_reason is None), key=lambda i: i.position)


def list_case(user: User, meeting: Meeting, case: Case, *, reason: str, urgent: bool = False) -> AgendaItem:
    """Put a case on a meeting's agenda. Listing shares it with the meeting's agencies."""
    if meeting.status != "scheduled":
        raise ServiceError("Cases can only be listed on a scheduled meeting")
    if case.kind != "marac" or not case.is_open:
        raise ServiceError("Only open MARAC cases can be listed")
    existing = db.session.scalar(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == case.id)
    )
    if existing is not None and existing.removed_reason is None:
        raise ServiceError(f"{case.reference} is already listed on this meeting", "case_id")
    referral = db.session.scalar(sa.select(Referral).where(Referral.case_id == case.id))
    if referral is None or referral.status not in ("accepted", "listed", "heard"):
        raise ServiceError("Only accepted referrals can be listed")
    if not urgent and cutoff_date(meeting) < referral.referral_date:
        raise ServiceError("This referral missed the meeting's cut-off: list it as urgent or on a later meeting")
    position = 1 + max((i.position for i in active_items(meeting)), default=0)
    if existing is not None:
        existing.removed_reason = None
        existing.position = position
        existing.reason = "urgent" if urgent else reason
        item = existing
    else:
        item = AgendaItem(case=case, position=position, reason="urgent" if urgent else reason)
        meeting.items.append(item)
    referral.status = "listed"
    case.status = "listed"
    db.session.flush()
    audit.record("marac.case_listed", object_type="meeting", object_id=meeting.id, details={"case_id": case.id})
    return item


def listing_reason(referral: Referral) -> str:
    if referral.transfer_in:
        return "transfer_in"
    if referral.is_repeat:
        return "repeat"
    return "new"


def auto_list(user: User, referral: Referral) -> AgendaItem | None:
    """List an accepted referral on the next meeting whose cut-off it meets, if one is scheduled."""
    meeting = next_meeting_for(referral.referral_date)
    if meeting is None:
        return None
    return list_case(user, meeting, referral.case, reason=listing_reason(referral))


def _editable(user: User, item: AgendaItem) -> None:
    """Agenda changes: a listed (not removed) case, on a meeting still to be held, that the
    coordinator can see (a restricted case is changed only by its named members)."""
    if item.removed_reason is not None:
        raise ServiceError("This case is no longer on the agenda")
    if item.meeting.status != "scheduled":
        raise ServiceError("The agenda of a meeting that has been held or cancelled cannot change")
    if not can_view_case(user, item.case):
        raise AccessDenied("case", item.case_id)


def move_item(user: User, item: AgendaItem, direction: int) -> None:
    _editable(user, item)
    items = active_items(item.meeting)
    index = items.index(item)
    other = index + direction
    if 0 <= other < len(items):
        items[index].position, items[other].position = items[other].position, items[index].position
        item.meeting.updated_at = utcnow()  # bumps the meeting's version: the order is part of it
        db.session.flush()


def remove_item(user: User, item: AgendaItem, reason: str) -> None:
    _editable(user, item)
    if not reason.strip():
        raise ServiceError("Give the reason for removing the case", "reason")
    item.removed_reason = reason
    still_listed = db.session.scalar(
        sa.select(
            sa.exists().where(
                AgendaItem.case_id == item.case_id, AgendaItem.id != item.id, AgendaItem.removed_reason.is_(None)
            )
        )
    )
    referral = db.session.scalar(sa.select(Referral).where(Referral.case_id == item.case_id))
    if referral is not None and referral.status == "listed" and not still_listed:
        referral.status = "accepted"
        item.case.status = "accepted"
    db.session.flush()
    audit.record(
        "marac.case_unlisted", object_type="meeting", object_id=item.meeting_id, details={"case_id": item.case_id}
    )


def move_to_meeting(user: User, item: AgendaItem, target: Meeting) -> AgendaItem:
    if target.id == item.meeting_id:
        raise ServiceError("Choose a different meeting", "meeting_id")
    case = item.case
    remove_item(user, item, f"Moved to the meeting on {target.starts_at:%d %b %Y}")
    return list_case(user, target, case, reason=item.reason, urgent=True)


def outstanding_actions(meeting: Meeting, user: User | None = None) -> list[Action]:
    """Actions to review at this meeting (SafeLives minutes: "outstanding actions from last time").

    Open actions from earlier meetings on cases still open, and actions marked not
    done at the previous meeting (reviewed once, with their reason). With ``user``,
    only actions on cases that user may see. Filtered and eagerly loaded in SQL.
    """
    previous = (
        sa.select(Meeting.id)
        .where(Meeting.kind == "marac", Meeting.starts_at < meeting.starts_at, Meeting.status != "cancelled")
        .order_by(Meeting.starts_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    earlier = sa.select(Meeting.id).where(Meeting.kind == "marac", Meeting.starts_at < meeting.starts_at)
    query = (
        sa.select(Action)
        .join(Case, Case.id == Action.case_id)
        .where(
            Action.meeting_id.in_(earlier),
            Case.closed_on.is_(None),
            sa.or_(Action.status == "open", sa.and_(Action.status == "not_done", Action.meeting_id == previous)),
        )
        .options(joinedload(Action.case), joinedload(Action.assigned_agency))
        .order_by(Action.due_on, Action.id)
    )
    if user is not None:
        query = query.where(visible_case_clause(user))
    return list(db.session.scalars(query))


# --- research ---------------------------------------------------------------------


def record_research(
    user: User,
    item: AgendaItem,
    *,
    no_trace: bool,
    findings: str | None,
    risks: str | None,
    withheld: str | None,
    version: int | None = None,
) -> ResearchResponse:
    """An agency's research for one listed case; only agencies on the distribution list respond."""
    if user.agency_id not in item.meeting.agency_ids:
        raise ServiceError("Your agency is not on this meeting's distribution list")
    if not no_trace and not (findings or risks):
        raise ServiceError("Record your findings, or choose 'No trace'", "findings")
    response = db.session.scalar(
        sa.select(ResearchResponse).where(
            ResearchResponse.agenda_item_id == item.id, ResearchResponse.agency_id == user.agency_id
        )
    )
    if response is None:
        response = ResearchResponse(agenda_item_id=item.id, agency_id=user.agency_id)
        db.session.add(response)
    else:
        check_version(response, version)  # a colleague may have saved this agency's research meanwhile
    response.user_id = user.id
    response.no_trace = no_trace
    response.findings = None if no_trace else findings
    response.risks = None if no_trace else risks
    response.withheld = withheld
    db.session.flush()
    audit.record(
        "marac.research_recorded",
        object_type="case",
        object_id=item.case_id,
        person_ids=cases.person_ids_of(item.case),
        purpose="marac_meeting",
        details={"meeting_id": item.meeting_id, "no_trace": no_trace},
    )
    return response


def research_matrix(meeting: Meeting) -> dict[int, dict[int, ResearchResponse]]:
    """{agenda item id: {agency id: response}} for the whole meeting in one query."""
    rows = db.session.scalars(
        sa.select(ResearchResponse)
        .join(AgendaItem, AgendaItem.id == ResearchResponse.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting.id)
    )
    out: dict[int, dict[int, ResearchResponse]] = {}
    for r in rows:
        out.setdefault(r.agenda_item_id, {})[r.agency_id] = r
    return out


# --- running the meeting -------------------------------------------------------------


def record_attendance(
    user: User,
    meeting: Meeting,
    *,
    agency_id: int | None,
    name: str,
    status: str,
    confidentiality_ack: bool,
    information_sent: bool,
) -> Attendance:
    """One line of the register. Everyone present acknowledges the confidentiality statement."""
    if status == "present" and not confidentiality_ack:
        raise ServiceError("Attendees must acknowledge the confidentiality statement", "confidentiality_ack")
    row = Attendance(
        meeting=meeting,
        agency_id=agency_id,
        name=name,
        status=status,
        confidentiality_ack=confidentiality_ack,
        information_sent=information_sent,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("marac.attendance_recorded", object_type="meeting", object_id=meeting.id)
    return row


def record_minutes(
    user: User, item: AgendaItem, *, minutes: str | None, outcome: str | None, version: int | None
) -> None:
    check_version(item, version)
    item.minutes = minutes
    item.outcome = outcome
    referral = db.session.scalar(sa.select(Referral).where(Referral.case_id == item.case_id))
    if outcome and referral is not None and referral.status == "listed":
        referral.status = "heard"
        item.case.status = "heard"
    db.session.flush()
    audit.record(
        "marac.minutes_recorded",
        object_type="case",
        object_id=item.case_id,
        person_ids=cases.person_ids_of(item.case),
        purpose="marac_meeting",
        details={"meeting_id": item.meeting_id},
    )


def mark_held(user: User, meeting: Meeting, version: int | None) -> None:
    check_version(meeting, version)
    meeting.status = "held"
    db.session.flush()
    audit.record("marac.meeting_held", object_type="meeting", object_id=meeting.id)


def meetings_page(page: int, per_page: int, *, upcoming: bool | None = None):
    query = sa.select(Meeting).where(Meeting.kind == "marac")
    if upcoming is True:
        query = query.where(Meeting.starts_at >= utcnow() - timedelta(hours=12)).order_by(Meeting.starts_at)
    else:
        query = query.order_by(Meeting.starts_at.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def item_counts(meeting_ids: list[int]) -> dict[int, int]:
    if not meeting_ids:
        return {}
    rows = db.session.execute(
        sa.select(AgendaItem.meeting_id, sa.func.count())
        .where(AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.removed_reason.is_(None))
        .group_by(AgendaItem.meeting_id)
    )
    return dict(rows.all())
