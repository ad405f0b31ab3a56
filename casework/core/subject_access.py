"""Helpers for the records each module gives a subject access pack (UK GDPR Art 15).

A module's ``subject_access`` hook (core/modules.py) returns
:class:`~casework.core.modules.SubjectAccessRecord` values; these helpers find the
cases a person takes part in, the other people in them (whose names are redacted
from free text, DPA 2018 Sch 2 para 16) and turn stored values into text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from .models import Case, CaseParticipant, Person
from .types import is_unreadable


def text(value: Any, labels: Mapping[str, str] | None = None) -> str:
    """A stored value as the pack shows it: dates as 7 December 2026, codes by their label."""
    if value is None or value == "":
        return ""
    if is_unreadable(value):
        return "(unreadable: ask the data protection officer)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return value.strftime("%-d %B %Y %H:%M UTC")
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(text(v, labels) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {text(v, labels)}" for k, v in value.items())
    if labels is not None:
        return labels.get(str(value), str(value))
    return str(value)


def participations(person_id: int, case_kind: str) -> list[CaseParticipant]:
    """The person's roles in cases of one kind, with their cases, oldest case first."""
    return list(
        db.session.scalars(
            sa.select(CaseParticipant)
            .join(Case, Case.id == CaseParticipant.case_id)
            .where(CaseParticipant.person_id == person_id, Case.kind == case_kind)
            .order_by(Case.id)
        )
    )


def names_of(person: Person) -> list[str]:
    """Every way a person's name may be written: full name, given names, surname, aliases."""
    names = []
    given = person.given_names if isinstance(person.given_names, str) else None
    surname = person.surname if isinstance(person.surname, str) else None
    if given and surname:
        names.append(f"{given} {surname}")
    names += [n for n in (given, surname) if n]
    aliases = person.aliases if isinstance(person.aliases, list) else []
    names += [a for a in aliases if isinstance(a, str)]
    return [n.strip() for n in names if n and len(n.strip()) >= 2]


def other_people_names(case_ids: Iterable[int], subject: Person) -> tuple[str, ...]:
    """Names of everyone else in these cases, except any the subject shares (their own name stays)."""
    ids = sorted(set(case_ids))
    if not ids:
        return ()
    others = db.session.scalars(
        sa.select(Person)
        .join(CaseParticipant, CaseParticipant.person_id == Person.id)
        .where(CaseParticipant.case_id.in_(ids), Person.id != subject.id)
        .distinct()
    )
    own = {n.casefold() for n in names_of(subject)}
    found = {n for p in others for n in names_of(p) if n.casefold() not in own}
    return tuple(sorted(found, key=lambda n: (-len(n), n)))
