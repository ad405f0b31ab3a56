"""What ASB tells people, through the core notification mechanism (casework/notifications).

All time-based, from :func:`scan` (run daily by ``flask notify scan``): support plan reviews
(high and medium risk victims' plans are reviewed at least every 6 weeks), the weekly contact
missed for a high-risk victim, and ASB Case Review deadlines approaching and passed
(acknowledgement, threshold decision, review meeting, appeal; domain-notes §5).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from ..core.models import Case, Plan
from ..core.modules import NotificationKind, Reminder
from ..extensions import db
from ..notifications.service import not_reminded
from .models import AsbCase

KINDS = (
    NotificationKind(
        "asb.support_plan_review",
        "An ASB support plan you own is due for review",
        "user",
        one="An ASB support plan is due for review",
        many="{n} ASB support plans are due for review",
        endpoint="asb.case_view",
        id_arg="case_id",
    ),
    NotificationKind(
        "asb.contact_missed",
        "The weekly contact with a high-risk ASB victim was missed",
        "user",
        one="The weekly contact with a high-risk ASB victim is overdue",
        many="The weekly contacts with {n} high-risk ASB victims are overdue",
        endpoint="asb.case_view",
        id_arg="case_id",
        urgent=True,
    ),
    NotificationKind(
        "asb.case_review_due",
        "An ASB Case Review deadline is approaching",
        "agency",
        one="An ASB Case Review deadline for {agency} is approaching",
        many="{n} ASB Case Review deadlines for {agency} are approaching",
        endpoint="asb.case_review_view",
        id_arg="review_id",
        object_type="asb_case_review",
    ),
    NotificationKind(
        "asb.case_review_overdue",
        "An ASB Case Review deadline has passed",
        "agency",
        one="An ASB Case Review deadline for {agency} has passed",
        many="{n} ASB Case Review deadlines for {agency} have passed",
        endpoint="asb.case_review_view",
        id_arg="review_id",
        object_type="asb_case_review",
        urgent=True,
    ),
)


def scan(today: date) -> list[Reminder]:
    config = current_app.config
    return [
        *_plan_reviews(today, int(config.get("ASB_PLAN_REVIEW_NOTICE_DAYS", 7))),
        *_missed_contacts(today),
        *_case_review_deadlines(today, int(config.get("ASB_CASE_REVIEW_NOTICE_WORKING_DAYS", 3))),
    ]


def _plan_reviews(today: date, notice_days: int) -> list[Reminder]:
    """Active support plans due for review within ``notice_days`` days (or past): the plan's owner,
    else the case's lead officer, once per plan and review date."""
    occasion = sa.literal("p") + sa.cast(Plan.id, sa.String) + sa.literal(":") + sa.cast(Plan.review_due_on, sa.String)
    rows = db.session.execute(
        sa.select(Plan.case_id, sa.func.coalesce(Plan.owner_user_id, Case.lead_user_id), occasion)
        .join(Case, Case.id == Plan.case_id)
        .where(
            Case.kind == "asb",
            Case.closed_on.is_(None),
            Plan.kind == "support",
            Plan.is_active.is_(True),
            Plan.review_due_on <= today + timedelta(days=notice_days),
            not_reminded("asb.support_plan_review", Plan.case_id, occasion),
        )
    ).all()
    return [Reminder("asb.support_plan_review", r[0], r[0], r[2], user_ids=(r[1],)) for r in rows if r[1]]


def _missed_contacts(today: date) -> list[Reminder]:
    """High-risk victims whose next contact date has passed: the case's lead officer, once per missed date."""
    occasion = sa.literal("c") + sa.cast(AsbCase.next_contact_due_on, sa.String)
    rows = db.session.execute(
        sa.select(AsbCase.case_id, Case.lead_user_id, occasion)
        .join(Case, Case.id == AsbCase.case_id)
        .where(
            AsbCase.risk_band == "high",
            AsbCase.next_contact_due_on < today,
            Case.closed_on.is_(None),
            not_reminded("asb.contact_missed", AsbCase.case_id, occasion),
        )
    ).all()
    return [Reminder("asb.contact_missed", r[0], r[0], r[2], user_ids=(r[1],)) for r in rows if r[1]]


def _case_review_deadlines(today: date, notice_working_days: int) -> list[Reminder]:
    """Each open Case Review's deadlines not yet met: "approaching" within ``notice_working_days``
    working days, "passed" after; to the applicant's single point of contact (else the case's
    lead officer) and the lead agency's ASB officers, once per deadline and due date."""
    try:
        from .case_review import services
        from .case_review.models import CaseReview
    except ImportError:  # pragma: no cover - the Case Review is part of the ASB module
        return []
    reviews = db.session.scalars(
        sa.select(CaseReview)
        .join(Case, Case.id == CaseReview.case_id)
        .where(Case.closed_on.is_(None))
        .options(selectinload(CaseReview.meeting), selectinload(CaseReview.case))
    ).all()
    out = []
    for review in reviews:
        if review.is_finished:
            continue
        for deadline in services.deadlines(review, today):
            if deadline.done_on is not None or deadline.working_days_left > notice_working_days:
                continue
            code = "asb.case_review_overdue" if deadline.overdue else "asb.case_review_due"
            person = review.spoc_user_id or review.case.lead_user_id
            out.append(
                Reminder(
                    code,
                    object_id=review.id,
                    case_id=review.case_id,
                    occasion=f"{deadline.key}:{deadline.due_on.isoformat()}",
                    user_ids=(person,) if person else (),
                    agency_ids=(review.case.lead_agency_id,),
                    capability="asb.case.edit",
                )
            )
    return out
