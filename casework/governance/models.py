"""Governance tables: data sharing agreements, disclosures made outside the system and
subject access requests (DESIGN §4; domain-notes §6).

Personal free text (who asked, what was shared and why, identity evidence) is
encrypted; codes, dates and ids are plain so the register can be filtered.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.audit import LAWFUL_BASES
from ..core.models import Agency
from ..core.models.base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column
from ..core.types import EncryptedText, UTCDateTime
from ..extensions import db

# Special-category (UK GDPR Art 9 with DPA 2018 Sch 1) or law-enforcement sensitive
# processing (DPA 2018 Part 3 s35 with Sch 8) conditions (ICO data sharing code, request template).
CONDITIONS = {
    "none": "No special-category or sensitive data shared",
    "sch1_para18_safeguarding": "DPA 2018 Sch 1 para 18: safeguarding of children and individuals at risk",
    "sch1_para10_crime": "DPA 2018 Sch 1 para 10: preventing or detecting unlawful acts",
    "sch1_para6_statutory": "DPA 2018 Sch 1 para 6: statutory and government purposes",
    "sch8_para4_safeguarding": "DPA 2018 Sch 8 para 4: safeguarding of children and individuals at risk (police)",
    "sch8_para1_statutory": "DPA 2018 Sch 8 para 1: statutory purposes (police)",
    "art9_2_c_vital": "UK GDPR Art 9(2)(c): vital interests",
    "consent": "Explicit consent",
}
LEGAL_POWERS = {
    "cda1998_s115": "Crime and Disorder Act 1998 s115",
    "ca2004_s11": "Children Act 2004 s11",
    "ca2014_s45": "Care Act 2014 s45 (safeguarding adults boards)",
    "asbcpa2014": "Anti-social Behaviour, Crime and Policing Act 2014",
    "common_law": "Common law duty to share (police)",
    "other": "Other (describe)",
}
CONSENT = {
    "given": "Consent given",
    "refused": "Consent refused: shared without it",
    "not_sought": "Consent not sought: shared without it",
}
METHODS = {
    "secure_email": "Secure email",
    "phone": "Telephone",
    "meeting": "At a meeting",
    "letter": "Letter or hand delivery",
    "portal": "Secure portal",
    "other": "Other",
}
DECISIONS = {"disclose": "Disclose", "disclose_part": "Disclose in part", "refuse": "Refuse"}
SAR_ROUTES = {
    "uk_gdpr": "UK GDPR Article 15",
    "dpa_part3": "DPA 2018 Part 3 s45 (police data held for law enforcement)",
}
SAR_STATUSES = {
    "open": "Open",
    "approved": "Pack approved",
    "released": "Pack released",
    "closed": "Closed without release",
}
EXEMPTIONS = {
    "crime": "Prevention or detection of crime (DPA 2018 Sch 2 para 2)",
    "serious_harm": "Serious harm to physical or mental health (DPA 2018 Sch 3 para 5)",
    "third_party": "Third-party information, not reasonable to disclose (DPA 2018 Sch 2 para 16)",
    "legal_privilege": "Legal professional privilege (DPA 2018 Sch 2 para 19)",
    "part3_s45_4": "Restricted under DPA 2018 s45(4) (law enforcement)",
}


class SharingAgreement(TimestampMixin, VersionedMixin, db.Model):
    """A data sharing agreement between partner agencies (ICO data sharing code)."""

    __tablename__ = "gov_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    purpose: Mapped[str] = mapped_column(sa.Text, nullable=False)
    data_items: Mapped[str] = mapped_column(sa.Text, nullable=False)
    lawful_basis = enum_column(LAWFUL_BASES, "gov_agreement_basis", nullable=False)
    review_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    parties: Mapped[list[Agency]] = relationship(
        secondary="gov_agreement_party", order_by="Agency.name", lazy="selectin"
    )

    def past_review(self, today: date) -> bool:
        return self.review_on < today


class AgreementParty(db.Model):
    __tablename__ = "gov_agreement_party"

    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("gov_agreement.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), primary_key=True, index=True)


class Disclosure(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """A disclosure made outside the system, with the ICO request template's fields.

    On the emergency path the decision is recorded at once and the reasons
    afterwards (``reasons_recorded_at`` stays empty until then).
    """

    __tablename__ = "gov_disclosure"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    requested_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    recipient_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False, index=True)
    requester_name: Mapped[str] = mapped_column(EncryptedText("gov_disclosure.requester_name"), nullable=False)
    requester_role: Mapped[str] = mapped_column(EncryptedText("gov_disclosure.requester_role"), nullable=False)
    data_items: Mapped[str] = mapped_column(EncryptedText("gov_disclosure.data_items"), nullable=False)
    purpose: Mapped[str] = mapped_column(EncryptedText("gov_disclosure.purpose"), nullable=False)
    lawful_basis = enum_column(LAWFUL_BASES, "gov_disclosure_basis", nullable=False)
    necessity: Mapped[str] = mapped_column(EncryptedText("gov_disclosure.necessity"), nullable=False)
    condition = enum_column(CONDITIONS, "gov_disclosure_condition", nullable=False)
    legal_power = enum_column(LEGAL_POWERS, "gov_disclosure_power", nullable=False)
    legal_power_other: Mapped[str | None] = mapped_column(EncryptedText("gov_disclosure.legal_power_other"))
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gov_agreement.id"), index=True)
    consent = enum_column(CONSENT, "gov_disclosure_consent", nullable=False)
    without_consent_reason: Mapped[str | None] = mapped_column(EncryptedText("gov_disclosure.without_consent"))
    method = enum_column(METHODS, "gov_disclosure_method", nullable=False)
    decision = enum_column(DECISIONS, "gov_disclosure_decision", nullable=False)
    decided_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reasons: Mapped[str | None] = mapped_column(EncryptedText("gov_disclosure.reasons"))
    decision_maker: Mapped[str] = mapped_column(EncryptedText("gov_disclosure.decision_maker"), nullable=False)
    emergency: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    reasons_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)

    recipient: Mapped[Agency] = relationship(lazy="joined")
    agreement: Mapped[SharingAgreement | None] = relationship(lazy="joined")

    @property
    def reasons_outstanding(self) -> bool:
        return self.reasons_recorded_at is None


class SubjectAccessRequest(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """A subject access request (UK GDPR Art 15, or DPA 2018 Part 3 s45 for police data)."""

    __tablename__ = "gov_sar"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    received_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    requester: Mapped[str] = mapped_column(EncryptedText("gov_sar.requester"), nullable=False)
    route = enum_column(SAR_ROUTES, "gov_sar_route", nullable=False)
    identity_checked: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    identity_evidence: Mapped[str | None] = mapped_column(EncryptedText("gov_sar.identity_evidence"))
    extension_months: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    extension_reason: Mapped[str | None] = mapped_column(EncryptedText("gov_sar.extension_reason"))
    status = enum_column(SAR_STATUSES, "gov_sar_status", nullable=False)
    # SHA-256 of the pack's JSON as approved: a pack that changed since is not released.
    approved_digest: Mapped[str | None] = mapped_column(sa.String(64))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    logged_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)

    pauses: Mapped[list[SarPause]] = relationship(order_by="SarPause.started_on", lazy="selectin")
    exemptions: Mapped[list[SarExemption]] = relationship(order_by="SarExemption.id", lazy="selectin")


class SarPause(RowBoundMixin, db.Model):
    """The clock stopped while clarification is awaited (ICO: the time limit pauses)."""

    __tablename__ = "gov_sar_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    sar_id: Mapped[int] = mapped_column(sa.ForeignKey("gov_sar.id"), nullable=False, index=True)
    started_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(EncryptedText("gov_sar_pause.note"))


class SarExemption(RowBoundMixin, db.Model):
    """A record withheld from a pack, with the exemption relied on and why."""

    __tablename__ = "gov_sar_exemption"
    __table_args__ = (sa.UniqueConstraint("sar_id", "record_key", name="uq_gov_sar_exemption_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sar_id: Mapped[int] = mapped_column(sa.ForeignKey("gov_sar.id"), nullable=False)
    record_key: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    exemption = enum_column(EXEMPTIONS, "gov_sar_exemption_code", nullable=False)
    reason: Mapped[str] = mapped_column(EncryptedText("gov_sar_exemption.reason"), nullable=False)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)


# --- retention --------------------------------------------------------------------------------

DESTRUCTION_STATUSES = {
    "proposed": "Awaiting approval",
    "approved": "Approved: destroyed at the next retention run",
    "destroyed": "Destroyed",
    "refused": "Refused",
}


class RetentionRule(db.Model):
    """Years a closed case of one kind is kept before review for destruction (default 6)."""

    __tablename__ = "gov_retention_rule"

    case_kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    years: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class LegalHold(RowBoundMixin, db.Model):
    """A case that must not be destroyed while the hold stands (e.g. a domestic homicide review)."""

    __tablename__ = "gov_legal_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(EncryptedText("gov_legal_hold.reason"), nullable=False)
    placed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Destruction(VersionedMixin, db.Model):
    """A proposal to destroy a case past retention, and its outcome (two people: proposer and DPO).

    ``summary`` keeps anonymous statistics only (case kind, years opened and closed,
    how many records of each kind were destroyed).
    """

    __tablename__ = "gov_destruction"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id"), nullable=False, index=True)
    status = enum_column(DESTRUCTION_STATUSES, "gov_destruction_status", nullable=False, index=True)
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict | None] = mapped_column(sa.JSON)
