"""Retention: rules per case kind, the review list, legal hold and controlled destruction.

Domain-notes §6 and DESIGN §6: records are kept 6 years after a case closes (the
partnership may set another period per kind), reviewed before destruction, and never
destroyed while a legal hold stands (for example during a domestic homicide review).
Destruction needs two people: one proposes, a data protection officer who is not the
proposer approves. It removes every encrypted value and blind index in the case's
records (and the person records of anyone in no other live case), keeps anonymous
counts, and leaves a tombstone event in the audit chain, which itself holds ids only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..core import audit, modules, periods
from ..core.models import Case, CaseParticipant, Person, PersonSearchToken, User
from ..core.models.base import encrypted_keys
from ..core.services import FieldErrors, ServiceError, check_version
from ..core.types import utcnow
from ..extensions import db
from .models import Destruction, LegalHold, RetentionRule

# Tables never wiped through a case: shared records with their own lifecycle.
_SHARED = {
    "case",
    "person",
    "user",
    "agency",
    "meeting",
    "audit_event",
    "audit_person",
    "change_event",
    "gov_destruction",
    "gov_legal_hold",
}


def years_for(kind: str) -> int:
    rule = db.session.get(RetentionRule, kind)
    return rule.years if rule else int(current_app.config.get("RETENTION_YEARS", 6))


def rules() -> dict[str, int]:
    """Every case kind with its retention period in years (the default where none is set)."""
    return {kind: years_for(kind) for kind in modules.case_kinds()}


def set_rule(user: User, kind: str, years: int) -> None:
    if kind not in modules.case_kinds():
        raise FieldErrors([("case_kind", "Select a kind of case")])
    if not 1 <= years <= 100:
        raise FieldErrors([("years", "Years must be a whole number from 1 to 100")])
    rule = db.session.get(RetentionRule, kind)
    if rule is None:
        db.session.add(RetentionRule(case_kind=kind, years=years))
    else:
        rule.years = years
    db.session.flush()
    audit.record("governance.retention.rule", object_type="case_kind", object_id=kind, details={"years": years})


def destroy_after(case: Case) -> date | None:
    """The first day a closed case may be destroyed: closure plus the kind's years."""
    if case.closed_on is None:
        return None
    return periods.add_months(case.closed_on, 12 * years_for(case.kind))


def _on_hold_ids() -> sa.Select:
    return sa.select(LegalHold.case_id).where(LegalHold.lifted_at.is_(None))


def _destroyed_ids() -> sa.Select:
    return sa.select(Destruction.case_id).where(Destruction.status == "destroyed")


@dataclass
class ReviewRow:
    case: Case
    due: date
    on_hold: bool
    proposal: Destruction | None


def past_retention(today: date | None = None, limit: int = 500) -> list[ReviewRow]:
    """Closed cases past their retention date, not yet destroyed, oldest closure first."""
    today = today or periods.local_today()
    kinds = rules()
    out: list[ReviewRow] = []
    holds = set(db.session.scalars(_on_hold_ids()))
    for kind, years in kinds.items():
        cutoff = periods.add_months(today, -12 * years)
        query = (
            sa.select(Case)
            .where(Case.kind == kind, Case.closed_on.is_not(None), Case.closed_on < cutoff)
            .where(Case.id.not_in(_destroyed_ids()))
            .order_by(Case.closed_on, Case.id)
            .limit(limit)
        )
        for case in db.session.scalars(query):
            out.append(ReviewRow(case, destroy_after(case), case.id in holds, None))
    proposals = {
        d.case_id: d
        for d in db.session.scalars(
            sa.select(Destruction).where(
                Destruction.status.in_(("proposed", "approved")), Destruction.case_id.in_([r.case.id for r in out])
            )
        )
    }
    for row in out:
        row.proposal = proposals.get(row.case.id)
    out.sort(key=lambda r: (r.due, r.case.id))
    return out[:limit]


def place_hold(user: User, case: Case, reason: str) -> LegalHold:
    hold = LegalHold(case_id=case.id, reason=reason, placed_by_id=user.id, placed_at=utcnow())
    db.session.add(hold)
    db.session.flush()
    audit.record("governance.retention.hold", object_type="case", object_id=case.id, details={"hold_id": hold.id})
    return hold


def lift_hold(user: User, hold: LegalHold) -> None:
    if hold.lifted_at is not None:
        raise ServiceError("This hold has already been lifted")
    hold.lifted_at, hold.lifted_by_id = utcnow(), user.id
    db.session.flush()
    audit.record("governance.retention.hold_lifted", object_type="case", object_id=hold.case_id)


