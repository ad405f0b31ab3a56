"""Plans shared by every module: MARAC safety plans, IOM pathway plans, ASB support plans."""

from __future__ import annotations

from datetime import date, timedelta

from ..extensions import db
from . import audit, modules
from .models import Case, Plan, PlanItem, PlanReview, User
from .policy import ensure_can_edit_case
from .services import ServiceError, check_version


def _ensure_open(user: User, plan: Plan) -> None:
    """Every plan change re-checks that the user may edit the case, and that the plan is live."""
    ensure_can_edit_case(user, plan.case)
    if not plan.is_active or not plan.case.is_open:
        raise ServiceError("This plan is closed")


def create_plan(user: User, case: Case, *, kind: str, title: str, review_due_on: date | None) -> Plan:
    ensure_can_edit_case(user, case)
    module = modules.for_case_kind(case.kind)
    if module is None or kind not in module.plan_kinds:
        raise ServiceError("This kind of plan does not belong to this kind of case")
    if not case.is_open:
        raise ServiceError("Plans cannot be started on a closed case")
    if not (title or "").strip():
        raise ServiceError("Enter a title for the plan", "title")
    if review_due_on is not None and review_due_on < date.today():
        raise ServiceError("The first review date must be today or in the future", "review_due_on")
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
    audit.record(
        f"{case.kind}.plan.create", object_type="plan", object_id=plan.id, details={"case_id": case.id, "kind": kind}
    )
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
    _ensure_open(user, plan)
    if due_on is not None and due_on < plan.case.opened_on:
        raise ServiceError("The due date cannot be before the case was opened", "due_on")
    item = PlanItem(
        plan=plan, area=area, intervention=intervention, owner_agency_id=owner_agency_id, due_on=due_on, status="open"
    )
    db.session.add(item)
    db.session.flush()
    audit.record(f"{plan.case.kind}.plan.add_item", object_type="plan", object_id=plan.id, details={"item_id": item.id})
    return item


def set_item_status(user: User, item: PlanItem, status: str, version: int | None) -> None:
    _ensure_open(user, item.plan)
    check_version(item, version)
    if item.status != status:
        item.status = status
        db.session.flush()
        audit.record(
            f"{item.plan.case.kind}.plan.update_item",
            object_type="plan",
            object_id=item.plan_id,
            details={"item_id": item.id},
        )


def review_plan(
    user: User, plan: Plan, *, summary: str | None, next_review_on: date, version: int | None
) -> PlanReview:
    """Record a review and set the next review date (the plan's review cadence)."""
    _ensure_open(user, plan)
    check_version(plan, version)
    if next_review_on <= date.today():
        raise ServiceError("The next review date must be in the future", "next_review_on")
    review = PlanReview(plan=plan, reviewer_id=user.id, summary=summary, next_review_on=next_review_on)
    plan.review_due_on = next_review_on
    db.session.add(review)
    db.session.flush()
    audit.record(f"{plan.case.kind}.plan.review", object_type="plan", object_id=plan.id)
    return review


def my_plan_reviews(user: User, today: date, horizon_days: int = 14, limit: int = 50) -> list[Plan]:
    """Active plans the user owns, on open cases they can see, due for review within the
    horizon or overdue (for "My work")."""
    import sqlalchemy as sa
    from sqlalchemy.orm import contains_eager

    from .cases import without_access_links
    from .models import Case
    from .policy import visible_case_clause

    return list(
        db.session.scalars(
            sa.select(Plan)
            .join(Case, Case.id == Plan.case_id)
            .where(
                Plan.owner_user_id == user.id,
                Plan.is_active.is_(True),
                Case.closed_on.is_(None),
                Plan.review_due_on <= today + timedelta(days=horizon_days),
                visible_case_clause(user),
            )
            .options(without_access_links(contains_eager(Plan.case)))
            .order_by(Plan.review_due_on)
            .limit(limit)
        )
    )
