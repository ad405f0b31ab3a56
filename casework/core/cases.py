"""Case services shared by every module: open, reference numbers, load with audit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload

from ..extensions import db
from . import audit, modules
from .models import Case, CaseAgency, CaseMember, CaseParticipant, Plan, ReferenceCounter, User
from .policy import AccessDenied, can_edit_case, can_view_case, ensure_can_edit_case
from .services import ServiceError, get_or_404


def next_reference(kind: str, year: int) -> str:
    """Human-readable reference, e.g. MARAC-2026-0042, numbered per kind and year.

    The counter row is updated in the same transaction (row lock on PostgreSQL,
    the database write lock on SQLite); the unique reference is the final guard.
    """
    counter = db.session.execute(
        sa.select(ReferenceCounter)
        .where(ReferenceCounter.kind == kind, ReferenceCounter.year == year)
        .with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = ReferenceCounter(kind=kind, year=year, last=0)
        db.session.add(counter)
    counter.last += 1
    db.session.flush()
    return f"{modules.reference_prefix(kind)}-{year}-{counter.last:04d}"


def open_case(
    *,
    kind: str,
    status: str,
    opened_on: date,
    lead_agency_id: int,
    created_by: User | None,
    lead_user_id: int | None = None,
    agency_ids: Iterable[int] = (),
    is_restricted: bool = False,
    member_ids: Iterable[int] = (),
) -> Case:
    module = modules.for_case_kind(kind)
    if module is None:
        raise ServiceError(f"No module handles cases of kind {kind!r}")
    if status not in module.case_statuses:
        raise ServiceError(f"{status!r} is not a status of a {module.case_label} case")
    case = Case(
        reference=next_reference(kind, opened_on.year),
        kind=kind,
        status=status,
        opened_on=opened_on,
        lead_agency_id=lead_agency_id,
        lead_user_id=lead_user_id,
        is_restricted=is_restricted,
        created_by_id=created_by.id if created_by else None,
    )
    for agency_id in set(agency_ids) - {lead_agency_id}:
        case.agency_links.append(CaseAgency(agency_id=agency_id))
    members = set(member_ids)
    if is_restricted and created_by is not None:
        members.add(created_by.id)  # the creator of a restricted case is always named on it
    if is_restricted and lead_user_id:
        members.add(lead_user_id)
    for user_id in members:
        case.member_links.append(CaseMember(user_id=user_id))
    db.session.add(case)
    db.session.flush()
    audit.record(f"{kind}.case.create", object_type="case", object_id=case.id)
    return case


def add_participant(case: Case, person_id: int, role: str, **fields: Any) -> CaseParticipant:
    participant = CaseParticipant(person_id=person_id, role=role, **fields)
    case.participants.append(participant)
    db.session.flush()
    return participant


def add_agency(case: Case, agency_id: int) -> None:
    if agency_id not in case.agency_ids:
        case.agency_links.append(CaseAgency(agency_id=agency_id))


def add_member(case: Case, user_id: int) -> None:
    """Name a user on a restricted case."""
    if user_id not in case.member_ids:
        case.member_links.append(CaseMember(user_id=user_id))


def name_member(actor: User, case: Case, user_id: int) -> None:
    """A named member names another user of the module on a restricted case (audited as a
    permission change)."""
    if not case.is_restricted:
        raise ServiceError("Only restricted cases have named users")
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.can(f"{case.kind}.case.view"):
        raise ServiceError("Choose an active user who works on this kind of case", "user_id")
    if user_id in case.member_ids:
        raise ServiceError("That user is already named on this case", "user_id")
    add_member(case, user_id)
    db.session.flush()
    audit.record(f"{case.kind}.case.name_member", object_type="case", object_id=case.id, details={"user_id": user_id})


def unname_member(actor: User, case: Case, user_id: int) -> None:
    if user_id not in case.member_ids:
        raise ServiceError("That user is not named on this case")
    if len(case.member_ids) == 1:
        raise ServiceError("A restricted case needs at least one named user")
    case.member_links = [m for m in case.member_links if m.user_id != user_id]
    db.session.flush()
    audit.record(f"{case.kind}.case.unname_member", object_type="case", object_id=case.id, details={"user_id": user_id})


def person_ids_of(case: Case) -> list[int]:
    return sorted({p.person_id for p in case.participants})


def person_ids_of_cases(case_ids: Iterable[int]) -> list[int]:
    """Everyone in these cases, in one query (for audit rows of list pages)."""
    ids = set(case_ids)
    if not ids:
        return []
    return sorted(set(db.session.scalars(sa.select(CaseParticipant.person_id).where(CaseParticipant.case_id.in_(ids)))))


def load_case(
    user: User,
    case_id: Any,
    *,
    kind: str | None = None,
    purpose: str = "casework",
    edit: bool = False,
    log: bool = True,
) -> Case:
    """Load a case for display or edit: checks access (404 if not visible) and records the view."""
    # The access links in the same query: the checks below read them straight away.
    case = get_or_404(Case, case_id, options=(joinedload(Case.agency_links), joinedload(Case.member_links)))
    if kind is not None and case.kind != kind:
        raise AccessDenied("case", case.id)
    if not can_view_case(user, case):
        raise AccessDenied("case", case.id)
    if edit and not can_edit_case(user, case):
        raise AccessDenied("case", case.id, hide=False)
    if log:
        record_view(case, purpose)
    return case


def record_view(case: Case, purpose: str = "casework") -> None:
    """Showing a case's record is a view of everyone in it (DESIGN §4)."""
    audit.record(
        f"{case.kind}.case.view", object_type="case", object_id=case.id, person_ids=person_ids_of(case), purpose=purpose
    )


