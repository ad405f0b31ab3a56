"""Small helpers the IOM services share: loading an offender's case with access checked."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..core import cases
from ..core.models import Case, User
from ..core.policy import AccessDenied, ensure_can_edit_case
from ..core.services import ServiceError
from ..extensions import db
from .models import Offender

KIND = "iom"


Statement = TypeVar("Statement", bound=sa.Executable)


def prepared(build: Callable[..., Statement]) -> Callable[..., Statement]:
    """Build a statement once, with ``sa.bindparam`` placeholders for what varies, and reuse it.

    For the few-row look-ups of a page, building a statement and working out its cache key
    cost more than running it. Statements are immutable, so one object serves every request."""
    return functools.cache(build)


def offender_for_case(case: Case) -> Offender:
    """The case's offender with the person and lead officer in the same query; ``offender.case`` is
    the case already loaded (the session holds loaded rows weakly, so it would be read again)."""
    offender = db.session.scalar(
        sa.select(Offender)
        .where(Offender.case_id == case.id)
        .options(
            joinedload(Offender.person),
            joinedload(Offender.lead_user).lazyload(User.role_rows),
        )
    )
    if offender is None:  # an IOM case always has one; a stray id is not found
        raise AccessDenied("case", case.id)
    set_committed_value(offender, "case", case)
    return offender


@prepared
def _offender_with_case_query() -> sa.Select:
    return (
        sa.select(Offender)
        .join(Case, Case.id == Offender.case_id)
        .where(Offender.case_id == sa.bindparam("case_id"), Case.kind == KIND)
        .options(
            contains_eager(Offender.case).joinedload(Case.agency_links),
            contains_eager(Offender.case).joinedload(Case.member_links),
            joinedload(Offender.lead_user).lazyload(User.role_rows),
        )
    )


def _offender_with_case(case_id: Any) -> Offender | None:
    """The offender of IOM case ``case_id`` with the case and what its access check reads (its
    agencies and named members) and the lead officer, in one statement; None for an id that is
    malformed or not an IOM offender's case. The offender's personal details are not read here,
    before the access check."""
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalars(_offender_with_case_query(), {"case_id": case_id}).unique().one_or_none()


def load_offender(user: User, case_id: Any, *, edit: bool = False, purpose: str = "casework") -> Offender:
    """The offender's IOM record for display (view audited) or for a change (404 if not visible).

    The offender and the case are read together first; ``cases.load_case`` then finds the case
    already loaded and makes its checks (and records the view) on it as it always does."""
    offender = _offender_with_case(case_id)
    case = cases.load_case(user, case_id, kind=KIND, edit=edit, purpose=purpose, log=not edit)
    if offender is None:
        return offender_for_case(case)  # not found: refused there as before
    if "participants" not in sa.inspect(case).unloaded:
        # The audited view read the case's people: the offender's person is taken from there
        # rather than read and decrypted a second time.
        person = next((p.person for p in case.participants if p.person_id == offender.person_id), None)
        if person is not None:
            set_committed_value(offender, "person", person)
    return offender


def editable(user: User, offender: Offender) -> None:
    """Every change re-checks that the user may edit the case, and that it is still open."""
    ensure_can_edit_case(user, offender.case)
    if not offender.case.is_open:
        raise ServiceError("This IOM record is closed")


def past_date(value: date | None, field: str, what: str) -> date:
    """A required date that is today or earlier."""
    if value is None:
        raise ServiceError(f"Enter the {what}", field)
    if value > date.today():
        raise ServiceError(f"The {what} must be today or in the past", field)
    return value


def required_text(value: str | None, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError(message, field)
    return text


def years_before(day: date, years: int = 1) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    import calendar

    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
