"""MARAC referrals: criteria, repeat detection, decisions, IDVA allocation, transfer and closure.

Referral criteria (SafeLives, "Marac referral criteria: definitions"): visible
high risk (a DASH score of 14+), professional judgement (with reasons),
potential escalation (3+ incidents in 12 months by default; some areas use 5)
and repeat (any further incident between the same victim and perpetrator(s)
within 12 months of the last MARAC referral date). A referral meeting none of
them is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager, joinedload

from ..core import audit, cases, periods
from ..core.models import Agency, AgendaItem, Case, CaseParticipant, Meeting, Person, User, UserRole
from ..core.policy import AccessDenied, can_view_case, ensure_can_edit_case
from ..core.services import FieldErrors, ServiceError, check_version
from ..extensions import db
from . import meetings, notifications
from .models import ContactLog, DashAssessment, Referral


@dataclass
class PersonLink:
    person_id: int
    relationship: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class RepeatCandidate:
    referral: Referral
    days_since: int
    perpetrator_match: bool


# An earlier referral the MARAC did not take on (still awaiting a decision, or declined)
# is not a "MARAC referral" for the repeat definition.
NOT_MARAC_REFERRALS = ("submitted", "declined")


def repeat_window_end(last_referral_date: date) -> date:
    """The last day an incident makes a repeat: ``MARAC_REPEAT_WINDOW_MONTHS`` (default 12)
    calendar months after the last MARAC referral date, to the day.

    SafeLives, "Definition of a repeat Marac case" (domain-notes §0, §2): any further
    incident between the same victim and perpetrator(s) within 12 months of the last
    referral date; after that it is a new referral. Calendar months: a referral on
    29 February 2024 makes incidents up to 28 February 2025 repeats.
    """
    return periods.add_months(last_referral_date, current_app.config["MARAC_REPEAT_WINDOW_MONTHS"])


def find_repeats(
    victim_id: int, incident_date: date, perpetrator_ids: set[int], exclude_case_id: int | None = None
) -> list[RepeatCandidate]:
    """Earlier MARAC referrals of this victim whose repeat window holds the incident, newest first.

    The first, if any, is the victim's LAST MARAC referral before the incident: the one
    the repeat definition measures from (:func:`repeat_window_end`). Referrals still
    awaiting a decision, and declined ones, are not MARAC referrals and are skipped.
    Older ones are listed for the coordinator to see, but only the last can make the
    incident a repeat (:func:`proposed_repeat`).
    """
    earliest = periods.add_months(incident_date, -current_app.config["MARAC_REPEAT_WINDOW_MONTHS"])
    query = (
        sa.select(Referral)
        .join(Case, Case.id == Referral.case_id)
        # Access links load only if a check needs them (a coordinator's does not).
        .options(cases.without_access_links(contains_eager(Referral.case)))
        .where(
            Referral.victim_id == victim_id,
            Referral.referral_date <= incident_date,
            # Every referral whose window holds the incident is on or after this date
            # (month-end clamping only ever moves it earlier); each is checked exactly below.
            Referral.referral_date >= earliest,
            Case.status.not_in(NOT_MARAC_REFERRALS),
        )
        .order_by(Referral.referral_date.desc(), Referral.id.desc())
    )
    if exclude_case_id is not None:
        query = query.where(Referral.case_id != exclude_case_id)
    earlier = [ref for ref in db.session.scalars(query) if incident_date <= repeat_window_end(ref.referral_date)]
    # Their perpetrators by id only: nothing about these people is shown or decrypted here.
    theirs: dict[int, set[int]] = {}
    if earlier:
        for case_id, person_id in db.session.execute(
            sa.select(CaseParticipant.case_id, CaseParticipant.person_id).where(
                CaseParticipant.case_id.in_([ref.case_id for ref in earlier]), CaseParticipant.role == "perpetrator"
            )
        ):
            theirs.setdefault(case_id, set()).add(person_id)
    return [
        RepeatCandidate(
            ref, (incident_date - ref.referral_date).days, bool(theirs.get(ref.case_id, set()) & perpetrator_ids)
        )
        for ref in earlier
    ]


def proposed_repeat(candidates: list[RepeatCandidate]) -> RepeatCandidate | None:
    """The repeat that detection proposes to the coordinator, or None.

    SafeLives: a repeat is a further incident involving the same victim and the same
    perpetrator(s) within 12 months of the LAST MARAC referral date. So only the
    victim's last MARAC referral counts, and only if it names a perpetrator of the new
    incident: a different perpetrator is a new referral, not a repeat.
    """
    if candidates and candidates[0].perpetrator_match:
        return candidates[0]
    return None


def _always_shared_agency_ids() -> list[int]:
    kinds = current_app.config.get("MARAC_SHARE_WITH_AGENCY_KINDS", ("idva_service",))
    return list(db.session.scalars(sa.select(Agency.id).where(Agency.kind.in_(kinds), Agency.is_active.is_(True))))


def _coordinator_ids() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "marac_coordinator", User.is_active.is_(True))
        )
    )


def check_criteria(
    *,
    dash: DashAssessment | None,
    professional_judgement: bool,
    judgement_reason: str | None,
    incidents_12_months: int | None,
    repeat: bool,
) -> dict[str, bool]:
    cfg = current_app.config
    met = {
        "crit_visible_high_risk": bool(dash and dash.score >= cfg["DASH_HIGH_THRESHOLD"]),
        "crit_professional_judgement": bool(professional_judgement and (judgement_reason or "").strip()),
        "crit_escalation": (incidents_12_months or 0) >= cfg["MARAC_ESCALATION_INCIDENTS"],
        "crit_repeat": bool(repeat),
    }
    if professional_judgement and not (judgement_reason or "").strip():
        raise ServiceError("Give the reasons for your professional judgement", "judgement_reason")
    if not any(met.values()):
        raise ServiceError(
            "This referral meets none of the MARAC criteria: a DASH score of "
            f"{cfg['DASH_HIGH_THRESHOLD']} or more, professional judgement with reasons, "
            f"{cfg['MARAC_ESCALATION_INCIDENTS']} or more incidents in 12 months, or a repeat. "
            "Record the criterion that applies, or do not refer.",
            "dash_id",
        )
    return met


def create_referral(
    user: User,
    victim: Person,
    data: dict[str, Any],
    *,
    perpetrators: list[PersonLink],
    children: list[PersonLink],
) -> Referral:
    """Open a MARAC case for a referral, after checking criteria, dates and repeats."""
    referral_date: date = data["referral_date"]
    incident_date: date | None = data.get("incident_date")
    if referral_date > date.today():
        raise ServiceError("The referral date cannot be in the future", "referral_date")
    if incident_date and incident_date > referral_date:
        raise ServiceError("The incident date cannot be after the referral date", "incident_date")
    if victim.dob and victim.dob > referral_date:
        raise ServiceError("The victim's date of birth is after the referral date", "referral_date")
    dash = None
    if data.get("dash_id"):
        dash = db.session.get(DashAssessment, data["dash_id"])
        if dash is None or dash.person_id != victim.id:
            raise ServiceError("Choose a DASH assessment for this victim", "dash_id")
    if data.get("consent") == "no" and not (data.get("consent_override_reason") or "").strip():
        raise ServiceError("Say why information is shared without consent", "consent_override_reason")
    if data.get("transfer_in") and not (data.get("transfer_from_area") or "").strip():
        raise ServiceError("Give the MARAC area the case is transferred from", "transfer_from_area")
    perp_ids = {p.person_id for p in perpetrators}
    if victim.id in perp_ids or victim.id in {c.person_id for c in children}:
        raise ServiceError("The victim cannot also be a perpetrator or child on the referral", "perpetrators")

    # Earlier referrals the referrer may not see are kept for the coordinator to confirm,
    # never shown or copied to the referrer: a repeat must not reveal a hidden case.
    found = find_repeats(victim.id, incident_date or referral_date, perp_ids)
    proposal = proposed_repeat(found)
    latest = proposal if proposal and can_view_case(user, proposal.referral.case) else None
    hidden = proposal if proposal and latest is None else None
    repeat_claimed = bool(data.get("crit_repeat")) or latest is not None
    met = check_criteria(
        dash=dash,
        professional_judgement=bool(data.get("crit_professional_judgement")),
        judgement_reason=data.get("judgement_reason"),
        incidents_12_months=data.get("incidents_12_months"),
        repeat=repeat_claimed,
    )
    if data.get("crit_repeat") and latest is None and not data.get("previous_marac_date"):
        raise ServiceError(
            "No earlier MARAC referral for this victim was found: give the previous MARAC date", "previous_marac_date"
        )

    case = cases.open_case(
        kind="marac",
        status="submitted",
        opened_on=referral_date,
        lead_agency_id=user.agency_id,
        lead_user_id=user.id,
        created_by=user,
        agency_ids=_always_shared_agency_ids(),
        is_restricted=bool(data.get("is_restricted")),
        # A restricted referral must still reach the MARAC: its coordinators are named on it.
        member_ids=_coordinator_ids() if data.get("is_restricted") else (),
    )
    cases.add_participant(case, victim.id, "victim")
    for link in perpetrators:
        cases.add_participant(case, link.person_id, "perpetrator", relationship_to_victim=link.relationship)
    for link in children:
        cases.add_participant(
            case, link.person_id, "child", relationship_to_victim=link.relationship, details=link.details or None
        )
    referral = Referral(
        case_id=case.id,
        victim_id=victim.id,
        referral_date=referral_date,
        incident_date=incident_date,
        # The user's agency, unless an earlier record (a spreadsheet import) names another.
        referring_agency_id=data.get("referring_agency_id") or user.agency_id,
        referrer_id=user.id,
        referrer_name=data.get("referrer_name") or user.display_name,
        referrer_phone=data.get("referrer_phone"),
        referrer_email=data.get("referrer_email") or user.email,
        dash_id=dash.id if dash else None,
        judgement_reason=data.get("judgement_reason") if met["crit_professional_judgement"] else None,
        incidents_12_months=data.get("incidents_12_months"),
        repeat_of_case_id=(latest or hidden).referral.case_id if (latest or hidden) else None,
        previous_marac_date=latest.referral.referral_date if latest else data.get("previous_marac_date"),
        previous_reference=latest.referral.case.reference if latest else data.get("previous_reference"),
        victim_aware=data["victim_aware"],
        consent=data["consent"],
        consent_override_reason=data.get("consent_override_reason") if data["consent"] == "no" else None,
        victim_fears=data.get("victim_fears"),
        safe_to_call=data.get("safe_to_call"),
        safe_contact=data.get("safe_contact"),
        summary=data.get("summary"),
        transfer_in=bool(data.get("transfer_in")),
        transfer_from_area=data.get("transfer_from_area") if data.get("transfer_in") else None,
        transfer_in_date=data.get("transfer_in_date") if data.get("transfer_in") else None,
        transfer_previous_ref=data.get("transfer_previous_ref") if data.get("transfer_in") else None,
        **met,
    )
    if dash is not None and dash.case_id is None:
        dash.case_id = case.id
    db.session.add(referral)
    db.session.flush()
    audit.record(
        "marac.referral.create",
        object_type="case",
        object_id=case.id,
        person_ids=cases.person_ids_of(case),
        purpose="casework",
        details={"repeat_candidates": [r.referral.case_id for r in found]},
    )
    notifications.referral_submitted(user, case)
    return referral


def referral_for(case: Case) -> Referral:
    referral = db.session.scalar(
        sa.select(Referral)
        .where(Referral.case_id == case.id)
        # What the case page shows beside the referral, in the same query.
        .options(
            joinedload(Referral.referring_agency),
            joinedload(Referral.dash),
            joinedload(Referral.idva).lazyload(User.role_rows),  # the name is shown, not the roles
        )
    )
    if referral is None:
        raise AccessDenied("case", case.id)
    return referral


def decide(
    user: User,
    referral: Referral,
    *,
    accept: bool,
    reason: str | None,
    version: int | None,
    meeting: Meeting | None = None,
) -> AgendaItem | None:
    """The coordinator accepts a referral or declines it (with a reason).

    Accepting asks which meeting hears it: with ``meeting`` the case is listed on it at
    once (as urgent if the referral missed that meeting's cut-off); without, it waits,
    accepted, to be listed later. Returns the new agenda item, if any.
    """
    ensure_can_edit_case(user, referral.case)
    check_version(referral, version)
    if referral.status != "submitted":
        raise ServiceError("This referral has already been decided")
    if accept:
        cases.set_status(referral.case, "accepted")
    else:
        if not (reason or "").strip():
            raise ServiceError("Enter the reason for declining the referral", "reason")
        referral.decline_reason = reason.strip()
        cases.close_case(user, referral.case, on=date.today(), reason="Referral declined", status="declined")
    db.session.flush()
    audit.record(
        "marac.referral.accept" if accept else "marac.referral.decline",
        object_type="case",
        object_id=referral.case_id,
    )
    if accept and meeting is not None:
        return meetings.list_accepted(user, referral, meeting)
    return None


def confirm_repeat(
    user: User, referral: Referral, *, is_repeat: bool, reason: str | None = None, version: int | None
) -> None:
    """The coordinator confirms a proposed repeat, or rejects it and says why.

    Only a confirmed repeat is a repeat case (``Referral.is_repeat``) and counts in the
    quarterly return (SafeLives: detection proposes, the MARAC decides; domain-notes §3).
    """
    ensure_can_edit_case(user, referral.case)
    check_version(referral, version)
    if not is_repeat and not (reason or "").strip():
        raise ServiceError("Enter the reason this is not a repeat", "reason")
    referral.repeat_confirmed = is_repeat
    referral.crit_repeat = is_repeat
    referral.repeat_reject_reason = None if is_repeat else reason.strip()
    earlier = referral.repeat_of
    # The previous date and reference are shown to everyone who sees this case (and on the
    # agenda), so they are never copied from a restricted case.
    if is_repeat and earlier is not None and not earlier.is_restricted and can_view_case(user, earlier):
        previous = db.session.scalar(sa.select(Referral).where(Referral.case_id == earlier.id))
        referral.previous_marac_date = previous.referral_date if previous else referral.previous_marac_date
        referral.previous_reference = earlier.reference
    db.session.flush()
    audit.record(
        "marac.referral.confirm_repeat", object_type="case", object_id=referral.case_id, details={"repeat": is_repeat}
    )


def allocate_idva(user: User, referral: Referral, idva_user_id: int | None, version: int | None) -> None:
    """The coordinator allocates an IDVA. On a restricted case the IDVA is named on it, and a
    previous IDVA's naming ends with their allocation (unless they referred or lead it)."""
    ensure_can_edit_case(user, referral.case)
    check_version(referral, version)
    case = referral.case
    if not case.is_open:
        raise ServiceError("This case is closed")
    previous = referral.idva_user_id
    if idva_user_id is not None:
        idva = db.session.get(User, idva_user_id)
        if idva is None or "idva" not in idva.roles or not idva.is_active:
            raise ServiceError("Choose an active IDVA", "idva_user_id")
        if idva.agency.kind == "idva_service":
            cases.add_agency(case, idva.agency_id)
        if case.is_restricted:
            cases.add_member(case, idva.id)
    if (
        case.is_restricted
        and previous
        and previous != idva_user_id
        and previous
        not in (
            case.created_by_id,
            case.lead_user_id,
        )
    ):
        case.member_links = [m for m in case.member_links if m.user_id != previous]
    referral.idva_user_id = idva_user_id
    db.session.flush()
    audit.record(
        "marac.referral.allocate_idva", object_type="case", object_id=referral.case_id, details={"idva": idva_user_id}
    )


def log_contact(
    user: User, referral: Referral, *, on: date, method: str, outcome: str, notes: str | None
) -> ContactLog:
    """An IDVA's contact with the victim (only the IDVA contacts the victim: SafeLives)."""
    ensure_can_edit_case(user, referral.case)
    if on > date.today():
        raise ServiceError("Date of contact must be today or in the past", "contact_on")
    contact = ContactLog(
        case_id=referral.case_id, contact_on=on, method=method, outcome=outcome, notes=notes, user_id=user.id
    )
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "marac.contact.create", object_type="case", object_id=referral.case_id, person_ids=[referral.victim_id]
    )
    return contact