# --- the case lifecycle -------------------------------------------------------------------


def set_status(case: Case, status: str) -> None:
    """Move a case to ``status``, if its module allows the change (``Module.status_transitions``).

    The one place a case's status changes, so a module's own records (a MARAC
    referral, say) read the status from the case and cannot drift from it.
    """
    module = modules.for_case_kind(case.kind)
    if module is None or status not in module.case_statuses:
        raise ServiceError(f"{status!r} is not a status of this kind of case")
    if status == case.status:
        return
    if status in module.closed_statuses and case.closed_on is None:
        raise ServiceError("Use close_case to close a case")
    allowed = module.status_transitions.get(case.status)
    if allowed is not None and status not in allowed:
        raise ServiceError(
            f"A case that is {module.case_statuses[case.status].lower()} cannot become "
            f"{module.case_statuses[status].lower()}"
        )
    case.status = status


def close_case(
    user: User | None, case: Case, *, on: date, reason: str, status: str = "closed", check_access: bool = True
) -> None:
    """Close a case: it leaves every agenda still to come, its open actions are cancelled and
    its plans stop asking for reviews, each with the closure as the reason, so it stops
    appearing on anyone's "My work"."""
    if check_access and user is not None:
        ensure_can_edit_case(user, case)
    module = modules.for_case_kind(case.kind)
    if module is None or status not in module.closed_statuses:
        raise ServiceError("Choose how the case ended")
    if not case.is_open:
        raise ServiceError("This case is already closed")
    if on > date.today():
        raise ServiceError("Date closed must be today or in the past", "on")
    if on < case.opened_on:
        raise ServiceError("Date closed must be on or after the date the case was opened", "on")
    if not (reason or "").strip():
        raise ServiceError("Enter the reason for closing the case", "reason")
    from . import actions, meetings

    note = f"Case closed: {reason.strip()}"
    unlisted = meetings.unlist_closed_case(case, "Case closed")
    cancelled = actions.cancel_open_actions(case, note, user)
    plans = db.session.scalars(sa.select(Plan).where(Plan.case_id == case.id, Plan.is_active.is_(True))).all()
    for plan in plans:
        plan.is_active = False
    case.closed_on = on
    case.closure_reason = reason.strip()
    case.status = status
    if module.on_case_closed is not None:
        module.on_case_closed(case)
    db.session.flush()
    audit.record(
        f"{case.kind}.case.close",
        object_type="case",
        object_id=case.id,
        details={"status": status, "agenda_items": unlisted, "actions": cancelled, "plans": len(plans)},
    )


def reopen_case(user: User | None, case: Case, *, status: str, reason: str, check_access: bool = True) -> None:
    """Reopen a closed case in ``status`` (one its module allows after ``closed``, see
    ``Module.status_transitions``): it counts as open again from today. The closure's date and
    reason stay in the audit trail; what closing cancelled stays cancelled."""
    if check_access and user is not None:
        ensure_can_edit_case(user, case)
    module = modules.for_case_kind(case.kind)
    if module is None or status not in module.case_statuses or status in module.closed_statuses:
        raise ServiceError("Choose the status the case reopens in")
    if case.is_open:
        raise ServiceError("This case is already open")
    allowed = module.status_transitions.get(case.status)
    if allowed is not None and status not in allowed:
        raise ServiceError(f"A {module.case_statuses[case.status].lower()} case cannot reopen as {status!r}")
    if not (reason or "").strip():
        raise ServiceError("Enter the reason for reopening the case", "reason")
    closed_on, closed_status = case.closed_on, case.status
    case.closed_on = None
    case.closure_reason = None
    case.status = status
    db.session.flush()
    audit.record(
        f"{case.kind}.case.reopen",
        object_type="case",
        object_id=case.id,
        details={"status": status, "was": closed_status, "closed_on": closed_on.isoformat()},
    )


def without_access_links(loader):
    """A loader option for lists that reach cases (``contains_eager(Action.case)``...): the
    case's agency and member links, loaded with every case by default (about six rows a
    case), load only if something asks for them. Access checks that need them still get
    them, one query each, so this is for lists that show cases, not for checks over many."""
    return loader.options(lazyload(Case.agency_links), lazyload(Case.member_links))


# --- known elsewhere ------------------------------------------------------------------------


@dataclass(frozen=True)
class ElsewhereLink:
    """A link to another case a person is in (shown as "Known elsewhere")."""

    reference: str
    module: str
    role: str
    url: str


def known_elsewhere(
    user: User, person_ids: Iterable[int], exclude_case_id: int, limit: int = 20
) -> list[ElsewhereLink]:
    """The other cases these people are in that the user may open (not on meeting access alone).
    A case the user may not open is not shown at all (not even that it exists), and a
    restricted case never appears."""
    from flask import url_for

    from .policy import visible_case_clause

    ids = set(person_ids)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(Case, CaseParticipant.role)
        .join(CaseParticipant, CaseParticipant.case_id == Case.id)
        .where(
            CaseParticipant.person_id.in_(ids),
            Case.id != exclude_case_id,
            Case.is_restricted.is_(False),
            visible_case_clause(user, via_meetings=False),
        )
        .options(lazyload(Case.agency_links), lazyload(Case.member_links))
        .order_by(Case.opened_on.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    out: list[ElsewhereLink] = []
    seen: set[tuple[int, str]] = set()
    for case, role in rows:
        module = modules.for_case_kind(case.kind)
        endpoint = modules.case_endpoint(case.kind)
        if module is None or endpoint is None or (case.id, role) in seen:
            continue
        seen.add((case.id, role))
        out.append(
            ElsewhereLink(case.reference, module.label, role.replace("_", " "), url_for(endpoint, case_id=case.id))
        )
    return out
