"""Subject access requests: the clock, the pack, redaction, exemptions, approval, release.

Sources: UK GDPR Art 12(3) (answer within one month of receipt, extendable by two
further months where requests are complex or numerous, telling the requester within
the first month) and Art 15; DPA 2018 Part 3 s45 (law enforcement data, same month)
and Sch 2 para 16 (other people's data); ICO guidance on the right of access: the
month runs to the corresponding calendar date (the last day of a shorter month), and
the clock stops while the controller waits for clarification it reasonably asked for.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..core import audit, modules, pdf, periods
from ..core import subject_access as sa_helpers
from ..core.models import PARTICIPANT_ROLES, Action, AgendaItem, Case, CaseParticipant, Meeting, Person, User
from ..core.modules import SubjectAccessRecord
from ..core.pagination import Page, paginate
from ..core.services import FieldErrors, check_version
from ..core.types import utcnow
from ..extensions import db
from .models import EXEMPTIONS, SAR_ROUTES, SarExemption, SarPause, SubjectAccessRequest

REDACTED_FIELD = "[Withheld: information about another person]"
REDACTED_NAME = "[name of another person removed]"
# The roles a case is about: its actions and minutes are that person's safety planning or
# management. Anyone else in the case (a perpetrator, a child, another household member)
# gets the fact of each action and set of minutes, not what they say (DPA 2018 Sch 2
# para 16): a victim's refuge or new address must never reach the perpetrator's pack.
CASE_SUBJECT_ROLES = frozenset({"victim", "offender", "complainant"})


# --- the clock ------------------------------------------------------------------------------


def due_date(
    received_on: date,
    extension_months: int,
    pauses: Iterable[tuple[date, date | None]],
    today: date,
    months: int = 1,
) -> date:
    """When the answer is due.

    ``months`` (1) plus any extension, counted to the corresponding calendar date
    (31 January + 1 month = 28 or 29 February), then moved on by every day the clock
    was stopped for clarification (a pause still open counts up to ``today``).
    """
    due = periods.add_months(received_on, months + extension_months)
    stopped = sum(((end or today) - start).days for start, end in pauses)
    return due + timedelta(days=max(stopped, 0))


def sar_due(sar: SubjectAccessRequest, today: date | None = None) -> date:
    today = today or periods.local_today()
    months = current_app.config.get("SAR_RESPONSE_MONTHS", 1)
    return due_date(
        sar.received_on, sar.extension_months, [(p.started_on, p.ended_on) for p in sar.pauses], today, months
    )


def days_left(sar: SubjectAccessRequest, today: date | None = None) -> int:
    today = today or periods.local_today()
    return (sar_due(sar, today) - today).days


def clock_stopped(sar: SubjectAccessRequest) -> bool:
    return any(p.ended_on is None for p in sar.pauses)


# --- logging and managing a request -------------------------------------------------------------


def log_request(user: User, person: Person, data: dict[str, Any]) -> SubjectAccessRequest:
    if data.get("identity_checked") and not data.get("identity_evidence"):
        raise FieldErrors([("identity_evidence", "Enter how the requester's identity was checked")])
    sar = SubjectAccessRequest(
        person_id=person.id,
        received_on=data["received_on"],
        requester=data["requester"],
        route=data["route"],
        identity_checked=bool(data.get("identity_checked")),
        identity_evidence=data.get("identity_evidence"),
        extension_months=0,
        status="open",
        logged_by_id=user.id,
    )
    db.session.add(sar)
    db.session.flush()
    _audit("governance.sar.log", sar, route=sar.route)
    return sar


def _audit(action: str, sar: SubjectAccessRequest, **details: Any) -> None:
    audit.record(
        action,
        object_type="gov_sar",
        object_id=sar.id,
        person_ids=[sar.person_id],
        purpose="subject_access",
        details=details,
    )


def _require_open(sar: SubjectAccessRequest, field: str | None = None) -> None:
    if sar.status in ("released", "closed"):
        raise FieldErrors([(field, "This request is finished: nothing more can change")])


def _unapprove(sar: SubjectAccessRequest) -> None:
    """A change to what the pack holds withdraws an approval given before it."""
    if sar.status == "approved":
        sar.status = "open"
        sar.approved_digest = None
        sar.approved_by_id = None
        sar.approved_at = None


def check_identity(user: User, sar: SubjectAccessRequest, evidence: str, version: int | None) -> None:
    check_version(sar, version)
    _require_open(sar, "identity_evidence")
    sar.identity_checked = True
    sar.identity_evidence = evidence
    db.session.flush()
    _audit("governance.sar.identity", sar)


def extend(user: User, sar: SubjectAccessRequest, months: int, reason: str, version: int | None, today: date) -> None:
    """Extend by up to two further months in all (Art 12(3)), within the first month."""
    check_version(sar, version)
    _require_open(sar, "months")
    limit = current_app.config.get("SAR_MAX_EXTENSION_MONTHS", 2)
    errors = []
    if not 1 <= sar.extension_months + months <= limit:
        left = limit - sar.extension_months
        errors.append(("months", f"The request can be extended by {left} more month{'s' if left != 1 else ''} at most"))
    first_month_due = due_date(sar.received_on, 0, [(p.started_on, p.ended_on) for p in sar.pauses], today)
    if sar.extension_months == 0 and today > first_month_due:
        errors.append(("months", "An extension must be decided, and the requester told, within the first month"))
    if errors:
        raise FieldErrors(errors)
    sar.extension_months += months
    sar.extension_reason = reason if not sar.extension_reason else f"{sar.extension_reason}\n\n{reason}"
    db.session.flush()
    _audit("governance.sar.extend", sar, months=months, total=sar.extension_months)


def stop_clock(user: User, sar: SubjectAccessRequest, on: date, note: str | None, version: int | None) -> None:
    """Clarification asked for: the clock stops from ``on`` until it is received."""
    check_version(sar, version)
    _require_open(sar, "started_on")
    if clock_stopped(sar):
        raise FieldErrors([("started_on", "The clock is already stopped")])
    if on < sar.received_on:
        raise FieldErrors([("started_on", "Date clarification was asked for must be on or after the request")])
    if any(p.ended_on and on < p.ended_on for p in sar.pauses):
        raise FieldErrors([("started_on", "Date clarification was asked for must be after the last restart")])
    sar.pauses.append(SarPause(sar_id=sar.id, started_on=on, note=note))
    db.session.flush()
    _audit("governance.sar.clock_stop", sar)


def restart_clock(user: User, sar: SubjectAccessRequest, on: date, version: int | None) -> None:
    check_version(sar, version)
    open_pause = next((p for p in sar.pauses if p.ended_on is None), None)
    if open_pause is None:
        raise FieldErrors([("ended_on", "The clock is not stopped")])
    if on < open_pause.started_on:
        raise FieldErrors([("ended_on", "Date clarification was received must be on or after it was asked for")])
    open_pause.ended_on = on
    db.session.flush()
    _audit("governance.sar.clock_restart", sar, days=(on - open_pause.started_on).days)


def mark_exempt(user: User, sar: SubjectAccessRequest, record_key: str, exemption: str, reason: str) -> None:
    _require_open(sar, "exemption")
    if exemption not in EXEMPTIONS:
        raise FieldErrors([("exemption", "Select the exemption relied on")])
    existing = next((e for e in sar.exemptions if e.record_key == record_key), None)
    if existing is None:
        sar.exemptions.append(
            SarExemption(
                sar_id=sar.id, record_key=record_key, exemption=exemption, reason=reason, decided_by_id=user.id
            )
        )
    else:
        existing.exemption, existing.reason, existing.decided_by_id = exemption, reason, user.id
    _unapprove(sar)
    db.session.flush()
    _audit("governance.sar.exempt", sar, record=record_key, exemption=exemption)


def remove_exemption(user: User, sar: SubjectAccessRequest, record_key: str) -> None:
    _require_open(sar)
    for e in list(sar.exemptions):
        if e.record_key == record_key:
            sar.exemptions.remove(e)
            db.session.delete(e)
    _unapprove(sar)
    db.session.flush()
    _audit("governance.sar.exempt_removed", sar, record=record_key)


def sars_page(open_only: bool, page: int, per_page: int = 25) -> Page:
    query = sa.select(SubjectAccessRequest).order_by(SubjectAccessRequest.received_on, SubjectAccessRequest.id)
    if open_only:
        query = query.where(SubjectAccessRequest.status.in_(("open", "approved")))
    return paginate(query, page, per_page)


# --- the pack ----------------------------------------------------------------------------------


@dataclass
class Redaction:
    record_key: str
    record_title: str
    field: str
    what: str


@dataclass
class PackItem:
    record: SubjectAccessRecord
    fields: list[tuple[str, str]]
    exemption: SarExemption | None = None


@dataclass
class Pack:
    sar: SubjectAccessRequest
    person: Person
    items: list[PackItem] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)

    def as_json(self) -> dict:
        """The machine-readable pack (UK GDPR Art 15(3): a commonly used electronic form)."""
        return {
            "request": {
                "id": self.sar.id,
                "received_on": self.sar.received_on.isoformat(),
                "route": SAR_ROUTES[self.sar.route],
            },
            "person": self.person.reference,
            "records": [
                {
                    "source": item.record.module,
                    "kind": item.record.kind,
                    "id": str(item.record.record_id),
                    "title": item.record.title,
                    "exempt": EXEMPTIONS[item.exemption.exemption] if item.exemption else None,
                    "fields": [] if item.exemption else [{"name": k, "value": v} for k, v in item.fields],
                }
                for item in self.items
            ],
        }

    def json_bytes(self) -> bytes:
        return json.dumps(self.as_json(), ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.json_bytes()).hexdigest()


def _name_pattern(names: Iterable[str]) -> re.Pattern | None:
    names = sorted({n for n in names if n}, key=lambda n: (-len(n), n))
    if not names:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE)


def redact(record: SubjectAccessRecord) -> tuple[list[tuple[str, str]], list[Redaction]]:
    """The record's fields with other people's data withheld, and a list of each redaction."""
    pattern = _name_pattern(record.third_party_names)
    out, redactions = [], []
    for label, value in record.fields:
        if label in record.third_party:
            if value:
                out.append((label, REDACTED_FIELD))
                redactions.append(Redaction(record.key, record.title, label, "whole field: another person's data"))
            continue
        if pattern and value:
            new, count = pattern.subn(REDACTED_NAME, value)
            if count:
                redactions.append(
                    Redaction(
                        record.key,
                        record.title,
                        label,
                        f"{count} mention{'s' if count > 1 else ''} of another person's name",
                    )
                )
            value = new
        out.append((label, value))
    return out, redactions


def core_records(person: Person) -> list[SubjectAccessRecord]:
    """What the platform itself holds: the person record, their cases, actions and minutes."""
    t = sa_helpers.text
    records = [
        SubjectAccessRecord(
            module="core",
            kind="person",
            record_id=person.id,
            title=f"Person record {person.reference}",
            fields=(
                ("Given names", t(person.given_names)),
                ("Surname", t(person.surname)),
                ("Aliases", t(person.aliases)),
                ("Date of birth", t(person.dob)),
                ("Address", t(person.address)),
                ("Postcode", t(person.postcode)),
                ("Phone", t(person.phone)),
                ("Email", t(person.email)),
                ("Gender", t(person.gender)),
                ("Ethnicity", t(person.ethnicity)),
                ("Disability", t(person.disability)),
                ("Sexuality", t(person.sexuality)),
                ("Notes", t(person.notes)),
            ),
        )
    ]
    parts = list(
        db.session.scalars(
            sa.select(CaseParticipant).where(CaseParticipant.person_id == person.id).order_by(CaseParticipant.case_id)
        )
    )
    case_ids = sorted({p.case_id for p in parts})
    if not case_ids:
        return records
    others = sa_helpers.other_people_names(case_ids, person)
    about_subject = {p.case_id for p in parts if p.role in CASE_SUBJECT_ROLES}
    cases = {c.id: c for c in db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)))}
    for p in parts:
        c = cases[p.case_id]
        records.append(
            SubjectAccessRecord(
                module="core",
                kind="case",
                record_id=f"{c.id}-{p.role}",
                title=f"Case {c.reference}: {PARTICIPANT_ROLES.get(p.role, p.role)}",
                fields=(
                    ("Case", c.reference),
                    ("Your role", PARTICIPANT_ROLES.get(p.role, p.role)),
                    ("Status", t(c.status)),
                    ("Opened", t(c.opened_on)),
                    ("Closed", t(c.closed_on)),
                    ("Relationship", t(p.relationship_to_victim)),
                    ("Closure reason", t(c.closure_reason)),
                ),
                third_party_names=others,
            )
        )
    for a in db.session.scalars(sa.select(Action).where(Action.case_id.in_(case_ids)).order_by(Action.id)):
        records.append(
            SubjectAccessRecord(
                module="core",
                kind="action",
                record_id=a.id,
                title=f"Action on case {cases[a.case_id].reference}",
                fields=(("Action", t(a.description)), ("Due", t(a.due_on)), ("Status", t(a.status))),
                third_party=frozenset() if a.case_id in about_subject else frozenset({"Action"}),
                third_party_names=others,
            )
        )
    items = db.session.execute(
        sa.select(AgendaItem, Meeting.starts_at)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.case_id.in_(case_ids))
        .order_by(Meeting.starts_at, AgendaItem.id)
    ).all()
    for item, when in items:
        if not item.minutes:
            continue
        records.append(
            SubjectAccessRecord(
                module="core",
                kind="minutes",
                record_id=item.id,
                title=f"Meeting minutes, case {cases[item.case_id].reference}",
                fields=(
                    ("Meeting", t(periods.local_date(when))),
                    ("Minutes", t(item.minutes)),
                    ("Outcome", t(item.outcome)),
                ),
                third_party=frozenset() if item.case_id in about_subject else frozenset({"Minutes"}),
                third_party_names=others,
            )
        )
    return records


def assemble(sar: SubjectAccessRequest) -> Pack:
    """Everything held about the person across the platform and every module, redacted."""
    person = db.session.get(Person, sar.person_id)
    pack = Pack(sar=sar, person=person)
    exempt = {e.record_key: e for e in sar.exemptions}
    for record in core_records(person) + modules.subject_access_records(person):
        fields, redactions = redact(record)
        pack.items.append(PackItem(record, fields, exempt.get(record.key)))
        if record.key not in exempt:
            pack.redactions.extend(redactions)
    return pack


def review(sar: SubjectAccessRequest) -> Pack:
    """The pack for the reviewer's screen (decrypted: audited as a subject access read)."""
    pack = assemble(sar)
    _audit("governance.sar.review", sar, records=len(pack.items), redactions=len(pack.redactions))
    return pack


