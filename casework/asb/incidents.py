"""Incidents (issue 11 item 1; domain-notes §5): log, offer similar open cases, link reports of
the same event, remove by correction.

An incident has a date and time (not in the future), a category (personal /
nuisance / environmental) and a type from the partnership's list, a location, an
encrypted description, who it was reported to (police, council, housing provider)
with their references, a hate-motivated flag with the protected characteristic,
its victims and its alleged perpetrators (people, or "unknown"). Every incident
belongs to an ASB case; when one is logged for a victim, open ASB cases with the
same victim, the same address or the same alleged perpetrator are offered first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from ..core import audit, cases
from ..core.localtime import NonexistentTime, to_utc
from ..core.models import Case, CaseParticipant, Person, User
from ..core.pagination import paginate
from ..core.periods import local_date
from ..core.policy import AccessDenied, can_act_on_person, ensure_can_view_case, visible_case_clause
from ..core.services import FieldErrors, ServiceError, check_version
from ..core.types import utcnow
from ..extensions import db
from . import repeats
from .common import KIND, SHORT_MAX, editable, text
from .models import (
    CATEGORIES,
    HATE_CHARACTERISTICS,
    REPORTED_TO,
    AsbCase,
    Incident,
    IncidentGroup,
    IncidentPerpetrator,
    IncidentReport,
    IncidentType,
    IncidentVictim,
    address_index,
)


@dataclass
class ReportData:
    reported_to: str | None
    reference: str | None = None
    reported_on: date | None = None


@dataclass
class IncidentData:
    occurred_on: date | None
    occurred_time: time | None
    reported_on: date | None
    category: str | None
    type_code: str | None
    description: str | None
    location: str | None = None
    is_hate: bool = False
    hate_characteristic: str | None = None
    hate_details: str | None = None
    victim_ids: list[int] = field(default_factory=list)
    perpetrator_ids: list[int] = field(default_factory=list)
    perpetrator_unknown: bool = False
    perpetrator_description: str | None = None
    reports: list[ReportData] = field(default_factory=list)


def incident_types(active_only: bool = True) -> list[IncidentType]:
    query = sa.select(IncidentType).order_by(IncidentType.sort_order)
    if active_only:
        query = query.where(IncidentType.is_active.is_(True))
    return list(db.session.scalars(query))


def _validate(data: IncidentData) -> tuple[datetime, list[tuple[str | None, str]]]:
    errors: list[tuple[str | None, str]] = []
    occurred_at = None
    today = date.today()
    if data.occurred_on is None:
        errors.append(("occurred_on", "Enter the date of the incident"))
    elif data.occurred_on > today:
        errors.append(("occurred_on", "The date of the incident must be today or in the past"))
    else:
        try:
            occurred_at = to_utc(data.occurred_on, data.occurred_time or time(0, 0))
        except NonexistentTime as exc:
            errors.append(("occurred_time", str(exc)))
        else:
            if occurred_at > utcnow():
                errors.append(("occurred_time", "The time of the incident must be now or in the past"))
    if data.reported_on is None:
        errors.append(("reported_on", "Enter the date the incident was first reported"))
    elif data.reported_on > today:
        errors.append(("reported_on", "The date reported must be today or in the past"))
    elif data.occurred_on and data.reported_on < data.occurred_on:
        errors.append(("reported_on", "The date reported must be on or after the date of the incident"))
    if data.category not in CATEGORIES:
        errors.append(("category", "Select the category"))
    itype = db.session.get(IncidentType, data.type_code) if data.type_code else None
    if itype is None or not itype.is_active:
        errors.append(("type_code", "Select the type of incident"))
    elif data.category in CATEGORIES and itype.category != data.category:
        errors.append(
            (
                "type_code",
                f"{itype.label} is a {CATEGORIES[itype.category].lower()} type: select a type in the category",
            )
        )
    for name, what, required, limit in (
        ("description", "description of what happened", True, 4000),
        ("location", "location", False, SHORT_MAX),
        ("hate_details", "details of the hate motivation", False, 4000),
        ("perpetrator_description", "description of the unknown perpetrator", False, SHORT_MAX),
    ):
        try:
            setattr(data, name, text(getattr(data, name), name, what, required=required, limit=limit))
        except ServiceError as exc:
            errors.append((exc.field, str(exc)))
    if data.is_hate and data.hate_characteristic not in HATE_CHARACTERISTICS:
        errors.append(("hate_characteristic", "Select the protected characteristic the incident was aimed at"))
    if not data.is_hate:
        data.hate_characteristic = data.hate_details = None
    if not data.victim_ids:
        errors.append(("victim_ids", "Name at least one victim"))
    if not data.perpetrator_ids and not data.perpetrator_unknown:
        errors.append(("perpetrator_ids", "Name the alleged perpetrator, or say that they are not known"))
    if set(data.perpetrator_ids) & set(data.victim_ids):
        errors.append(("perpetrator_ids", "A victim cannot also be the alleged perpetrator of the same incident"))
    for report in data.reports:
        if report.reported_to not in REPORTED_TO:
            errors.append(("reported_to", "Select who the incident was reported to"))
        try:
            report.reference = text(report.reference, "reference", "reference number", limit=60)
        except ServiceError as exc:
            errors.append((exc.field, str(exc)))
        if report.reported_on is None:
            report.reported_on = data.reported_on
        elif report.reported_on > today or (data.occurred_on and report.reported_on < data.occurred_on):
            errors.append(("reported_on", "Each report must be dated between the incident and today"))
    return occurred_at, errors


def _people(user: User, ids: Iterable[int], field_name: str) -> list[Person]:
    """People the user may link into an ASB case (a hidden person reads as not found)."""
    out = []
    for person_id in dict.fromkeys(ids):
        person = db.session.get(Person, person_id)
        if person is None or not can_act_on_person(user, person):
            raise ServiceError(f"No person P{person_id:06d} that you can add was found", field_name)
        out.append(person)
    return out


@dataclass(frozen=True)
class SimilarCase:
    case: Case
    asb: AsbCase
    reasons: tuple[str, ...]


def similar_cases(
    user: User,
    *,
    victim_ids: Iterable[int],
    address: str | None = None,
    perpetrator_ids: Iterable[int] = (),
    limit: int = 10,
) -> list[SimilarCase]:
    """Open ASB cases the user may see with the same victim, the same address or the same alleged
    perpetrator (offered when a new incident is logged: add to one of them, or open a new case)."""
    victims, perps = set(victim_ids), set(perpetrator_ids)
    bi = address_index(address)
    routes = []
    if victims:
        routes.append(AsbCase.victim_person_id.in_(victims))
        routes.append(
            AsbCase.case_id.in_(
                sa.select(CaseParticipant.case_id).where(
                    CaseParticipant.person_id.in_(victims), CaseParticipant.role == "victim"
                )
            )
        )
    if bi is not None:
        routes.append(AsbCase.bi_address == bi)
        routes.append(
            AsbCase.case_id.in_(
                sa.select(Incident.case_id).where(Incident.bi_location == bi, Incident.deleted_at.is_(None))
            )
        )
    if perps:
        routes.append(
            AsbCase.case_id.in_(
                sa.select(CaseParticipant.case_id).where(
                    CaseParticipant.person_id.in_(perps), CaseParticipant.role == "perpetrator"
                )
            )
        )
    if not routes:
        return []
    rows = db.session.execute(
        sa.select(AsbCase, Case)
        .join(Case, Case.id == AsbCase.case_id)
        .where(Case.closed_on.is_(None), sa.or_(*routes), visible_case_clause(user, via_meetings=False))
        .order_by(Case.opened_on.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    out = []
    for asb, case in rows:
        roles = {(p.person_id, p.role) for p in case.participants}
        reasons = []
        if asb.victim_person_id in victims or any((v, "victim") in roles for v in victims):
            reasons.append("same victim")
        if bi is not None and asb.bi_address == bi:
            reasons.append("same address")
        elif bi is not None and db.session.scalar(
            sa.select(sa.exists().where(Incident.case_id == case.id, Incident.bi_location == bi))
        ):
            reasons.append("same location")
        if any((p, "perpetrator") in roles for p in perps):
            reasons.append("same alleged perpetrator")
        out.append(SimilarCase(case=case, asb=asb, reasons=tuple(reasons)))
    return out


def open_asb_case(
    user: User,
    victim: Person,
    *,
    opened_on: date,
    address: str | None = None,
    is_household: bool = False,
    lead_user_id: int | None = None,
) -> AsbCase:
    """Open an ASB case for a victim (or household), led by the user's agency."""
    case = cases.open_case(
        kind=KIND,
        status="open",
        opened_on=opened_on,
        lead_agency_id=user.agency_id,
        lead_user_id=lead_user_id or user.id,
        created_by=user,
    )
    cases.add_participant(case, victim.id, "victim")
    asb = AsbCase(
        case_id=case.id,
        victim_person_id=victim.id,
        is_household=is_household,
        address=(address or victim.address or None),
    )
    db.session.add(asb)
    db.session.flush()
    return asb


