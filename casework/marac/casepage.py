"""What the MARAC case page shows, loaded (and recorded as a view) in one service call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..core import actions, cases
from ..core.disclosure import ShownPerson
from ..core.models import Action, Agency, AgendaItem, Case, CaseParticipant, Plan, User
from ..core.policy import can_edit_case, can_view_case
from ..extensions import db
from . import dash, disclosure, queries, referrals
from .models import ContactLog, DashAssessment, Referral


@dataclass
class CasePage:
    case: Case
    referral: Referral
    # Each participant as this user may see them (marac/disclosure.py decides).
    people: list[tuple[CaseParticipant, ShownPerson]]
    show_contact: bool  # the referral's safe-contact arrangements
    release: disclosure.ReleasePanel | None
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
    release = disclosure.active_release(case)
    shown = disclosure.for_case(user, case, release)
    listings = list(
        db.session.scalars(
            sa.select(AgendaItem).where(AgendaItem.case_id == case.id).options(joinedload(AgendaItem.meeting))
        )
    )
    page = CasePage(
        case=case,
        referral=referral,
        people=[(p, ShownPerson.of(p.person, shown[p.person_id])) for p in case.participants],
        show_contact=disclosure.sees_victim_contact(user),
        release=(
            disclosure.release_panel(user, release, _research_agencies(case, listings))
            if user.can(disclosure.RELEASE_CAPABILITY)
            else None
        ),
        can_edit=can_edit_case(user, case),
        dash_history=dash.history(user, referral.victim_id),
        plan=active_safety_plan(case),
        contacts=queries.contacts(case.id) if user.can("marac.idva.casework") else None,
        actions=actions.actions_for_case(case),
        listings=listings,
        repeats=repeats,
    )
    cases.record_view(case)
    return page


def _research_agencies(case: Case, listings: list[AgendaItem]) -> dict[int, tuple[str, str]]:
    """Agency id to (name, kind) of the agencies that may open the case: linked to it, or on
    the distribution list of a meeting it is listed at."""
    ids = set(case.agency_ids)
    for item in listings:
        if item.removed_reason is None:
            ids |= item.meeting.agency_ids
    rows = db.session.execute(sa.select(Agency.id, Agency.name, Agency.kind).where(Agency.id.in_(ids))).all()
    return {aid: (name, kind) for aid, name, kind in rows}
