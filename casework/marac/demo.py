"""MARAC demo data for ``make run``: a high-risk referral listed on the next meeting, with actions."""

from __future__ import annotations

from datetime import date, time, timedelta

from ..core import meetings as core_meetings
from ..core.localtime import to_utc
from ..core.models import Action, Plan, PlanItem
from ..demo import DemoContext, next_weekday
from ..extensions import db
from ..people.services import create_person
from . import dash, meetings, referrals


def seed(context: DemoContext) -> None:
    """A MARAC cycle in progress: a high-risk referral listed on the next meeting, with actions."""
    agencies, users = context.agencies, context.users
    idva, coordinator = users["idva@example.org"], users["coordinator@example.org"]
    today = date.today()
    victim = create_person(
        idva,
        {
            "given_names": "Sam",
            "surname": "Example",
            "dob": date(1990, 4, 12),
            "gender": "female",
            "phone": "07700 900123",
            "address": "1 Demo Street, Northtown",
        },
        kind="marac",
    )
    perpetrator = create_person(
        idva, {"given_names": "Jo", "surname": "Sample", "dob": date(1987, 9, 3), "gender": "male"}, kind="marac"
    )
    codes = dash.checklist().codes
    assessment = dash.record_assessment(
        idva,
        victim,
        completed_on=today - timedelta(days=3),
        answers={c: {"answer": "yes" if i < 15 else "no", "note": None} for i, c in enumerate(codes)},
    )
    core_meetings.schedule(
        coordinator,
        kind="marac",
        starts_at=to_utc(next_weekday(today + timedelta(days=14)), time(10, 0)),
        venue="Northtown Civic Centre, Room 2",
        chair_user_id=coordinator.id,
        agency_ids=[agencies[c].id for c in ("POL", "IDVA", "HOUS", "CSC", "HLTH", "PROB")],
    )
    referral = referrals.create_referral(
        idva,
        victim,
        {
            "referral_date": today - timedelta(days=2),
            "incident_date": today - timedelta(days=4),
            "referrer_name": idva.display_name,
            "dash_id": assessment.id,
            "victim_aware": "yes",
            "consent": "yes",
            "safe_to_call": False,
            "safe_contact": "Text first; only on weekday mornings",
            "summary": "Escalating abuse after separation; threats to kill.",
        },
        perpetrators=[referrals.PersonLink(perpetrator.id, "Ex-partner")],
        children=[],
    )
    referrals.decide(coordinator, referral, accept=True, reason=None, version=referral.version_id)
    referrals.allocate_idva(coordinator, referral, idva.id, referral.version_id)
    meetings.auto_list(coordinator, referral)
    db.session.add(
        # Dated yesterday, so "My work" shows an overdue action (the service refuses past deadlines).
        Action(
            case_id=referral.case_id,
            assigned_agency_id=agencies["IDVA"].id,
            assigned_user_id=idva.id,
            description="Confirm safe contact arrangements",
            due_on=today - timedelta(days=1),
            created_by_id=coordinator.id,
        )
    )
    plan = Plan(
        case_id=referral.case_id,
        kind="safety",
        title="Safety plan",
        review_due_on=today + timedelta(days=5),
        owner_user_id=idva.id,
        created_by_id=idva.id,
    )
    plan.items = [
        PlanItem(
            area="Home security",
            intervention="Target hardening referral",
            owner_agency_id=agencies["HOUS"].id,
            due_on=today + timedelta(days=14),
        )
    ]
    db.session.add(plan)
    db.session.flush()
