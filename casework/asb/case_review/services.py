"""ASB Case Review (Community Trigger) rules: the application, threshold, deadlines, review,
outcome, appeal, the published figures and the 2025 guidance prompt.

Sources (domain-notes §5): ASB, Crime and Policing Act 2014 ss104-105 and Sch 4; the Home
Office statutory guidance for frontline professionals (2025 update: tell victims about
the Case Review at their second report within 6 months). Thresholds and timescales are
local choices, so every number is a setting (config/, README).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from ...core import actions, audit, cases, workdays
from ...core import meetings as core_meetings
from ...core.models import Action, Case, Meeting, User
from ...core.pagination import Page, paginate
from ...core.periods import Period
from ...core.policy import AccessDenied, ensure_can_edit_case, visible_case_clause
from ...core.services import FieldErrors, ServiceError, check_version
from ...extensions import db
from ..models import Incident, IncidentVictim
from .models import (
    APPEAL_OUTCOMES,
    APPLICANT_KINDS,
    INVOLVEMENT,
    OUTCOMES,
    THRESHOLD_DECISIONS,
    CaseReview,
    CaseReviewComplaint,
    CaseReviewExplained,
)

KIND = "asb"
PURPOSE = "asb_case_review"
# Free text limits (the forms say so before the service refuses).
NAME_MAX = 200
CONTACT_MAX = 500
TEXT_MAX = 4000


def _config(name: str) -> int:
    return int(current_app.config[name])


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (31 August - 6 months = 28 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


# --- loading, with access checked ---------------------------------------------------------


def load_review(user: User, review_id: Any, *, edit: bool = False, log: bool = True) -> CaseReview:
    """A Case Review on an ASB case the user may see (404 otherwise); ``log`` records the view."""
    try:
        review = db.session.get(CaseReview, int(review_id))
    except (TypeError, ValueError):
        review = None
    if review is None:
        raise AccessDenied("asb_case_review", review_id)
    cases.load_case(user, review.case_id, kind=KIND, edit=edit, purpose=PURPOSE, log=False)
    if log:
        audit.record(
            "asb.case_review.view",
            object_type="asb_case_review",
            object_id=review.id,
            person_ids=cases.person_ids_of(review.case),
            purpose=PURPOSE,
        )
    return review


def _editable(user: User, review: CaseReview) -> None:
    ensure_can_edit_case(user, review.case)


def reviews_for_case(case: Case) -> list[CaseReview]:
    return list(
        db.session.scalars(
            sa.select(CaseReview).where(CaseReview.case_id == case.id).order_by(CaseReview.received_on.desc())
        )
    )


def _audit(review: CaseReview, verb: str, **details: Any) -> None:
    audit.record(
        f"asb.case_review.{verb}",
        object_type="asb_case_review",
        object_id=review.id,
        purpose=PURPOSE,
        details={"case_id": review.case_id, **details},
    )


# --- shared checks ------------------------------------------------------------------------------


def _past_date(value: date | None, field_name: str, what: str, errors: list, *, today: date) -> None:
    if value is None:
        errors.append((field_name, f"Enter the {what}"))
    elif value > today:
        errors.append((field_name, f"The {what} must be today or in the past"))


def _not_before(value: date | None, floor: date | None, field_name: str, message: str, errors: list) -> None:
    if value is not None and floor is not None and value < floor:
        errors.append((field_name, message))


def _text(value: str | None, field_name: str, label: str, limit: int, errors: list, *, required: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        errors.append((field_name, required))
    if len(text) > limit:
        errors.append((field_name, f"{label} must be {limit:,} characters or fewer"))
    return text


def _raise(errors: list) -> None:
    if errors:
        raise FieldErrors(errors)


def _today() -> date:
    return date.today()


# --- the application -----------------------------------------------------------------------------


def case_incidents(case: Case) -> list[Incident]:
    """Incidents recorded on the ASB case (not removed by correction), oldest first."""
    return list(
        db.session.scalars(
            sa.select(Incident)
            .where(Incident.case_id == case.id, Incident.deleted_at.is_(None))
            .order_by(Incident.occurred_on, Incident.id)
        )
    )


def record_application(
    user: User,
    case: Case,
    *,
    received_on: date | None,
    applicant_kind: str | None,
    applicant_name: str | None,
    applicant_contact: str | None,
    victim_person_id: int | None,
    consent_given: bool,
    consent_on: date | None,
    involvement: str | None,
    spoc_user_id: int | None,
    summary: str | None,
    incident_ids: list[int],
    today: date | None = None,
) -> CaseReview:
    """Record an application for an ASB Case Review on an ASB case.

    Someone applying for a victim needs the victim's consent (2014 Act s104; statutory
    guidance). The complaints relied on are incidents recorded on this case.
    """
    ensure_can_edit_case(user, case)
    if case.kind != KIND:
        raise AccessDenied("case", case.id)
    today = today or _today()
    errors: list[tuple[str | None, str]] = []
    _past_date(received_on, "received_on", "date the application was received", errors, today=today)
    if applicant_kind not in APPLICANT_KINDS:
        errors.append(("applicant_kind", "Select who is applying"))
    name = _text(
        applicant_name,
        "applicant_name",
        "The applicant's name",
        NAME_MAX,
        errors,
        required="Enter the applicant's name",
    )
    contact = _text(applicant_contact, "applicant_contact", "The applicant's contact details", CONTACT_MAX, errors)
    participant_ids = {p.person_id for p in case.participants_in("victim")}
    if victim_person_id is not None and victim_person_id not in participant_ids:
        errors.append(("victim_person_id", "Choose a victim in this case"))
    if applicant_kind == "victim" and victim_person_id is None:
        errors.append(("victim_person_id", "Choose the victim who is applying"))
    if applicant_kind == "on_behalf":
        if victim_person_id is None:
            errors.append(("victim_person_id", "Choose the victim the applicant acts for"))
        if not consent_given:
            errors.append(("consent_given", "Confirm that the victim consented to the application made for them"))
        _past_date(consent_on, "consent_on", "date the victim consented", errors, today=today)
    elif consent_on is not None and consent_on > today:
        errors.append(("consent_on", "The date the victim consented must be today or in the past"))
    if involvement not in INVOLVEMENT:
        errors.append(("involvement", "Select how the victim wants to be involved"))
    if spoc_user_id is not None:
        spoc = db.session.get(User, spoc_user_id)
        if spoc is None or not spoc.is_active or not spoc.can("asb.case.view"):
            errors.append(("spoc_user_id", "Choose an active ASB officer as the single point of contact"))
    else:
        errors.append(("spoc_user_id", "Choose the applicant's single point of contact"))
    text = _text(summary, "summary", "The summary", TEXT_MAX, errors)
    chosen = _chosen_incidents(case, incident_ids, errors)
    _raise(errors)
    review = CaseReview(
        case_id=case.id,
        received_on=received_on,
        applicant_kind=applicant_kind,
        applicant_name=name,
        applicant_contact=contact or None,
        victim_person_id=victim_person_id,
        consent_given=bool(consent_given),
        consent_on=consent_on,
        involvement=involvement,
        spoc_user_id=spoc_user_id,
        summary=text or None,
        created_by_id=user.id,
    )
    review.complaints = [CaseReviewComplaint(incident_id=i.id) for i in chosen]
    db.session.add(review)
    db.session.flush()
    _audit(review, "create", complaints=len(chosen))
    return review


def _chosen_incidents(case: Case, incident_ids: list[int], errors: list) -> list[Incident]:
    if not incident_ids:
        errors.append(("incident_ids", "Select the complaints the application relies on"))
        return []
    ids = set(incident_ids)
    found = list(
        db.session.scalars(
            sa.select(Incident).where(Incident.id.in_(ids), Incident.case_id == case.id, Incident.deleted_at.is_(None))
        )
    )
    if len(found) != len(ids):
        errors.append(("incident_ids", "Select incidents recorded on this case"))
    return found


def acknowledge(
    user: User, review: CaseReview, *, acknowledged_on: date | None, version: int | None, today: date | None = None
) -> None:
    _editable(user, review)
    check_version(review, version)
    today = today or _today()
    errors: list = []
    _past_date(acknowledged_on, "acknowledged_on", "date the application was acknowledged", errors, today=today)
    _not_before(
        acknowledged_on,
        review.received_on,
        "acknowledged_on",
        "The acknowledgement cannot be before the application was received",
        errors,
    )
    _raise(errors)
    review.acknowledged_on = acknowledged_on
    db.session.flush()
    _audit(review, "acknowledge")


# --- the threshold ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintCheck:
    """One complaint relied on, and whether it counts towards the threshold (with why)."""

    incident_id: int
    occurred_on: date | None
    reported_on: date | None
    counts: bool
    reason: str
    problem: str | None = None  # the incident's type, for the decision-maker to judge "the same problem"


@dataclass(frozen=True)
class ThresholdResult:
    needed: int
    window_start: date
    received_on: date
    complaints: list[ComplaintCheck] = field(default_factory=list)

    @property
    def qualifying(self) -> int:
        return sum(1 for c in self.complaints if c.counts)

    @property
    def met(self) -> bool:
        return self.qualifying >= self.needed


def check_threshold(review: CaseReview) -> ThresholdResult:
    """Check the complaints relied on against the threshold (settings, defaults in brackets):

    at least ``ASB_CASE_REVIEW_COMPLAINTS`` (3) complaints about the same problem (recorded
    on this ASB case) made in the ``ASB_CASE_REVIEW_WINDOW_MONTHS`` (6) months up to the day
    the application was received, each made within ``ASB_CASE_REVIEW_REPORT_MONTHS`` (1) of
    its incident. A complaint is the incident's first report (``reported_on``); one event
    reported to several agencies (incidents linked as one) counts once.
    """
    needed = _config("ASB_CASE_REVIEW_COMPLAINTS")
    window_months = _config("ASB_CASE_REVIEW_WINDOW_MONTHS")
    report_months = _config("ASB_CASE_REVIEW_REPORT_MONTHS")
    received = review.received_on
    window_start = months_before(received, window_months)
    ids = review.incident_ids
    incidents = {i.id: i for i in db.session.scalars(sa.select(Incident).where(Incident.id.in_(ids)))} if ids else {}
    checks: list[ComplaintCheck] = []
    counted_events: set[int] = set()
    ordered = sorted(ids, key=lambda i: (incidents[i].reported_on, i) if i in incidents else (date.max, i))
    for incident_id in ordered:
        incident = incidents.get(incident_id)
        if incident is None or incident.deleted_at is not None:
            checks.append(ComplaintCheck(incident_id, None, None, False, "The incident was removed by correction"))
            continue
        occurred, reported = incident.occurred_on, incident.reported_on
        if incident.case_id != review.case_id:
            reason, counts = "Recorded on another case: not the same problem", False
        elif reported > received:
            reason, counts = "Reported after the application was received", False
        elif reported < window_start:
            reason, counts = f"Reported more than {_months(window_months)} before the application", False
        elif reported > months_after(occurred, report_months):
            reason, counts = f"Reported more than {_months(report_months)} after the incident", False
        elif incident.group_id is not None and incident.group_id in counted_events:
            reason, counts = "The same event as a complaint already counted (reported to several agencies)", False
        else:
            days = (reported - occurred).days
            when = (
                "on the day of the incident"
                if days == 0
                else f"{days} day{'s' if days != 1 else ''} after the incident"
            )
            reason, counts = f"Counts: reported {when}, within {_months(window_months)} of the application", True
            if incident.group_id is not None:
                counted_events.add(incident.group_id)
        checks.append(ComplaintCheck(incident_id, occurred, reported, counts, reason, incident.incident_type.label))
    return ThresholdResult(needed=needed, window_start=window_start, received_on=received, complaints=checks)


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def decide_threshold(
    user: User,
    review: CaseReview,
    *,
    decision: str | None,
    decided_on: date | None,
    reasons: str | None,
    version: int | None,
    today: date | None = None,
) -> ThresholdResult:
    """Record the threshold decision. A decision that departs from the check (the bodies may
    use their discretion, e.g. to accept fewer complaints for a vulnerable victim) needs reasons."""
    _editable(user, review)
    check_version(review, version)
    today = today or _today()
    errors: list = []
    if review.threshold_decision is not None:
        raise ServiceError("The threshold decision has already been recorded")
    if decision not in THRESHOLD_DECISIONS:
        errors.append(("decision", "Select whether the threshold is met"))
    _past_date(decided_on, "decided_on", "date of the decision", errors, today=today)
    _not_before(
        decided_on,
        review.received_on,
        "decided_on",
        "The decision cannot be before the application was received",
        errors,
    )
    text = _text(reasons, "reasons", "The reasons", TEXT_MAX, errors)
    result = check_threshold(review)
    if decision in THRESHOLD_DECISIONS and (decision == "met") != result.met and not text:
        errors.append(("reasons", "Give the reasons for a decision that differs from the threshold check"))
    if decision == "not_met" and not text:
        errors.append(("reasons", "Give the reasons the threshold is not met: the applicant is told them"))
    _raise(errors)
    review.threshold_decision = decision
    review.threshold_decided_on = decided_on
    review.threshold_reasons = text or None
    review.threshold_count = result.qualifying
    db.session.flush()
    _audit(review, "decide_threshold", decision=decision, qualifying=result.qualifying)
    return result


# --- deadlines ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    key: str
    label: str
    due_on: date
    done_on: date | None
    working_days_left: int

    @property
    def overdue(self) -> bool:
        return self.done_on is None and self.working_days_left < 0

    @property
    def late(self) -> bool:
        """Done, but after the deadline."""
        return self.done_on is not None and self.done_on > self.due_on

    @property
    def countdown(self) -> str:
        if self.done_on is not None:
            return "Done late" if self.late else "Done"
        n = self.working_days_left
        if n < 0:
            return f"Overdue by {-n} working day{'s' if n != -1 else ''}"
        if n == 0:
            return "Due today"
        return f"{n} working day{'s' if n != 1 else ''} left"


def deadlines(review: CaseReview, today: date | None = None) -> list[Deadline]:
    """The review's deadlines in working days (weekends and bank holidays skipped, core/workdays.py):
    acknowledgement, threshold decision and review meeting from the day the application was
    received; the appeal answer from the day the appeal was received. A meeting is due only
    once the threshold is met (or while it is undecided)."""
    today = today or _today()
    holidays = workdays.configured_holidays()

    def make(key: str, label: str, start: date, setting: str, done: date | None) -> Deadline:
        due = workdays.add_working_days(start, _config(setting), holidays)
        return Deadline(key, label, due, done, workdays.working_days_between(today, due, holidays))

    out = [
        make(
            "acknowledge",
            "Acknowledge the application",
            review.received_on,
            "ASB_CASE_REVIEW_ACKNOWLEDGE_WORKING_DAYS",
            review.acknowledged_on,
        ),
        make(
            "decision",
            "Decide whether the threshold is met",
            review.received_on,
            "ASB_CASE_REVIEW_DECISION_WORKING_DAYS",
            review.threshold_decided_on,
        ),
    ]
    if review.threshold_decision != "not_met":
        held = review.meeting.starts_at.date() if review.meeting and review.meeting.status == "held" else None
        out.append(
            make("meeting", "Hold the review meeting", review.received_on, "ASB_CASE_REVIEW_MEETING_WORKING_DAYS", held)
        )
    if review.appeal_received_on is not None:
        out.append(
            make(
                "appeal",
                "Answer the appeal",
                review.appeal_received_on,
                "ASB_CASE_REVIEW_APPEAL_WORKING_DAYS",
                review.appeal_decided_on,
            )
        )
    return out


def status_label(review: CaseReview) -> str:
    if review.appeal_received_on and not review.appeal_decided_on:
        return "Appeal to answer"
    if review.appeal_decided_on:
        return APPEAL_OUTCOMES[review.appeal_outcome]
    if review.outcome:
        return OUTCOMES[review.outcome]
    if review.threshold_decision == "not_met":
        return "Threshold not met"
    if review.threshold_decision == "met":
        return "Review meeting scheduled" if review.meeting_id else "Threshold met: review to arrange"
    return "Awaiting threshold decision" if review.acknowledged_on else "Awaiting acknowledgement"


# --- the review meeting, recommendations and outcome --------------------------------------------------


def schedule_meeting(
    user: User,
    review: CaseReview,
    *,
    starts_at: datetime,
    venue: str,
    chair_user_id: int | None,
    agency_ids: list[int],
    version: int | None,
) -> Meeting:
    """The review meeting, on the shared meetings (an ASB multi-agency meeting) with the case listed."""
    _editable(user, review)
    check_version(review, version)
    if review.threshold_decision != "met":
        raise ServiceError("A review meeting is held once the threshold is met")
    if review.meeting_id is not None and review.meeting.status != "cancelled":
        raise ServiceError("This review already has a meeting")
    if starts_at.date() < review.received_on:
        raise ServiceError("The meeting cannot be before the application was received", "date")
    module_kind = _meeting_kind()
    meeting = core_meetings.schedule(
        user, kind=module_kind, starts_at=starts_at, venue=venue, chair_user_id=chair_user_id, agency_ids=agency_ids
    )
    core_meetings.list_case(user, meeting, review.case, reason="review")
    review.meeting_id = meeting.id
    db.session.flush()
    _audit(review, "schedule_meeting", meeting_id=meeting.id)
    return meeting


def _meeting_kind() -> str:
    from ...core import modules

    kind = modules.get("asb").meeting_kind
    if kind is None:  # pragma: no cover - the ASB module registers one
        raise ServiceError("No meeting kind is registered for ASB")
    return kind


def add_recommendation(
    user: User, review: CaseReview, *, agency_id: int | None, description: str | None, due_on: date | None
) -> Action:
    """A recommendation of the review: a shared action on the case, owned by an agency, set at the meeting."""
    _editable(user, review)
    if review.meeting is None:
        raise ServiceError("Schedule the review meeting before recording its recommendations")
    text = (description or "").strip()
    if len(text) > TEXT_MAX:
        raise ServiceError(f"The recommendation must be {TEXT_MAX:,} characters or fewer", "description")
    action = actions.create_action(
        user, review.case, agency_id=agency_id, description=text, due_on=due_on, meeting=review.meeting
    )
    _audit(review, "recommend", action_id=action.id)
    return action


def recommendations(review: CaseReview) -> list[Action]:
    if review.meeting_id is None:
        return []
    return actions.actions_for_item(review.meeting_id, review.case_id)


def record_outcome(
    user: User,
    review: CaseReview,
    *,
    outcome: str | None,
    outcome_on: date | None,
    summary: str | None,
    version: int | None,
    today: date | None = None,
) -> None:
    """The review's outcome: recommendations made (at least one recorded) or none."""
    _editable(user, review)
    check_version(review, version)
    today = today or _today()
    if review.threshold_decision != "met":
        raise ServiceError("An outcome is recorded once the threshold is met and the review held")
    if review.meeting is None:
        raise ServiceError("Schedule the review meeting first")
    errors: list = []
    if outcome not in OUTCOMES:
        errors.append(("outcome", "Select the outcome of the review"))
    _past_date(outcome_on, "outcome_on", "date of the outcome", errors, today=today)
    _not_before(
        outcome_on,
        review.meeting.starts_at.date(),
        "outcome_on",
        "The outcome cannot be before the review meeting",
        errors,
    )
    text = _text(
        summary, "summary", "The summary", TEXT_MAX, errors, required="Summarise the outcome for the applicant"
    )
    if outcome == "recommendations" and not recommendations(review):
        errors.append(("outcome", "Record the recommendations before recording that recommendations were made"))
    _raise(errors)
    review.outcome, review.outcome_on, review.outcome_summary = outcome, outcome_on, text
    db.session.flush()
    _audit(review, "outcome", outcome=outcome)


