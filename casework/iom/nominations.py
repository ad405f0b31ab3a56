"""Nominations, panel decisions, deselection and spells on the cohort (domain-notes §4).

Any IOM partner nominates a person with reasons, a proposed strand and category and
any external scores (OGRS, RSR) entered by hand; the selection score is computed from
the offending record (``offending.selection_score``). The panel adopts (decision
date, strand, category, lead officer and agency, tier) or does not adopt (with a
reason). Removal from the cohort needs a reason, a date and an exit plan (2005 PPO
guidance). Each adoption opens a spell; deselection closes it; a later re-adoption
opens a new one, so every spell stays on the record.

One IOM case per offender: the first nomination opens it (``core.cases.open_case``)
and its status follows the lifecycle the module registers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from ..core import audit, cases
from ..core.models import Meeting, Person, User
from ..core.policy import AccessDenied, can_act_on_person
from ..core.services import FieldErrors, ServiceError, check_version
from ..extensions import db
from . import notifications
from .common import KIND, editable, past_date, prepared, required_text
from .models import (
    CATEGORIES,
    DESELECTION_REASONS,
    Nomination,
    Offender,
    Spell,
    Strand,
    TierChange,
    TierLabel,
)
from .offending import selection_score


@dataclass
class Adoption:
    decided_on: date | None
    strand: str | None
    category: str | None
    lead_user_id: int | None
    tier: str | None
    reason: str | None = None
    meeting_id: int | None = None


def offender_of_person(person_id: int) -> Offender | None:
    return db.session.scalar(sa.select(Offender).where(Offender.person_id == person_id))


def open_nomination(offender: Offender) -> Nomination | None:
    return db.session.scalar(
        sa.select(Nomination).where(Nomination.case_id == offender.case_id, Nomination.status == "open")
    )


def current_spell(offender: Offender) -> Spell | None:
    return db.session.scalar(
        sa.select(Spell).where(Spell.case_id == offender.case_id, Spell.end_on.is_(None)).order_by(Spell.id.desc())
    )


@prepared
def _spells_query() -> sa.Select:
    return (
        sa.select(Spell)
        .where(Spell.case_id == sa.bindparam("case_id"))
        .options(
            # The page shows the lead officer's name only (with the spell's own agency).
            joinedload(Spell.lead_user).load_only(User.display_name, User.row_uid).lazyload(User.role_rows),
            joinedload(Spell.lead_user).lazyload(User.agency),
            joinedload(Spell.lead_agency),
        )
        .order_by(Spell.start_on)
    )


def spells(offender: Offender) -> list[Spell]:
    """Every spell with its lead officer and agency, in one query however many there are."""
    return list(db.session.scalars(_spells_query(), {"case_id": offender.case_id}))


@prepared
def _nominations_query() -> sa.Select:
    return (
        sa.select(Nomination)
        .where(Nomination.case_id == sa.bindparam("case_id"))
        .options(joinedload(Nomination.nominating_agency))
        .order_by(Nomination.id.desc())
    )


def nominations_of(offender: Offender) -> list[Nomination]:
    """Every nomination on the record, newest first, each with the nominating agency."""
    return list(db.session.scalars(_nominations_query(), {"case_id": offender.case_id}))


def _restore_pathway_plan(offender: Offender) -> None:
    """Closing stopped the pathway plan's reviews; a reopened record carries on with its latest plan
    (its interventions stay on the offender's page) rather than starting an empty one."""
    from ..core.models import Plan

    plan = db.session.scalar(
        sa.select(Plan)
        .where(Plan.case_id == offender.case_id, Plan.kind == "pathway")
        .order_by(Plan.id.desc())
        .limit(1)
    )
    if plan is not None and not plan.is_active:
        plan.is_active = True


def last_deselection_reason(offender: Offender, spells: list[Spell] | None = None) -> str | None:
    """The reason the latest ended spell ended; ``spells``: every spell of the case, when the
    caller has them already."""
    if spells is not None:
        ended = [s for s in spells if s.case_id == offender.case_id and s.end_on is not None]
        return max(ended, key=lambda s: (s.end_on, s.id)).deselection_reason if ended else None
    return db.session.scalar(
        sa.select(Spell.deselection_reason)
        .where(Spell.case_id == offender.case_id, Spell.end_on.is_not(None))
        .order_by(Spell.end_on.desc(), Spell.id.desc())
        .limit(1)
    )


def _score(value: Any, field: str, label: str, top: int = 100) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ServiceError(f"{label} must be a number from 0 to {top}", field) from None
    if not number.is_finite() or not 0 <= number <= top:
        raise ServiceError(f"{label} must be a number from 0 to {top}", field)
    return number


def nominate(user: User, person: Person, data: dict[str, Any]) -> Nomination:
    """Nominate a person to the cohort. Refused when they are already on it or already
    awaiting the panel (a duplicate nomination), or when the IOM record is closed."""
    if not user.can("iom.nominate"):
        raise AccessDenied("person", person.id, hide=False)
    if not can_act_on_person(user, person):
        raise AccessDenied("person", person.id)
    errors: list[tuple[str | None, str]] = []
    offender = offender_of_person(person.id)
    if offender is not None:
        if offender.on_cohort:
            raise ServiceError(f"{person.full_name} is already on the IOM cohort")
        if open_nomination(offender) is not None:
            raise ServiceError(f"{person.full_name} already has a nomination waiting for the panel")
        if not offender.case.is_open and last_deselection_reason(offender) == "deceased":
            raise ServiceError(f"{person.full_name} is recorded as deceased: the IOM record stays closed")
    nominated_on = data.get("nominated_on") or date.today()
    if nominated_on > date.today():
        errors.append(("nominated_on", "The nomination date must be today or in the past"))
    elif offender is not None and offender.case.closed_on is not None and nominated_on < offender.case.closed_on:
        closed = f"{offender.case.closed_on:%-d %B %Y}"
        errors.append(("nominated_on", f"The nomination date cannot be before the record closed on {closed}"))
    reasons = (data.get("reasons") or "").strip()
    if not reasons:
        errors.append(("reasons", "Enter the reasons for the nomination"))
    strand = data.get("proposed_strand")
    if not strand or db.session.get(Strand, strand) is None:
        errors.append(("proposed_strand", "Select the proposed strand"))
    category = data.get("category")
    if category not in CATEGORIES:
        errors.append(("category", "Select the category"))
    try:
        ogrs = _score(data.get("ogrs"), "ogrs", "OGRS")
        if ogrs is not None and ogrs != ogrs.to_integral_value():
            raise ServiceError("OGRS must be a whole number from 0 to 100", "ogrs")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
        ogrs = None
    try:
        rsr = _score(data.get("rsr"), "rsr", "RSR")
        if rsr is not None and rsr != rsr.quantize(Decimal("0.01")):
            raise ServiceError("RSR can have at most two decimal places", "rsr")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
        rsr = None
    if errors:
        raise FieldErrors(errors)
    if offender is None:
        case = cases.open_case(
            kind=KIND,
            status="nominated",
            opened_on=nominated_on,
            lead_agency_id=user.agency_id,
            lead_user_id=user.id,
            created_by=user,
        )
        cases.add_participant(case, person.id, "offender")
        offender = Offender(case_id=case.id, person_id=person.id)
        db.session.add(offender)
        db.session.flush()
    elif not offender.case.is_open:
        # A closed record is reopened by the new nomination; its spells and history stay.
        cases.reopen_case(user, offender.case, status="nominated", reason="Nominated again")
        cases.add_agency(offender.case, user.agency_id)
        _restore_pathway_plan(offender)
    else:
        editable(user, offender)
        cases.set_status(offender.case, "nominated")
        cases.add_agency(offender.case, user.agency_id)
    score = selection_score(person.id, nominated_on)
    nomination = Nomination(
        case_id=offender.case_id,
        nominated_on=nominated_on,
        nominating_agency_id=user.agency_id,
        nominated_by_id=user.id,
        reasons=reasons,
        proposed_strand=strand,
        category=category,
        ogrs=int(ogrs) if ogrs is not None else None,
        rsr=rsr,
        score=score.total,
        score_breakdown=score.as_dict(),
        status="open",
    )
    db.session.add(nomination)
    db.session.flush()
    audit.record("iom.nomination.create", object_type="case", object_id=offender.case_id, person_ids=[person.id])
    notifications.nominated(user, offender.case)
    return nomination


def open_nominations(user: User, limit: int = 200) -> list[Nomination]:
    """Nominations waiting for the panel, oldest first, on cases the user may see."""
    from ..core.models import Case
    from ..core.policy import visible_case_clause

    return list(
        db.session.scalars(
            sa.select(Nomination)
            .join(Case, Case.id == Nomination.case_id)
            .where(Nomination.status == "open", visible_case_clause(user))
            .order_by(Nomination.nominated_on, Nomination.id)
            .limit(limit)
        )
    )


def _check_lead(user_id: int | None) -> User:
    lead = db.session.get(User, user_id) if user_id else None
    if lead is None or not lead.is_active or not lead.can("iom.case.view"):
        raise ServiceError("Choose the lead officer", "lead_user_id")
    return lead


def _refuse_overlap(offender: Offender, start: date) -> None:
    """A person has at most one spell at a time: a new one starts after the last one ended."""
    overlapping = db.session.scalar(
        sa.select(Spell)
        .where(Spell.person_id == offender.person_id, sa.or_(Spell.end_on.is_(None), Spell.end_on >= start))
        .limit(1)
    )
    if overlapping is not None:
        ended = f"ended on {overlapping.end_on:%-d %B %Y}" if overlapping.end_on else "has not ended"
        raise ServiceError(
            f"This would overlap an earlier spell on the cohort, which {ended}: "
            "the adoption date must be after the end of the last spell",
            "decided_on",
        )


def decide(
    user: User,
    nomination: Nomination,
    *,
    adopt: bool,
    decision: Adoption,
    version: int | None,
    meeting: Meeting | None = None,
) -> Spell | None:
    """The panel's decision on a nomination: adopt (opens a spell) or not (with a reason)."""
    offender = db.session.scalar(sa.select(Offender).where(Offender.case_id == nomination.case_id))
    editable(user, offender)
    if not user.can("iom.cohort.manage"):
        raise AccessDenied("case", nomination.case_id, hide=False)
    check_version(nomination, version)
    if nomination.status != "open":
        raise ServiceError("This nomination has already been decided")
    errors: list[tuple[str | None, str]] = []
    decided_on = decision.decided_on
    if decided_on is None:
        errors.append(("decided_on", "Enter the date of the panel decision"))
    elif decided_on > date.today():
        errors.append(("decided_on", "The decision date must be today or in the past"))
    elif decided_on < nomination.nominated_on:
        errors.append(("decided_on", "The decision date cannot be before the nomination"))
    if not adopt:
        if not (decision.reason or "").strip():
            errors.append(("reason", "Enter the reason the panel did not adopt"))
        if errors:
            raise FieldErrors(errors)
        nomination.status = "rejected"
        nomination.decided_on = decided_on
        nomination.decision_reason = decision.reason.strip()
        nomination.meeting_id = meeting.id if meeting else None
        cases.set_status(offender.case, "not_adopted")
        db.session.flush()
        audit.record(
            "iom.nomination.reject", object_type="case", object_id=offender.case_id, person_ids=[offender.person_id]
        )
        return None
    if not decision.strand or db.session.get(Strand, decision.strand) is None:
        errors.append(("strand", "Select the strand"))
    if decision.category not in CATEGORIES:
        errors.append(("category", "Select the category"))
    if not decision.tier or db.session.get(TierLabel, decision.tier) is None:
        errors.append(("tier", "Select the management tier"))
    lead = None
    try:
        lead = _check_lead(decision.lead_user_id)
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    _refuse_overlap(offender, decided_on)
    spell = Spell(
        case_id=offender.case_id,
        person_id=offender.person_id,
        nomination_id=nomination.id,
        start_on=decided_on,
        strand=decision.strand,
        category=decision.category,
        lead_user_id=lead.id,
        lead_agency_id=lead.agency_id,
    )
    db.session.add(spell)
    nomination.status = "adopted"
    nomination.decided_on = decided_on
    nomination.decision_reason = (decision.reason or "").strip() or None
    nomination.meeting_id = meeting.id if meeting else None
    offender.on_cohort = True
    offender.strand = decision.strand
    offender.category = decision.category
    offender.lead_user_id = lead.id
    if offender.tier != decision.tier:
        offender.tier = decision.tier
        db.session.add(
            TierChange(
                case_id=offender.case_id,
                tier=decision.tier,
                changed_on=decided_on,
                reason="Set by the panel on adoption",
                user_id=user.id,
            )
        )
    case = offender.case
    case.lead_user_id = lead.id
    cases.add_agency(case, lead.agency_id)
    cases.set_status(case, "adopted")
    db.session.flush()
    audit.record(
        "iom.nomination.adopt",
        object_type="case",
        object_id=offender.case_id,
        person_ids=[offender.person_id],
        details={"spell_id": spell.id},
    )
    return spell


def deselect(
    user: User,
    offender: Offender,
    *,
    on: date | None,
    reason: str | None,
    note: str | None,
    exit_plan: str | None,
    version: int | None,
) -> Spell:
    """Take an offender off the cohort: a reason, a date (not before adoption) and an exit plan."""
    editable(user, offender)
    if not user.can("iom.cohort.manage"):
        raise AccessDenied("case", offender.case_id, hide=False)
    check_version(offender, version)
    spell = current_spell(offender)
    if spell is None or not offender.on_cohort:
        raise ServiceError("Only an offender on the cohort can be deselected: this person has not been adopted")
    errors: list[tuple[str | None, str]] = []
    try:
        on = past_date(on, "on", "deselection date")
        if on < spell.start_on:
            errors.append(("on", f"The deselection date cannot be before adoption on {spell.start_on:%-d %B %Y}"))
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if reason not in DESELECTION_REASONS:
        errors.append(("reason", "Select the reason for deselection"))
    elif reason == "other" and not (note or "").strip():
        errors.append(("note", "Describe the reason for deselection"))
    try:
        exit_plan = required_text(exit_plan, "exit_plan", "Enter the exit plan")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    spell.end_on = on
    spell.deselection_reason = reason
    spell.deselection_note = (note or "").strip() or None
    spell.exit_plan = exit_plan
    offender.on_cohort = False
    cases.set_status(offender.case, "deselected")
    db.session.flush()
    audit.record(
        "iom.cohort.deselect",
        object_type="case",
        object_id=offender.case_id,
        person_ids=[offender.person_id],
        details={"spell_id": spell.id, "reason": reason},
    )
    return spell


# Statuses from which an IOM record may be closed: no spell running and no nomination waiting.
CLOSABLE = frozenset({"deselected", "not_adopted"})


def may_close(offender: Offender) -> bool:
    return offender.case.is_open and offender.case.status in CLOSABLE and not offender.on_cohort


def close_record(user: User, offender: Offender, *, on: date | None, reason: str | None, version: int | None) -> None:
    """Close the offender's IOM record through the core case lifecycle (``cases.close_case``).

    Only once there is no further involvement: after deselection (for example the offender
    has died, a deselection reason of its own) or a nomination the panel did not adopt.
    Removal from the cohort itself is the panel's deselection with its exit plan (2005 PPO
    guidance, domain-notes §4); closing ends the record. A new nomination reopens it
    (``nominate``), except after a deselection recorded as deceased.
    """
    editable(user, offender)
    if not user.can("iom.cohort.manage"):
        raise AccessDenied("case", offender.case_id, hide=False)
    check_version(offender, version)
    if offender.on_cohort:
        raise ServiceError("Deselect the offender from the cohort before closing the record")
    if open_nomination(offender) is not None:
        raise ServiceError("Record the panel's decision on the open nomination before closing the record")
    if offender.case.status not in CLOSABLE:
        raise ServiceError("Only a deselected or not adopted record can be closed")
    errors: list[tuple[str | None, str]] = []
    try:
        on = past_date(on, "on", "date closed")
        last_end = db.session.scalar(sa.select(sa.func.max(Spell.end_on)).where(Spell.case_id == offender.case_id))
        if last_end is not None and on < last_end:
            errors.append(("on", f"The date closed cannot be before the deselection on {last_end:%-d %B %Y}"))
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if not (reason or "").strip():
        errors.append(("reason", "Enter the reason for closing the record"))
    if errors:
        raise FieldErrors(errors)
    cases.close_case(user, offender.case, on=on, reason=reason.strip())
    # The offender row carries the record's version: a concurrent change or a second close conflicts.
    flag_modified(offender, "on_cohort")
    db.session.flush()
