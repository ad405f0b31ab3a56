"""MARAC fixtures: a partnership with the agencies and roles a MARAC cycle needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from casework.core import meetings as core_meetings
from casework.core.models import Agency, Meeting, User
from casework.extensions import db
from casework.marac import dash, referrals


@dataclass
class Partnership:
    police: Agency
    idva_service: Agency
    housing: Agency
    health: Agency
    csp: Agency
    coordinator: User
    idva: User
    police_rep: User
    housing_rep: User
    health_rep: User


@pytest.fixture
def marac(factory) -> Partnership:
    police = factory.agency("police", code="POL", name="Test Police")
    idva_service = factory.agency("idva_service", code="IDVA", name="Test IDVA Service")
    housing = factory.agency("housing", code="HOUS", name="Test Homes")
    health = factory.agency("health", code="HLTH", name="Test Health")
    csp = factory.agency("other", code="CSP", name="Test CSP")
    return Partnership(
        police=police,
        idva_service=idva_service,
        housing=housing,
        health=health,
        csp=csp,
        coordinator=factory.user("marac_coordinator", agency=csp),
        idva=factory.user("idva", agency=idva_service),
        police_rep=factory.user("marac_rep", agency=police),
        housing_rep=factory.user("marac_rep", agency=housing),
        health_rep=factory.user("marac_rep", agency=health),
    )


def all_yes(n_yes: int) -> dict:
    codes = dash.checklist().codes
    return {c: {"answer": "yes" if i < n_yes else "no", "note": None} for i, c in enumerate(codes)}


def record_dash(user, person, n_yes: int, on: date | None = None, **kw):
    a = dash.record_assessment(user, person, completed_on=on or date.today(), answers=all_yes(n_yes), **kw)
    db.session.commit()
    return a


REFERRAL_DEFAULTS = {
    "victim_aware": "yes",
    "consent": "yes",
    "referrer_name": "Referrer",
}


def make_referral(user, victim, *, dash_assessment=None, on: date | None = None, perpetrators=(), **data):
    payload = {**REFERRAL_DEFAULTS, "referral_date": on or date.today(), **data}
    if dash_assessment is not None:
        payload["dash_id"] = dash_assessment.id
    ref = referrals.create_referral(
        user, victim, payload, perpetrators=[referrals.PersonLink(p.id, "Partner") for p in perpetrators], children=[]
    )
    db.session.commit()
    return ref


def schedule(user, days_ahead: int = 14, agencies=()) -> Meeting:
    starts = datetime.combine(date.today() + timedelta(days=days_ahead), time(10, 0), tzinfo=UTC)
    m = core_meetings.schedule(
        user,
        kind="marac",
        starts_at=starts,
        venue="Town Hall",
        chair_user_id=user.id,
        agency_ids=[a.id for a in agencies],
    )
    db.session.commit()
    return m
