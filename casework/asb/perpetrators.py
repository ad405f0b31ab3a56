"""Actions against perpetrators (issue 11 item 5): warning letters, Acceptable Behaviour
Contracts, Community Protection Warnings and Notices, civil injunctions, Criminal
Behaviour Orders, closure notices and orders (Anti-social Behaviour, Crime and Policing
Act 2014), each with its dates, status, expiry and breaches.

A closure notice lasts at most 48 hours and a closure order at most 3 months (Part 4 of
the 2014 Act); those limits are checked. A breach must fall between the issue date and
today, and marks the action breached.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..core import audit
from ..core.models import Agency, User
from ..core.services import FieldErrors, ServiceError, check_version
from ..extensions import db
from .common import SHORT_MAX, editable, past_date, text
from .models import PERPETRATOR_ACTION_KINDS, PERPETRATOR_ACTION_STATUSES, AsbCase, Breach, PerpetratorAction

# Longest a power can run from its issue date, where the Act sets one.
MAX_DAYS = {"closure_notice": 2, "closure_order": 92}


def record_action(
    user: User,
    asb: AsbCase,
    *,
    person_id: int | None,
    kind: str | None,
    status: str | None,
    agency_id: int | None,
    issued_on: date | None,
    expires_on: date | None,
    terms: str | None,
    court_reference: str | None,
) -> PerpetratorAction:
    editable(user, asb.case)
    errors: list[tuple[str | None, str]] = []
    perpetrators = {p.person_id for p in asb.case.participants_in("perpetrator")}
    if person_id is not None and person_id not in perpetrators:
        errors.append(("person_id", "Choose an alleged perpetrator named on this case"))
    if kind not in PERPETRATOR_ACTION_KINDS:
        errors.append(("kind", "Select the action"))
    if status not in PERPETRATOR_ACTION_STATUSES:
        errors.append(("status", "Select the status"))
    if agency_id is None or db.session.get(Agency, agency_id) is None:
        errors.append(("agency_id", "Select the agency taking the action"))
    try:
        issued_on = past_date(issued_on, "issued_on", "date issued or applied for")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
        issued_on = None
    if expires_on is not None and issued_on is not None:
        if expires_on < issued_on:
            errors.append(("expires_on", "The expiry date must be on or after the date issued"))
        elif kind in MAX_DAYS and expires_on > issued_on + timedelta(days=MAX_DAYS[kind]):
            errors.append(
                ("expires_on", f"A {PERPETRATOR_ACTION_KINDS[kind].lower()} lasts at most {MAX_DAYS[kind]} days")
            )
    try:
        terms = text(terms, "terms", "terms or conditions")
        court_reference = text(court_reference, "court_reference", "court or notice reference", limit=SHORT_MAX)
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    action = PerpetratorAction(
        case_id=asb.case_id,
        person_id=person_id,
        kind=kind,
        status=status,
        agency_id=agency_id,
        issued_on=issued_on,
        expires_on=expires_on,
        terms=terms,
        court_reference=court_reference,
        recorded_by_id=user.id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record(
        "asb.perpetrator_action.create",
        object_type="asb_perpetrator_action",
        object_id=action.id,
        person_ids=[person_id] if person_id else [],
        details={"case_id": asb.case_id, "kind": kind},
    )
    return action


def set_status(user: User, action: PerpetratorAction, asb: AsbCase, *, status: str | None, version: int | None) -> None:
    editable(user, asb.case)
    check_version(action, version)
    if status not in PERPETRATOR_ACTION_STATUSES:
        raise ServiceError("Select the status", "status")
    if status != action.status:
        action.status = status
        db.session.flush()
        audit.record(
            "asb.perpetrator_action.update",
            object_type="asb_perpetrator_action",
            object_id=action.id,
            details={"fields": ["status"]},
        )


def record_breach(
    user: User, action: PerpetratorAction, asb: AsbCase, *, breached_on: date | None, details: str | None
) -> Breach:
    editable(user, asb.case)
    errors: list[tuple[str | None, str]] = []
    try:
        breached_on = past_date(breached_on, "breached_on", "date of the breach")
        if breached_on < action.issued_on:
            raise ServiceError("The breach cannot be before the action was issued", "breached_on")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    try:
        details = text(details, "details", "details of the breach")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    breach = Breach(action=action, breached_on=breached_on, details=details, recorded_by_id=user.id)
    db.session.add(breach)
    action.status = "breached"
    db.session.flush()
    audit.record(
        "asb.perpetrator_action.breach",
        object_type="asb_perpetrator_action",
        object_id=action.id,
        person_ids=[action.person_id] if action.person_id else [],
    )
    return breach


def actions_for(asb: AsbCase) -> list[PerpetratorAction]:
    return list(
        db.session.scalars(
            sa.select(PerpetratorAction)
            .where(PerpetratorAction.case_id == asb.case_id)
            .options(
                joinedload(PerpetratorAction.person),
                joinedload(PerpetratorAction.agency),
                selectinload(PerpetratorAction.breaches),
            )
            .order_by(PerpetratorAction.issued_on.desc(), PerpetratorAction.id.desc())
        )
    )


def load_action(action_id: int, asb: AsbCase) -> PerpetratorAction:
    action = db.session.get(PerpetratorAction, action_id)
    if action is None or action.case_id != asb.case_id:
        from ..core.policy import AccessDenied

        raise AccessDenied("asb_perpetrator_action", action_id)
    return action