def approve(user: User, sar: SubjectAccessRequest, version: int | None) -> Pack:
    """The DPO approves the pack as it stands; its digest is kept so a changed pack is not released."""
    check_version(sar, version)
    _require_open(sar)
    errors = []
    if not sar.identity_checked:
        errors.append((None, "Check the requester's identity before approving the pack"))
    if clock_stopped(sar):
        errors.append((None, "Restart the clock (clarification received) before approving the pack"))
    if errors:
        raise FieldErrors(errors)
    pack = assemble(sar)
    sar.status = "approved"
    sar.approved_digest = pack.digest
    sar.approved_by_id = user.id
    sar.approved_at = utcnow()
    db.session.flush()
    _audit("governance.sar.approve", sar, digest=pack.digest, records=len(pack.items))
    return pack


class NotApproved(Exception):
    """The pack has no approval, or changed since it was approved."""


def release(user: User, sar: SubjectAccessRequest) -> bytes:
    """The approved pack as a ZIP (PDF and JSON); refused if the pack changed since approval."""
    if sar.status not in ("approved", "released") or not sar.approved_digest:
        raise NotApproved("The data protection officer has not approved this pack")
    pack = assemble(sar)
    if pack.digest != sar.approved_digest:
        raise NotApproved("The records changed after the pack was approved: review and approve it again")
    body = zip_pack(pack)
    if sar.status == "approved":
        sar.status = "released"
        sar.released_at = utcnow()
    db.session.flush()
    _audit("governance.sar.release", sar, digest=pack.digest, bytes=len(body))
    return body


def pack_pdf(pack: Pack) -> bytes:
    doc = pdf.Document(f"Subject access request {pack.sar.id}: your personal data")
    doc.key_values(
        [
            ("Request received", sa_helpers.text(pack.sar.received_on)),
            ("Made under", SAR_ROUTES[pack.sar.route]),
            ("Person reference", pack.person.reference),
            ("Records", str(len(pack.items))),
        ]
    )
    doc.paragraph(
        "Information about other people has been removed where it is marked "
        f"{REDACTED_FIELD} or {REDACTED_NAME}. Records withheld under an exemption are listed with the exemption."
    )
    for item in pack.items:
        doc.heading(item.record.title, 3)
        if item.exemption:
            doc.paragraph(f"Withheld (exempt): {EXEMPTIONS[item.exemption.exemption]}")
            continue
        doc.key_values([(k, v or "—") for k, v in item.fields])
    return doc.output()


def zip_pack(pack: Pack) -> bytes:
    buffer = io.BytesIO()
    stem = f"subject-access-{pack.sar.id}"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{stem}.pdf", pack_pdf(pack))
        z.writestr(f"{stem}.json", pack.json_bytes())
    return buffer.getvalue()
