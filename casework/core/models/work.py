"""Actions and plans: one mechanism for all three modules (DESIGN §2).

Actions belong to the agency that owns them (SafeLives: the MARAC does not
manage the case). Plans serve as MARAC safety plans, IOM pathway plans and
ASB individual support plans.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..types import EncryptedText, UTCDateTime
from .accounts import Agency, User
from .base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column, utcnow
from .cases import Case

ACTION_STATUSES = {"open": "Open", "done": "Done", "not_done": "Not done", "cancelled": "Cancelled"}
PLAN_ITEM_STATUSES = {"open": "Open", "in_progress": "In progress", "done": "Done", "cancelled": "Cancelled"}


class Action(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "action"
    __history__ = True
    # Action lists are ordered by deadline and stop at a page: all actions, an agency's
    # actions, or those in one status, each walked in deadline order by an index.
    __table_args__ = (
        sa.Index("ix_action_status_due_on", "status", "due_on"),
        sa.Index("ix_action_due_on_id", "due_on", "id"),
        sa.Index("ix_action_agency_due_on", "assigned_agency_id", "due_on", "id"),
        sa.Index(
            "ix_action_open_agency",
            "assigned_agency_id",
            "due_on",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id"), index=True)
    assigned_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False)
    assigned_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    description: Mapped[str] = mapped_column(EncryptedText("action.description"), nullable=False)
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status = enum_column(ACTION_STATUSES, "action_status", nullable=False, default="open")
    # A code from the module's own list (``Module.not_done_reasons``), checked by core/actions.py.
    not_done_reason: Mapped[str | None] = mapped_column(sa.String(40))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The action this one carries forward from an earlier meeting, if any.
    carried_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    case: Mapped[Case] = relationship()
    assigned_agency: Mapped[Agency] = relationship(foreign_keys=[assigned_agency_id])
    assigned_user: Mapped[User | None] = relationship(foreign_keys=[assigned_user_id])
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionUpdate.at"
    )

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_on < today


class ActionUpdate(RowBoundMixin, db.Model):
    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id", ondelete="CASCADE"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    status = enum_column(ACTION_STATUSES, "action_update_status", nullable=True)
    note: Mapped[str | None] = mapped_column(EncryptedText("action_update.note"))

    action: Mapped[Action] = relationship(back_populates="updates")
    user: Mapped[User | None] = relationship()


class Plan(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "plan"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    # A plan kind registered by a module (``Module.plan_kinds``).
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    title: Mapped[str] = mapped_column(EncryptedText("plan.title"), nullable=False)
    review_due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    case: Mapped[Case] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_user_id])
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.id"
    )
    reviews: Mapped[list[PlanReview]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanReview.reviewed_at.desc()"
    )

    def review_overdue(self, today: date) -> bool:
        return self.is_active and self.review_due_on is not None and self.review_due_on < today


class PlanItem(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "plan_item"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), nullable=False, index=True)
    # Need or area: a safety-plan heading, an IOM pathway code or an ASB support need.
    area: Mapped[str] = mapped_column(EncryptedText("plan_item.area"), nullable=False)
    intervention: Mapped[str] = mapped_column(EncryptedText("plan_item.intervention"), nullable=False)
    owner_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status = enum_column(PLAN_ITEM_STATUSES, "plan_item_status", nullable=False, default="open")

    plan: Mapped[Plan] = relationship(back_populates="items")
    owner_agency: Mapped[Agency | None] = relationship()
    owner_user: Mapped[User | None] = relationship()


class PlanReview(RowBoundMixin, db.Model):
    __tablename__ = "plan_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), nullable=False, index=True)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    summary: Mapped[str | None] = mapped_column(EncryptedText("plan_review.summary"))
    next_review_on: Mapped[date | None] = mapped_column(sa.Date)

    plan: Mapped[Plan] = relationship(back_populates="reviews")
    reviewer: Mapped[User | None] = relationship()