def record_appeal(
    user: User,
    review: CaseReview,
    *,
    received_on: date | None,
    grounds: str | None,
    version: int | None,
    today: date | None = None,
) -> None:
    """The applicant is dissatisfied (with the threshold decision or the outcome) and appeals."""
    _editable(user, review)
    check_version(review, version)
    today = today or _today()
    decided_on = review.outcome_on or (review.threshold_decided_on if review.threshold_decision == "not_met" else None)
    if decided_on is None:
        raise ServiceError("An appeal follows a threshold decision of 'not met' or the review's outcome")
    if review.appeal_received_on is not None:
        raise ServiceError("An appeal has already been recorded")
    errors: list = []
    _past_date(received_on, "received_on", "date the appeal was received", errors, today=today)
    _not_before(received_on, decided_on, "received_on", "The appeal cannot be before the decision it appeals", errors)
    text = _text(grounds, "grounds", "The grounds", TEXT_MAX, errors, required="Enter the grounds of the appeal")
    _raise(errors)
    review.appeal_received_on, review.appeal_grounds = received_on, text
    db.session.flush()
    _audit(review, "appeal")


def decide_appeal(
    user: User,
    review: CaseReview,
    *,
    outcome: str | None,
    decided_on: date | None,
    notes: str | None,
    version: int | None,
    today: date | None = None,
) -> None:
    _editable(user, review)
    check_version(review, version)
    today = today or _today()
    if review.appeal_received_on is None:
        raise ServiceError("There is no appeal to decide")
    if review.appeal_decided_on is not None:
        raise ServiceError("The appeal has already been decided")
    errors: list = []
    if outcome not in APPEAL_OUTCOMES:
        errors.append(("outcome", "Select the outcome of the appeal"))
    _past_date(decided_on, "decided_on", "date of the appeal decision", errors, today=today)
    _not_before(
        decided_on,
        review.appeal_received_on,
        "decided_on",
        "The appeal decision cannot be before the appeal was received",
        errors,
    )
    text = _text(notes, "notes", "The reasons", TEXT_MAX, errors, required="Give the reasons for the appeal decision")
    _raise(errors)
    review.appeal_outcome, review.appeal_decided_on, review.appeal_notes = outcome, decided_on, text
    db.session.flush()
    _audit(review, "decide_appeal", outcome=outcome)


