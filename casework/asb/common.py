"""Small helpers the ASB services share: settings, loading an ASB case with access checked."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from ..core import cases
from ..core.models import Case, User
from ..core.policy import AccessDenied, ensure_can_edit_case
from ..core.services import ServiceError
from ..extensions import db
from .models import AsbCase

KIND = "asb"
PURPOSE = "casework"
TEXT_MAX = 4000
SHORT_MAX = 200

_DEFAULTS: dict[str, Any] = {
    "ASB_REPEAT_INCIDENTS": 3,
    "ASB_REPEAT_WINDOW_DAYS": 365,
    "ASB_SUPPORT_PLAN_REVIEW_DAYS": 42,
    "ASB_CONTACT_DAYS": {"high": 7, "medium": 14},
    "ASB_REASSESS_DAYS": {"high": 28, "medium": 42, "standard": 91},
}


def setting(name: str) -> Any:
    """A setting from config/ (its default outside an application)."""
    if has_app_context():
        return current_app.config.get(name, _DEFAULTS[name])
    return _DEFAULTS[name]


def asb_case_for(case: Case) -> AsbCase:
    asb = db.session.scalar(sa.select(AsbCase).where(AsbCase.case_id == case.id))
    if asb is None:  # an ASB case always has one; a stray id is not found
        raise AccessDenied("case", case.id)
    return asb


def load_asb_case(user: User, case_id: Any, *, edit: bool = False, log: bool = True) -> AsbCase:
    """The ASB case for display (view audited) or for a change (404 if not visible, 403 if read-only)."""
    case = cases.load_case(user, case_id, kind=KIND, edit=edit, purpose=PURPOSE, log=log and not edit)
    return asb_case_for(case)


def editable(user: User, case: Case) -> None:
    """Every change re-checks that the user may edit the case, and that it is still open."""
    ensure_can_edit_case(user, case)
    if not case.is_open:
        raise ServiceError("This ASB case is closed")


def past_date(value: date | None, field: str, what: str) -> date:
    """A required date that is today or earlier."""
    if value is None:
        raise ServiceError(f"Enter the {what}", field)
    if value > date.today():
        raise ServiceError(f"The {what} must be today or in the past", field)
    return value


def text(value: str | None, field: str, what: str, *, required: bool = False, limit: int = TEXT_MAX) -> str | None:
    """Trimmed text, refused (never cut) when longer than ``limit``."""
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(f"Enter the {what}", field)
    if len(value) > limit:
        raise ServiceError(f"The {what} must be {limit:,} characters or fewer", field)
    return value or None
