"""Change history: which fields of which record changed, by whom, never their values."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ..types import UTCDateTime


class ChangeEvent(db.Model):
    __tablename__ = "change_event"
    __table_args__ = (sa.Index("ix_change_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.Integer)
    object_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    object_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    action: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    fields: Mapped[list] = mapped_column(sa.JSON, nullable=False)
