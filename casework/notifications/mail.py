"""E-mail: building mails from waiting notifications, and sending them (``flask notify send``).

No personal data in any mail (DESIGN §7): a mail says what kind of work is waiting, how
much, for which agency, and links to casework. It is built only from a kind's fixed
wording, a count and the recipient agency's name, never from a case, person or free text.

Building is set-based: notifications waiting for a mail are grouped by recipient and
kind in one query, the mails inserted in bulk, and the notifications attached to their
mail with one UPDATE per mode. Immediate kinds are mailed at every run; the rest once a
day, in a summary built at the first run after ``NOTIFY_DIGEST_HOUR`` (local time).

Sending loses nothing and repeats nothing: mails are claimed in a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock from ``BEGIN IMMEDIATE``),
so two senders never claim the same mail; each mail is marked sent in its own commit
right after the server accepted it (on PostgreSQL without waiting for the disk flush:
only a crash of the database server could lose the last moment's marks, and those mails
would be sent again, never lost). A failure is retried with exponential backoff and,
after ``NOTIFY_MAX_ATTEMPTS``, left as failed for the administrator. A claim older than
``NOTIFY_CLAIM_TIMEOUT`` (a sender that died) is taken over.
"""

from __future__ import annotations

import contextlib
import secrets
import smtplib
import ssl
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from ..core import audit
from ..core.localtime import to_local
from ..core.models import Agency, User
from ..core.types import utcnow
from ..extensions import db
from . import service
from .models import AgencyMailbox, Notification, NotificationMail

_PG_LOCK_KEY = 0x4E4F5449  # "NOTI": building mails


