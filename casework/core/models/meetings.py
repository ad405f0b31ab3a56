"""Meetings: MARAC meetings, IOM panels and ASB multi-agency meetings (DESIGN §2)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..types import EncryptedText, UTCDateTime
from .accounts import Agency, User
from .base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column
from .cases import Case

MEETING_STATUSES = {"scheduled": "Scheduled", "held": "Held", "cancelled": "Cancelled"}
ATTENDANCE_STATUSES = {"present": "Present", "apologies": "Apologies", "absent": "Absent"}


class Meeting(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "meeting"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    # A registered module's meeting kind (core/modules.py).
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    # A venue can reveal where a victim's case is heard: encrypted.
    venue: Mapped[str] = mapped_column(EncryptedText("meeting.venue"), nullable=False)
    chair_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    status = enum_column(MEETING_STATUSES, "meeting_status", nullable=False, default="scheduled")
    cancelled_reason: Mapped[str | None] = mapped_column(EncryptedText("meeting.cancelled_reason"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    chair: Mapped[User | None] = relationship(foreign_keys=[chair_user_id])
    agency_links: Mapped[list[MeetingAgency]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Attendance.id"
    )

    @property
    def agency_ids(self) -> set[int]:
        return {link.agency_id for link in self.agency_links}


class MeetingAgency(db.Model):
    """An agency on the meeting's distribution list."""

    __tablename__ = "meeting_agency"

    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), primary_key=True, index=True)

    agency: Mapped[Agency] = relationship(lazy="joined")  # loaded with the distribution list


class AgendaItem(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "agenda_item"
    __history__ = True
    __table_args__ = (sa.UniqueConstraint("meeting_id", "case_id", name="uq_agenda_item_meeting_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    removed_reason: Mapped[str | None] = mapped_column(EncryptedText("agenda_item.removed_reason"))
    minutes: Mapped[str | None] = mapped_column(EncryptedText("agenda_item.minutes"))
    outcome: Mapped[str | None] = mapped_column(sa.String(60))

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()


class Attendance(RowBoundMixin, db.Model):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    name: Mapped[str] = mapped_column(EncryptedText("attendance.name"), nullable=False)
    status = enum_column(ATTENDANCE_STATUSES, "attendance_status", nullable=False, default="present")
    confidentiality_ack: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    information_sent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    agency: Mapped[Agency | None] = relationship()
