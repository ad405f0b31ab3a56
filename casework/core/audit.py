"""Information-sharing and access audit log: append-only, keyed hash chain (DESIGN §4).

Each row stores ids only, never names or values: the table can never be edited,
so nothing in it may ever need erasing. ``row_hash = HMAC-SHA256(audit key,
prev_hash || payload)`` where ``payload`` is the canonical JSON of the event,
kept as text in the row so verification never depends on how a database
returns types. The audit key is derived (HKDF, purpose ``audit``) from the key
ring's ``index`` key and never stored in the database; each row names the key
it was chained under (``key_id``), so adding keys never breaks verification.

Rows written before the chain was keyed (``key_id`` NULL) are chained with bare
SHA-256. They are accepted only as a prefix of the chain that a keyed
``audit.chain_keyed`` row vouches for; a SHA-256 row after a keyed row, or
SHA-256 rows that no keyed row vouches for, fail verification, so rehashing
the chain without the key is detected.

``record()`` only queues an event. The chain head is locked (PostgreSQL
advisory lock; SQLite's write lock, held from ``BEGIN IMMEDIATE``) at commit
time, after all other work of the transaction has been flushed: ``seq`` and the
hashes are assigned there, so the lock is held only for the few milliseconds of
chaining and commit, and concurrent writers can neither fork nor skip the chain.
Events recorded inside a savepoint that is rolled back are dropped with it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from ..extensions import db
from . import crypto
from .types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
_PG_LOCK_KEY = 0x43415345  # "CASE": the audit chain head lock
AUDIT_KEY_PURPOSE = "audit"
SWITCH_OVER_ACTION = "audit.chain_keyed"
# Session.info keys: events waiting for the commit; when the chain head lock was taken and
# when chaining was done, just before COMMIT (``time.perf_counter()``; read by benchmarks in
# an ``after_commit`` listener).
PENDING_INFO_KEY = "casework.audit.pending"
LOCKED_AT_INFO_KEY = "casework.audit.locked_at"
CHAINED_AT_INFO_KEY = "casework.audit.chained_at"

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
    __table_args__ = (
        sa.Index("ix_audit_event_object", "object_type", "object_id"),
        # The governance log lists newest first (by time) under each filter, so each filter
        # column is indexed with the time: a date range then reads only the rows it shows.
        sa.Index("ix_audit_event_user_at", "actor_user_id", "at"),
        sa.Index("ix_audit_event_agency_at", "actor_agency_id", "at"),
        sa.Index("ix_audit_event_action_at", "action", "at"),
        sa.Index("ix_audit_event_recipient_at", "recipient_agency_id", "at"),
        sa.Index("ix_audit_event_basis_at", "lawful_basis", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_agency_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(60))
    purpose: Mapped[str | None] = mapped_column(sa.String(60))
    lawful_basis: Mapped[str | None] = mapped_column(sa.String(60))
    consent: Mapped[str | None] = mapped_column(sa.String(200))
    recipient_agency_id: Mapped[int | None] = mapped_column(sa.Integer)
    request_id: Mapped[str | None] = mapped_column(sa.String(36))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    result: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # Key ring id of the key whose audit subkey chained this row; NULL: bare SHA-256 (before keying).
    key_id: Mapped[str | None] = mapped_column(sa.String(64))

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


# Columns written when an event is chained (``id`` is left to the database).
_INSERTED = (*_MIRRORED, "at", "payload", "prev_hash", "row_hash", "key_id")


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(prev_hash: str, payload: str, key: bytes | None = None) -> str:
    """The link of one row: HMAC-SHA256 under ``key``, or bare SHA-256 for rows written before keying."""
    message = (prev_hash + payload).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=16)
def _derive_audit_key(master: bytes) -> bytes:
    return crypto._subkey(master, AUDIT_KEY_PURPOSE)


def audit_key_id(ring: crypto.Keyring) -> str:
    """Which key new rows are chained under: the ring's ``index`` key.

    It changes only when an operator chooses to (``flask keys add --index``), not at
    each rotation of the encryption key; older rows keep verifying under the key id
    they name as long as that key stays in the ring.
    """
    return ring.index


def audit_key(ring: crypto.Keyring, key_id: str) -> bytes:
    """The HMAC key for rows chained under ``key_id`` (HKDF subkey, purpose ``audit``)."""
    try:
        master = ring.keys[key_id]
    except KeyError:
        raise crypto.KeyringError(f"audit key {key_id!r} is not in the key ring") from None
    return _derive_audit_key(master)


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


def _lock_chain_head(session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    # SQLite: every transaction starts with BEGIN IMMEDIATE, which already holds the write lock.


@dataclass
class _Pending:
    """An event waiting for its transaction to commit, and the transaction it was recorded in."""

    event: AuditEvent
    data: dict
    people: list[int]
    transaction: SessionTransaction | None


DEFAULT_PURPOSE = "casework"


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
    session: Session | None = None,
) -> AuditEvent:
    """Queue one event; it is chained and written when the transaction commits.

    The returned event has no ``seq`` until then. It commits with the transaction
    or not at all: a rollback (of the transaction, or of the savepoint it was
    recorded in) discards it. ``details`` is for non-personal metadata only
    (field names, counts, agency ids); it is part of the hashed payload. An event
    naming people always has a purpose (:data:`DEFAULT_PURPOSE` if none is given).
    """
    session = session or db.session()
    if actor_user_id is None:
        actor_user_id, ctx_agency = _actor()
        actor_agency_id = actor_agency_id if actor_agency_id is not None else ctx_agency
    people = sorted({int(p) for p in person_ids})
    if people and purpose is None:
        # Whose data was seen is always recorded with why: work on a person's case is
        # direct casework unless the caller names another purpose (a meeting, a subject
        # access request, a duplicate check).
        purpose = DEFAULT_PURPOSE
    at = utcnow()
    data = {
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
    event = AuditEvent(at=at, **{k: data[k] for k in _MIRRORED if k != "seq"})
    # Begin the transaction now (no connection is taken) so that ending it, however it ends,
    # settles the event.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(PENDING_INFO_KEY, []).append(_Pending(event, data, people, transaction))
    return event


def _write_pending(session: Session) -> None:
    """Chain and insert the queued events: the last work of the transaction before COMMIT.

    Everything else is flushed first, so the chain head lock is taken only for
    reading the head, hashing and one insert.
    """
    while session.info.get(PENDING_INFO_KEY):
        session.flush()
        pending: list[_Pending] = session.info.pop(PENDING_INFO_KEY)
        ring = crypto.keyring()
        key_id = audit_key_id(ring)
        key = audit_key(ring, key_id)
        _lock_chain_head(session)
        session.info.setdefault(LOCKED_AT_INFO_KEY, time.perf_counter())
        head = session.execute(
            sa.select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        seq, prev_hash = (head.seq + 1, head.row_hash) if head else (1, GENESIS_HASH)
        events, people = [], []
        for item in pending:
            payload = canonical({**item.data, "seq": seq, "key_id": key_id})
            ev = item.event
            ev.seq, ev.key_id, ev.payload = seq, key_id, payload
            ev.prev_hash, ev.row_hash = prev_hash, chain_hash(prev_hash, payload, key)
            events.append({c: getattr(ev, c) for c in _INSERTED})
            people += ({"event_seq": seq, "person_id": p} for p in item.people)
            prev_hash = ev.row_hash
            seq += 1
        # Core inserts: one statement per table, no unit of work, while the lock is held.
        session.execute(sa.insert(AuditEvent.__table__), events)
        if people:
            session.execute(sa.insert(AuditPerson.__table__), people)
        session.info[CHAINED_AT_INFO_KEY] = time.perf_counter()


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # releasing a savepoint: its events wait for the outer commit
    _write_pending(session)


def _recorded_within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(PENDING_INFO_KEY)
    if pending:
        kept = [p for p in pending if not _recorded_within(p.transaction, previous_transaction)]
        session.info[PENDING_INFO_KEY] = kept


@sa_event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING_INFO_KEY, None)
        session.info.pop(LOCKED_AT_INFO_KEY, None)
        session.info.pop(CHAINED_AT_INFO_KEY, None)


def record_denial(action: str, **kwargs) -> None:
    """Write a denial in its own short transaction, after discarding the request's work.

    A denied request is rolled back, so its audit row must not ride on it.
    """
    db.session.rollback()
    record(action, result="denied", **kwargs)
    db.session.commit()


# --- verification ---------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    head: tuple[int, str] | None = None


@dataclass
class _Walk:
    """What verification has seen so far."""

    prev_hash: str = GENESIS_HASH
    expected_seq: int = 1
    legacy: int = 0  # SHA-256 rows at the start of the chain
    keyed: bool = False


def parse_head(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as printed by ``flask audit head``."""
    seq, sep, digest = text.strip().lower().partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("expected SEQ:HASH (a sequence number, a colon and 64 hex digits)")
    return int(seq), digest


