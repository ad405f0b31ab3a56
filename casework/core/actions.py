"""Actions shared by every module (DESIGN §2): the twin of ``core/plans.py``.

An action belongs to the agency that owns it (SafeLives: "the MARAC does not
manage the case"). Owning an action lets the agency see and update that action,
not the case record: access to a case follows the policy in ``core/policy.py``.
An action that was not done carries a reason from its module's own list and is
reviewed at the next meeting of the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from . import audit, cases, modules
from .meetings import previous_meeting_id
from .models import Action, ActionUpdate, Agency, AgendaItem, Case, Meeting, User
from .pagination import capped_count, paginate
from .policy import AccessDenied, ensure_can_view_case, visible_action_clause, visible_case_clause
from .services import ServiceError, check_version
from .types import utcnow


@dataclass
class ActionFilter:
    meeting_id: int | None = None
    agency_id: int | None = None
    status: str | None = None
    overdue_only: bool = False


def _audit_name(case: Case, verb: str) -> str:
    return f"{case.kind}.action.{verb}"


def create_action(
    user: User,
    case: Case,
    *,
    agency_id: int | None,
    description: str,
    due_on: date | None,
    meeting: Meeting | None = None,
    assigned_user_id: int | None = None,
) -> Action:
    """A new action on a case, owned by an agency (and optionally a named user)."""
    ensure_can_view_case(user, case)
    if not case.is_open:
        raise ServiceError("Actions cannot be added to a closed case")
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency is None or not agency.is_active:
        raise ServiceError("Choose the agency that owns this action", "assigned_agency_id")
    if due_on is None:
        raise ServiceError("Enter a deadline for this action", "due_on")
    if meeting is not None and due_on < meeting.starts_at.date():
        raise ServiceError("The deadline must be on or after the day of the meeting", "due_on")
    if not (description or "").strip():
        raise ServiceError("Describe the action", "description")
    action = Action(
        case_id=case.id,
        meeting_id=meeting.id if meeting is not None else None,
        assigned_agency_id=agency_id,
        assigned_user_id=assigned_user_id,
        description=description.strip(),
        due_on=due_on,
        status="open",
        created_by_id=user.id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record(
        _audit_name(case, "create"),
        object_type="action",
        object_id=action.id,
        recipient_agency_id=agency_id,
        details={"case_id": case.id, "meeting_id": action.meeting_id},
    )
    module = modules.for_case_kind(case.kind)
    if module is not None and module.on_action_created is not None:
        module.on_action_created(action)  # e.g. notify the owning agency, in this transaction
    return action


def _scope(user: User, kind: str) -> sa.ColumnElement[bool]:
    return visible_action_clause(user, kind)


def actions_page(user: User, kind: str, flt: ActionFilter, page: int, per_page: int = 50, today: date | None = None):
    """One page of the actions the user may see, filtered and ordered by due date in SQL."""
    return paginate(actions_query(user, kind, flt, today), page, per_page, max_per_page=200)


EXPORT_HEADERS = ("Deadline", "Overdue", "Case", "Agency", "Action", "Status", "Reason not done")


def actions_export(user: User, kind: str, flt: ActionFilter, limit: int, today: date | None = None) -> list[Action]:
    """Every action of the list as filtered, at most ``limit`` (``exports.TooManyRows``
    beyond it)."""
    from .exports import capped

    return capped(db.session.scalars(actions_query(user, kind, flt, today).limit(limit + 1)).unique(), limit)


def export_row(action: Action, today: date) -> tuple:
    """An action as a download row: the action list's columns."""
    reason = action.not_done_reason
    return (
        action.due_on,
        action.is_overdue(today),
        action.case.reference,
        action.assigned_agency.name,
        action.description,
        action.status.replace("_", " ").capitalize(),
        modules.not_done_reasons(action.case.kind).get(reason, reason) if reason else None,
    )


def actions_query(user: User, kind: str, flt: ActionFilter, today: date | None = None) -> sa.Select:
    """The actions the user may see, filtered, ordered by due date."""
    today = today or date.today()
    query = (
        sa.select(Action)
        .join(Case, Case.id == Action.case_id)
        .where(_scope(user, kind))
        .options(
            # The list shows a case's reference, never its closure reason: not read, not decrypted.
            cases.without_access_links(contains_eager(Action.case).defer(Case.closure_reason)),
            joinedload(Action.assigned_agency),
        )
        .order_by(Action.due_on, Action.id)
    )
    if flt.meeting_id:
        query = query.where(Action.meeting_id == flt.meeting_id)
    if flt.agency_id:
        query = query.where(Action.assigned_agency_id == flt.agency_id)
    if flt.status:
        query = query.where(Action.status == flt.status)
    if flt.overdue_only:
        query = query.where(Action.status == "open", Action.due_on < today)
    return query


def load_action(user: User, action_id: Any, kind: str) -> Action:
    """An action the user may see (404 otherwise): their agency's, or any on a case they
    can see if they hold ``{kind}.actions.view_all``."""
    try:
        action_id = int(action_id)
    except (TypeError, ValueError):
        raise AccessDenied("action", action_id) from None
    action = db.session.scalar(
        sa.select(Action).join(Case, Case.id == Action.case_id).where(Action.id == action_id, _scope(user, kind))
    )
    if action is None:
        raise AccessDenied("action", action_id)
    return action


