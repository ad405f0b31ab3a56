"""Meetings shared by every module: MARAC meetings, IOM panels, ASB multi-agency meetings.

Scheduling, rescheduling and cancelling, the distribution list, the agenda
(listing, ordering, moving and removing cases, with reasons), attendance with
the confidentiality acknowledgement, per-case minutes and outcome, and marking
a meeting held. A module adds only its own rules through ``Module.meeting_rules``
(for MARAC: the referral cut-off and the case status changes that follow
listing and hearing). Every service re-checks object access.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from . import audit, cases, modules
from .localtime import to_local
from .models import AgendaItem, Attendance, Case, Meeting, MeetingAgency, User
from .pagination import paginate
from .policy import AccessDenied, can_manage_meeting, can_open_meeting, can_view_case
from .services import ServiceError, check_version
from .types import utcnow

CANCELLED_ITEM_REASON = "Meeting cancelled"


def _rules(meeting: Meeting) -> modules.MeetingRules:
    return modules.meeting_rules(meeting.kind)


def _audit_name(meeting: Meeting, verb: str) -> str:
    module = modules.for_meeting_kind(meeting.kind)
    return f"{module.name if module else 'core'}.meeting.{verb}"


def _purpose(meeting: Meeting) -> str | None:
    module = modules.for_meeting_kind(meeting.kind)
    return module.meeting_purpose if module else None


def _ensure_manage(user: User, meeting: Meeting) -> None:
    if not can_open_meeting(user, meeting):
        raise AccessDenied("meeting", meeting.id)
    if not can_manage_meeting(user, meeting):
        raise AccessDenied("meeting", meeting.id, hide=False)


def _check_chair(kind: str, chair_user_id: int | None) -> None:
    """The chair, if named, is an active user who may run meetings of this kind."""
    if chair_user_id is None:
        return
    module = modules.for_meeting_kind(kind)
    chair = db.session.get(User, chair_user_id)
    if chair is None or module is None or not chair.can(f"{module.case_kind}.meeting.manage"):
        raise ServiceError("Choose a chair who runs these meetings", "chair_user_id")


def _ensure_scheduled(meeting: Meeting) -> None:
    if meeting.status != "scheduled":
        raise ServiceError("A meeting that has been held or cancelled cannot change")


# --- scheduling --------------------------------------------------------------------------


def schedule(
    user: User,
    *,
    kind: str,
    starts_at: datetime,
    venue: str,
    chair_user_id: int | None,
    agency_ids: Iterable[int],
) -> Meeting:
    if modules.for_meeting_kind(kind) is None:
        raise ServiceError("Choose a kind of meeting")
    if starts_at < utcnow() - timedelta(days=1):
        raise ServiceError("A new meeting cannot be in the past", "date")
    if not (venue or "").strip():
        raise ServiceError("Enter the venue", "venue")
    agency_ids = set(agency_ids)
    if not agency_ids:
        raise ServiceError("Choose the agencies the agenda is circulated to", "agency_ids")
    _check_chair(kind, chair_user_id)
    meeting = Meeting(
        kind=kind, starts_at=starts_at, venue=venue.strip(), chair_user_id=chair_user_id, created_by_id=user.id
    )
    if not can_manage_meeting(user, meeting):
        raise AccessDenied("meeting", "new", hide=False)
    meeting.agency_links = [MeetingAgency(agency_id=a) for a in sorted(agency_ids)]
    db.session.add(meeting)
    db.session.flush()
    audit.record(_audit_name(meeting, "schedule"), object_type="meeting", object_id=meeting.id)
    return meeting


def reschedule(
    user: User,
    meeting: Meeting,
    *,
    starts_at: datetime,
    venue: str,
    chair_user_id: int | None,
    version: int | None,
) -> list[str]:
    """Change a scheduled meeting's date, time, venue or chair. Returns the changed field names."""
    _ensure_manage(user, meeting)
    check_version(meeting, version)
    _ensure_scheduled(meeting)
    if starts_at < utcnow() - timedelta(days=1):
        raise ServiceError("A meeting cannot be moved into the past", "date")
    if not (venue or "").strip():
        raise ServiceError("Enter the venue", "venue")
    _check_chair(meeting.kind, chair_user_id)
    changed = [
        name
        for name, value in (("starts_at", starts_at), ("venue", venue.strip()), ("chair_user_id", chair_user_id))
        if getattr(meeting, name) != value
    ]
    meeting.starts_at, meeting.venue, meeting.chair_user_id = starts_at, venue.strip(), chair_user_id
    db.session.flush()
    audit.record(
        _audit_name(meeting, "reschedule"), object_type="meeting", object_id=meeting.id, details={"fields": changed}
    )
    return changed


