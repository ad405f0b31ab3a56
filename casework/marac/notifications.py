"""What MARAC tells people, through the core notification mechanism (casework/notifications).

Events (a referral submitted, a case listed, an agenda circulated, an action assigned) are
notified by the service that makes the change, in its transaction. Time-based reminders
(research before the cut-off, actions due soon or overdue, safety plan reviews) come from
:func:`scan`, run daily by ``flask notify scan``. SafeLives: agencies research every listed
case before the meeting, and actions belong to the agency that owns them.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from ..core.models import Action, AgendaItem, Case, Meeting, MeetingAgency, Plan, User
from ..core.modules import NotificationKind, Reminder
from ..core.periods import local_date
from ..core.policy import can_open_meeting, visible_action_clause
from ..core.types import utcnow
from ..extensions import db
from ..notifications import notify
from ..notifications.service import not_reminded
from . import meetings
from .models import ResearchResponse


def _visible_actions(user: User, ids: list[int]) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Action.id)
            .join(Case, Case.id == Action.case_id)
            .where(Action.id.in_(ids), visible_action_clause(user, "marac"))
        )
    )


def _visible_meetings(user: User, ids: list[int]) -> set[int]:
    meetings = db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(ids), Meeting.kind == "marac"))
    return {m.id for m in meetings if can_open_meeting(user, m)}


KINDS = (
    NotificationKind(
        "marac.referral_submitted",
        "A new MARAC referral is awaiting a decision",
        "role",
        one="A new MARAC referral is awaiting your decision",
        many="{n} new MARAC referrals are awaiting your decision",
        endpoint="marac.case_view",
        id_arg="case_id",
        urgent=True,
    ),
    NotificationKind(
        "marac.case_listed",
        "A case is listed on a MARAC meeting for your agency's research",
        "agency",
        one="A MARAC case is listed for {agency} to research",
        many="{n} MARAC cases are listed for {agency} to research",
        endpoint="marac.research",
        id_arg="item_id",
        object_type="agenda_item",
    ),
    NotificationKind(
        "marac.research_due",
        "Your agency's MARAC research is still outstanding as the cut-off nears",
        "agency",
        one="Research by {agency} on a MARAC case is still outstanding and the cut-off is near",
        many="Research by {agency} on {n} MARAC cases is still outstanding and the cut-off is near",
        endpoint="marac.research",
        id_arg="item_id",
        object_type="agenda_item",
        urgent=True,
    ),
    NotificationKind(
        "marac.agenda_circulated",
        "A MARAC agenda is circulated to your agency",
        "agency",
        one="A MARAC agenda has been circulated to {agency}",
        many="{n} MARAC agendas have been circulated to {agency}",
        endpoint="marac.meeting_view",
        id_arg="meeting_id",
        object_type="meeting",
        visible=_visible_meetings,
    ),
    NotificationKind(
        "marac.action_assigned",
        "A MARAC action is assigned to your agency",
        "agency",
        one="A MARAC action has been assigned to {agency}",
        many="{n} MARAC actions have been assigned to {agency}",
        endpoint="marac.action_view",
        id_arg="action_id",
        object_type="action",
        visible=_visible_actions,
    ),
    NotificationKind(
        "marac.action_due",
        "A MARAC action of your agency is due soon",
        "agency",
        one="A MARAC action for {agency} is due in the next few days",
        many="{n} MARAC actions for {agency} are due in the next few days",
        endpoint="marac.action_view",
        id_arg="action_id",
        object_type="action",
        visible=_visible_actions,
    ),
    NotificationKind(
        "marac.action_overdue",
        "A MARAC action of your agency is overdue",
        "agency",
        one="A MARAC action for {agency} is overdue",
        many="{n} MARAC actions for {agency} are overdue",
        endpoint="marac.action_view",
        id_arg="action_id",
        object_type="action",
        urgent=True,
        visible=_visible_actions,
    ),
    NotificationKind(
        "marac.safety_plan_review",
        "A MARAC safety plan you own is due for review",
        "user",
        one="A MARAC safety plan is due for review",
        many="{n} MARAC safety plans are due for review",
        endpoint="marac.case_view",
        id_arg="case_id",
    ),
)


# --- events: one call from the service that makes the change ---------------------------------


def referral_submitted(user: User, case: Case) -> None:
    """Coordinators decide on new referrals (a restricted one reaches its named members)."""
    if case.is_restricted:
        notify("marac.referral_submitted", object_id=case.id, case_id=case.id, user_ids=case.member_ids)
    else:
        notify(
            "marac.referral_submitted",
            object_id=case.id,
            case_id=case.id,
            capability="marac.referral.decide",
            exclude_user_id=user.id,
        )


def case_listed(item: AgendaItem) -> AgendaItem:
    """The agencies on the meeting's distribution list research each listed case."""
    case = item.case
    if case.is_restricted:
        notify("marac.case_listed", object_id=item.id, case_id=case.id, user_ids=case.member_ids)
    else:
        notify(
            "marac.case_listed",
            object_id=item.id,
            case_id=case.id,
            agency_ids=item.meeting.agency_ids,
            capability="marac.research.record",
        )
    return item


def agenda_circulated(user: User, meeting: Meeting) -> None:
    notify(
        "marac.agenda_circulated",
        object_id=meeting.id,
        agency_ids=meeting.agency_ids,
        capability="marac.case.view",
        exclude_user_id=user.id,
    )


