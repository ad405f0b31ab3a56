"""The victim's individual support plan and contact cadence (issue 11 item 4; domain-notes §5:
"high or medium risk victims get an individual support plan reviewed at least every
6 weeks and regular contact").

The plan is the shared Plan (kind ``support``, ``core/plans.py``); its items are the
interventions (target hardening and sanctuary measures, mediation, referral to
victim support, rehousing support ...). The review interval is setting
``ASB_SUPPORT_PLAN_REVIEW_DAYS`` (default 42): a review may not set the next one
further out than that. The contact cadence comes from the victim's risk band
(setting ``ASB_CONTACT_DAYS``, default weekly for high, fortnightly for medium):
the case's next contact falls due that many days after the last contact, or after
the band was set if there has been none; an attempt that reached no one does not
count. Overdue reviews and missed contacts are read from indexed dates.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from ..core import audit, plans
from ..core.cases import without_access_links
from ..core.localtime import to_utc
from ..core.models import Case, Plan, PlanItem, PlanReview, User
from ..core.pagination import Page, paginate
from ..core.periods import local_date
from ..core.policy import visible_case_clause
from ..core.services import FieldErrors, ServiceError
from ..extensions import db
from .common import editable, past_date, setting, text
from .models import CONTACT_METHODS, AsbCase, Contact

PLAN_KIND = "support"
INTERVENTIONS = {
    "target_hardening": "Target hardening or sanctuary measures",
    "mediation": "Mediation",
    "victim_support": "Referral to victim support",
    "rehousing": "Rehousing support",
    "health": "Referral to health or mental health services",
    "witness_support": "Witness support",
    "other": "Other support",
}


def review_days() -> int:
    return int(setting("ASB_SUPPORT_PLAN_REVIEW_DAYS"))


def contact_days(band: str | None) -> int | None:
    days = dict(setting("ASB_CONTACT_DAYS")).get(band or "")
    return int(days) if days else None


def set_band(asb: AsbCase, band: str, *, on: date | None = None) -> None:
    """The case's risk band changed: set its contact cadence and next contact date."""
    on = on or date.today()
    asb.risk_band = band
    asb.contact_every_days = contact_days(band)
    if asb.contact_every_days is None:
        asb.next_contact_due_on = None
    else:
        base = asb.last_contact_on or on
        asb.next_contact_due_on = base + timedelta(days=asb.contact_every_days)


def active_plan(asb: AsbCase) -> Plan | None:
    return db.session.scalar(
        sa.select(Plan)
        .where(Plan.case_id == asb.case_id, Plan.kind == PLAN_KIND, Plan.is_active.is_(True))
        .order_by(Plan.id.desc())
        .limit(1)
    )


def start_plan(user: User, asb: AsbCase, *, title: str | None, first_review_on: date | None = None) -> Plan:
    """Start the victim's support plan, first review due within the review interval."""
    editable(user, asb.case)
    if active_plan(asb) is not None:
        raise ServiceError("This case already has a support plan: review it or add to it")
    title = text(title, "title", "title of the plan", required=True, limit=200)
    today = date.today()
    latest = today + timedelta(days=review_days())
    first_review_on = first_review_on or latest
    if first_review_on < today:
        raise ServiceError("The first review date must be today or in the future", "first_review_on")
    if first_review_on > latest:
        raise ServiceError(
            f"The first review must be within {review_days()} days, by {latest:%-d %B %Y}", "first_review_on"
        )
    return plans.create_plan(user, asb.case, kind=PLAN_KIND, title=title, review_due_on=first_review_on)


def add_intervention(
    user: User,
    plan: Plan,
    *,
    kind: str | None,
    details: str | None,
    owner_agency_id: int | None,
    due_on: date | None,
) -> PlanItem:
    errors: list[tuple[str | None, str]] = []
    if kind not in INTERVENTIONS:
        errors.append(("kind", "Select the intervention"))
    try:
        details = text(details, "details", "details of the intervention", required=True)
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    return plans.add_item(
        user, plan, area=INTERVENTIONS[kind], intervention=details, owner_agency_id=owner_agency_id, due_on=due_on
    )


def plan_started_on(plan: Plan) -> date:
    return local_date(plan.created_at)


