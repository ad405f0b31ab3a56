"""The partnership's own IOM lists, edited by the IOM manager or an administrator: offence
categories (gravity, neighbourhood-crime flag, unit cost of crime and its source), strand
labels and descriptions, tier labels, the recency-frequency-gravity scoring matrix and the
two optional women's pathways (domain-notes §4: "descriptions editable", "two optional
women's pathways may be enabled"; DESIGN §6: "make every threshold configurable"). Each
change is audited by field name, never value.

Strands, tiers and the matrix have no version column: a form carries a fingerprint of what
it showed (``fingerprint``), and a save over a changed list is a conflict (409)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..core import audit
from ..core.models import User
from ..core.permissions import AccessDenied
from ..core.services import ConflictError, FieldErrors, ServiceError, apply_changes, check_version
from ..extensions import db
from .models import (
    SCORE_FACTORS,
    Nomination,
    OffenceCategory,
    Offender,
    Pathway,
    ScoreBand,
    ScoreFactor,
    Strand,
    TierLabel,
)

CAPABILITY = "iom.settings.manage"


def _ensure(user: User) -> None:
    if not user.can(CAPABILITY):
        raise AccessDenied("iom_settings", "settings", hide=False)


def update_category(user: User, category: OffenceCategory, data: dict[str, Any], version: int | None) -> list[str]:
    _ensure(user)
    check_version(category, version)
    errors: list[tuple[str | None, str]] = []
    gravity = data.get("gravity")
    if gravity is None or not 0 <= gravity <= 10:
        errors.append(("gravity", "Gravity must be a whole number from 0 to 10"))
    cost = data.get("unit_cost")
    if cost is None or not cost.is_finite() or cost < 0 or cost > Decimal("10000000"):
        errors.append(("unit_cost", "Enter the unit cost in pounds, from 0 to 10,000,000"))
    elif cost != cost.quantize(Decimal("0.01")):
        errors.append(("unit_cost", "Enter the unit cost in pounds and pence (at most two decimal places)"))
    if errors:
        raise FieldErrors(errors)
    changed = apply_changes(category, data, ("gravity", "neighbourhood", "unit_cost", "cost_source", "is_active"))
    db.session.flush()
    details: dict[str, Any] = {"fields": changed}
    if "gravity" in changed:  # gravity is a factor of the selection score
        details["rescored"] = rescore_all_open_nominations()
    audit.record("iom.settings.update", object_type="iom_offence_category", object_id=category.id, details=details)
    return changed


def fingerprint(value: Any) -> str:
    """A short digest of what a settings form showed (its "version" for lists without one)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _check_fingerprint(current: str, submitted: str | None) -> None:
    if submitted != current:
        raise ConflictError("settings changed since the form was opened")


def strand_fingerprint(strand: Strand) -> str:
    return fingerprint([strand.code, strand.label, strand.description])


def set_strand_description(
    user: User, strand: Strand, description: str | None, *, label: str | None = None, submitted: str | None = None
) -> list[str]:
    """Change a strand's label and description (the strand's meaning in the partnership)."""
    _ensure(user)
    if submitted is not None:
        _check_fingerprint(strand_fingerprint(strand), submitted)
    errors: list[tuple[str | None, str]] = []
    text = (description or "").strip()
    if not text:
        errors.append(("description", "Enter a description of the strand"))
    new_label = strand.label if label is None else label.strip()
    if not new_label:
        errors.append(("label", "Enter the strand's name"))
    elif len(new_label) > 60:
        errors.append(("label", "The strand's name must be 60 characters or fewer"))
    elif db.session.scalar(sa.select(Strand.code).where(Strand.label == new_label, Strand.code != strand.code)):
        errors.append(("label", f"Another strand is already called {new_label}"))
    if errors:
        raise FieldErrors(errors)
    changed = apply_changes(strand, {"label": new_label, "description": text}, ("label", "description"))
    db.session.flush()
    audit.record("iom.settings.update", object_type="iom_strand", object_id=strand.code, details={"fields": changed})
    return changed


# --- tier labels -------------------------------------------------------------------------------


def tier_labels() -> list[TierLabel]:
    return list(db.session.scalars(sa.select(TierLabel).order_by(TierLabel.sort_order)))


def tiers_fingerprint() -> str:
    return fingerprint([(t.code, t.label) for t in tier_labels()])


def set_tier_labels(user: User, labels: dict[str, str | None], submitted: str | None) -> list[str]:
    """Rename the management tiers (default red, amber, green: local practice, domain-notes §4).
    The codes stay, so every offender's tier and its history keep their meaning."""
    _ensure(user)
    _check_fingerprint(tiers_fingerprint(), submitted)
    errors: list[tuple[str | None, str]] = []
    seen: dict[str, str] = {}
    tiers = tier_labels()
    for tier in tiers:
        text = (labels.get(tier.code) or "").strip()
        if not text:
            errors.append((tier.code, "Enter a label for every tier"))
        elif len(text) > 60:
            errors.append((tier.code, "A tier label must be 60 characters or fewer"))
        elif text.casefold() in seen:
            errors.append((tier.code, f"Two tiers cannot both be called {text}"))
        else:
            seen[text.casefold()] = tier.code
    if errors:
        raise FieldErrors(errors)
    changed = [t.code for t in tiers if t.label != labels[t.code].strip()]
    for tier in tiers:
        tier.label = labels[tier.code].strip()
    db.session.flush()
    audit.record("iom.settings.update", object_type="iom_tier", details={"fields": changed})
    return changed


# --- the selection scoring matrix -------------------------------------------------------------


@dataclass
class BandRow:
    """One row of a factor's bands as entered (blank rows are left out)."""

    low: int | None
    high: int | None
    points: int | None


