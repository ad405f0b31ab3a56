"""Data sharing agreements and disclosures made outside the system (ICO data sharing code).

Every disclosure, in the system or recorded here, is an event in the audit chain with
its recipient, lawful basis and consent status, so the sharing register is complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from ..core import audit, periods
from ..core.audit import AuditEvent
from ..core.models import Agency, Person, User
from ..core.pagination import Page, paginate
from ..core.services import FieldErrors, apply_changes, check_version
from ..core.types import utcnow
from ..extensions import db
from .models import CONSENT, Disclosure, SharingAgreement

AGREEMENT_FIELDS = ("title", "purpose", "data_items", "lawful_basis", "review_on", "is_active")
DISCLOSURE_FIELDS = (
    "requested_on",
    "recipient_agency_id",
    "requester_name",
    "requester_role",
    "data_items",
    "purpose",
    "lawful_basis",
    "necessity",
    "condition",
    "legal_power",
    "legal_power_other",
    "agreement_id",
    "consent",
    "without_consent_reason",
    "method",
    "decision",
    "decided_on",
    "reasons",
    "decision_maker",
    "emergency",
)


# --- agreements ----------------------------------------------------------------------------


def agreements(*, include_inactive: bool = True) -> list[SharingAgreement]:
    query = sa.select(SharingAgreement).order_by(SharingAgreement.review_on, SharingAgreement.id)
    if not include_inactive:
        query = query.where(SharingAgreement.is_active.is_(True))
    return list(db.session.scalars(query))


def _parties(agency_ids: Iterable[int]) -> list[Agency]:
    ids = sorted(set(agency_ids))
    found = list(db.session.scalars(sa.select(Agency).where(Agency.id.in_(ids)))) if ids else []
    if len(found) < 2:
        raise FieldErrors([("party_ids", "Select at least two agencies that are party to the agreement")])
    return found


def save_agreement(
    user: User, data: dict[str, Any], agreement: SharingAgreement | None = None, version: int | None = None
) -> SharingAgreement:
    """Create or update an agreement; a stale version is a conflict (nothing saved)."""
    parties = _parties(data["party_ids"])
    if agreement is None:
        agreement = SharingAgreement(**{k: data[k] for k in AGREEMENT_FIELDS})
        agreement.parties = parties
        db.session.add(agreement)
        db.session.flush()
        changed = list(AGREEMENT_FIELDS)
        action = "governance.agreement.create"
    else:
        check_version(agreement, version)
        changed = apply_changes(agreement, data, AGREEMENT_FIELDS)
        if {a.id for a in agreement.parties} != {a.id for a in parties}:
            agreement.parties = parties
            changed.append("parties")
        db.session.flush()
        action = "governance.agreement.update"
    audit.record(
        action,
        object_type="gov_agreement",
        object_id=agreement.id,
        purpose="audit",
        details={"fields": changed, "parties": [a.id for a in parties]},
    )
    return agreement


def agreement_for(agreements_: list[SharingAgreement], agency_ids: set[int]) -> SharingAgreement | None:
    """The active agreement covering a share between ``agency_ids`` (its parties include them all).

    An in-system share names the sender's and the recipient's agency; the register
    links it to the agreement both are party to.
    """
    for agreement in agreements_:
        if agreement.is_active and agency_ids <= {a.id for a in agreement.parties}:
            return agreement
    return None


def agreements_for_events(events: list[AuditEvent]) -> dict[int, SharingAgreement | None]:
    """For each share, the agreement it falls under: the one a manual disclosure names, or
    for an in-system share the active agreement both agencies are party to (one query)."""
    every = agreements()
    by_id = {a.id: a for a in every}
    active = [a for a in every if a.is_active]
    out: dict[int, SharingAgreement | None] = {}
    for e in events:
        named = e.data.get("details", {}).get("agreement_id")
        if named:
            out[e.seq] = by_id.get(named)
        elif e.recipient_agency_id:
            ids = {i for i in (e.actor_agency_id, e.recipient_agency_id) if i}
            out[e.seq] = agreement_for(active, ids)
        else:
            out[e.seq] = None
    return out


# --- disclosures ---------------------------------------------------------------------------


@dataclass
class DisclosureFilter:
    outstanding_only: bool = False
    recipient_agency_id: int | None = None


def _check_disclosure(data: dict[str, Any]) -> None:
    """The request template's conditional fields (ICO data sharing code)."""
    errors: list[tuple[str | None, str]] = []
    if data["legal_power"] == "other" and not data.get("legal_power_other"):
        errors.append(("legal_power_other", "Describe the legal power relied on"))
    if data["consent"] != "given" and not data.get("without_consent_reason"):
        errors.append(("without_consent_reason", "Enter why the information was shared without consent"))
    if not data.get("emergency") and not data.get("reasons"):
        errors.append(("reasons", "Enter the reasons for the decision, or choose the emergency path"))
    if data["decided_on"] < data["requested_on"]:
        errors.append(("decided_on", "Date of the decision must be on or after the date of the request"))
    if data.get("agreement_id") and db.session.get(SharingAgreement, data["agreement_id"]) is None:
        errors.append(("agreement_id", "Select an agreement from the list"))
    if errors:
        raise FieldErrors(errors)