def verify(
    session: Session | None = None,
    batch_size: int = 1000,
    *,
    expect_head: tuple[int, str] | None = None,
    ring: crypto.Keyring | None = None,
) -> VerifyResult:
    """Walk the chain in order and report the first broken link.

    With ``expect_head`` (a ``(seq, row_hash)`` kept outside the database), the chain
    must also reach that row with exactly that hash: a truncated chain, or one
    rewritten up to that row, fails.
    """
    session = session or db.session
    ring = ring or crypto.keyring()
    walk = _Walk()
    checked = 0
    last_seq = 0
    head: tuple[int, str] | None = None
    while True:
        rows = list(
            session.execute(
                sa.select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch_size)
            ).scalars()
        )
        if not rows:
            break
        for ev in rows:
            problem = _check_event(ev, walk, ring)
            if problem:
                return VerifyResult(False, checked, ev.seq, problem)
            if expect_head and ev.seq == expect_head[0] and not hmac.compare_digest(ev.row_hash, expect_head[1]):
                return VerifyResult(False, checked, ev.seq, "row differs from the expected head (rewritten)")
            walk.prev_hash = ev.row_hash
            walk.expected_seq += 1
            checked += 1
            last_seq = ev.seq
            head = (ev.seq, ev.row_hash)
        session.expunge_all()
    if walk.legacy and not walk.keyed:
        return VerifyResult(False, checked, 1, "SHA-256 rows that no keyed row vouches for (rehashed without the key)")
    if expect_head and expect_head[0] > last_seq:
        return VerifyResult(
            False, checked, last_seq + 1, f"chain ends at seq {last_seq}, before the expected head {expect_head[0]}"
        )
    return VerifyResult(True, checked, head=head)


