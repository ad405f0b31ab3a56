"""The partnership's own IOM lists, edited by the IOM manager: offence categories (gravity,
neighbourhood-crime flag, unit cost of crime and its source), strand descriptions and the
two optional women's pathways (domain-notes §4: "descriptions editable", "two optional
women's pathways may be enabled"). Each change is audited by field name, never value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..core import audit
from ..core.models import User
from ..core.permissions import AccessDenied
from ..core.services import FieldErrors, ServiceError, apply_changes, check_version
from ..extensions import db
from .models import OffenceCategory, Pathway, Strand

CAPABILITY = "iom.cohort.manage"


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
    audit.record(
        "iom.settings.update", object_type="iom_offence_category", object_id=category.id, details={"fields": changed}
    )
    return changed


def set_strand_description(user: User, strand: Strand, description: str | None) -> None:
    _ensure(user)
    text = (description or "").strip()
    if not text:
        raise ServiceError("Enter a description of the strand", "description")
    strand.description = text
    db.session.flush()
    audit.record(
        "iom.settings.update", object_type="iom_strand", object_id=strand.code, details={"fields": ["description"]}
    )


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
