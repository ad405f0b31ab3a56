"""Look-ups of the partnership's agencies, shared by every module."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from ..extensions import db
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
