"""Governance queries over the audit chain: the questions a DPO asks (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from ..core import audit, modules, periods
from ..core.audit import LAWFUL_BASES, AuditEvent, AuditPerson
from ..core.models import Agency, User
from ..core.pagination import paginate
from ..extensions import db


@dataclass
class AuditFilter:
    action: str | None = None
    actor_user_id: int | None = None
    actor_agency_id: int | None = None
    lawful_basis: str | None = None
    person_id: int | None = None
    recipient_agency_id: int | None = None
    result: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _local_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC moments [lo, hi) covering local dates ``start``..``end`` (Europe/London by default).

    A date the calendar cannot extend past (31 December 9999) has no upper bound.
    """
    lo = hi = None
    if start:
        lo = periods.utc_bounds(periods.Period(start, start, "", "custom"))[0]
    if end:
        try:
            hi = periods.utc_bounds(periods.Period(end, end, "", "custom"))[1]
        except (OverflowError, ValueError):
            hi = None
    return lo, hi


def filtered_events(f: AuditFilter) -> sa.Select:
    # Newest first by time (seq breaks ties): each filter column is indexed with ``at``, so a
    # date range reads only the rows the page shows (migration 0022_governance).
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.seq.desc())
    if f.action:
        # Old and new names for the same action (``module.object.verb``; core/modules.py).
        query = query.where(AuditEvent.action.in_(sorted(modules.audit_action_aliases(f.action))))
    if f.actor_user_id:
        query = query.where(AuditEvent.actor_user_id == f.actor_user_id)
    if f.actor_agency_id:
        query = query.where(AuditEvent.actor_agency_id == f.actor_agency_id)
    if f.lawful_basis:
        query = query.where(AuditEvent.lawful_basis == f.lawful_basis)
    if f.recipient_agency_id:
        query = query.where(AuditEvent.recipient_agency_id == f.recipient_agency_id)
    if f.result:
        query = query.where(AuditEvent.result == f.result)
    if f.person_id:
        query = query.where(
            AuditEvent.seq.in_(sa.select(AuditPerson.event_seq).where(AuditPerson.person_id == f.person_id))
        )
    lo, hi = _local_bounds(f.date_from, f.date_to)
    if lo is not None:
        query = query.where(AuditEvent.at >= lo)
    if hi is not None:
        query = query.where(AuditEvent.at < hi)
    return query


def events_page(f: AuditFilter, page: int, per_page: int = 50):
    return paginate(filtered_events(f), page, per_page, max_per_page=200)


def who_has_seen(person_id: int) -> list[tuple[User | None, int, datetime]]:
    """Each user who viewed, searched, exported or shared this person's data: count and last time."""
    rows = db.session.execute(
        sa.select(AuditEvent.actor_user_id, sa.func.count(), sa.func.max(AuditEvent.at))
        .join(AuditPerson, AuditPerson.event_seq == AuditEvent.seq)
        .where(AuditPerson.person_id == person_id, AuditEvent.result == "allowed")
        .group_by(AuditEvent.actor_user_id)
        .order_by(sa.func.max(AuditEvent.at).desc())
    ).all()
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([r[0] for r in rows if r[0]])))}
    return [(users.get(uid), count, last) for uid, count, last in rows]


SHARING_LIMIT = 1000


def shared_with(agency_id: int, start: date, end: date) -> list[AuditEvent]:
    """Disclosures to an agency in a period, with purpose and lawful basis."""
    query = filtered_events(AuditFilter(recipient_agency_id=agency_id, date_from=start, date_to=end)).where(
        AuditEvent.result == "allowed"
    )
    return list(db.session.scalars(query.limit(SHARING_LIMIT)))


def lookup_names(events) -> tuple[dict[int, User], dict[int, Agency]]:
    """Staff and agency names for a page of events, in two queries (no N+1)."""
    user_ids = {e.actor_user_id for e in events if e.actor_user_id}
    agency_ids = {e.actor_agency_id for e in events if e.actor_agency_id} | {
        e.recipient_agency_id for e in events if e.recipient_agency_id
    }
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    agencies = (
        {a.id: a for a in db.session.scalars(sa.select(Agency).where(Agency.id.in_(agency_ids)))} if agency_ids else {}
    )
    return users, agencies


# --- CSV export of a filtered log --------------------------------------------------------