def open_holds() -> list[tuple[LegalHold, Case]]:
    """Holds in force, with their cases (the reasons are decrypted: shown to the DPO only)."""
    return list(
        db.session.execute(
            sa.select(LegalHold, Case)
            .join(Case, Case.id == LegalHold.case_id)
            .where(LegalHold.lifted_at.is_(None))
            .order_by(LegalHold.placed_at)
        ).all()
    )


def _check_destroyable(case: Case, today: date) -> None:
    if case.closed_on is None:
        raise ServiceError("This case is open")
    due = destroy_after(case)
    if due is None or due > today:
        raise ServiceError("This case is not past its retention period")
    if db.session.scalar(_on_hold_ids().where(LegalHold.case_id == case.id).limit(1)):
        raise ServiceError("This case is under a legal hold: lift the hold before destroying it")
    if db.session.scalar(_destroyed_ids().where(Destruction.case_id == case.id).limit(1)):
        raise ServiceError("This case has already been destroyed")


def propose(user: User, case: Case, today: date | None = None) -> Destruction:
    """The first of the two people: propose destroying a case past retention."""
    _check_destroyable(case, today or periods.local_today())
    if db.session.scalar(
        sa.select(Destruction.id)
        .where(Destruction.case_id == case.id, Destruction.status.in_(("proposed", "approved")))
        .limit(1)
    ):
        raise ServiceError("Destruction of this case has already been proposed")
    d = Destruction(case_id=case.id, status="proposed", proposed_by_id=user.id, proposed_at=utcnow())
    db.session.add(d)
    db.session.flush()
    audit.record("governance.retention.propose", object_type="case", object_id=case.id, details={"proposal": d.id})
    return d


def refuse(user: User, proposal: Destruction, version: int | None) -> None:
    check_version(proposal, version)
    if proposal.status != "proposed":
        raise ServiceError("This proposal has already been decided")
    proposal.status, proposal.decided_by_id, proposal.decided_at = "refused", user.id, utcnow()
    db.session.flush()
    audit.record("governance.retention.refuse", object_type="case", object_id=proposal.case_id)


def approve(user: User, proposal: Destruction, version: int | None, today: date | None = None) -> None:
    """The second person (a DPO, not the proposer) approves; ``flask retention run`` destroys."""
    check_version(proposal, version)
    if proposal.status != "proposed":
        raise ServiceError("This proposal has already been decided")
    if proposal.proposed_by_id == user.id:
        raise ServiceError("Destruction needs a second person: someone else must approve your proposal")
    if not user.can("governance.retention.approve"):
        raise ServiceError("Only a data protection officer can approve destruction")
    _check_destroyable(db.session.get(Case, proposal.case_id), today or periods.local_today())
    proposal.status, proposal.decided_by_id, proposal.decided_at = "approved", user.id, utcnow()
    db.session.flush()
    audit.record("governance.retention.approve", object_type="case", object_id=proposal.case_id)


def run(today: date | None = None, *, dry_run: bool) -> list[tuple[str, str]]:
    """Destroy every approved case still past retention and not on hold: (reference, outcome).

    A hold placed after approval, or a case reopened since, stops its destruction.
    """
    today = today or periods.local_today()
    out = []
    approved = db.session.scalars(
        sa.select(Destruction).where(Destruction.status == "approved").order_by(Destruction.id)
    ).all()
    for proposal in approved:
        case = db.session.get(Case, proposal.case_id)
        try:
            _check_destroyable(case, today)
        except ServiceError as exc:
            out.append((case.reference, f"skipped: {exc}"))
            continue
        if dry_run:
            out.append((case.reference, "would be destroyed"))
            continue
        with db.session.begin_nested():
            summary, people = destroy_case(case)
            proposal.status, proposal.summary = "destroyed", summary
            db.session.flush()
            # The tombstone: ids and counts only.
            audit.record(
                "governance.retention.destroy",
                object_type="case",
                object_id=case.id,
                person_ids=people,
                purpose="audit",
                actor_user_id=None,
                details={
                    "proposal": proposal.id,
                    "proposed_by": proposal.proposed_by_id,
                    "approved_by": proposal.decided_by_id,
                    **summary,
                },
            )
        out.append((case.reference, "destroyed"))
    return out


# --- destruction ------------------------------------------------------------------------------


def _child_tables() -> dict[str, list[tuple[Any, str, str]]]:
    """parent table name -> [(child mapper, child FK attribute, parent key column)] from the schema."""
    out: dict[str, list[tuple[Any, str, str]]] = {}
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if table.name in _SHARED:
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            attr = next((p.key for p in mapper.column_attrs if any(c is fk.parent for c in p.columns)), None)
            if attr:
                out.setdefault(parent, []).append((mapper, attr, fk.column.name))
    return out