def log_incident(user: User, data: IncidentData, *, asb: AsbCase | None = None) -> Incident:
    """Log an incident on ``asb`` (or on a new ASB case for its first victim) and refresh the
    repeat status of its victims."""
    if not user.can("asb.incident.record"):
        raise AccessDenied("asb_incident", "new", hide=False)
    occurred_at, errors = _validate(data)
    victims: list[Person] = []
    perps: list[Person] = []
    if not errors:
        try:
            victims = _people(user, data.victim_ids, "victim_ids")
            perps = _people(user, data.perpetrator_ids, "perpetrator_ids")
        except ServiceError as exc:
            errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    if asb is None:
        asb = open_asb_case(user, victims[0], opened_on=data.reported_on, address=data.location)
    else:
        ensure_can_view_case(user, asb.case)
        if not asb.case.is_open:
            raise ServiceError("This ASB case is closed: open a new case for the incident")
    case = asb.case
    present = {(p.person_id, p.role) for p in case.participants}
    for person in victims:
        if (person.id, "victim") not in present:
            cases.add_participant(case, person.id, "victim")
    for person in perps:
        if (person.id, "perpetrator") not in present:
            cases.add_participant(case, person.id, "perpetrator")
    incident = Incident(
        case_id=case.id,
        occurred_at=occurred_at,
        occurred_on=data.occurred_on,
        reported_on=data.reported_on,
        category=data.category,
        type_code=data.type_code,
        location=data.location,
        description=data.description,
        is_hate=bool(data.is_hate),
        hate_characteristic=data.hate_characteristic,
        hate_details=data.hate_details,
        perpetrator_unknown=bool(data.perpetrator_unknown),
        recorded_by_id=user.id,
        recorded_agency_id=user.agency_id,
    )
    db.session.add(incident)
    db.session.flush()
    for person in victims:
        incident.victims.append(
            IncidentVictim(person_id=person.id, occurred_on=data.occurred_on, event_key=-incident.id, live=True)
        )
    for person in perps:
        incident.perpetrators.append(IncidentPerpetrator(person_id=person.id))
    if data.perpetrator_unknown:
        incident.perpetrators.append(IncidentPerpetrator(person_id=None, description=data.perpetrator_description))
    for report in data.reports:
        incident.reports.append(
            IncidentReport(reported_to=report.reported_to, reference=report.reference, reported_on=report.reported_on)
        )
    db.session.flush()
    repeats.refresh([p.id for p in victims], case_id=case.id)
    audit.record(
        "asb.incident.create",
        object_type="asb_incident",
        object_id=incident.id,
        person_ids=sorted({p.id for p in victims} | {p.id for p in perps}),
        details={"case_id": case.id},
    )
    return incident


