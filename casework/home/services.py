""" "My work": the signed-in user's actions, plan reviews, meetings and what each module adds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from ..core import actions, audit, cases, modules, plans
from ..core.models import Action, Meeting, MeetingAgency, Plan, User
from ..core.policy import case_kinds_viewable, visible_case_ids
from ..core.types import utcnow
from ..extensions import db


@dataclass
class MyWork:
    actions: list[Action]
    more_actions: bool
    overdue_count: int
    overdue_capped: bool
    plan_reviews: list[Plan]
    meetings: list[Meeting]
    sections: list[modules.WorkSection]
    linkable_case_ids: set[int]


def my_meetings(user: User, now: datetime, limit: int = 10) -> list[Meeting]:
    """Scheduled meetings of kinds the user works on, chaired by them or circulated to their agency."""
    full, scoped = case_kinds_viewable(user)
    kinds = [m.meeting_kind for k in full + scoped if (m := modules.for_case_kind(k)) and m.meeting_kind]
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
            .options(lazyload(Meeting.agency_links))  # "My work" shows when and what, not the list
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    )


def my_work(user: User, today: date | None = None) -> MyWork:
    """The home page's lists. Action descriptions and case references are case data, so
    showing them is recorded like any other view."""
    today = today or date.today()
    open_actions = actions.my_actions(user, today)
    my_actions = open_actions.items
    plan_reviews = plans.my_plan_reviews(user, today)
    sections = [
        section for module in modules.modules() if module.my_work is not None for section in module.my_work(user, today)
    ]
    case_ids = {a.case_id for a in my_actions} | {p.case_id for p in plan_reviews}
    for section in sections:
        case_ids |= set(section.case_ids)
    person_ids = set(cases.person_ids_of_cases(case_ids))
    for section in sections:
        person_ids |= set(section.person_ids)
    if case_ids or person_ids:
        audit.record(
            "home.work.view", object_type="case", person_ids=person_ids, details={"case_ids": sorted(case_ids)}
        )
    return MyWork(
        actions=my_actions,
        more_actions=open_actions.more,
        overdue_count=open_actions.overdue,
        overdue_capped=open_actions.overdue_capped,
        plan_reviews=plan_reviews,
        meetings=my_meetings(user, utcnow()),
        sections=sections,
        linkable_case_ids=visible_case_ids(user, {a.case_id for a in my_actions}),
    )
