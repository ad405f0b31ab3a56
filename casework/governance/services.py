"""Governance queries over the audit chain: the questions a DPO asks (DESIGN §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from ..core import modules
from ..core.audit import AuditEvent, AuditPerson
from ..core.models import Agency, User
from ..core.pagination import paginate
from ..extensions import db


@dataclass
class AuditFilter:
    action: str | None = None
    actor_user_id: int | None = None
    person_id: int | None = None
    recipient_agency_id: int | None = None
    result: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def filtered_events(f: AuditFilter) -> sa.Select:
    query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc())
    if f.action:
        # Old and new names for the same action (``module.object.verb``; core/modules.py).
        query = query.where(AuditEvent.action.in_(sorted(modules.audit_action_aliases(f.action))))
    if f.actor_user_id:
        query = query.where(AuditEvent.actor_user_id == f.actor_user_id)
    if f.recipient_agency_id:
        query = query.where(AuditEvent.recipient_agency_id == f.recipient_agency_id)
    if f.result:
        query = query.where(AuditEvent.result == f.result)
    if f.person_id:
        query = query.where(
            AuditEvent.seq.in_(sa.select(AuditPerson.event_seq).where(AuditPerson.person_id == f.person_id))
        )
    if f.date_from:
        query = query.where(AuditEvent.at >= _day_start(f.date_from))
    if f.date_to:
        # The end of that day, not the start of the next: 31 December 9999 has no next day.
        query = query.where(AuditEvent.at <= datetime.combine(f.date_to, time.max, tzinfo=UTC))
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
