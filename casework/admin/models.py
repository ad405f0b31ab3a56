"""Changes to accounts that need a second administrator, and who changed which account.

``AdminRequest`` is a change one administrator asks for and another approves
(granting roles, resetting a sign-in factor). ``AccountChange`` is the
provenance of accounts: which administrator created an account, or changed or
asked to change its roles, password or two-factor sign-in. The two-person rule
reads it to refuse an approval from an account the requester controls.
Both hold ids and codes only, never names or values.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import User
from ..core.models.base import VersionedMixin, enum_column
from ..core.types import UTCDateTime, utcnow
from ..extensions import db

REQUEST_KINDS = {
    "grant_roles": "Give roles",
    "reset_mfa": "Reset two-factor sign-in",
    "reset_password": "Set a temporary password",
}
REQUEST_STATUSES = {
    "pending": "Waiting for approval",
    "approved": "Approved",
    "refused": "Refused",
    "cancelled": "Cancelled",
    "expired": "Expired",
}
# What an administrator did to an account (directly or by asking for it).
CHANGE_KINDS = {
    "created": "Created the account",
    "roles": "Changed or asked to change its roles",
    "password": "Set or asked to set its password",
    "mfa": "Reset or asked to reset its two-factor sign-in",
}


class AdminRequest(VersionedMixin, db.Model):
    """A change to an account that takes effect only when another administrator approves it."""

    __tablename__ = "admin_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind = enum_column(REQUEST_KINDS, "admin_request_kind", nullable=False)
    target_user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    # Non-personal details of the change, for example {"roles": ["idva"]}.
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    # argon2 hash of a requested temporary password; cleared once the request is decided.
    secret_hash: Mapped[str | None] = mapped_column(sa.String(255))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status = enum_column(REQUEST_STATUSES, "admin_request_status", nullable=False, default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    target: Mapped[User] = relationship(foreign_keys=[target_user_id], lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    @property
    def kind_label(self) -> str:
        return REQUEST_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return REQUEST_STATUSES.get(self.status, self.status)

    @property
    def roles(self) -> list[str]:
        return list(self.payload.get("roles", []))

    def __repr__(self) -> str:
        return f"<AdminRequest {self.id} {self.kind} {self.status}>"


class AccountChange(db.Model):
    """Provenance: ``actor`` created ``target``, or changed (or asked to change) its roles,
    password or two-factor sign-in. Append-only in practice: nothing updates or deletes it."""

    __tablename__ = "account_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    target_user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False, index=True)
    kind = enum_column(CHANGE_KINDS, "account_change_kind", nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