EXPORT_HEADERS = (
    "Seq",
    "When (UTC)",
    "User id",
    "User",
    "Agency",
    "Action",
    "Object type",
    "Object id",
    "Person ids",
    "Purpose",
    "Lawful basis",
    "Consent",
    "Recipient agency",
    "Result",
)


def export_rows(f: AuditFilter, limit: int) -> Iterator[list]:
    """The filtered events, newest first, at most ``limit``, read in batches of 1,000.

    Ids and codes only, as stored, plus staff and agency names (no personal data
    about the people the events concern: the log never holds any).
    """
    query = filtered_events(f)
    last: tuple[datetime, int] | None = None
    sent = 0
    purposes = modules.purposes()
    while sent < limit:
        batch_query = query
        if last is not None:
            at, seq = last
            batch_query = query.where(sa.or_(AuditEvent.at < at, sa.and_(AuditEvent.at == at, AuditEvent.seq < seq)))
        batch = list(db.session.scalars(batch_query.limit(min(1000, limit - sent))))
        if not batch:
            return
        users, agencies = lookup_names(batch)
        for e in batch:
            actor = users.get(e.actor_user_id)
            agency = agencies.get(e.actor_agency_id)
            recipient = agencies.get(e.recipient_agency_id)
            yield [
                e.seq,
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_user_id,
                actor.display_name if actor else "",
                agency.name if agency else "",
                modules.canonical_audit_action(e.action),
                e.object_type or "",
                e.object_id or "",
                " ".join(str(p) for p in e.data.get("person_ids", [])),
                purposes.get(e.purpose, e.purpose or ""),
                LAWFUL_BASES.get(e.lawful_basis, e.lawful_basis or ""),
                e.consent or "",
                recipient.name if recipient else "",
                e.result,
            ]
        sent += len(batch)
        last = (batch[-1].at, batch[-1].seq)
        db.session.expunge_all()


def filter_details(f: AuditFilter) -> dict:
    """The filter as plain ids, codes and ISO dates, for the audit record of an export."""
    out = {}
    for key, value in f.__dict__.items():
        if value is not None:
            out[key] = value.isoformat() if isinstance(value, date) else value
    return out


# --- chain status ------------------------------------------------------------------------

VERIFY_ACTION = "audit.chain.verify"


@dataclass
class ChainStatus:
    head_seq: int | None
    head_hash: str | None
    last_check: AuditEvent | None

    @property
    def last_ok(self) -> bool | None:
        return None if self.last_check is None else bool(self.last_check.data["details"].get("ok"))


def chain_status() -> ChainStatus:
    """The chain head now and the latest ``flask audit verify`` result (itself an event in the chain).

    Walking a million rows takes longer than a page may, so the governance page shows
    the result the command recorded, with when it ran and the head it reached.
    """
    head = db.session.execute(
        sa.select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    last = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == VERIFY_ACTION).order_by(AuditEvent.seq.desc()).limit(1)
    )
    return ChainStatus(head.seq if head else None, head.row_hash if head else None, last)


def record_verification(result: audit.VerifyResult) -> None:
    """Write the outcome of a chain walk into the chain (ids and counts only)."""
    audit.record(
        VERIFY_ACTION,
        object_type="audit_chain",
        purpose="audit",
        result="allowed",
        details={
            "ok": result.ok,
            "checked": result.checked,
            "first_bad_seq": result.first_bad_seq,
            "reason": result.reason,
            "head_seq": result.head[0] if result.head else None,
            "head_hash": result.head[1] if result.head else None,
        },
    )


# --- "who has accessed this record" on a person's page ------------------------------------

PERSON_SECTION_ROWS = 5


def person_access_section(user, person, may_act) -> list:
    """The DPO's block on a person's page: the latest staff to access the record."""
    from flask import url_for

    from ..core.modules import PersonSection, WorkItem

    if not user.can("governance.audit.view"):
        return []
    rows = who_has_seen(person.id)
    items = [
        WorkItem(
            label=u.display_name if u else "System",
            url=url_for("governance.audit_log", person_id=person.id, actor_user_id=u.id if u else None),
            detail=f"{count} event{'s' if count != 1 else ''}, last {periods.local_date(last):%-d %b %Y}",
        )
        for u, count, last in rows[:PERSON_SECTION_ROWS]
    ]
    items.append(
        WorkItem(
            label="Everyone who has accessed this record", url=url_for("governance.person_access", person_id=person.id)
        )
    )
    return [PersonSection(title="Who has accessed this record", items=items)]
