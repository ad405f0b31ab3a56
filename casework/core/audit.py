"""Information-sharing and access audit log: append-only, hash-chained (DESIGN §4).

Each row stores ids only, never names or values: the table can never be edited,
so nothing in it may ever need erasing. ``row_hash = SHA-256(prev_hash || payload)``
where ``payload`` is the canonical JSON of the event, kept as text in the row so
verification never depends on how a database returns types. ``seq`` is
allocated under a lock (PostgreSQL advisory lock; SQLite's write lock taken by
``BEGIN IMMEDIATE``) and is unique, so concurrent writers cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
_PG_LOCK_KEY = 0x43415345  # "CASE": the audit chain head lock

# Lawful bases offered when sharing (domain-notes §6). Codes are stored; labels shown.
LAWFUL_BASES = {
    "cda1998_s115": "Crime and Disorder Act 1998 s115 with UK GDPR Art 6(1)(e) public task",
    "gdpr_6_1_e_sch1_safeguarding": "UK GDPR Art 6(1)(e); DPA 2018 Sch 1 safeguarding of individuals at risk",
    "gdpr_6_1_d_vital_interests": "UK GDPR Art 6(1)(d) vital interests",
    "dpa2018_part3_sch8_safeguarding": "DPA 2018 Part 3 s35 with Sch 8 para 4 safeguarding (police)",
    "asbcpa2014_sch4": "ASB, Crime and Policing Act 2014 Sch 4 (case review)",
    "consent": "Consent of the data subject",
}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    actor_agency_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(60), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(60))
    purpose: Mapped[str | None] = mapped_column(sa.String(60))
    lawful_basis: Mapped[str | None] = mapped_column(sa.String(60))
    consent: Mapped[str | None] = mapped_column(sa.String(200))
    recipient_agency_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(36))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    result: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    @property
    def data(self) -> dict:
        return json.loads(self.payload)


class AuditPerson(db.Model):
    """Which people an event concerns: answers "who has seen this person's record"."""

    __tablename__ = "audit_person"

    event_seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, index=True)


# Columns mirrored from the payload; verify() checks each against it.
_MIRRORED = (
    "seq",
    "actor_user_id",
    "actor_agency_id",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "lawful_basis",
    "consent",
    "recipient_agency_id",
    "request_id",
    "ip",
    "result",
)


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _format_at(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def request_id() -> str | None:
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = str(uuid.uuid4())
    return g.request_id


def _actor() -> tuple[int | None, int | None]:
    if not has_request_context():
        return None, None
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user.id, current_user.agency_id
    return None, None


def _lock_chain_head(session) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    # SQLite: every transaction starts with BEGIN IMMEDIATE, which already holds the write lock.


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: int | str | None = None,
    person_ids: Iterable[int] = (),
    purpose: str | None = None,
    lawful_basis: str | None = None,
    consent: str | None = None,
    recipient_agency_id: int | None = None,
    result: str = "allowed",
    details: dict | None = None,
    actor_user_id: int | None = None,
    actor_agency_id: int | None = None,
    session=None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction.

    ``details`` is for non-personal metadata only (field names, counts,
    agency ids); it is part of the hashed payload.
    """
    session = session or db.session
    if actor_user_id is None:
        actor_user_id, ctx_agency = _actor()
        actor_agency_id = actor_agency_id if actor_agency_id is not None else ctx_agency
    people = sorted({int(p) for p in person_ids})
    _lock_chain_head(session)
    head = session.execute(
        sa.select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq + 1, head.row_hash) if head else (1, GENESIS_HASH)
    at = utcnow()
    data = {
        "seq": seq,
        "at": _format_at(at),
        "actor_user_id": actor_user_id,
        "actor_agency_id": actor_agency_id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "person_ids": people,
        "purpose": purpose,
        "lawful_basis": lawful_basis,
        "consent": consent,
        "recipient_agency_id": recipient_agency_id,
        "request_id": request_id(),
        "ip": request.remote_addr if has_request_context() else None,
        "result": result,
        "details": details or {},
    }
    payload = canonical(data)
    event = AuditEvent(
        at=at,
        payload=payload,
        prev_hash=prev_hash,
        row_hash=chain_hash(prev_hash, payload),
        **{k: data[k] for k in _MIRRORED},
    )
    session.add(event)
    session.add_all(AuditPerson(event_seq=seq, person_id=p) for p in people)
    session.flush()
    return event


def record_denial(action: str, **kwargs) -> None:
    """Write a denial in its own short transaction, after discarding the request's work.

    A denied request is rolled back, so its audit row must not ride on it.
    """
    db.session.rollback()
    record(action, result="denied", **kwargs)
    db.session.commit()


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify(session=None, batch_size: int = 1000) -> VerifyResult:
    """Walk the chain in order and report the first broken link."""
    session = session or db.session
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = session.execute(
            sa.select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).scalars()
        rows = list(rows)
        if not rows:
            return VerifyResult(True, checked)
        for ev in rows:
            problem = _check_event(ev, expected_seq, prev_hash)
            if problem:
                return VerifyResult(False, checked, ev.seq, problem)
            prev_hash = ev.row_hash
            expected_seq += 1
            checked += 1
            last_seq = ev.seq
        session.expunge_all()


def _check_event(ev: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if ev.seq != expected_seq:
        return f"expected seq {expected_seq}, found {ev.seq} (a row is missing)"
    if ev.prev_hash != prev_hash:
        return "prev_hash does not match the previous row's hash"
    if chain_hash(prev_hash, ev.payload) != ev.row_hash:
        return "row_hash does not match the payload"
    try:
        data = json.loads(ev.payload)
    except ValueError:
        return "payload is not valid JSON"
    for key in _MIRRORED:
        value = getattr(ev, key)
        if data.get(key) != value:
            return f"column {key} differs from the hashed payload"
    if data.get("at") != _format_at(ev.at):
        return "column at differs from the hashed payload"
    return None
