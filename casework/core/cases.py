"""Case services shared by every module: open, reference numbers, load with audit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from . import audit
from .access import AccessDenied, can_edit_case, can_view_case
from .models import Case, CaseAgency, CaseMember, CaseParticipant, ReferenceCounter, User
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
    return f"{kind.upper()}-{year}-{counter.last:04d}"


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
    audit.record("case.create", object_type="case", object_id=case.id)
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
    audit.record("case.member_added", object_type="case", object_id=case.id, details={"user_id": user_id})


def unname_member(actor: User, case: Case, user_id: int) -> None:
    if user_id not in case.member_ids:
        raise ServiceError("That user is not named on this case")
    if len(case.member_ids) == 1:
        raise ServiceError("A restricted case needs at least one named user")
    case.member_links = [m for m in case.member_links if m.user_id != user_id]
    db.session.flush()
    audit.record("case.member_removed", object_type="case", object_id=case.id, details={"user_id": user_id})


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
    case = get_or_404(Case, case_id)
    if kind is not None and case.kind != kind:
        raise AccessDenied("case", case.id)
    if not can_view_case(user, case):
        raise AccessDenied("case", case.id)
    if edit and not can_edit_case(user, case):
        raise AccessDenied("case", case.id, hide=False)
    if log:
        audit.record(
            "case.view", object_type="case", object_id=case.id, person_ids=person_ids_of(case), purpose=purpose
        )
    return case
