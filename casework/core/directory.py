"""Look-ups of the partnership's agencies, shared by every module."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import Agency


def agencies(*, active_only: bool = False) -> list[Agency]:
    query = sa.select(Agency).order_by(Agency.name)
    if active_only:
        query = query.where(Agency.is_active.is_(True))
    return list(db.session.scalars(query))