# --- lists and My work --------------------------------------------------------------------------------------


def _open_reviews_query(user: User) -> sa.Select:
    """Reviews still in progress on cases the user may see, oldest application first."""
    unfinished = sa.or_(
        sa.and_(CaseReview.appeal_received_on.is_not(None), CaseReview.appeal_decided_on.is_(None)),
        sa.and_(
            sa.or_(CaseReview.threshold_decision.is_(None), CaseReview.threshold_decision == "met"),
            CaseReview.outcome.is_(None),
        ),
    )
    return (
        sa.select(CaseReview)
        .join(Case, Case.id == CaseReview.case_id)
        .where(unfinished, visible_case_clause(user, via_meetings=False))
        .options(joinedload(CaseReview.case).lazyload("*"), joinedload(CaseReview.meeting))
        .order_by(CaseReview.received_on, CaseReview.id)
    )


def open_reviews(user: User, limit: int = 200) -> list[CaseReview]:
    return list(db.session.scalars(_open_reviews_query(user).limit(limit)))


def open_reviews_page(user: User, page: int, per_page: int) -> Page:
    return paginate(_open_reviews_query(user), page, per_page)


def overdue_for(user: User, today: date) -> list[tuple[CaseReview, Deadline]]:
    """The first overdue deadline of each open review the user may see and edit."""
    if not user.can("asb.case.edit"):
        return []
    out = []
    for review in open_reviews(user):
        late = [d for d in deadlines(review, today) if d.overdue]
        if late:
            out.append((review, late[0]))
    return out