def cancel(user: User, meeting: Meeting, *, reason: str, version: int | None) -> int:
    """Cancel a meeting. Its listed cases come off the agenda (kept, marked with the
    cancellation) and go back to awaiting listing. Returns how many cases were listed."""
    _ensure_manage(user, meeting)
    check_version(meeting, version)
    _ensure_scheduled(meeting)
    if not (reason or "").strip():
        raise ServiceError("Enter the reason for cancelling the meeting", "reason")
    items = active_items(meeting)
    for item in items:
        _unlist(item, CANCELLED_ITEM_REASON)
    meeting.status = "cancelled"
    meeting.cancelled_reason = reason.strip()
    db.session.flush()
    audit.record(
        _audit_name(meeting, "cancel"), object_type="meeting", object_id=meeting.id, details={"items": len(items)}
    )
    return len(items)


def update_distribution(user: User, meeting: Meeting, agency_ids: set[int], version: int | None) -> None:
    _ensure_manage(user, meeting)
    check_version(meeting, version)
    if not agency_ids:
        raise ServiceError("Choose the agencies the agenda is circulated to", "agency_ids")
    meeting.agency_links = [link for link in meeting.agency_links if link.agency_id in agency_ids] + [
        MeetingAgency(agency_id=a) for a in sorted(agency_ids - meeting.agency_ids)
    ]
    meeting.updated_at = utcnow()  # bumps the version: the list is part of the meeting
    db.session.flush()
    audit.record(_audit_name(meeting, "update"), object_type="meeting", object_id=meeting.id)


def mark_held(user: User, meeting: Meeting, version: int | None, *, now: datetime | None = None) -> None:
    """Record that the meeting took place. Refused before its start time."""
    _ensure_manage(user, meeting)
    check_version(meeting, version)
    _ensure_scheduled(meeting)
    if (now or utcnow()) < meeting.starts_at:
        raise ServiceError("A meeting can only be marked as held once it has started")
    meeting.status = "held"
    db.session.flush()
    audit.record(_audit_name(meeting, "hold"), object_type="meeting", object_id=meeting.id)


# --- the agenda ---------------------------------------------------------------------------


def active_items(meeting: Meeting) -> list[AgendaItem]:
    return sorted((i for i in meeting.items if i.removed_reason is None), key=lambda i: i.position)


def is_listed_elsewhere(case_id: int, item_id: int | None = None) -> bool:
    query = sa.exists().where(AgendaItem.case_id == case_id, AgendaItem.removed_reason.is_(None))
    if item_id is not None:
        query = query.where(AgendaItem.id != item_id)
    return bool(db.session.scalar(sa.select(query)))


def list_case(user: User, meeting: Meeting, case: Case, *, reason: str | None = None, urgent: bool = False):
    """Put a case on a meeting's agenda. Listing shares it with the meeting's agencies."""
    _ensure_manage(user, meeting)
    if meeting.status != "scheduled":
        raise ServiceError("Cases can only be listed on a scheduled meeting")
    module = modules.for_meeting_kind(meeting.kind)
    if module is None or case.kind != module.case_kind or not case.is_open:
        raise ServiceError("Only open cases of this meeting's kind can be listed", "case_id")
    if not can_view_case(user, case):
        raise AccessDenied("case", case.id)
    rules = _rules(meeting)
    _refuse_duplicate(meeting, case, "case_id")
    rules.check_listing(meeting, case, urgent=urgent)
    return _place(meeting, case, "urgent" if urgent else (reason or rules.listing_reason(case)))


def _refuse_duplicate(meeting: Meeting, case: Case, field: str) -> None:
    listed = db.session.scalar(
        sa.select(
            sa.exists().where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == case.id, AgendaItem.removed_reason.is_(None)
            )
        )
    )
    if listed:
        raise ServiceError(f"{case.reference} is already listed on this meeting", field)


def _place(meeting: Meeting, case: Case, reason: str) -> AgendaItem:
    """Add the case at the end of the running order (reusing its earlier, removed item)."""
    existing = db.session.scalar(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == case.id)
    )
    position = 1 + max((i.position for i in active_items(meeting)), default=0)
    if existing is not None:
        existing.removed_reason, existing.position, existing.reason = None, position, reason
        item = existing
    else:
        item = AgendaItem(case=case, position=position, reason=reason)
        meeting.items.append(item)
    _rules(meeting).on_listed(case)
    db.session.flush()
    audit.record(
        _audit_name(meeting, "list_case"), object_type="meeting", object_id=meeting.id, details={"case_id": case.id}
    )
    return item


