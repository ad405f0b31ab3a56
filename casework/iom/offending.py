"""The offending record and the selection score (domain-notes §4, "Selection").

An offender's record holds arrests, charges and convictions, each with a date, an
offence category (from the partnership's list, with a gravity score and the
neighbourhood-crime flag), outcome and source reference. The selection score is
the local recency-frequency-gravity matrix, kept in data (``iom_score_factor`` and
``iom_score_band``):

* **recency**: whole calendar months from the latest conviction to the scoring date;
* **frequency**: convictions dated in the factor's look-back (months before the scoring date);
* **gravity**: the highest gravity score among those convictions (no points if none).

Each value earns the points of the band it falls in (``low <= value <= high``, an
empty ``high`` open-ended); the score is the sum of points × the factor's weight.
A person with no conviction scores 0 on every factor. The breakdown is kept so the
panel sees why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..core import audit, crypto
from ..core.models import User
from ..core.services import ServiceError
from ..extensions import db
from .common import editable, months_before, past_date, prepared
from .models import OFFENCE_KINDS, Nomination, Offence, OffenceCategory, Offender, ScoreBand, ScoreFactor


@dataclass(frozen=True)
class FactorScore:
    code: str
    value: int | None
    points: int
    weight: int

    @property
    def weighted(self) -> int:
        return self.points * self.weight


@dataclass(frozen=True)
class SelectionScore:
    total: int
    factors: list[FactorScore]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "factors": [asdict(f) for f in self.factors]}


def categories(active_only: bool = True) -> list[OffenceCategory]:
    query = sa.select(OffenceCategory).order_by(OffenceCategory.sort_order, OffenceCategory.id)
    if active_only:
        query = query.where(OffenceCategory.is_active.is_(True))
    return list(db.session.scalars(query))


def whole_months_between(earlier: date, later: date) -> int:
    """Completed calendar months from ``earlier`` to ``later`` (0 within the first month)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return max(months, 0)


def _points(factor: ScoreFactor | Factor, value: int | None) -> int:
    if value is None:
        return 0
    for band in factor.bands:
        if band.low <= value and (band.high is None or value <= band.high):
            return band.points
    return 0


@dataclass(frozen=True, slots=True)
class Band:
    low: int
    high: int | None
    points: int


@dataclass(frozen=True, slots=True)
class Factor:
    """A factor of the matrix as scoring reads it, with its bands lowest first."""

    code: str
    weight: int
    lookback_months: int
    bands: tuple[Band, ...]


@prepared
def _factors_query() -> sa.Select:
    return (
        sa.select(
            ScoreFactor.code,
            ScoreFactor.weight,
            ScoreFactor.lookback_months,
            ScoreBand.low,
            ScoreBand.high,
            ScoreBand.points,
        )
        .outerjoin(ScoreBand, ScoreBand.factor_code == ScoreFactor.code)
        .order_by(ScoreFactor.code, ScoreBand.low)
    )


def score_factors() -> list[Factor]:
    """The matrix's factors, each with its bands (lowest first), in one statement."""
    rows: dict[str, tuple[int, int, list[Band]]] = {}
    for code, weight, lookback, low, high, points in db.session.execute(_factors_query()):
        _, _, bands = rows.setdefault(code, (weight, lookback, []))
        if low is not None:
            bands.append(Band(low, high, points))
    return [Factor(code, weight, lookback, tuple(bands)) for code, (weight, lookback, bands) in rows.items()]


def selection_score(person_id: int, on: date, *, offences: Sequence[OffenceRow] | None = None) -> SelectionScore:
    """The recency-frequency-gravity score of a person's convictions up to ``on`` (see module doc).

    ``offences``: every offence on the person's record (``offences_for``), when the caller has
    them already (the offender page); otherwise the convictions are read."""
    factors = {f.code: f for f in score_factors()}
    convictions: Sequence[tuple[date, int]]
    if offences is None:
        convictions = db.session.execute(
            sa.select(Offence.offence_on, OffenceCategory.gravity)
            .join(OffenceCategory, OffenceCategory.id == Offence.category_id)
            .where(Offence.person_id == person_id, Offence.kind == "conviction", Offence.offence_on <= on)
        ).all()
    else:
        convictions = [
            (o.offence_on, o.category.gravity) for o in offences if o.kind == "conviction" and o.offence_on <= on
        ]
    out = []
    for code in ("recency", "frequency", "gravity"):
        factor = factors.get(code)
        if factor is None:
            continue
        since = months_before(on, factor.lookback_months)
        window = [g for d, g in convictions if d > since]
        if code == "recency":
            value = whole_months_between(max(d for d, _ in convictions), on) if convictions else None
        elif code == "frequency":
            value = len(window)
        else:
            value = max(window) if window else None
        points = _points(factor, value) if convictions else 0
        out.append(FactorScore(code=code, value=value, points=points, weight=factor.weight))
    return SelectionScore(total=sum(f.weighted for f in out), factors=out)