# --- the published figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnualFigures:
    period: Period
    applications: int
    threshold_not_met: int
    reviews_carried_out: int
    reviews_with_recommendations: int

    def rows(self) -> list[tuple[str, int]]:
        return [
            ("Applications for an ASB Case Review", self.applications),
            ("Applications where the threshold was not met", self.threshold_not_met),
            ("ASB Case Reviews carried out", self.reviews_carried_out),
            ("ASB Case Reviews that resulted in recommendations", self.reviews_with_recommendations),
        ]


def annual_figures(period: Period) -> AnnualFigures:
    """The four figures relevant bodies must publish (ASB, Crime and Policing Act 2014 s104; statutory guidance):

    * applications: received in the period;
    * threshold not met: threshold decisions of "not met" dated in the period;
    * reviews carried out: reviews whose outcome is dated in the period;
    * reviews with recommendations: of those, the ones whose outcome is "recommendations made".

    Counted over the whole partnership (aggregate figures, no personal data).
    """

    def count(*where: sa.ColumnElement[bool]) -> int:
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(CaseReview).where(*where)) or 0)

    def within(column) -> sa.ColumnElement[bool]:
        return column.between(period.start, period.end)

    return AnnualFigures(
        period=period,
        applications=count(within(CaseReview.received_on)),
        threshold_not_met=count(within(CaseReview.threshold_decided_on), CaseReview.threshold_decision == "not_met"),
        reviews_carried_out=count(within(CaseReview.outcome_on), CaseReview.outcome.is_not(None)),
        reviews_with_recommendations=count(within(CaseReview.outcome_on), CaseReview.outcome == "recommendations"),
    )


