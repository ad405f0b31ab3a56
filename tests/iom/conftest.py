"""IOM fixtures: a partnership with police, probation and health IOM staff, and helpers that
build an offender's record through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from casework.core.models import Agency, User
from casework.extensions import db
from casework.iom import nominations, offending
from casework.iom.models import OffenceCategory, Offender


@dataclass
class Team:
    police: Agency
    probation: Agency
    health: Agency
    officer: User
    manager: User
    partner: User
    marac_rep: User
    idva: User


@pytest.fixture
def team(factory) -> Team:
    police = factory.agency("police", code="POL", name="Test Police")
    probation = factory.agency("probation", code="PROB", name="Test Probation")
    health = factory.agency("health", code="HLTH", name="Test Health")
    return Team(
        police=police,
        probation=probation,
        health=health,
        officer=factory.user("iom_officer", agency=police),
        manager=factory.user("iom_manager", agency=probation),
        partner=factory.user("iom_partner", agency=health),
        marac_rep=factory.user("marac_rep", agency=police),
        idva=factory.user("idva"),
    )


def category(code: str) -> OffenceCategory:
    return db.session.scalar(sa.select(OffenceCategory).where(OffenceCategory.code == code))


def nominate(team: Team, person, on: date, **data) -> object:
    payload = {
        "nominated_on": on,
        "reasons": "Prolific acquisitive offending",
        "proposed_strand": "fixed",
        "category": "ppo",
        **data,
    }
    nomination = nominations.nominate(team.officer, person, payload)
    db.session.commit()
    return nomination


def adopt(team: Team, nomination, on: date, strand: str = "fixed", category: str = "ppo", tier: str = "amber"):
    spell = nominations.decide(
        team.manager,
        nomination,
        adopt=True,
        decision=nominations.Adoption(
            decided_on=on, strand=strand, category=category, lead_user_id=team.officer.id, tier=tier
        ),
        version=nomination.version_id,
    )
    db.session.commit()
    return spell


def offender_of(person) -> Offender:
    return db.session.scalar(sa.select(Offender).where(Offender.person_id == person.id))


def on_cohort(team: Team, factory, start: date, nominated: date | None = None, **person_fields):
    """A new person nominated and adopted on ``start``; returns (person, offender)."""
    person = factory.person(team.officer, **person_fields)
    adopt(team, nominate(team, person, nominated or start), start)
    return person, offender_of(person)


def offence(team: Team, offender: Offender, on: date, code: str = "shoplifting", kind: str = "conviction"):
    o = offending.record_offence(
        team.officer, offender, {"kind": kind, "offence_on": on, "category_id": category(code).id}
    )
    db.session.commit()
    return o


def deselect(team: Team, offender: Offender, on: date, reason: str = "desistance"):
    spell = nominations.deselect(
        team.manager,
        offender,
        on=on,
        reason=reason,
        note=None,
        exit_plan="Handover to probation",
        version=offender.version_id,
    )
    db.session.commit()
    return spell
