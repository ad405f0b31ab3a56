""" "My work": the signed-in user's actions, plan reviews and meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..core import audit, cases
from ..core.access import case_kinds_viewable, visible_case_clause
from ..core.models import Action, Case, Meeting, MeetingAgency, Plan, User
from ..core.types import utcnow
from ..extensions import db

MEETING_KIND_FOR_CASE = {"marac": "marac", "iom": "iom_panel", "asb": "asb_mam"}


@dataclass
class MyWork:
    actions: list[Action]
    overdue_count: int
    plan_reviews: list[Plan]
    meetings: list[Meeting]


def my_actions(user: User, today: date, limit: int = 50) -> list[Action]:
    """Open actions assigned to the user, or to their agency with nobody named, on visible cases."""
    mine = sa.or_(
        Action.assigned_user_id == user.id,
        sa.and_(Action.assigned_agency_id == user.agency_id, Action.assigned_user_id.is_(None)),
    )
    return list(
        db.session.scalars(
            sa.select(Action)
            .join(Case, Case.id == Action.case_id)
            .where(Action.status == "open", mine, visible_case_clause(user))
            .options(joinedload(Action.case), joinedload(Action.assigned_agency))
            .order_by(Action.due_on, Action.id)
            .limit(limit)
        )
    )


def my_plan_reviews(user: User, today: date, horizon_days: int = 14) -> list[Plan]:
    """Active plans the user owns whose review is due within the horizon or overdue."""
    return list(
        db.session.scalars(
            sa.select(Plan)
            .join(Case, Case.id == Plan.case_id)
            .where(
                Plan.owner_user_id == user.id,
                Plan.is_active.is_(True),
                Plan.review_due_on <= today + timedelta(days=horizon_days),
                visible_case_clause(user),
            )
            .options(joinedload(Plan.case))
            .order_by(Plan.review_due_on)
            .limit(50)
        )
    )


def my_meetings(user: User, now: datetime, limit: int = 10) -> list[Meeting]:
    """Scheduled meetings of kinds the user works on, chaired by them or circulated to their agency."""
    full, scoped = case_kinds_viewable(user)
    kinds = [MEETING_KIND_FOR_CASE[k] for k in full + scoped]
    if not kinds:
        return []
    circulated = sa.exists().where(MeetingAgency.meeting_id == Meeting.id, MeetingAgency.agency_id == user.agency_id)
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.kind.in_(kinds),
                Meeting.status == "scheduled",
                Meeting.starts_at >= now - timedelta(hours=12),
                sa.or_(Meeting.chair_user_id == user.id, circulated),
            )
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    )


def my_work(user: User, today: date | None = None) -> MyWork:
    """The home page's lists. Action descriptions and case references are case data, so
    showing them is recorded like any other view."""
    today = today or date.today()
    actions = my_actions(user, today)
    plan_reviews = my_plan_reviews(user, today)
    case_ids = {a.case_id for a in actions} | {p.case_id for p in plan_reviews}
    if case_ids:
        audit.record(
            "home.viewed",
            object_type="case",
            person_ids=cases.person_ids_of_cases(case_ids),
            details={"case_ids": sorted(case_ids)},
        )
    return MyWork(
        actions=actions,
        overdue_count=sum(1 for a in actions if a.is_overdue(today)),
        plan_reviews=plan_reviews,
        meetings=my_meetings(user, utcnow()),
    )