def _lock(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    # SQLite: the transaction began with BEGIN IMMEDIATE and holds the write lock.


def _base_url() -> str:
    return (current_app.config.get("MAIL_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def compose(lines: list[tuple[str, int]], agency_name: str, mode: str) -> tuple[str, str]:
    """(subject, body) for [(kind code, count)]: fixed wording, counts and the agency name only."""
    registered = service.kinds()
    texts = []
    total = 0
    for code, n in lines:
        k = registered.get(code)
        if k is None:
            continue
        texts.append((k.one if n == 1 else k.many).format(n=n, agency=agency_name))
        total += n
    if mode == "digest":
        subject = f"casework: your daily summary ({total} new)"
        intro = "Here is what has been waiting for you in casework since yesterday's summary:"
    else:
        subject = "casework: new work waiting" if total > 1 else f"casework: {texts[0]}" if texts else "casework"
        intro = "There is new work waiting for you in casework:"
    body = "\n".join(
        [
            intro,
            "",
            *(f"- {t}" for t in texts),
            "",
            f"Sign in to see it: {_base_url()}/notifications/",
            "",
            "This e-mail never names anyone: the details are only in casework.",
            f"To change which e-mails you get: {_base_url()}/notifications/preferences",
        ]
    )
    return subject[:200], body


def build_mails(now: datetime | None = None) -> int:
    """Put waiting notifications into mails; returns the number of mails created."""
    now = now or utcnow()
    session = db.session
    _lock(session)
    created = _build(session, "immediate", now, None)
    local_now = to_local(now)
    if local_now.hour >= int(current_app.config.get("NOTIFY_DIGEST_HOUR", 7)):
        created += _build(session, "digest", now, local_now.date())
    session.commit()
    return created


def _build(session, mode: str, now: datetime, day: date | None) -> int:
    top = session.scalar(
        sa.select(sa.func.max(Notification.id)).where(Notification.mail_state == "pending", Notification.mode == mode)
    )
    if top is None:
        return 0
    groups = session.execute(
        sa.select(Notification.user_id, Notification.agency_id, Notification.kind, sa.func.count())
        .where(Notification.mail_state == "pending", Notification.mode == mode, Notification.id <= top)
        .group_by(Notification.user_id, Notification.agency_id, Notification.kind)
    ).all()
    per_user: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    user_agency: dict[int, int] = {}
    per_box: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for user_id, agency_id, code, n in groups:
        if user_id is not None:
            per_user[user_id][code] += n
            user_agency[user_id] = agency_id
        else:
            per_box[agency_id][code] += n
    users = {}
    for start in range(0, len(per_user), 500):
        chunk = list(per_user)[start : start + 500]
        users.update(
            {
                r.id: r
                for r in session.execute(
                    sa.select(User.id, User.email, User.agency_id).where(User.id.in_(chunk), User.is_active.is_(True))
                )
            }
        )
    boxes = dict(
        session.execute(
            sa.select(AgencyMailbox.agency_id, AgencyMailbox.email).where(AgencyMailbox.agency_id.in_(list(per_box)))
        ).all()
    )
    agency_ids = {u.agency_id for u in users.values()} | set(per_box)
    names = dict(session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all())
    taken: set[str] = set()
    if day is not None:
        keys = [f"u{u}:{day.isoformat()}" for u in per_user] + [f"a{a}:{day.isoformat()}" for a in per_box]
        for start in range(0, len(keys), 500):
            taken.update(
                session.scalars(
                    sa.select(NotificationMail.digest_key).where(
                        NotificationMail.digest_key.in_(keys[start : start + 500])
                    )
                )
            )
    batch = secrets.token_hex(16)
    mails, mailed_users, mailed_boxes, unaddressed_users, unaddressed_boxes = [], [], [], [], []
    for user_id, counts in per_user.items():
        key = f"u{user_id}:{day.isoformat()}" if day else None
        if key in taken:
            continue  # today's summary went already; these wait for tomorrow's
        u = users.get(user_id)
        if u is None:
            unaddressed_users.append(user_id)
            continue
        subject, body = compose(sorted(counts.items()), names.get(u.agency_id, ""), mode)
        mails.append(_mail_row(user_id, None, u.email, subject, body, mode, key, batch, now))
        mailed_users.append(user_id)
    for agency_id, counts in per_box.items():
        key = f"a{agency_id}:{day.isoformat()}" if day else None
        if key in taken:
            continue
        if agency_id not in boxes:
            unaddressed_boxes.append(agency_id)
            continue
        subject, body = compose(sorted(counts.items()), names.get(agency_id, ""), mode)
        mails.append(_mail_row(None, agency_id, boxes[agency_id], subject, body, mode, key, batch, now))
        mailed_boxes.append(agency_id)
    if mails:
        session.execute(sa.insert(NotificationMail.__table__), mails)
    waiting = sa.and_(Notification.mail_state == "pending", Notification.mode == mode, Notification.id <= top)
    mail = NotificationMail.__table__.alias("m")
    for start in range(0, len(mailed_users), 500):
        chunk = mailed_users[start : start + 500]
        mail_for_user = (
            sa.select(mail.c.id).where(mail.c.batch == batch, mail.c.user_id == Notification.user_id).scalar_subquery()
        )
        session.execute(
            sa.update(Notification)
            .where(waiting, Notification.user_id.in_(chunk))
            .values(mail_state="queued", mail_id=mail_for_user)
            .execution_options(synchronize_session=False)
        )
    if mailed_boxes:
        mail_for_box = (
            sa.select(mail.c.id)
            .where(mail.c.batch == batch, mail.c.user_id.is_(None), mail.c.agency_id == Notification.agency_id)
            .scalar_subquery()
        )
        session.execute(
            sa.update(Notification)
            .where(waiting, Notification.user_id.is_(None), Notification.agency_id.in_(mailed_boxes))
            .values(mail_state="queued", mail_id=mail_for_box)
            .execution_options(synchronize_session=False)
        )
    # No address (a user deactivated since, a mailbox removed): nothing to send.
    if unaddressed_users:
        session.execute(
            sa.update(Notification)
            .where(waiting, Notification.user_id.in_(unaddressed_users))
            .values(mail_state="none")
            .execution_options(synchronize_session=False)
        )
    if unaddressed_boxes:
        session.execute(
            sa.update(Notification)
            .where(waiting, Notification.user_id.is_(None), Notification.agency_id.in_(unaddressed_boxes))
            .values(mail_state="none")
            .execution_options(synchronize_session=False)
        )
    return len(mails)


def _mail_row(user_id, agency_id, to, subject, body, mode, key, batch, now) -> dict:
    return {
        "user_id": user_id,
        "agency_id": agency_id,
        "to_address": to,
        "subject": subject,
        "body": body,
        "mode": mode,
        "digest_key": key,
        "batch": batch,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# --- transports -------------------------------------------------------------------------


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None: ...
    def close(self) -> None: ...


class OutboxTransport:
    """No SMTP server configured (development): the mail stays in the table, readable by
    administrators on the outbox page."""

    name = "outbox"

    def send(self, message: EmailMessage) -> None:
        return None

    def close(self) -> None:
        return None


class SMTPTransport:
    """One connection per run, opened on the first mail and reopened after a failure."""

    name = "smtp"

    def __init__(self, config) -> None:
        self.host = config["MAIL_SMTP_HOST"]
        self.port = int(config.get("MAIL_SMTP_PORT") or 587)
        self.starttls = bool(config.get("MAIL_SMTP_STARTTLS", True))
        self.username = config.get("MAIL_SMTP_USERNAME")
        self.password = config.get("MAIL_SMTP_PASSWORD")
        self.timeout = float(config.get("MAIL_SMTP_TIMEOUT") or 30)
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            conn.starttls(context=ssl.create_default_context())
        if self.username:
            conn.login(self.username, self.password or "")
        return conn

    def send(self, message: EmailMessage) -> None:
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.send_message(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._conn.quit()
            self._conn = None


def transport_for(config) -> Transport:
    return SMTPTransport(config) if config.get("MAIL_SMTP_HOST") else OutboxTransport()


# --- sending ----------------------------------------------------------------------------


@dataclass
class SendResult:
    built: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, base_seconds: int, cap_seconds: int) -> timedelta:
    """Wait before the next try: base, 2 × base, 4 × base … up to the cap."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0)))


def claim(limit: int, now: datetime, token: str) -> list[int]:
    """Take up to ``limit`` due mails for this sender, in one short transaction."""
    session = db.session
    stale = now - timedelta(seconds=int(current_app.config.get("NOTIFY_CLAIM_TIMEOUT", 900)))
    query = (
        sa.select(NotificationMail.id)
        .where(
            sa.or_(
                sa.and_(NotificationMail.status == "pending", NotificationMail.next_attempt_at <= now),
                sa.and_(NotificationMail.status == "sending", NotificationMail.claimed_at < stale),
            )
        )
        .order_by(NotificationMail.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            sa.update(NotificationMail)
            .where(NotificationMail.id.in_(ids))
            .values(status="sending", claim_token=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids


def _message(mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    return msg


def _error_text(exc: Exception) -> str:
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:200]


def send_pending(*, limit: int | None = None, transport: Transport | None = None, now=None) -> SendResult:
    """Build mails, then claim and send due ones until none are left (or ``limit`` sent)."""
    config = current_app.config
    result = SendResult(built=build_mails(now))
    transport = transport or transport_for(config)
    token = secrets.token_hex(16)
    batch_size = int(config.get("NOTIFY_SEND_BATCH", 100))
    max_attempts = int(config.get("NOTIFY_MAX_ATTEMPTS", 6))
    base = int(config.get("NOTIFY_RETRY_BASE_SECONDS", 60))
    cap = int(config.get("NOTIFY_RETRY_CAP_SECONDS", 6 * 3600))
    sender = config.get("MAIL_FROM") or "casework@localhost"
    handled = 0
    relaxed = db.session.get_bind().dialect.name == "postgresql"
    try:
        while limit is None or handled < limit:
            ids = claim(batch_size if limit is None else min(batch_size, limit - handled), now or utcnow(), token)
            if not ids:
                break
            mails = db.session.execute(
                sa.select(
                    NotificationMail.id,
                    NotificationMail.to_address,
                    NotificationMail.subject,
                    NotificationMail.body,
                    NotificationMail.attempts,
                    NotificationMail.user_id,
                    NotificationMail.agency_id,
                ).where(NotificationMail.id.in_(ids), NotificationMail.claim_token == token)
            ).all()
            db.session.commit()
            for mail in mails:
                handled += 1
                try:
                    transport.send(_message(mail, sender))
                except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                    attempts = mail.attempts + 1
                    gave_up = attempts >= max_attempts
                    db.session.execute(
                        sa.update(NotificationMail)
                        .where(NotificationMail.id == mail.id, NotificationMail.claim_token == token)
                        .values(
                            status="failed" if gave_up else "pending",
                            attempts=attempts,
                            next_attempt_at=utcnow() + backoff(attempts, base, cap),
                            last_error=_error_text(exc),
                            claim_token=None,
                        )
                    )
                    db.session.commit()
                    result.failed += gave_up
                    result.retrying += not gave_up
                    result.errors.append(_error_text(exc))
                    continue
                if relaxed:
                    # The mark is committed to the server at once but not waited for on disk:
                    # only a crash of the database server itself (not of this sender) could lose
                    # the last moment's marks, and those few mails would be sent again.
                    db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
                done = db.session.execute(
                    sa.update(NotificationMail)
                    .where(NotificationMail.id == mail.id, NotificationMail.claim_token == token)
                    .values(status="sent", sent_at=utcnow(), transport=transport.name, attempts=mail.attempts + 1)
                )
                if done.rowcount:
                    # Who was notified of what: ids and counts only.
                    audit.record(
                        "notifications.mail.sent",
                        object_type="notification_mail",
                        object_id=mail.id,
                        recipient_agency_id=mail.agency_id,
                        details={"user_id": mail.user_id, "transport": transport.name},
                    )
                db.session.commit()
                result.sent += 1
    finally:
        transport.close()
    return result


def retry(mail_ids: list[int]) -> int:
    """An administrator sends failed mails again: back to waiting, attempts counted afresh."""
    res = db.session.execute(
        sa.update(NotificationMail)
        .where(NotificationMail.id.in_(mail_ids), NotificationMail.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), claim_token=None)
    )
    return res.rowcount or 0
