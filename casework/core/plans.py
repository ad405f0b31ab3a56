"""Plans shared by every module: MARAC safety plans, IOM pathway plans, ASB support plans."""

from __future__ import annotations

from datetime import date

from ..extensions import db
from . import audit
from .models import Case, Plan, PlanItem, PlanReview, User
from .services import ServiceError, check_version


def create_plan(user: User, case: Case, *, kind: str, title: str, review_due_on: date | None) -> Plan:
    plan = Plan(
        case_id=case.id,
        kind=kind,
        title=title,
        review_due_on=review_due_on,
        owner_user_id=user.id,
        created_by_id=user.id,
    )
    db.session.add(plan)
    db.session.flush()
    audit.record("plan.create", object_type="plan", object_id=plan.id, details={"case_id": case.id, "kind": kind})
    return plan


def add_item(
    user: User,
    plan: Plan,
    *,
    area: str,
    intervention: str,
    owner_agency_id: int | None,
    due_on: date | None,
) -> PlanItem:
    if due_on is not None and due_on < plan.case.opened_on:
        raise ServiceError("The due date cannot be before the case was opened", "due_on")
    item = PlanItem(
        plan=plan, area=area, intervention=intervention, owner_agency_id=owner_agency_id, due_on=due_on, status="open"
    )
    db.session.add(item)
    db.session.flush()
    audit.record("plan.item_added", object_type="plan", object_id=plan.id, details={"item_id": item.id})
    return item


def set_item_status(user: User, item: PlanItem, status: str, version: int | None) -> None:
    check_version(item, version)
    if item.status != status:
        item.status = status
        db.session.flush()
        audit.record("plan.item_updated", object_type="plan", object_id=item.plan_id, details={"item_id": item.id})


def review_plan(
    user: User, plan: Plan, *, summary: str | None, next_review_on: date, version: int | None
) -> PlanReview:
    """Record a review and set the next review date (the plan's review cadence)."""
    check_version(plan, version)
    if next_review_on <= date.today():
        raise ServiceError("The next review date must be in the future", "next_review_on")
    review = PlanReview(plan=plan, reviewer_id=user.id, summary=summary, next_review_on=next_review_on)
    plan.review_due_on = next_review_on
    db.session.add(review)
    db.session.flush()
    audit.record("plan.reviewed", object_type="plan", object_id=plan.id)
    return review