def _collect(root_table: str, root_ids: set[Any], children: dict) -> dict[Any, list[Any]]:
    """Every row reachable from the root rows through foreign keys (children, grandchildren …)."""
    found: dict[Any, list[Any]] = {}
    frontier = [(root_table, "id", root_ids)]
    seen: set[tuple[str, Any]] = set()
    while frontier:
        table, key, ids = frontier.pop()
        for mapper, attr, parent_key in children.get(table, []):
            if parent_key != key or not ids:
                continue
            if table == root_table and attr != f"{root_table}_id":
                # From the root, only rows it owns (``case_id``), not rows that merely point at
                # it (another case's referral naming this one as the case it repeats).
                continue
            rows = list(
                db.session.scalars(sa.select(mapper.class_).where(getattr(mapper.class_, attr).in_(sorted(ids))))
            )
            new = [r for r in rows if (mapper.local_table.name, sa.inspect(r).identity) not in seen]
            if not new:
                continue
            for r in new:
                seen.add((mapper.local_table.name, sa.inspect(r).identity))
            found.setdefault(mapper, []).extend(new)
            for pk in mapper.primary_key:
                values = {getattr(r, mapper.get_property_by_column(pk).key) for r in new}
                frontier.append((mapper.local_table.name, pk.name, values))
    return found


def _placeholder(column_type) -> Any:
    from ..core.types import EncryptedDate, EncryptedJSON

    if isinstance(column_type, EncryptedJSON):
        return {}
    if isinstance(column_type, EncryptedDate):
        return date(1900, 1, 1)
    return ""


def _wipe(obj: Any) -> int:
    """Remove every encrypted value and blind index of one row; returns how many were set."""
    mapper = sa.inspect(type(obj))
    n = 0
    for key in encrypted_keys(mapper):
        column = mapper.column_attrs[key].columns[0]
        if getattr(obj, key, None) is None:
            continue
        setattr(obj, key, None if column.nullable else _placeholder(column.type))
        n += 1
    for prop in mapper.column_attrs:
        if prop.key.startswith("bi_") and getattr(obj, prop.key) is not None:
            setattr(obj, prop.key, None)
            n += 1
    return n


def destroy_case(case: Case) -> tuple[dict, list[int]]:
    """Wipe the case's records and the people who are in no other live case.

    Returns the anonymous summary and the ids of the people whose records were wiped.
    """
    children = _child_tables()
    rows = _collect("case", {case.id}, children)
    counts: Counter[str] = Counter()
    for mapper, objs in rows.items():
        for obj in objs:
            _wipe(obj)
        counts[mapper.local_table.name] += len(objs)
    _wipe(case)
    participants = {p.person_id for p in rows.get(sa.inspect(CaseParticipant), [])}
    live_elsewhere = (
        set(
            db.session.scalars(
                sa.select(CaseParticipant.person_id)
                .join(Case, Case.id == CaseParticipant.case_id)
                .where(CaseParticipant.person_id.in_(sorted(participants)), Case.id != case.id)
                .where(Case.id.not_in(_destroyed_ids()))
            )
        )
        if participants
        else set()
    )
    wiped_people = sorted(participants - live_elsewhere)
    if wiped_people:
        person_rows = _collect("person", set(wiped_people), children)
        for mapper, objs in person_rows.items():
            if mapper.local_table.name == "person_search_token":
                continue
            for obj in objs:
                _wipe(obj)
            counts[mapper.local_table.name] += len(objs)
        for person in db.session.scalars(sa.select(Person).where(Person.id.in_(wiped_people))):
            _wipe(person)
        db.session.execute(sa.delete(PersonSearchToken).where(PersonSearchToken.person_id.in_(wiped_people)))
    db.session.flush()
    summary = {
        "case_kind": case.kind,
        "opened_year": case.opened_on.year,
        "closed_year": case.closed_on.year if case.closed_on else None,
        "people_wiped": len(wiped_people),
        "records": dict(sorted(counts.items())),
    }
    return summary, wiped_people


def dry_run(today: date | None = None) -> list[tuple[str, str, date, str]]:
    """What ``flask retention run`` would act on: (reference, kind, destroy after, state)."""
    out = []
    for row in past_retention(today):
        state = "on legal hold" if row.on_hold else (row.proposal.status if row.proposal else "to review")
        out.append((row.case.reference, row.case.kind, row.due, state))
    return out