@dataclass
class FactorEntry:
    weight: int | None
    lookback_months: int | None
    bands: list[BandRow]


def scoring_factors() -> list[ScoreFactor]:
    order = list(SCORE_FACTORS)
    factors = db.session.scalars(sa.select(ScoreFactor)).all()
    return sorted(factors, key=lambda f: order.index(f.code) if f.code in order else len(order))


def matrix_fingerprint() -> str:
    return fingerprint(
        [[f.code, f.weight, f.lookback_months, [(b.low, b.high, b.points) for b in f.bands]] for f in scoring_factors()]
    )


MAX_WEIGHT = 100
MAX_POINTS = 100
MAX_LOOKBACK = 120


def _check_factor(code: str, entry: FactorEntry) -> list[tuple[str | None, str]]:
    """A factor's weight is a whole number from 0; its bands, in order, cover every value from 0
    upwards with no gap and no overlap: the first starts at 0, each starts one after the previous
    ends, and only the last has no upper limit. Points are whole numbers from 0."""
    label = SCORE_FACTORS.get(code, code)
    errors: list[tuple[str | None, str]] = []
    if entry.weight is None or not 0 <= entry.weight <= MAX_WEIGHT:
        errors.append((f"{code}-weight", f"{label} weight must be a whole number from 0 to {MAX_WEIGHT}"))
    if entry.lookback_months is None or not 1 <= entry.lookback_months <= MAX_LOOKBACK:
        errors.append(
            (f"{code}-lookback_months", f"{label} look-back must be a whole number of months from 1 to {MAX_LOOKBACK}")
        )
    rows = [(i, b) for i, b in enumerate(entry.bands) if (b.low, b.high, b.points) != (None, None, None)]
    if not rows:
        errors.append((f"{code}-bands-0-low", f"Enter at least one band for {label.lower()}"))
        return errors
    expected = 0
    for n, (i, band) in enumerate(rows):
        where = f"{label} band {n + 1}"
        field = f"{code}-bands-{i}"
        if band.points is None or not 0 <= band.points <= MAX_POINTS:
            errors.append((f"{field}-points", f"{where}: points must be a whole number from 0 to {MAX_POINTS}"))
        if band.low is None:
            errors.append((f"{field}-low", f"{where}: enter where the band starts"))
            break
        if band.low != expected:
            message = (
                f"{where} must start at 0"
                if n == 0
                else f"{where} must start at {expected}, one after the previous band ends "
                "(bands in order, with no gaps or overlaps)"
            )
            errors.append((f"{field}-low", message))
            break
        last = n == len(rows) - 1
        if band.high is None:
            if not last:
                errors.append((f"{field}-high", f"{where}: only the last band can have no upper limit"))
                break
        elif band.high < band.low:
            errors.append((f"{field}-high", f"{where} must end at or after where it starts"))
            break
        elif last:
            errors.append((f"{field}-high", f"{where}: leave the last band's upper limit blank, so every value scores"))
        else:
            expected = band.high + 1
    return errors


def update_matrix(user: User, entries: dict[str, FactorEntry], submitted: str | None) -> list[str]:
    """Replace the scoring matrix's weights, look-backs and bands, then rescore every open
    nomination (a nomination's score follows the matrix until the panel decides)."""
    _ensure(user)
    _check_fingerprint(matrix_fingerprint(), submitted)
    factors = scoring_factors()
    errors: list[tuple[str | None, str]] = []
    for factor in factors:
        entry = entries.get(factor.code)
        if entry is None:
            errors.append((None, f"Enter the {SCORE_FACTORS.get(factor.code, factor.code).lower()} factor"))
            continue
        errors += _check_factor(factor.code, entry)
    if errors:
        raise FieldErrors(errors)
    changed: list[str] = []
    for factor in factors:
        entry = entries[factor.code]
        rows = [b for b in entry.bands if (b.low, b.high, b.points) != (None, None, None)]
        if factor.weight != entry.weight:
            factor.weight = entry.weight
            changed.append(f"{factor.code}.weight")
        if factor.lookback_months != entry.lookback_months:
            factor.lookback_months = entry.lookback_months
            changed.append(f"{factor.code}.lookback_months")
        if [(b.low, b.high, b.points) for b in factor.bands] != [(b.low, b.high, b.points) for b in rows]:
            for band in list(factor.bands):
                db.session.delete(band)
            db.session.flush()
            db.session.add_all(
                ScoreBand(factor_code=factor.code, low=b.low, high=b.high, points=b.points) for b in rows
            )
            changed.append(f"{factor.code}.bands")
    db.session.flush()
    for factor in factors:
        db.session.expire(factor, ["bands"])
    rescored = rescore_all_open_nominations() if changed else 0
    audit.record(
        "iom.settings.update", object_type="iom_score_matrix", details={"fields": changed, "rescored": rescored}
    )
    return changed


def rescore_all_open_nominations() -> int:
    """Every nomination still waiting for the panel is scored again under the current matrix."""
    from .offending import rescore_open_nominations

    offenders = db.session.scalars(
        sa.select(Offender).where(
            Offender.case_id.in_(sa.select(Nomination.case_id).where(Nomination.status == "open"))
        )
    ).all()
    for offender in offenders:
        rescore_open_nominations(offender)
    return len(offenders)


def set_pathway_enabled(user: User, pathway: Pathway, enabled: bool) -> None:
    """Switch one of the optional women's pathways on or off (the seven core pathways stay on)."""
    _ensure(user)
    if not pathway.is_womens:
        raise ServiceError("Only the optional women's pathways can be switched on or off")
    pathway.is_enabled = enabled
    db.session.flush()
    audit.record(
        "iom.settings.update", object_type="iom_pathway", object_id=pathway.code, details={"fields": ["is_enabled"]}
    )