def _editable(user: User, item: AgendaItem) -> None:
    """Agenda changes: a listed (not removed) case, on a meeting still to be held, that the
    user manages and can see (a restricted case is changed only by its named members)."""
    _ensure_manage(user, item.meeting)
    if item.removed_reason is not None:
        raise ServiceError("This case is no longer on the agenda")
    if item.meeting.status != "scheduled":
        raise ServiceError("The agenda of a meeting that has been held or cancelled cannot change")
    if not can_view_case(user, item.case):
        raise AccessDenied("case", item.case_id)


def move_item(user: User, item: AgendaItem, direction: int) -> None:
    """Move a case one place up (-1) or down (+1) the running order."""
    _editable(user, item)
    items = active_items(item.meeting)
    index = items.index(item)
    other = index + direction
    if 0 <= other < len(items):
        items[index].position, items[other].position = items[other].position, items[index].position
        item.meeting.updated_at = utcnow()  # bumps the meeting's version: the order is part of it
        db.session.flush()


def _unlist(item: AgendaItem, reason: str) -> None:
    item.removed_reason = reason
    db.session.flush()
    if not is_listed_elsewhere(item.case_id, item.id):
        _rules(item.meeting).on_unlisted(item.case)


def remove_item(user: User, item: AgendaItem, reason: str) -> None:
    _editable(user, item)
    if not (reason or "").strip():
        raise ServiceError("Enter the reason for removing the case", "reason")
    _unlist(item, reason.strip())
    db.session.flush()
    audit.record(
        _audit_name(item.meeting, "unlist_case"),
        object_type="meeting",
        object_id=item.meeting_id,
        details={"case_id": item.case_id},
    )


def move_to_meeting(user: User, item: AgendaItem, target: Meeting) -> AgendaItem:
    """Move a listed case to another scheduled meeting of the same kind. A move is the
    organiser's decision: the cut-off does not apply and the case keeps its listing reason,
    except "urgent": a case moved to a later meeting is no longer being heard early, so it
    takes the reason the module gives a case listed in the ordinary way."""
    if target.id == item.meeting_id:
        raise ServiceError("Choose a different meeting", "meeting_id")
    if target.kind != item.meeting.kind:
        raise ServiceError("Choose a meeting of the same kind", "meeting_id")
    _ensure_manage(user, target)
    if target.status != "scheduled":
        raise ServiceError("Cases can only be moved to a scheduled meeting", "meeting_id")
    _refuse_duplicate(target, item.case, "meeting_id")
    remove_item(user, item, f"Moved to the meeting on {to_local(target.starts_at):%d %b %Y}")
    reason = _rules(target).listing_reason(item.case) if item.reason == "urgent" else item.reason
    return _place(target, item.case, reason)


def unlist_closed_case(case: Case, reason: str) -> int:
    """A closed case comes off the agenda of every meeting still to be held."""
    items = db.session.scalars(
        sa.select(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.case_id == case.id, AgendaItem.removed_reason.is_(None), Meeting.status == "scheduled")
    ).all()
    for item in items:
        item.removed_reason = reason
    return len(items)


