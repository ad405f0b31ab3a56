"""Victim risk assessment (issue 11 item 3; domain-notes §5): a scored questionnaire whose
questions, weights and band thresholds live in a data file (``data/risk_questionnaire.json``,
or the file named by setting ``ASB_RISK_QUESTIONNAIRE``), giving standard / medium / high.

Only "yes" scores: the score is the sum of the weights of the questions answered yes;
``medium`` and ``high`` in the file are the lowest scores of those bands. Each
assessment keeps the tool name and version, the answers and the score breakdown,
so the history reads as it was scored. The next assessment falls due after the days
set per band (``ASB_REASSESS_DAYS``). Questions marked ``sensitive`` (health and
disability) are shown only to roles holding ``asb.health.view``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from ..core import audit
from ..core.models import User
from ..core.services import FieldErrors, ServiceError
from ..extensions import db
from . import repeats, support
from .common import editable, past_date, setting, text
from .models import AsbCase, RiskAssessment

DEFAULT_FILE = Path(__file__).parent / "data" / "risk_questionnaire.json"
BAND_ORDER = ("standard", "medium", "high")


@dataclass(frozen=True)
class Question:
    code: str
    label: str
    weight: int
    sensitive: bool


@dataclass(frozen=True)
class Questionnaire:
    tool: str
    version: str
    answers: dict[str, str]
    questions: tuple[Question, ...]
    medium: int
    high: int

    def band(self, score: int) -> str:
        if score >= self.high:
            return "high"
        if score >= self.medium:
            return "medium"
        return "standard"


def _path() -> Path:
    if has_app_context() and current_app.config.get("ASB_RISK_QUESTIONNAIRE"):
        return Path(current_app.config["ASB_RISK_QUESTIONNAIRE"])
    return DEFAULT_FILE


@lru_cache(maxsize=4)
def _load(path: str) -> Questionnaire:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    questions = tuple(
        Question(q["code"], q["label"], int(q["weight"]), bool(q.get("sensitive", False))) for q in raw["questions"]
    )
    if len({q.code for q in questions}) != len(questions):
        raise ValueError(f"{path}: question codes must be unique")
    medium, high = int(raw["bands"]["medium"]), int(raw["bands"]["high"])
    if not 0 < medium < high:
        raise ValueError(f"{path}: bands must satisfy 0 < medium < high")
    return Questionnaire(raw["tool"], str(raw["version"]), dict(raw["answers"]), questions, medium, high)


def questionnaire() -> Questionnaire:
    return _load(str(_path()))


def score(answers: dict[str, str], q: Questionnaire | None = None) -> tuple[int, str, list[dict[str, Any]]]:
    """(score, band, breakdown) for a full set of answers. Only "yes" counts."""
    q = q or questionnaire()
    breakdown = []
    total = 0
    for question in q.questions:
        answer = answers.get(question.code)
        points = question.weight if answer == "yes" else 0
        total += points
        breakdown.append(
            {
                "code": question.code,
                "label": question.label,
                "answer": answer,
                "weight": question.weight,
                "points": points,
                "sensitive": question.sensitive,
            }
        )
    return total, q.band(total), breakdown


def reassess_due(band: str, on: date) -> date:
    days = dict(setting("ASB_REASSESS_DAYS"))
    return on + timedelta(days=int(days.get(band, 91)))


def prefill(person_id: int) -> dict[str, str]:
    """Answers the system already knows: repeat victimisation from the victim's repeat status."""
    victim = repeats.victim_of(person_id)
    return {"repeat": "yes"} if repeats.is_repeat(victim) else {}


def assess(
    user: User,
    asb: AsbCase,
    *,
    person_id: int | None = None,
    assessed_on: date | None,
    answers: dict[str, str | None],
    notes: str | None = None,
) -> RiskAssessment:
    """Score and store an assessment of the case's victim; set the victim's band, the date the
    next one is due, and the case's contact cadence."""
    editable(user, asb.case)
    q = questionnaire()
    person_id = person_id or asb.victim_person_id
    if person_id not in {p.person_id for p in asb.case.participants_in("victim")}:
        raise ServiceError("Choose a victim in this case", "person_id")
    errors: list[tuple[str | None, str]] = []
    try:
        assessed_on = past_date(assessed_on, "assessed_on", "date of the assessment")
        if assessed_on < asb.case.opened_on:
            raise ServiceError("The date of the assessment must be on or after the case was opened", "assessed_on")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    clean: dict[str, str] = {}
    for question in q.questions:
        answer = answers.get(question.code)
        if answer not in q.answers:
            errors.append((f"q_{question.code}", f"Answer: {question.label}"))
        else:
            clean[question.code] = answer
    try:
        notes = text(notes, "notes", "notes")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    total, band, breakdown = score(clean, q)
    assessment = RiskAssessment(
        case_id=asb.case_id,
        person_id=person_id,
        assessed_on=assessed_on,
        assessed_by_id=user.id,
        tool=q.tool,
        tool_version=q.version,
        score=total,
        band=band,
        answers=clean,
        breakdown=breakdown,
        notes=notes,
        next_due_on=reassess_due(band, assessed_on),
    )
    db.session.add(assessment)
    db.session.flush()
    latest = db.session.scalar(
        sa.select(RiskAssessment)
        .where(RiskAssessment.person_id == person_id)
        .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
        .limit(1)
    )
    victim = repeats.victim_of(person_id) or repeats.refresh([person_id], case_id=asb.case_id)[person_id]
    victim.risk_band = latest.band
    victim.risk_assessed_on = latest.assessed_on
    victim.reassess_due_on = latest.next_due_on
    if person_id == asb.victim_person_id and latest.id == assessment.id:
        support.set_band(asb, band)
    db.session.flush()
    audit.record(
        "asb.risk.create",
        object_type="asb_risk_assessment",
        object_id=assessment.id,
        person_ids=[person_id],
        details={"case_id": asb.case_id, "band": band},
    )
    return assessment


def history(asb: AsbCase, person_id: int | None = None) -> list[RiskAssessment]:
    person_id = person_id or asb.victim_person_id
    return list(
        db.session.scalars(
            sa.select(RiskAssessment)
            .where(RiskAssessment.person_id == person_id)
            .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
        )
    )


def visible_breakdown(user: User, assessment: RiskAssessment) -> list[dict[str, Any]]:
    """The breakdown as the user may see it: sensitive answers withheld without ``asb.health.view``."""
    allowed = user.can("asb.health.view")
    out = []
    for row in assessment.breakdown or []:
        if row.get("sensitive") and not allowed:
            out.append(
                {"code": row["code"], "label": "Health or disability question", "answer": None, "points": None}
                | {"weight": row["weight"], "withheld": True}
            )
        else:
            out.append({**row, "withheld": False})
    return out


def band_rank(band: str | None) -> int:
    return BAND_ORDER.index(band) if band in BAND_ORDER else -1


def ensure_band(band: str) -> None:
    if band not in BAND_ORDER:
        raise ServiceError("Unknown risk band")
