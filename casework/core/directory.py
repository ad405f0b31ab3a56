"""Look-ups of the partnership's agencies, shared by every module."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import lazyload
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from .forms import choices
from .models import Agency, User, UserRole


def agencies(*, active_only: bool = False) -> list[Agency]:
    query = sa.select(Agency).order_by(Agency.name)
    if active_only:
        query = query.where(Agency.is_active.is_(True))
    return list(db.session.scalars(query))


def users_with_roles(
    roles: set[str] | frozenset[str], *, active_only: bool = True, for_choices: bool = False
) -> list[User]:
    """Users holding any of ``roles`` (for choosing a chair, an IDVA, a lead officer …).
    ``for_choices``: only their names are shown, so their roles are not read."""
    query = (
        sa.select(User)
        .where(sa.exists().where(UserRole.user_id == User.id, UserRole.role.in_(sorted(roles))))
        .order_by(User.display_name)
    )
    if for_choices:
        query = query.options(lazyload(User.role_rows))
    if active_only:
        query = query.where(User.is_active.is_(True))
    return list(db.session.scalars(query))


def agency_pairs(*, active_only: bool = True) -> list[tuple[int, str]]:
    """(id, name) of the agencies, by name: the options of an agency select."""
    query = sa.select(Agency.id, Agency.name).order_by(Agency.name)
    if active_only:
        query = query.where(Agency.is_active.is_(True))
    return [(agency_id, name) for agency_id, name in db.session.execute(query)]


def agency_choices(blank: str | None = None) -> list[SelectChoice]:
    """The active agencies as select options, with a ``blank`` first option if given."""
    return choices([(str(i), n) for i, n in agency_pairs()], blank=blank)