def load_incident(user: User, incident_id: int, *, edit: bool = False) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise AccessDenied("asb_incident", incident_id)
    cases.load_case(user, incident.case_id, kind=KIND, edit=edit, log=False)
    return incident


def delete_incident(user: User, incident: Incident, *, reason: str | None, version: int | None) -> None:
    """Remove an incident logged in error (a correction): kept for the record with the reason,
    counted for nothing, audited; its victims' repeat status is recomputed."""
    editable(user, incident.case)
    check_version(incident, version)
    if incident.is_deleted:
        raise ServiceError("This incident has already been removed")
    reason = text(reason, "reason", "reason for removing the incident", required=True, limit=SHORT_MAX * 5)
    incident.deleted_at = utcnow()
    incident.deleted_by_id = user.id
    incident.deletion_reason = reason
    for link in incident.victims:
        link.live = False
    db.session.flush()
    repeats.refresh([v.person_id for v in incident.victims])
    audit.record(
        "asb.incident.delete",
        object_type="asb_incident",
        object_id=incident.id,
        person_ids=sorted(v.person_id for v in incident.victims),
        details={"case_id": incident.case_id},
    )


def link_incidents(user: User, first: Incident, second: Incident) -> IncidentGroup:
    """Link two reports of the same event (to different agencies, say) so they count as one."""
    editable(user, first.case)
    editable(user, second.case)
    if first.id == second.id:
        raise ServiceError("Choose two different incidents", "second_id")
    if first.is_deleted or second.is_deleted:
        raise ServiceError("A removed incident cannot be linked", "second_id")
    group_id = first.group_id or second.group_id
    if group_id is None:
        group = IncidentGroup(created_by_id=user.id)
        db.session.add(group)
        db.session.flush()
        group_id = group.id
    moving = [first, second]
    for other_group in {first.group_id, second.group_id} - {None, group_id}:
        moving += list(db.session.scalars(sa.select(Incident).where(Incident.group_id == other_group)))
    for incident in moving:
        incident.group_id = group_id
        for link in incident.victims:
            link.event_key = group_id
    db.session.flush()
    people = {v.person_id for i in moving for v in i.victims}
    repeats.refresh(people)
    audit.record(
        "asb.incident.link",
        object_type="asb_incident",
        object_id=first.id,
        person_ids=sorted(people),
        details={"group_id": group_id, "incident_ids": sorted(i.id for i in moving)},
    )
    return db.session.get(IncidentGroup, group_id)