def _check_event(ev: AuditEvent, walk: _Walk, ring: crypto.Keyring) -> str | None:
    if ev.seq != walk.expected_seq:
        return f"expected seq {walk.expected_seq}, found {ev.seq} (a row is missing)"
    if ev.prev_hash != walk.prev_hash:
        return "prev_hash does not match the previous row's hash"
    try:
        data = json.loads(ev.payload)
    except ValueError:
        return "payload is not valid JSON"
    if not isinstance(data, dict):
        return "payload is not a JSON object"
    if ev.key_id is None:
        if walk.keyed:
            return "row hashed without the audit key after the chain was keyed"
        if chain_hash(walk.prev_hash, ev.payload) != ev.row_hash:
            return "row_hash does not match the payload"
        walk.legacy += 1
    else:
        try:
            key = audit_key(ring, ev.key_id)
        except crypto.KeyringError as exc:
            return str(exc)
        if not hmac.compare_digest(chain_hash(walk.prev_hash, ev.payload, key), ev.row_hash):
            return "row_hash does not match the payload"
        if data.get("key_id") != ev.key_id:
            return "column key_id differs from the hashed payload"
        if (
            not walk.keyed
            and walk.legacy
            and (data.get("action") != SWITCH_OVER_ACTION or data.get("details", {}).get("legacy_rows") != walk.legacy)
        ):
            return f"first keyed row does not vouch for the {walk.legacy} SHA-256 rows before it"
        walk.keyed = True
    for key_name in _MIRRORED:
        if data.get(key_name) != getattr(ev, key_name):
            return f"column {key_name} differs from the hashed payload"
    if data.get("at") != _format_at(ev.at):
        return "column at differs from the hashed payload"
    return None


def switch_over_row(head_seq: int, head_hash: str, ring: crypto.Keyring, at: datetime) -> dict:
    """The keyed row that vouches for ``head_seq`` SHA-256 rows before it (written by a migration)."""
    key_id = audit_key_id(ring)
    data = {
        "seq": head_seq + 1,
        "at": _format_at(at),
        "actor_user_id": None,
        "actor_agency_id": None,
        "action": SWITCH_OVER_ACTION,
        "object_type": "audit_chain",
        "object_id": None,
        "person_ids": [],
        "purpose": None,
        "lawful_basis": None,
        "consent": None,
        "recipient_agency_id": None,
        "request_id": None,
        "ip": None,
        "result": "allowed",
        "details": {"legacy_rows": head_seq},
        "key_id": key_id,
    }
    payload = canonical(data)
    return {
        **{k: data[k] for k in _MIRRORED},
        "at": at,
        "payload": payload,
        "prev_hash": head_hash,
        "row_hash": chain_hash(head_hash, payload, audit_key(ring, key_id)),
        "key_id": key_id,
    }