def action_assigned(action: Action) -> None:
    """The owning agency (and the named worker, if any); a restricted case's action only to the worker."""
    case = db.session.get(Case, action.case_id)
    restricted = case is not None and case.is_restricted
    notify(
        "marac.action_assigned",
        object_id=action.id,
        case_id=action.case_id,
        user_ids=[action.assigned_user_id] if action.assigned_user_id else [],
        agency_ids=[] if restricted else [action.assigned_agency_id],
        capability="marac.actions.update",
        exclude_user_id=action.created_by_id,
    )


# --- the daily scan --------------------------------------------------------------------------


def scan(today: date) -> list[Reminder]:
    """MARAC's reminders for ``today``: set-based queries, one per kind."""
    config = current_app.config
    return [
        *_research_due(today, int(config.get("MARAC_RESEARCH_REMINDER_WORKING_DAYS", 2))),
        *_actions(today, int(config.get("MARAC_ACTION_DUE_SOON_DAYS", 3))),
        *_plan_reviews(today, int(config.get("MARAC_PLAN_REVIEW_NOTICE_DAYS", 7))),
    ]


def _research_due(today: date, working_days: int) -> list[Reminder]:
    """From ``working_days`` working days before a meeting's cut-off until the meeting, each
    agency on its distribution list that has not researched a listed case is reminded once."""
    upcoming = db.session.execute(
        sa.select(Meeting.id, Meeting.starts_at).where(
            Meeting.kind == "marac", Meeting.status == "scheduled", Meeting.starts_at >= utcnow()
        )
    ).all()
    due = [m.id for m in upcoming if _reminder_from(m.starts_at, working_days) <= today <= local_date(m.starts_at)]
    if not due:
        return []
    occasion = sa.literal("research")
    rows = db.session.execute(
        sa.select(AgendaItem.id, AgendaItem.case_id, MeetingAgency.agency_id)
        .join(MeetingAgency, MeetingAgency.meeting_id == AgendaItem.meeting_id)
        .join(Case, Case.id == AgendaItem.case_id)
        .where(
            AgendaItem.meeting_id.in_(due),
            AgendaItem.removed_reason.is_(None),
            Case.is_restricted.is_(False),
            ~sa.exists().where(
                ResearchResponse.agenda_item_id == AgendaItem.id,
                ResearchResponse.agency_id == MeetingAgency.agency_id,
            ),
            not_reminded("marac.research_due", AgendaItem.id, occasion),
        )
    ).all()
    # One reminder per agenda item, naming every agency that has not answered.
    by_item: dict[tuple[int, int], list[int]] = {}
    for item_id, case_id, agency_id in rows:
        by_item.setdefault((item_id, case_id), []).append(agency_id)
    return [
        Reminder(
            "marac.research_due",
            object_id=item_id,
            case_id=case_id,
            occasion="research",
            agency_ids=tuple(agencies),
            capability="marac.research.record",
        )
        for (item_id, case_id), agencies in by_item.items()
    ]


def _reminder_from(starts_at, working_days: int) -> date:
    return meetings.subtract_working_days(meetings.cutoff_date(_Stub(starts_at)), working_days)


class _Stub:
    """Just enough of a meeting for ``cutoff_date`` (its start), without loading the row."""

    def __init__(self, starts_at) -> None:
        self.starts_at = starts_at


def _actions(today: date, soon_days: int) -> list[Reminder]:
    """Open actions due within ``soon_days`` days (once per due date) and overdue (once per due date)."""
    out = []
    for code, condition, prefix in (
        ("marac.action_due", Action.due_on.between(today, today + timedelta(days=soon_days)), "due"),
        ("marac.action_overdue", Action.due_on < today, "overdue"),
    ):
        occasion = sa.literal(prefix + ":") + sa.cast(Action.due_on, sa.String)
        rows = db.session.execute(
            sa.select(
                Action.id,
                Action.case_id,
                Action.assigned_agency_id,
                Action.assigned_user_id,
                Case.is_restricted,
                occasion,
            )
            .join(Case, Case.id == Action.case_id)
            .where(
                Case.kind == "marac",
                Action.status == "open",
                Case.closed_on.is_(None),
                condition,
                not_reminded(code, Action.id, occasion),
            )
        ).all()
        out.extend(
            Reminder(
                code,
                object_id=r[0],
                case_id=r[1],
                occasion=r[5],
                user_ids=(r[3],) if r[3] else (),
                agency_ids=() if r[4] else (r[2],),
                capability="marac.actions.update",
            )
            for r in rows
        )
    return out


def _plan_reviews(today: date, notice_days: int) -> list[Reminder]:
    """Active safety plans whose review is due within ``notice_days`` days (or past): the plan's
    owner, or else the case's lead worker, once per plan and review date."""
    occasion = sa.literal("p") + sa.cast(Plan.id, sa.String) + sa.literal(":") + sa.cast(Plan.review_due_on, sa.String)
    rows = db.session.execute(
        sa.select(Plan.case_id, sa.func.coalesce(Plan.owner_user_id, Case.lead_user_id), occasion)
        .join(Case, Case.id == Plan.case_id)
        .where(
            Case.kind == "marac",
            Case.closed_on.is_(None),
            Plan.kind == "safety",
            Plan.is_active.is_(True),
            Plan.review_due_on <= today + timedelta(days=notice_days),
            not_reminded("marac.safety_plan_review", Plan.case_id, occasion),
        )
    ).all()
    return [
        Reminder("marac.safety_plan_review", object_id=r[0], case_id=r[0], occasion=r[2], user_ids=(r[1],))
        for r in rows
        if r[1]
    ]