# --- the 2025 guidance prompt ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    person_id: int
    first_on: date
    second_on: date


def explanation_due(case: Case, today: date | None = None) -> list[Prompt]:
    """Victims on this case to tell about the ASB Case Review (2025 statutory guidance): a
    second report within ``ASB_CASE_REVIEW_PROMPT_MONTHS`` (6) months, and no record that the
    Case Review was explained to them since the first of those reports."""
    months = _config("ASB_CASE_REVIEW_PROMPT_MONTHS")
    out = []
    for participant in case.participants_in("victim"):
        rows = db.session.execute(
            sa.select(Incident.reported_on, IncidentVictim.event_key)
            .join(IncidentVictim, IncidentVictim.incident_id == Incident.id)
            .where(IncidentVictim.person_id == participant.person_id, IncidentVictim.live.is_(True))
            .order_by(Incident.reported_on.desc(), Incident.id.desc())
            .limit(10)
        ).all()
        reported: list[date] = []
        events: set[int] = set()
        for reported_on, event_key in rows:  # one event reported to several agencies is one report
            if event_key not in events:
                events.add(event_key)
                reported.insert(0, reported_on)
            if len(reported) == 2:
                break
        if len(reported) < 2 or reported[0] < months_before(reported[1], months):
            continue
        explained = db.session.scalar(
            sa.select(sa.func.max(CaseReviewExplained.explained_on)).where(
                CaseReviewExplained.person_id == participant.person_id
            )
        )
        if explained is not None and explained >= reported[0]:
            continue
        out.append(Prompt(participant.person_id, reported[0], reported[1]))
    return out


def record_explained(
    user: User,
    case: Case,
    *,
    person_id: int | None,
    explained_on: date | None,
    how: str | None,
    today: date | None = None,
) -> CaseReviewExplained:
    """Record that the victim was told about the ASB Case Review (how, e.g. by phone, leaflet)."""
    ensure_can_edit_case(user, case)
    today = today or _today()
    errors: list = []
    if person_id not in {p.person_id for p in case.participants_in("victim")}:
        errors.append(("person_id", "Choose a victim in this case"))
    _past_date(explained_on, "explained_on", "date it was explained", errors, today=today)
    text = _text(how, "how", "How it was explained", CONTACT_MAX, errors)
    _raise(errors)
    row = CaseReviewExplained(
        case_id=case.id, person_id=person_id, explained_on=explained_on, how=text or None, recorded_by_id=user.id
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "asb.case_review.explained",
        object_type="case",
        object_id=case.id,
        person_ids=[person_id],
        purpose=PURPOSE,
    )
    return row


def prompt_months() -> int:
    return _config("ASB_CASE_REVIEW_PROMPT_MONTHS")