def transfer_out(user: User, referral: Referral, *, on: date, area: str, sent: str | None, version: int | None) -> None:
    """Transfer to another MARAC area (victim moved): record when, where and what was sent.
    The case closes; sending the case is a disclosure and is recorded as one."""
    ensure_can_edit_case(user, referral.case)
    check_version(referral, version)
    if on < referral.referral_date:
        raise ServiceError("Date of transfer must be on or after the referral date", "on")
    if not (area or "").strip():
        raise ServiceError("Enter the MARAC area the case is transferred to", "area")
    referral.transfer_out_date = on
    referral.transfer_out_area = area.strip()
    referral.transfer_out_sent = sent
    cases.close_case(user, referral.case, on=on, reason=f"Transferred to {area.strip()}", status="transferred_out")
    db.session.flush()
    audit.record(
        "marac.case.share",
        object_type="case",
        object_id=referral.case_id,
        person_ids=cases.person_ids_of(referral.case),
        purpose="marac_meeting",
        lawful_basis="gdpr_6_1_e_sch1_safeguarding",
    )


def close_case(user: User, referral: Referral, *, on: date, reason: str, version: int | None) -> None:
    """Close a MARAC case (core lifecycle: off future agendas, open actions and plan reviews end)."""
    ensure_can_edit_case(user, referral.case)
    check_version(referral, version)
    if on < referral.referral_date:
        raise ServiceError("Date closed must be on or after the referral date", "on")
    cases.close_case(user, referral.case, on=on, reason=reason)


