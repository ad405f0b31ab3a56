"""MARAC rows follow the MARAC rules: DASH scoring, repeat decisions, hearings in the past."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import imports as im
from casework.extensions import db
from casework.marac.models import DashAssessment, Referral

from .conftest import csv_file

HEADER = [
    "external_ref",
    "referral_date",
    "referring_agency",
    "victim_given_names",
    "victim_surname",
    "victim_dob",
    "perpetrator_surname",
    "perpetrator_dob",
    "dash_answers",
    "incidents_12_months",
    "repeat",
    "victim_aware",
    "consent",
    "meeting_date",
]


def day(ago: int) -> str:
    return (date.today() - timedelta(days=ago)).isoformat()


def row(ref, ago, *, dash="", incidents=3, repeat="", meeting="") -> list:
    return [
        ref,
        day(ago),
        "POL",
        "Pat",
        "Rulesby",
        "1982-02-02",
        "Quinn",
        "1980-01-01",
        dash,
        incidents,
        repeat,
        "yes",
        "yes",
        meeting,
    ]


def run(world, rows, dry_run=False) -> im.ImportResult:
    result = im.run_import(world.coordinator, "marac-referrals", csv_file(HEADER, rows), "f.csv", dry_run=dry_run)
    db.session.commit()
    return result


def test_dash_answers_are_scored_by_the_checklist(app, world):
    high = "Y" * 14 + "N" * 8 + "UU"
    result = run(world, [row("R1", 30, dash=high, incidents="")])
    assert result.ok, result.errors
    referral = db.session.scalar(sa.select(Referral))
    assert referral.crit_visible_high_risk and not referral.crit_escalation
    assessment = db.session.scalar(sa.select(DashAssessment))
    assert assessment.score == 14 and assessment.final_level == "high"


def test_dash_answers_of_the_wrong_length_or_letters(app, world):
    result = run(world, [row("R1", 30, dash="YYN"), row("R2", 20, dash="Y" * 23 + "X")])
    assert {(e.row, e.column) for e in result.errors} == {(2, "dash_answers"), (3, "dash_answers")}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_repeat_flag_no_rejects_the_proposed_repeat(app, world):
    result = run(world, [row("R1", 200, meeting=day(190)), row("R2", 50, repeat="No")])
    assert result.ok, result.errors
    first, second = db.session.scalars(sa.select(Referral).order_by(Referral.id)).all()
    assert second.repeat_of_case_id == first.case_id  # detection proposed it
    assert second.repeat_confirmed is False and not second.is_repeat  # the MARAC's record says otherwise
    assert second.repeat_reject_reason


def test_repeat_flag_without_an_earlier_referral_needs_the_previous_date(app, world):
    result = run(world, [row("R1", 50, repeat="Yes", incidents=0)])
    assert [(e.row, e.column) for e in result.errors] == [(2, "previous_marac_date")]


def test_a_hearing_date_still_to_come_is_refused(app, world):
    result = run(world, [row("R1", 5, meeting=(date.today() + timedelta(days=7)).isoformat())])
    assert [(e.row, e.column) for e in result.errors] == [(2, "meeting_date")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
