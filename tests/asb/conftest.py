"""ASB fixtures: a partnership with a council ASB team, police and a housing provider, and helpers
that log incidents through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import pytest

from casework.asb import incidents
from casework.asb.common import asb_case_for
from casework.core.models import Agency, User
from casework.extensions import db


@dataclass
class Team:
    council: Agency
    police: Agency
    housing: Agency
    officer: User
    police_officer: User
    partner: User
    other_officer: User
    marac_rep: User
    iom_officer: User


@pytest.fixture
def team(factory) -> Team:
    council = factory.agency("council_asb", code="ASBT", name="Test Council ASB")
    police = factory.agency("police", code="POL", name="Test Police")
    housing = factory.agency("housing", code="HOUS", name="Test Homes")
    elsewhere = factory.agency("council_asb", code="ASBX", name="Other Council ASB")
    return Team(
        council=council,
        police=police,
        housing=housing,
        officer=factory.user("asb_officer", agency=council),
        police_officer=factory.user("asb_officer", agency=police),
        partner=factory.user("asb_partner", agency=housing),
        other_officer=factory.user("asb_officer", agency=elsewhere),
        marac_rep=factory.user("marac_rep", agency=council),
        iom_officer=factory.user("iom_officer", agency=police),
    )


def data(victim_id: int, on: date, **extra) -> incidents.IncidentData:
    values = {
        "occurred_on": on,
        "occurred_time": time(0, 5),
        "reported_on": on,
        "category": "nuisance",
        "type_code": "noise",
        "description": "Loud music until 3am",
        "victim_ids": [victim_id],
        "perpetrator_unknown": True,
    }
    values.update(extra)
    return incidents.IncidentData(**values)


def log(user: User, victim, on: date, asb=None, **extra):
    """Log an incident for ``victim`` on ``on`` (on a new case unless ``asb`` is given); commits."""
    incident = incidents.log_incident(user, data(victim.id, on, **extra), asb=asb)
    db.session.commit()
    return incident, asb_case_for(incident.case)


@pytest.fixture
def runner(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")  # keep demo credentials out of the real instance folder
    return app.test_cli_runner()