def record_disclosure(user: User, person: Person, data: dict[str, Any]) -> Disclosure:
    """Record a disclosure made outside the system; it joins the sharing register (audit chain)."""
    _check_disclosure(data)
    disclosure = Disclosure(person_id=person.id, recorded_by_id=user.id, **{k: data.get(k) for k in DISCLOSURE_FIELDS})
    if data.get("reasons"):
        disclosure.reasons_recorded_at = utcnow()
    db.session.add(disclosure)
    db.session.flush()
    _audit_disclosure("governance.disclosure.record", disclosure)
    return disclosure


def _audit_disclosure(action: str, d: Disclosure, **details: Any) -> None:
    audit.record(
        action,
        object_type="gov_disclosure",
        object_id=d.id,
        person_ids=[d.person_id],
        purpose="casework",
        lawful_basis=d.lawful_basis,
        consent=CONSENT[d.consent] if action.endswith("record") else None,
        recipient_agency_id=d.recipient_agency_id if action.endswith("record") else None,
        details={
            "manual": True,
            "decision": d.decision,
            "emergency": d.emergency,
            "agreement_id": d.agreement_id,
            "condition": d.condition,
            "legal_power": d.legal_power,
            **details,
        },
    )


def record_reasons(user: User, disclosure: Disclosure, reasons: str, version: int | None) -> None:
    """The emergency path: reasons recorded after the disclosure was made."""
    check_version(disclosure, version)
    if not disclosure.reasons_outstanding:
        raise FieldErrors([("reasons", "The reasons for this decision are already recorded")])
    disclosure.reasons = reasons
    disclosure.reasons_recorded_at = utcnow()
    db.session.flush()
    _audit_disclosure("governance.disclosure.reasons", disclosure, fields=["reasons"])


def disclosures_page(f: DisclosureFilter, page: int, per_page: int = 25) -> Page:
    query = sa.select(Disclosure).order_by(Disclosure.requested_on.desc(), Disclosure.id.desc())
    if f.outstanding_only:
        query = query.where(Disclosure.reasons_recorded_at.is_(None))
    if f.recipient_agency_id:
        query = query.where(Disclosure.recipient_agency_id == f.recipient_agency_id)
    return paginate(query, page, per_page)


def load_disclosure(disclosure_id: int) -> Disclosure:
    """Load one disclosure for display (decrypted), audited as a view of the person's data."""
    from ..core.services import get_or_404

    d = get_or_404(Disclosure, disclosure_id)
    audit.record(
        "governance.disclosure.view",
        object_type="gov_disclosure",
        object_id=d.id,
        person_ids=[d.person_id],
        purpose="audit",
    )
    return d


def outstanding_reasons_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Disclosure).where(Disclosure.reasons_recorded_at.is_(None))
        )
        or 0
    )


def agreements_due(today: date | None = None) -> list[SharingAgreement]:
    today = today or periods.local_today()
    return [a for a in agreements(include_inactive=False) if a.past_review(today)]
