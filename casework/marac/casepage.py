"""What the MARAC case page shows, loaded (and recorded as a view) in one service call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..core import actions, cases
from ..core.models import Action, AgendaItem, Case, Plan, User
from ..core.policy import agency_kind_sees_contact_details, can_edit_case, can_see_contact_details, can_view_case
from ..extensions import db
from . import dash, queries, referrals
from .models import ContactLog, DashAssessment, Referral


@dataclass
class CasePage:
    case: Case
    referral: Referral
    show_contact: bool
    contact_visible: set[int]
    can_edit: bool
    dash_history: list[DashAssessment]
    plan: Plan | None
    contacts: list[ContactLog] | None
    actions: list[Action]
    listings: list[AgendaItem]
    repeats: list[Any]


def active_safety_plan(case: Case) -> Plan | None:
    return db.session.scalar(
        sa.select(Plan).where(Plan.case_id == case.id, Plan.kind == "safety", Plan.is_active.is_(True))
    )


def case_page(user: User, case: Case, referral: Referral) -> CasePage:
    """The case record as this user may see it. Every rendering shows the case (a form
    redrawn with errors included), so each call records a view of everyone in it."""
    repeats = [
        r
        for r in referrals.find_repeats(
            referral.victim_id,
            referral.incident_date or referral.referral_date,
            {p.person_id for p in case.participants if p.role == "perpetrator"},
            exclude_case_id=case.id,
        )
        if can_view_case(user, r.referral.case)
    ]
    page = CasePage(
        case=case,
        referral=referral,
        show_contact=agency_kind_sees_contact_details(user, "marac"),
        contact_visible={p.person_id for p in case.participants if can_see_contact_details(user, p.person)},
        can_edit=can_edit_case(user, case),
        dash_history=dash.history(user, referral.victim_id),
        plan=active_safety_plan(case),
        contacts=queries.contacts(case.id) if user.can("marac.idva.casework") else None,
        actions=actions.actions_for_case(case),
        listings=list(
            db.session.scalars(
                sa.select(AgendaItem).where(AgendaItem.case_id == case.id).options(joinedload(AgendaItem.meeting))
            )
        ),
        repeats=repeats,
    )
    cases.record_view(case)
    return page
