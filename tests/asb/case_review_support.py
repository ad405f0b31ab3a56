"""Shared set-up for the ASB Case Review tests: a council ASB officer and a police ASB officer
on one ASB case, a victim, and incidents recorded directly on the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from casework.asb.case_review import services
from casework.asb.models import Incident, IncidentType, IncidentVictim
from casework.core.models import Agency, Case, User
from casework.extensions import db


@dataclass
class Team:
    council: Agency
    police: Agency
    housing: Agency
    officer: User
    police_officer: User
    outsider: User
    marac_rep: User
    iom_officer: User
    victim: object
    case: Case


@pytest.fixture(name="team")
def team_fixture(factory) -> Team:
    council = factory.agency("council_asb", code="ASBC", name="Test Council ASB")
    police = factory.agency("police", code="ASBP", name="Test Police")
    housing = factory.agency("housing", code="ASBH", name="Test Housing")
    officer = factory.user("asb_officer", agency=council)
    police_officer = factory.user("asb_officer", agency=police)
    victim = factory.person(officer, given_names="Vera", surname="Victimson")
    case = factory.case(officer, kind="asb", agencies=[police], people=[(victim, "victim")])
    return Team(
        council=council,
        police=police,
        housing=housing,
        officer=officer,
        police_officer=police_officer,
        outsider=factory.user("asb_officer", agency=housing),
        marac_rep=factory.user("marac_rep", agency=police),
        iom_officer=factory.user("iom_officer", agency=police),
        victim=victim,
        case=case,
    )


def incident_type() -> IncidentType:
    return db.session.scalars(sa.select(IncidentType).order_by(IncidentType.sort_order)).first()


def incident(team: Team, occurred_on: date, reported_on: date | None = None, *, group_id=None, case=None) -> Incident:
    kind = incident_type()
    row = Incident(
        case_id=(case or team.case).id,
        occurred_at=datetime.combine(occurred_on, time(12), tzinfo=UTC),
        occurred_on=occurred_on,
        reported_on=reported_on or occurred_on,
        category=kind.category,
        type_code=kind.code,
        description="Shouting and banging at night",
        group_id=group_id,
        recorded_by_id=team.officer.id,
    )
    db.session.add(row)
    db.session.flush()
    row.victims.append(
        IncidentVictim(person_id=team.victim.id, occurred_on=occurred_on, event_key=group_id or -row.id, live=True)
    )
    db.session.commit()
    return row


def apply(team: Team, received_on: date, incidents: list[Incident], *, today: date | None = None, **overrides):
    data = {
        "received_on": received_on,
        "applicant_kind": "victim",
        "applicant_name": "Vera Victimson",
        "applicant_contact": "07700 900123",
        "victim_person_id": team.victim.id,
        "consent_given": False,
        "consent_on": None,
        "involvement": "attend",
        "spoc_user_id": team.officer.id,
        "summary": "Nothing has changed after many reports.",
        "incident_ids": [i.id for i in incidents],
        **overrides,
    }
    review = services.record_application(team.officer, team.case, today=today or received_on, **data)
    db.session.commit()
    return review
