"""IOM cohort spells and offences: imported through the IOM services, rules and all."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import imports as im
from casework.core.models import Person
from casework.extensions import db
from casework.iom.models import Nomination, Offence, Offender, Spell
from tests.helpers import audit_events

from .conftest import csv_file

TODAY = date.today()
SPELL_HEADER = [
    "external_ref",
    "given_names",
    "surname",
    "dob",
    "start_on",
    "strand",
    "category",
    "tier",
    "lead_officer_email",
    "end_on",
    "deselection_reason",
    "exit_plan",
]
OFFENCE_HEADER = ["external_ref", "given_names", "surname", "dob", "kind", "offence_on", "category", "source_ref"]


def d(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def spells() -> bytes:
    return csv_file(
        SPELL_HEADER,
        [
            [
                "S1",
                "Eddie",
                "Cohortson",
                "1985-03-03",
                d(900),
                "Fixed",
                "ppo",
                "red",
                "officer@example.org",
                d(500),
                "desistance",
                "Handover to probation",
            ],
            [
                "S2",
                "Eddie",
                "Cohortson",
                "03/03/1985",
                d(300),
                "fixed",
                "PPO",
                "Amber",
                "OFFICER@example.org",
                "",
                "",
                "",
            ],
            [
                "S3",
                "Fran",
                "Flexer",
                "1990-09-09",
                d(100),
                "flex",
                "repeat",
                "green",
                "manager@example.org",
                "",
                "",
                "",
            ],
        ],
    )


def offences() -> bytes:
    return csv_file(
        OFFENCE_HEADER,
        [
            ["O1", "Eddie", "Cohortson", "1985-03-03", "conviction", d(400), "burglary_dwelling", "PNC/1"],
            ["O2", "Eddie", "Cohortson", "1985-03-03", "arrest", d(50), "Robbery", ""],
            ["O3", "Fran", "Flexer", "1990-09-09", "charge", d(20), "shoplifting", ""],
        ],
    )


def test_spells_and_offences_round_trip(app, world):
    check = im.run_import(world.manager, "iom-spells", spells(), "spells.csv", dry_run=True)
    db.session.commit()
    assert check.ok, check.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Spell)) == 0

    result = im.run_import(world.manager, "iom-spells", spells(), "spells.csv", dry_run=False)
    db.session.commit()
    assert result.ok and result.created == 3, result.errors
    eddie = db.session.scalar(sa.select(Offender).join(Person).where(Offender.on_cohort.is_(True)).limit(1))
    assert eddie is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2
    all_spells = db.session.scalars(sa.select(Spell).order_by(Spell.start_on)).all()
    assert [s.end_on is None for s in all_spells] == [False, True, True]
    assert all_spells[0].deselection_reason == "desistance" and all_spells[0].exit_plan == "Handover to probation"
    assert all_spells[1].lead_user_id == world.officer.id and all_spells[2].strand == "flex"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Nomination)) == 3
    assert len(audit_events("iom.nomination.adopt")) == 3 and len(audit_events("iom.cohort.deselect")) == 1

    done = im.run_import(world.manager, "iom-offences", offences(), "offences.csv", dry_run=False)
    db.session.commit()
    assert done.ok and done.created == 3, done.errors
    again = im.run_import(world.manager, "iom-offences", offences(), "offences.csv", dry_run=False)
    db.session.commit()
    assert again.ok and again.created == 0 and again.skipped == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offence)) == 3
    assert len(audit_events("iom.offence.create")) == 3
    again_spells = im.run_import(world.manager, "iom-spells", spells(), "spells.csv", dry_run=False)
    db.session.commit()
    assert again_spells.skipped == 3 and db.session.scalar(sa.select(sa.func.count()).select_from(Spell)) == 3


def test_iom_rules_apply_to_imported_rows(app, world):
    overlapping = csv_file(
        SPELL_HEADER,
        [
            ["S1", "Gail", "Overlap", "1970-01-01", d(400), "fixed", "ppo", "red", "officer@example.org", "", "", ""],
            ["S2", "Gail", "Overlap", "1970-01-01", d(100), "fixed", "ppo", "red", "officer@example.org", "", "", ""],
            [
                "S3",
                "Hal",
                "Noplan",
                "1971-01-01",
                d(400),
                "fixed",
                "ppo",
                "red",
                "officer@example.org",
                d(10),
                "desistance",
                "",
            ],
            ["S4", "Ivy", "Nobody", "1972-01-01", d(40), "fixed", "ppo", "purple", "nobody@example.org", "", "", ""],
        ],
    )
    result = im.run_import(world.manager, "iom-spells", overlapping, "spells.csv", dry_run=False)
    db.session.commit()
    found = {(e.row, e.column) for e in result.errors}
    assert (3, None) in found  # already on the cohort
    assert (4, "exit_plan") in found
    assert {(5, "tier"), (5, "lead_officer_email")} <= found
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Spell)) == 0

    # Offences only for people with an IOM record; a person unknown is a row problem.
    unknown = csv_file(OFFENCE_HEADER, [["O1", "Nobody", "Known", "1960-01-01", "conviction", d(5), "robbery", ""]])
    result = im.run_import(world.manager, "iom-offences", unknown, "offences.csv", dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "surname")]
    assert "import their cohort spell first" in result.errors[0].problem