def review(
    user: User,
    plan: Plan,
    *,
    reviewed_on: date | None,
    summary: str | None,
    next_review_on: date | None,
    version: int | None,
) -> PlanReview:
    """Record a review on ``reviewed_on`` (not before the plan started, not in the future); the
    next review falls at most the review interval after it (default: exactly that)."""
    errors: list[tuple[str | None, str]] = []
    try:
        reviewed_on = past_date(reviewed_on, "reviewed_on", "date of the review")
        if reviewed_on < plan_started_on(plan):
            raise ServiceError(
                f"The review date cannot be before the plan started on {plan_started_on(plan):%-d %B %Y}",
                "reviewed_on",
            )
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    try:
        summary = text(summary, "summary", "summary of the review", required=True)
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    latest = reviewed_on + timedelta(days=review_days())
    next_review_on = next_review_on or latest
    if next_review_on > latest:
        raise ServiceError(
            f"Support plans are reviewed at least every {review_days()} days: "
            f"set the next review on or before {latest:%-d %B %Y}",
            "next_review_on",
        )
    result = plans.review_plan(user, plan, summary=summary, next_review_on=next_review_on, version=version)
    if reviewed_on != date.today():
        result.reviewed_at = to_utc(reviewed_on, time(12, 0))
    db.session.flush()
    return result


def log_contact(user: User, asb: AsbCase, *, contact_on: date | None, method: str | None, notes: str | None) -> Contact:
    """Record a contact with the victim; a real contact restarts the cadence."""
    editable(user, asb.case)
    errors: list[tuple[str | None, str]] = []
    try:
        contact_on = past_date(contact_on, "contact_on", "date of the contact")
        if contact_on < asb.case.opened_on:
            raise ServiceError("The date of the contact cannot be before the case was opened", "contact_on")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if method not in CONTACT_METHODS:
        errors.append(("method", "Select how the contact was made"))
    try:
        notes = text(notes, "notes", "notes")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    contact = Contact(case_id=asb.case_id, contact_on=contact_on, method=method, user_id=user.id, notes=notes)
    db.session.add(contact)
    if method != "attempted" and (asb.last_contact_on is None or contact_on > asb.last_contact_on):
        asb.last_contact_on = contact_on
        if asb.contact_every_days:
            asb.next_contact_due_on = contact_on + timedelta(days=asb.contact_every_days)
    db.session.flush()
    audit.record(
        "asb.contact.create",
        object_type="case",
        object_id=asb.case_id,
        person_ids=[asb.victim_person_id],
        details={"contact_id": contact.id},
    )
    return contact


def contacts_for(asb: AsbCase, limit: int = 100) -> list[Contact]:
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(Contact.case_id == asb.case_id)
            .options(joinedload(Contact.user))
            .order_by(Contact.contact_on.desc(), Contact.id.desc())
            .limit(limit)
        )
    )


def contact_missed(asb: AsbCase, today: date | None = None) -> bool:
    today = today or date.today()
    return asb.case.is_open and asb.next_contact_due_on is not None and asb.next_contact_due_on < today


# --- team lists and "My work" ----------------------------------------------------------------


def overdue_reviews_page(user: User, page: int, per_page: int = 25, today: date | None = None) -> Page:
    """Active support plans past their review date, on open ASB cases the user may see, oldest first."""
    today = today or date.today()
    query = (
        sa.select(Plan)
        .join(Case, Case.id == Plan.case_id)
        .where(
            Plan.kind == PLAN_KIND,
            Plan.is_active.is_(True),
            Plan.review_due_on < today,
            Case.kind == "asb",
            Case.closed_on.is_(None),
            visible_case_clause(user),
        )
        .options(without_access_links(contains_eager(Plan.case)), joinedload(Plan.owner))
        .order_by(Plan.review_due_on, Plan.id)
    )
    return paginate(query, page, per_page)


def missed_contacts_page(
    user: User, page: int, per_page: int = 25, today: date | None = None, lead_user_id: int | None = None
) -> Page:
    """Open ASB cases whose next contact with the victim is past due, oldest first."""
    today = today or date.today()
    query = (
        sa.select(AsbCase)
        .join(Case, Case.id == AsbCase.case_id)
        .where(AsbCase.next_contact_due_on < today, Case.closed_on.is_(None), visible_case_clause(user))
        .options(without_access_links(contains_eager(AsbCase.case)))
        .order_by(AsbCase.next_contact_due_on, AsbCase.id)
    )
    if lead_user_id is not None:
        query = query.where(Case.lead_user_id == lead_user_id)
    return paginate(query, page, per_page)


def review_overdue(plan: Plan | None, today: date | None = None) -> bool:
    return plan is not None and plan.review_overdue(today or date.today())
