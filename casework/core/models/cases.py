"""Case: the part every module's case shares (DESIGN §2)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..types import EncryptedJSON, EncryptedText
from .accounts import Agency, User
from .base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column
from .people import Person

PARTICIPANT_ROLES = {
    "victim": "Victim",
    "perpetrator": "Perpetrator",
    "child": "Child",
    "offender": "Offender",
    "complainant": "Complainant",
    "other": "Other",
}


class Case(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "case"
    __history__ = True
    # Lists walk these newest first and stop at a page: open cases of a kind (a partial
    # index, so closed years of history are never read), and cases of a kind in a status.
    __table_args__ = (
        sa.Index(
            "ix_case_open_kind_opened",
            "kind",
            "opened_on",
            "id",
            postgresql_where=sa.text("closed_on IS NULL"),
            sqlite_where=sa.text("closed_on IS NULL"),
        ),
        sa.Index("ix_case_kind_status_opened", "kind", "status", "opened_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True, nullable=False)
    # A registered module's case kind (core/modules.py); checked by ``cases.open_case``.
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(30), nullable=False, index=True)
    opened_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    closure_reason: Mapped[str | None] = mapped_column(EncryptedText("case.closure_reason"))
    lead_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False, index=True)
    lead_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    # Restricted: e.g. the subject is a member of staff. Visible only to named users.
    is_restricted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    lead_agency: Mapped[Agency] = relationship(foreign_keys=[lead_agency_id])
    lead_user: Mapped[User | None] = relationship(foreign_keys=[lead_user_id])
    agency_links: Mapped[list[CaseAgency]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin"
    )
    member_links: Mapped[list[CaseMember]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin"
    )
    participants: Mapped[list[CaseParticipant]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseParticipant.id"
    )

    @property
    def agency_ids(self) -> set[int]:
        return {link.agency_id for link in self.agency_links} | {self.lead_agency_id}

    @property
    def member_ids(self) -> set[int]:
        return {link.user_id for link in self.member_links}

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def participants_in(self, role: str) -> list[CaseParticipant]:
        return [p for p in self.participants if p.role == role]

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.reference}>"


class CaseAgency(db.Model):
    """An agency involved in a case; its staff with the module's roles may see it."""

    __tablename__ = "case_agency"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), primary_key=True, index=True)

    case: Mapped[Case] = relationship(back_populates="agency_links")
    agency: Mapped[Agency] = relationship()


class CaseMember(db.Model):
    """A named user allowed to see a restricted case."""

    __tablename__ = "case_member"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), primary_key=True, index=True)

    case: Mapped[Case] = relationship(back_populates="member_links")
    user: Mapped[User] = relationship()


class CaseParticipant(RowBoundMixin, db.Model):
    """A person's role in a case (victim, perpetrator, child, offender …)."""

    __tablename__ = "case_participant"
    __table_args__ = (sa.UniqueConstraint("case_id", "person_id", "role", name="uq_case_participant_person_role"),)
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    role = enum_column(PARTICIPANT_ROLES, "participant_role", nullable=False)
    relationship_to_victim: Mapped[str | None] = mapped_column(EncryptedText("case_participant.relationship"))
    # Role-specific details (e.g. a child's school), encrypted as one JSON value.
    details: Mapped[dict | None] = mapped_column(EncryptedJSON("case_participant.details"))

    case: Mapped[Case] = relationship(back_populates="participants")
    person: Mapped[Person] = relationship(lazy="joined")


class ReferenceCounter(db.Model):
    """Last number issued per case kind and year, for references like MARAC-2026-0042."""

    __tablename__ = "reference_counter"

    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
