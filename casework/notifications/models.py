"""Notification rows, outgoing mails, preferences, mandatory kinds and agency mailboxes.

A notification names ids only (kind, object id, case id, recipient): nothing personal
is stored here or in a mail, so neither ever needs encrypting or erasing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime, utcnow
from ..extensions import db

MODES = {"immediate": "Straight away", "digest": "In a daily summary", "none": "No e-mail"}
# pending: waiting to be put in a mail; queued: in a mail; none: no e-mail wanted.
MAIL_STATES = ("pending", "queued", "none")
MAIL_STATUSES = {"pending": "Waiting", "sending": "Sending", "sent": "Sent", "failed": "Failed"}


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        # The header's unread count and the list page: one user's rows, newest first.
        sa.Index("ix_notification_user_read", "user_id", "read_at", "id"),
        # The sender groups what waits for a mail.
        sa.Index("ix_notification_mail_state", "mail_state", "mode", "user_id"),
        # A scan skips what it has reminded of already: kind, object and occasion.
        sa.Index("ix_notification_kind_object", "kind", "object_id", "occasion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    object_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    case_id: Mapped[int | None] = mapped_column(sa.Integer)
    # A user, or (user NULL) an agency's shared mailbox.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    # What makes a reminder new (for example its due date); NULL for an event.
    occasion: Mapped[str | None] = mapped_column(sa.String(60))
    # kind|object|occasion|recipient for reminders and events that must notify once; NULL otherwise.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    mail_state: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    mail_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notification_mail.id"), index=True)


class NotificationMail(db.Model):
    """One e-mail: an immediate notice or a daily summary. With no SMTP server configured
    the sender leaves it here as the outbox (``transport`` "outbox"), readable by administrators."""

    __tablename__ = "notification_mail"
    __table_args__ = (sa.Index("ix_notification_mail_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    to_address: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    # A recipient's daily summary is built once a day: "u12:2026-12-07" / "a3:2026-12-07".
    digest_key: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    # Marks the mails one build created, so their notifications are attached in one UPDATE.
    batch: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transport: Mapped[str | None] = mapped_column(sa.String(10))
    # The error class and SMTP code only: never the server's message, which may quote an address.
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class NotificationPreference(db.Model):
    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(10), nullable=False)


class NotificationKindSetting(db.Model):
    """An administrator's choice for a kind: mandatory kinds are always e-mailed."""

    __tablename__ = "notification_kind_setting"

    kind: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    mandatory: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


class AgencyMailbox(db.Model):
    """An agency's shared mailbox for agency-level notifications."""

    __tablename__ = "notification_agency_mailbox"

    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="digest")