def update_action(
    user: User,
    action: Action,
    *,
    status: str,
    note: str | None,
    not_done_reason: str | None,
    version: int | None,
) -> None:
    """The owning agency (or a coordinator) reports progress on an action."""
    load_action(user, action.id, action.case.kind)  # re-check: the service may be handed any action
    check_version(action, version)
    if action.status == "cancelled":
        raise ServiceError("This action was cancelled when its case closed")
    if status not in ("open", "done", "not_done"):
        raise ServiceError("Choose a status", "status")
    reasons = modules.not_done_reasons(action.case.kind)
    if status == "not_done" and not not_done_reason:
        raise ServiceError("Select why the action was not done", "not_done_reason")
    if status == "not_done" and not_done_reason not in reasons:
        raise ServiceError("Select a reason from the list", "not_done_reason")
    if status == action.status and not (note or "").strip():
        raise ServiceError("Change the status or add an update", "note")
    action.status = status
    action.not_done_reason = not_done_reason if status == "not_done" else None
    action.completed_at = utcnow() if status == "done" else None
    db.session.add(ActionUpdate(action=action, user_id=user.id, status=status, note=(note or "").strip() or None))
    db.session.flush()
    audit.record(
        _audit_name(action.case, "update"), object_type="action", object_id=action.id, details={"status": status}
    )


def cancel_open_actions(case: Case, reason: str, user: User | None) -> int:
    """The case closed: its open actions end, cancelled, with the closure as the reason."""
    open_actions = db.session.scalars(sa.select(Action).where(Action.case_id == case.id, Action.status == "open")).all()
    for action in open_actions:
        action.status = "cancelled"
        db.session.add(ActionUpdate(action=action, user_id=user.id if user else None, status="cancelled", note=reason))
    return len(open_actions)


def actions_for_case(case: Case) -> list[Action]:
    return list(
        db.session.scalars(
            sa.select(Action)
            .where(Action.case_id == case.id)
            .options(joinedload(Action.assigned_agency))
            .order_by(Action.due_on, Action.id)
        )
    )


def actions_for_item(meeting_id: int, case_id: int) -> list[Action]:
    return list(
        db.session.scalars(
            sa.select(Action)
            .where(Action.meeting_id == meeting_id, Action.case_id == case_id)
            .options(joinedload(Action.assigned_agency))
            .order_by(Action.id)
        )
    )


def outstanding_actions(meeting: Meeting, user: User | None = None) -> list[Action]:
    """Actions to review at this meeting ("outstanding actions from last time", SafeLives
    MARAC minutes guidance): on cases still open,

    - open actions set at earlier meetings on the cases listed on this agenda;
    - actions set at the previous meeting that are still open or were marked not done
      (reviewed once, with their reason), whether or not the case is listed again.

    Bounded by this agenda and the previous meeting, so it does not grow with the years
    of history behind it. With ``user``, only actions on cases that user may see.
    """
    previous = previous_meeting_id(meeting)
    earlier = sa.select(Meeting.id).where(Meeting.kind == meeting.kind, Meeting.starts_at < meeting.starts_at)
    listed_here = sa.select(AgendaItem.case_id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.removed_reason.is_(None)
    )
    query = (
        sa.select(Action)
        .join(Case, Case.id == Action.case_id)
        .where(
            Case.closed_on.is_(None),
            sa.or_(
                sa.and_(Action.status == "open", Action.case_id.in_(listed_here), Action.meeting_id.in_(earlier)),
                sa.and_(Action.status.in_(("open", "not_done")), Action.meeting_id == previous),
            ),
        )
        .options(
            # The list shows a case's reference, never its closure reason: not read, not decrypted.
            cases.without_access_links(contains_eager(Action.case).defer(Case.closure_reason)),
            joinedload(Action.assigned_agency),
        )
        .order_by(Action.due_on, Action.id)
    )
    if user is not None:
        query = query.where(visible_case_clause(user))
    return list(db.session.scalars(query))


# "My work" counts overdue actions up to this many ("more than 99 overdue"): enough to say
# how far behind someone is, and each counted row is checked for visibility.
OVERDUE_CAP = 99


@dataclass
class MyActions:
    """ "My work"'s open actions: the soonest due, and how many of all of them are overdue."""

    items: list[Action]
    more: bool  # open actions beyond those listed
    overdue: int  # overdue among all of them, not only those listed (up to the cap)
    overdue_capped: bool


def my_actions(user: User, today: date, limit: int = 25) -> MyActions:
    """Open actions for "My work": assigned to the user, or to their agency with nobody named."""
    kinds = [k for k in modules.case_kinds() if user.can(f"{k}.case.view")]
    if not kinds:
        return MyActions([], False, 0, False)
    # Two indexed lookups of open actions (the agency's through a partial index), so the
    # years of completed actions behind them are never read.
    is_open = Action.status == "open"
    mine = Action.id.in_(
        sa.union(
            sa.select(Action.id).where(is_open, Action.assigned_user_id == user.id),
            sa.select(Action.id).where(
                is_open, Action.assigned_agency_id == user.agency_id, Action.assigned_user_id.is_(None)
            ),
        )
    )
    scope = sa.or_(*(visible_action_clause(user, k) for k in kinds))
    rows = list(
        db.session.scalars(
            sa.select(Action)
            .join(Case, Case.id == Action.case_id)
            .where(Action.status == "open", mine, scope)
            .options(cases.without_access_links(contains_eager(Action.case)), joinedload(Action.assigned_agency))
            .order_by(Action.due_on, Action.id)
            .limit(limit + 1)
        )
    )
    items, more = rows[:limit], len(rows) > limit
    if not more:  # every open action is listed: count the overdue ones here
        return MyActions(items, False, sum(1 for a in items if a.is_overdue(today)), False)
    overdue, capped = capped_count(
        sa.select(Action.id)
        .join(Case, Case.id == Action.case_id)
        .where(Action.status == "open", Action.due_on < today, mine, scope),
        OVERDUE_CAP,
    )
    return MyActions(items, True, overdue, capped)


def person_ids_for_actions(actions: list[Action]) -> list[int]:
    return cases.person_ids_of_cases(a.case_id for a in actions)