def participants(case: Case, role: str) -> list[CaseParticipant]:
    return [p for p in case.participants if p.role == role]


# --- submitting a referral from the form -------------------------------------------------


@dataclass
class NewPerson:
    """A person typed into the referral form (not yet on record)."""

    given_names: str | None
    surname: str | None
    dob: date | None
    field: str  # the form field the duplicate-check message belongs to


@dataclass
class ChildEntry:
    person: NewPerson
    relationship_to_victim: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReferralSubmission:
    """Everything the referral form collects, in plain values."""

    data: dict[str, Any]
    diversity: dict[str, Any]
    perpetrator_reference: str | None = None
    new_perpetrator: NewPerson | None = None
    perpetrator_relationship: str | None = None
    children: list[ChildEntry] = field(default_factory=list)
    confirm_new_people: bool = False


def _duplicate_message(user: User, label: str, person: NewPerson, confirm: bool) -> str | None:
    """Duplicate-check a person typed into the referral; a message if it needs the referrer's attention."""
    from ..people import services as people

    check = people.find_duplicates(user, surname=person.surname, dob=person.dob, phone=None)
    if not check.any or confirm:
        return None
    shown = "; ".join(f"{m.person.full_name} ({m.person.reference})" for m in check.matches)
    parts = [f"{label} may already have a record"]
    if shown:
        parts.append(f"possible matches: {shown}. Enter the reference to use it")
    parts.append("or tick the box at the end to confirm these are different people")
    return "; ".join(parts)