def incidents_for(case: Case, *, include_deleted: bool = True, limit: int = 200) -> list[Incident]:
    query = (
        sa.select(Incident)
        .where(Incident.case_id == case.id)
        .options(
            selectinload(Incident.victims).joinedload(IncidentVictim.person),
            selectinload(Incident.perpetrators).joinedload(IncidentPerpetrator.person),
            selectinload(Incident.reports),
        )
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    if not include_deleted:
        query = query.where(Incident.deleted_at.is_(None))
    return list(db.session.scalars(query))


def incidents_of_victim(
    person_id: int,
    *,
    since: date | None = None,
    until: date | None = None,
    type_code: str | None = None,
    reported_since: date | None = None,
) -> list[Incident]:
    """A victim's live incidents, oldest first, filtered by date, type (the "problem") and date
    reported: the query a threshold check (ASB Case Review) builds on."""
    query = (
        sa.select(Incident)
        .join(IncidentVictim, IncidentVictim.incident_id == Incident.id)
        .where(IncidentVictim.person_id == person_id, IncidentVictim.live.is_(True))
        .order_by(Incident.occurred_on, Incident.id)
    )
    if since is not None:
        query = query.where(IncidentVictim.occurred_on >= since)
    if until is not None:
        query = query.where(IncidentVictim.occurred_on <= until)
    if type_code is not None:
        query = query.where(Incident.type_code == type_code)
    if reported_since is not None:
        query = query.where(Incident.reported_on >= reported_since)
    return list(db.session.scalars(query))


def occurred_local_date(incident: Incident) -> date:
    return local_date(incident.occurred_at)


# --- the partnership's incident list ---------------------------------------------------------

# How far back the incident list looks, in days ("" for every incident).
LIST_PERIODS = {
    "7": "Last 7 days",
    "28": "Last 28 days",
    "91": "Last 3 months",
    "365": "Last 12 months",
    "": "Any time",
}
DEFAULT_LIST_PERIOD = "28"


@dataclass(frozen=True)
class IncidentFilter:
    days: int | None = int(DEFAULT_LIST_PERIOD)
    category: str | None = None
    hate_only: bool = False


def incidents_page(user: User, flt: IncidentFilter, page: int, *, today: date | None = None, per_page: int = 25):
    """Incidents on the ASB cases the user may see, most recent first (removed ones left out),
    one page at a time: the list an officer scans for what is happening where. The view of
    each page is recorded with the victims it names."""
    query = (
        sa.select(Incident)
        .join(Case, Case.id == Incident.case_id)
        .where(Case.kind == KIND, Incident.deleted_at.is_(None), visible_case_clause(user))
        .options(cases.without_access_links(contains_eager(Incident.case).load_only(Case.reference)))
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())
    )
    if flt.days is not None:
        query = query.where(Incident.occurred_on > (today or date.today()) - timedelta(days=flt.days))
    if flt.category:
        query = query.where(Incident.category == flt.category)
    if flt.hate_only:
        query = query.where(Incident.is_hate.is_(True))
    result = paginate(query, page, per_page)
    ids = [i.id for i in result.items]
    victims = (
        sorted(set(db.session.scalars(sa.select(IncidentVictim.person_id).where(IncidentVictim.incident_id.in_(ids)))))
        if ids
        else []
    )
    if ids:
        audit.record(
            "asb.incident.list",
            object_type="case",
            person_ids=victims,
            purpose="casework",
            details={"incidents": len(ids)},
        )
    return result
