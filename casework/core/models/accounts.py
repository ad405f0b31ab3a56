"""Agencies, staff users, their roles, sessions and login attempts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..types import EncryptedText, UTCDateTime
from .base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column, utcnow

AGENCY_KINDS = {
    "police": "Police",
    "probation": "Probation",
    "idva_service": "IDVA service",
    "housing": "Housing",
    "health": "Health",
    "children_services": "Children's services",
    "adult_services": "Adult services",
    "council_asb": "Council ASB team",
    "youth_justice": "Youth justice",
    "substance_misuse": "Substance misuse",
    "fire": "Fire and rescue",
    "education": "Education",
    "other": "Other",
}


class Agency(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "agency"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind = enum_column(AGENCY_KINDS, "agency_kind", nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    @property
    def kind_label(self) -> str:
        return AGENCY_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Agency {self.id} {self.code}>"


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class User(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "user"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False, index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Set when an administrator chose the password: the user must replace it at sign-in.
    must_change_password: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText("user.totp_secret"))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last accepted TOTP time step: a code for this step or an earlier one is refused.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Failed sign-in steps since the last successful sign-in, shown to administrators. The
    # waiting time between attempts is worked out from ``login_attempt``, never from this.
    failed_logins: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    agency: Mapped[Agency] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    # Set for the duration of a login so Flask-Login stores the session token, not the user id.
    _session_token = None

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def set_roles(self, roles: set[str]) -> None:
        keep = [r for r in self.role_rows if r.role in roles]
        have = {r.role for r in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(roles - have)]

    @property
    def mfa_enrolled(self) -> bool:
        return self.totp_enrolled_at is not None

    # Flask-Login protocol -------------------------------------------------
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self._session_token

    def can(self, capability: str) -> bool:
        from ..access import has_capability

        return has_capability(self, capability)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserSession(db.Model):
    """A signed-in browser session, held server-side so it can be ended from anywhere.

    The cookie carries a random token; only its SHA-256 is stored here.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(40))

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One row per failed sign-in step, shared by every worker.

    The waiting time before the next attempt is worked out from these rows: decaying
    counts per account and per (account, address), and the number of distinct accounts
    that failed from one address. ``account_key`` is a keyed hash of the e-mail address
    typed, so an address that matches no account is counted exactly like a real one and
    the table holds no e-mail address.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_account_key_at", "account_key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(sa.String(45), nullable=False, index=True)
    account_key: Mapped[bytes] = mapped_column(sa.LargeBinary(16), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.Integer)


class PendingSignIn(db.Model):
    """A browser that has passed the password step and must now give a two-factor code.

    Held server-side: the browser's session carries a random token and a binding value,
    only their SHA-256 hashes are stored here. Single use (``used_at``), and refused
    once older than ``LOGIN_PENDING_LIFETIME``.
    """

    __tablename__ = "pending_sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    binding_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