def rescore_open_nominations(offender: Offender) -> None:
    """An open nomination's score follows the record until the panel decides."""
    for nomination in db.session.scalars(
        sa.select(Nomination).where(Nomination.case_id == offender.case_id, Nomination.status == "open")
    ):
        score = selection_score(offender.person_id, nomination.nominated_on)
        if nomination.score != score.total or nomination.score_breakdown != score.as_dict():
            nomination.score = score.total
            nomination.score_breakdown = score.as_dict()
    db.session.flush()


def record_offence(user: User, offender: Offender, data: dict[str, Any]) -> Offence:
    """Add an arrest, charge or conviction to the offender's record.

    Refused: a missing or future date, an unknown kind or category. Notes are kept
    only from roles allowed to read them (``iom.offending.notes``).
    """
    editable(user, offender)
    if not user.can("iom.offending.record"):
        raise ServiceError("Only police and probation IOM officers record offending")
    kind = data.get("kind")
    if kind not in OFFENCE_KINDS:
        raise ServiceError("Select whether this was an arrest, a charge or a conviction", "kind")
    offence_on = past_date(data.get("offence_on"), "offence_on", "offence date")
    category = db.session.get(OffenceCategory, data.get("category_id") or 0)
    if category is None or not category.is_active:
        raise ServiceError("Select the offence category", "category_id")
    notes = (data.get("notes") or "").strip() or None
    if notes and not user.can("iom.offending.notes"):
        raise ServiceError("Your role cannot record offending notes", "notes")
    offence = Offence(
        case_id=offender.case_id,
        person_id=offender.person_id,
        kind=kind,
        offence_on=offence_on,
        category_id=category.id,
        outcome=(data.get("outcome") or "").strip() or None,
        source_ref=(data.get("source_ref") or "").strip() or None,
        notes=notes,
        recorded_by_id=user.id,
    )
    db.session.add(offence)
    db.session.flush()
    rescore_open_nominations(offender)
    audit.record(
        "iom.offence.create",
        object_type="case",
        object_id=offender.case_id,
        person_ids=[offender.person_id],
        details={"offence_id": offence.id},
    )
    return offence


# The offender page lists at most this many offences, newest first.
OFFENCES_SHOWN = 500


@dataclass(frozen=True, slots=True)
class CategoryRow:
    """What a listed offence shows and counts of its category."""

    id: int
    label: str
    gravity: int
    neighbourhood: bool
    unit_cost: Decimal


@dataclass(frozen=True, slots=True)
class OffenceRow:
    """One offence on the record as the offender page lists it (read-only)."""

    id: int
    kind: str
    offence_on: date
    category_id: int
    category: CategoryRow
    outcome: str | None
    source_ref: str | None
    notes: str | None  # None when read without notes


@prepared
def _offences_query(with_notes: bool) -> sa.Select:
    offence, category = Offence.__table__, OffenceCategory.__table__
    raw = [offence.c.outcome, offence.c.source_ref] + ([offence.c.notes] if with_notes else [])
    return (
        sa.select(
            offence.c.id,
            offence.c.kind,
            offence.c.offence_on,
            offence.c.category_id,
            category.c.label,
            category.c.gravity,
            category.c.neighbourhood,
            category.c.unit_cost,
            offence.c.row_uid,
            *(sa.type_coerce(c, sa.LargeBinary) for c in raw),
        )
        .join(category, category.c.id == offence.c.category_id)
        .where(offence.c.person_id == sa.bindparam("person_id"))
        .order_by(offence.c.offence_on.desc(), offence.c.id.desc())
        .limit(sa.bindparam("limit"))
    )


def offences_for(offender: Offender, limit: int = OFFENCES_SHOWN, *, with_notes: bool = True) -> list[OffenceRow]:
    """The person's offences, newest first, at most ``limit``, each with its category, in one
    statement. Read as plain rows, not ORM objects (a prolific offender's record is long):
    the encrypted fields are decrypted here and, as an ORM load would, a value bound to
    another row reads as unreadable. Notes are decrypted only ``with_notes``."""
    rows = db.session.execute(_offences_query(with_notes), {"person_id": offender.person_id, "limit": limit})
    columns = Offence.__table__.c
    outcome_type, source_type, notes_type = columns.outcome.type, columns.source_ref.type, columns.notes.type
    ring = crypto.keyring()
    categories: dict[int, CategoryRow] = {}
    out = []
    for row in rows:
        offence_id, kind, offence_on, category_id, label, gravity, neighbourhood, unit_cost, row_uid = row[:9]
        cat = categories.get(category_id)
        if cat is None:
            cat = categories[category_id] = CategoryRow(category_id, label, gravity, neighbourhood, unit_cost)
        out.append(
            OffenceRow(
                offence_id,
                kind,
                offence_on,
                category_id,
                cat,
                outcome_type.read_raw(row[9], row_uid, ring),
                source_type.read_raw(row[10], row_uid, ring),
                notes_type.read_raw(row[11], row_uid, ring) if with_notes else None,
            )
        )
    return out
