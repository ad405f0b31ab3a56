"""MARAC action tracking on the shared Action mechanism.

Actions belong to the agency that owns them; the MARAC does not manage the
case (SafeLives). Agency representatives see and update only their agency's
actions; the coordinator sees all. An action not done is reviewed at the next
meeting, classed "not possible because circumstances changed" or "not done
by the agency" (SafeLives minutes template).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..core import audit, cases
from ..core.access import AccessDenied, visible_case_clause
from ..core.models import Action, ActionUpdate, AgendaItem, Case, User
from ..core.services import ServiceError, check_version
from ..core.types import utcnow
from ..extensions import db


@dataclass
class ActionFilter:
    meeting_id: int | None = None
    agency_id: int | None = None
    status: str | None = None
    overdue_only: bool = False


def create_action(
    user: User, item: AgendaItem, *, agency_id: int | None, description: str, due_on: date | None
) -> Action:
    if not agency_id:
        raise ServiceError("Choose the agency that owns this action", "assigned_agency_id")
    if due_on is None:
        raise ServiceError("Give a deadline for this action", "due_on")
    if due_on < item.meeting.starts_at.date():
        raise ServiceError("The deadline cannot be before the meeting", "due_on")
    if not description.strip():
        raise ServiceError("Describe the action", "description")
    action = Action(
        case_id=item.case_id,
        meeting_id=item.meeting_id,
        assigned_agency_id=agency_id,
        description=description.strip(),
        due_on=due_on,
        status="open",
        created_by_id=user.id,
    )
    db.session.add(action)
    cases.add_agency(item.case, agency_id)  # the owning agency needs the case to act on it
    db.session.flush()
    audit.record(
        "marac.action_created",
        object_type="action",
        object_id=action.id,
        recipient_agency_id=agency_id,
        details={"case_id": item.case_id, "meeting_id": item.meeting_id},
    )
    return action


def _scope(user: User) -> sa.ColumnElement[bool]:
    clause = sa.and_(Case.kind == "marac", visible_case_clause(user))
    if not user.can("marac.actions.view_all"):
        clause = sa.and_(clause, Action.assigned_agency_id == user.agency_id)
    return clause


def actions_page(user: User, flt: ActionFilter, page: int, per_page: int = 50, today: date | None = None):
    today = today or date.today()
    query = (
        sa.select(Action)
        .join(Case, Case.id == Action.case_id)
        .where(_scope(user))
        .options(joinedload(Action.case), joinedload(Action.assigned_agency))
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
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=200)


def load_action(user: User, action_id: int) -> Action:
    action = db.session.scalar(
        sa.select(Action).join(Case, Case.id == Action.case_id).where(Action.id == action_id, _scope(user))
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
    """An owning agency (or the coordinator) reports progress on an action."""
    check_version(action, version)
    if status == "not_done" and not not_done_reason:
        raise ServiceError("Say why the action was not done", "not_done_reason")
    if status == action.status and not (note or "").strip():
        raise ServiceError("Change the status or add an update", "note")
    action.status = status
    action.not_done_reason = not_done_reason if status == "not_done" else None
    action.completed_at = utcnow() if status == "done" else None
    db.session.add(ActionUpdate(action=action, user_id=user.id, status=status, note=(note or "").strip() or None))
    db.session.flush()
    audit.record("marac.action_updated", object_type="action", object_id=action.id, details={"status": status})
