"""DASH risk identification checklist: questions, scoring and risk levels.

SafeLives Dash RIC: 24 questions answered yes / no / not known; only "yes"
counts. 0-9 standard, 10-13 medium, 14+ high ("visible high risk", a MARAC
referral criterion). Professional judgement may raise the level, with
reasons, but never lower a score of 14 or more (SafeLives, "Marac referral
criteria: definitions"; domain-notes §0-1). Thresholds come from settings.
Question wording is licensed text in SafeLives' version, so it lives in a
replaceable data file (DASH_QUESTIONS_FILE); the code knows only factor codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..core import audit
from ..core.access import visible_case_clause
from ..core.models import Case, Person, User
from ..core.services import ServiceError
from ..extensions import db
from .models import LEVEL_ORDER, DashAssessment

ANSWERS = ("yes", "no", "not_known")
DEFAULT_QUESTIONS = Path(__file__).parent / "data" / "dash_safelives.json"


@dataclass(frozen=True)
class Question:
    code: str
    short: str
    text: str
    # What to say when it is not answered ("Select whether the victim is very frightened").
    missing: str = ""

    @property
    def missing_message(self) -> str:
        return self.missing or f"Select yes, no or not known for {self.short[:1].lower() + self.short[1:]}"


@dataclass(frozen=True)
class Checklist:
    tool: str
    version: str
    questions: tuple[Question, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(q.code for q in self.questions)


@lru_cache(maxsize=4)
def _load(path: str) -> Checklist:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    questions = tuple(Question(q["code"], q["short"], q["text"], q.get("missing", "")) for q in doc["questions"])
    if len({q.code for q in questions}) != len(questions):
        raise ValueError(f"{path}: duplicate question codes")
    return Checklist(tool=doc["tool"], version=doc["version"], questions=questions)


def checklist() -> Checklist:
    return _load(str(current_app.config.get("DASH_QUESTIONS_FILE") or DEFAULT_QUESTIONS))


def score(answers: dict[str, dict[str, Any]]) -> int:
    """Count of "yes" answers; "no" and "not known" score nothing."""
    return sum(1 for a in answers.values() if a.get("answer") == "yes")


def level_for_score(value: int) -> str:
    cfg = current_app.config
    if value >= cfg["DASH_HIGH_THRESHOLD"]:
        return "high"
    if value >= cfg["DASH_MEDIUM_THRESHOLD"]:
        return "medium"
    return "standard"


def final_level(score_level: str, judgement_level: str | None, judgement_reason: str | None) -> str:
    """Apply professional judgement: it may only raise the level, and needs a reason."""
    if not judgement_level or judgement_level == score_level:
        return score_level
    if LEVEL_ORDER[judgement_level] < LEVEL_ORDER[score_level]:
        if score_level == "high":
            raise ServiceError(
                "Professional judgement cannot lower the risk level of a score of 14 or more", "judgement_level"
            )
        raise ServiceError("Professional judgement can only raise the risk level", "judgement_level")
    if not (judgement_reason or "").strip():
        raise ServiceError("Give the reasons for your professional judgement", "judgement_reason")
    return judgement_level


def record_assessment(
    user: User,
    person: Person,
    *,
    completed_on: date,
    answers: dict[str, dict[str, Any]],
    judgement_level: str | None = None,
    judgement_reason: str | None = None,
    case_id: int | None = None,
) -> DashAssessment:
    """Validate, score and store one checklist for a victim."""
    lst = checklist()
    unknown = set(answers) - set(lst.codes)
    if unknown:
        raise ServiceError("The checklist contains unknown questions")
    missing = [q.short for q in lst.questions if answers.get(q.code, {}).get("answer") not in ANSWERS]
    if missing:
        raise ServiceError(f"Answer every question ({len(missing)} not answered)")
    if completed_on > date.today():
        raise ServiceError("The assessment date cannot be in the future", "completed_on")
    total = score(answers)
    s_level = level_for_score(total)
    f_level = final_level(s_level, judgement_level, judgement_reason)
    clean = {
        code: {"answer": answers[code]["answer"], "note": (answers[code].get("note") or "").strip() or None}
        for code in lst.codes
    }
    assessment = DashAssessment(
        person_id=person.id,
        case_id=case_id,
        tool=lst.tool,
        tool_version=lst.version,
        completed_on=completed_on,
        assessor_id=user.id,
        assessor_agency_id=user.agency_id,
        answers=clean,
        score=total,
        score_level=s_level,
        judgement_level=judgement_level if f_level != s_level else None,
        judgement_reason=(judgement_reason or None) if f_level != s_level else None,
        final_level=f_level,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        "marac.dash.record",
        object_type="marac_dash",
        object_id=assessment.id,
        person_ids=[person.id],
        details={"score": total},
    )
    return assessment


def _visible(user: User) -> sa.ColumnElement[bool]:
    """An assessment belongs to its case: seen by whoever sees the case. One not yet linked
    to a case is seen only by the agency that completed it."""
    return sa.or_(
        sa.and_(DashAssessment.case_id.is_(None), DashAssessment.assessor_agency_id == user.agency_id),
        sa.exists().where(Case.id == DashAssessment.case_id, visible_case_clause(user)),
    )


def history(user: User, person_id: int) -> list[DashAssessment]:
    """The person's assessments this user may see, newest first."""
    return list(
        db.session.scalars(
            sa.select(DashAssessment)
            .where(DashAssessment.person_id == person_id, _visible(user))
            .order_by(DashAssessment.completed_on.desc(), DashAssessment.id.desc())
        )
    )


def can_view(user: User, assessment: DashAssessment) -> bool:
    if not user.can("marac.case.view"):
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(DashAssessment.id == assessment.id, _visible(user)))))


@dataclass
class FactorChange:
    question: Question
    before: dict | None
    after: dict | None

    @property
    def changed(self) -> bool:
        return (self.before or {}).get("answer") != (self.after or {}).get("answer") or (self.before or {}).get(
            "note"
        ) != (self.after or {}).get("note")


def compare(older: DashAssessment, newer: DashAssessment) -> list[FactorChange]:
    """Side by side, factor by factor, flagging what changed between two assessments."""
    if older.person_id != newer.person_id:
        raise ServiceError("Both assessments must be for the same person")
    return [FactorChange(q, older.answers.get(q.code), newer.answers.get(q.code)) for q in checklist().questions]