# --- running the meeting ----------------------------------------------------------------------


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
    _ensure_manage(user, meeting)
    if meeting.status == "cancelled":
        raise ServiceError("This meeting was cancelled")
    if not (name or "").strip():
        raise ServiceError("Enter the attendee's name", "name")
    if agency_id is not None and agency_id not in meeting.agency_ids:
        raise ServiceError("Choose an agency on the meeting's distribution list, or Other", "agency_id")
    if status == "present" and not confidentiality_ack:
        raise ServiceError("Attendees must acknowledge the confidentiality statement", "confidentiality_ack")
    row = Attendance(
        meeting=meeting,
        agency_id=agency_id,
        name=name.strip(),
        status=status,
        confidentiality_ack=confidentiality_ack,
        information_sent=information_sent,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(_audit_name(meeting, "record_attendance"), object_type="meeting", object_id=meeting.id)
    return row


def record_minutes(
    user: User, item: AgendaItem, *, minutes: str | None, outcome: str | None, version: int | None
) -> None:
    """Minutes and outcome for one listed case. An outcome means the case was heard."""
    _ensure_manage(user, item.meeting)
    if not can_view_case(user, item.case):
        raise AccessDenied("case", item.case_id)
    check_version(item, version)
    if item.removed_reason is not None:
        raise ServiceError("This case is no longer on the agenda")
    if outcome and outcome not in _rules(item.meeting).outcomes:
        raise ServiceError("Choose an outcome from the list", "outcome")
    item.minutes = minutes
    item.outcome = outcome
    if outcome:
        _rules(item.meeting).on_heard(item.case)
    db.session.flush()
    audit.record(
        _audit_name(item.meeting, "record_minutes"),
        object_type="case",
        object_id=item.case_id,
        person_ids=cases.person_ids_of(item.case),
        purpose=_purpose(item.meeting),
        details={"meeting_id": item.meeting_id},
    )


# --- lists -------------------------------------------------------------------------------------


def meetings_page(kind: str, page: int, per_page: int, *, upcoming: bool | None = None):
    query = sa.select(Meeting).where(Meeting.kind == kind)
    if upcoming is True:
        query = query.where(Meeting.starts_at >= utcnow() - timedelta(hours=12)).order_by(Meeting.starts_at, Meeting.id)
    else:
        query = query.order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    return paginate(query, page, per_page, max_per_page=100)


def upcoming_meetings(kind: str, *, limit: int = 20, now: datetime | None = None) -> list[Meeting]:
    """Scheduled meetings of one kind still to come, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.kind == kind, Meeting.status == "scheduled", Meeting.starts_at >= (now or utcnow()))
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    )


def item_counts(meeting_ids: list[int]) -> dict[int, int]:
    if not meeting_ids:
        return {}
    rows = db.session.execute(
        sa.select(AgendaItem.meeting_id, sa.func.count())
        .where(AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.removed_reason.is_(None))
        .group_by(AgendaItem.meeting_id)
    )
    return dict(rows.all())


def previous_meeting_id(meeting: Meeting) -> sa.ScalarSelect:
    """The last meeting of the same kind before this one that was not cancelled."""
    return (
        sa.select(Meeting.id)
        .where(Meeting.kind == meeting.kind, Meeting.starts_at < meeting.starts_at, Meeting.status != "cancelled")
        .order_by(Meeting.starts_at.desc())
        .limit(1)
        .scalar_subquery()
    )


# --- hearings recorded after the event (spreadsheet import) ------------------------------

PAST_MEETING_VENUE = "Not recorded (meeting recorded from an earlier record)"


def record_past_hearing(user: User, kind: str, on, case: Case, *, outcome: str | None = None) -> AgendaItem:
    """Record that ``case`` was heard at the meeting of ``kind`` held on the local date ``on``.

    For a partnership moving its history in: the meeting held that day is used, or
    one is recorded as held (venue not recorded). The case is listed and heard
    through the module's own rules (``on_listed``, ``on_heard``), so its status
    follows as if the minutes had been recorded at the time. A date still to come
    is refused: a future hearing is a listing, made on the meeting's page.
    """
    from datetime import date as date_type
    from datetime import time

    from .periods import local_today, zone

    if not isinstance(on, date_type) or on > local_today():
        raise ServiceError("The meeting date must be today or in the past", "meeting_date")
    module = modules.for_meeting_kind(kind)
    if module is None or case.kind != module.case_kind or not case.is_open:
        raise ServiceError("Only open cases of this meeting's kind can be heard", "meeting_date")
    rules = modules.meeting_rules(kind)
    if outcome is not None and outcome not in rules.outcomes:
        raise ServiceError("Choose an outcome from the list", "outcome")
    local = zone()
    lo = datetime.combine(on, time.min, tzinfo=local)
    hi = datetime.combine(on + timedelta(days=1), time.min, tzinfo=local)
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.kind == kind, Meeting.status != "cancelled", Meeting.starts_at >= lo, Meeting.starts_at < hi)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )
    if meeting is None:
        meeting = Meeting(
            kind=kind,
            starts_at=datetime.combine(on, time(10, 0), tzinfo=local),
            venue=PAST_MEETING_VENUE,
            status="held",
            created_by_id=user.id,
        )
        if not can_manage_meeting(user, meeting):
            raise AccessDenied("meeting", "new", hide=False)
        db.session.add(meeting)
        db.session.flush()
        audit.record(_audit_name(meeting, "record_past"), object_type="meeting", object_id=meeting.id)
    _ensure_manage(user, meeting)
    if not can_view_case(user, case):
        raise AccessDenied("case", case.id)
    _refuse_duplicate(meeting, case, "meeting_date")
    item = _place(meeting, case, rules.listing_reason(case))
    item.outcome = outcome or next(iter(rules.outcomes))
    rules.on_heard(case)
    db.session.flush()
    return item