def submit_referral(user: User, victim: Person, submission: ReferralSubmission) -> Referral:
    """The whole referral: resolve the perpetrator and children (an existing record, or new
    people after a duplicate check), write the diversity answers back to the victim, then
    open the case. Every problem with the people is reported at once (``FieldErrors``)."""
    from ..people import services as people

    people.ensure_can_act_on(user, victim)
    perpetrator, errors = _resolve_people(user, submission)
    if errors:
        raise FieldErrors(errors)

    people.update_fields(user, victim, submission.diversity, tuple(submission.diversity))
    perp_links = []
    if perpetrator is None and submission.new_perpetrator is not None:
        perpetrator = people.create_person(user, _person_values(submission.new_perpetrator), kind="marac")
    if perpetrator is not None:
        perp_links.append(PersonLink(perpetrator.id, submission.perpetrator_relationship))
    child_links = [
        PersonLink(
            people.create_person(user, _person_values(child.person), kind="marac").id,
            child.relationship_to_victim,
            child.details,
        )
        for child in submission.children
    ]
    return create_referral(user, victim, submission.data, perpetrators=perp_links, children=child_links)


def _resolve_people(user: User, submission: ReferralSubmission) -> tuple[Person | None, list[tuple[str, str]]]:
    """The existing perpetrator named by reference, and every problem with the people typed in."""
    from ..people import services as people

    errors: list[tuple[str, str]] = []
    perpetrator: Person | None = None
    if submission.perpetrator_reference:
        try:
            perpetrator = people.load_person(user, submission.perpetrator_reference.lstrip("Pp"), log=False, act=True)
        except AccessDenied as exc:
            audit.record("access.denied", object_type="person", object_id=exc.object_id, result="denied")
            errors.append(("perp_reference", "No person you can see has that reference"))
    elif submission.new_perpetrator is not None:
        message = _duplicate_message(user, "The perpetrator", submission.new_perpetrator, submission.confirm_new_people)
        if message:
            errors.append((submission.new_perpetrator.field, message))
    for child in submission.children:
        message = _duplicate_message(user, "A child", child.person, submission.confirm_new_people)
        if message:
            errors.append((child.person.field, message))
    return perpetrator, errors


def people_problems(user: User, submission: ReferralSubmission) -> list[tuple[str, str]]:
    """What the referral's people would refuse (unknown reference, possible duplicates), as
    (field, message), so a form with other errors can show them too, in one go."""
    return _resolve_people(user, submission)[1]


def _person_values(person: NewPerson) -> dict[str, Any]:
    return {"given_names": person.given_names, "surname": person.surname, "dob": person.dob}
