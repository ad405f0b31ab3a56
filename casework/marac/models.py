"""MARAC tables, keyed to the shared Case, Person, Meeting and AgendaItem."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Agency, AgendaItem, Case, Person, User
from ..core.models.base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column
from ..core.types import EncryptedJSON, EncryptedText, UTCDateTime, utcnow
from ..extensions import db

RISK_LEVELS = {"standard": "Standard", "medium": "Medium", "high": "High"}
LEVEL_ORDER = {"standard": 0, "medium": 1, "high": 2}
YES_NO = {"yes": "Yes", "no": "No"}
CONTACT_METHODS = {
    "phone": "Phone",
    "in_person": "In person",
    "text": "Text message",
    "email": "Email",
    "letter": "Letter",
}
CONTACT_OUTCOMES = {
    "spoke": "Spoke to the victim",
    "no_answer": "No answer",
    "unsafe": "Not safe to talk",
    "message_left": "Safe message left",
    "declined": "Victim declined support",
}


class DashAssessment(RowBoundMixin, TimestampMixin, db.Model):
    """A completed risk identification checklist: a live record, redone when circumstances change."""

    __tablename__ = "marac_dash"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"), index=True)
    tool: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    tool_version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    completed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assessor_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    # {factor code: {"answer": "yes"|"no"|"not_known", "note": str}}
    answers: Mapped[dict] = mapped_column(EncryptedJSON("marac_dash.answers"), nullable=False)
    score: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    score_level = enum_column(RISK_LEVELS, "dash_score_level", nullable=False)
    judgement_level = enum_column(RISK_LEVELS, "dash_judgement_level", nullable=True)
    judgement_reason: Mapped[str | None] = mapped_column(EncryptedText("marac_dash.judgement_reason"))
    final_level = enum_column(RISK_LEVELS, "dash_final_level", nullable=False)

    person: Mapped[Person] = relationship()
    assessor: Mapped[User | None] = relationship()
    assessor_agency: Mapped[Agency | None] = relationship()


class Referral(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """The MARAC part of a case: one referral, heard at one or more meetings."""

    __tablename__ = "marac_referral"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, unique=True)
    victim_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    referral_date: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    incident_date: Mapped[date | None] = mapped_column(sa.Date)
    referring_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False, index=True)
    referrer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    referrer_name: Mapped[str] = mapped_column(EncryptedText("marac_referral.referrer_name"), nullable=False)
    referrer_phone: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.referrer_phone"))
    referrer_email: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.referrer_email"))
    dash_id: Mapped[int | None] = mapped_column(sa.ForeignKey("marac_dash.id"))
    # The four SafeLives referral criteria.
    crit_visible_high_risk: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    crit_professional_judgement: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    judgement_reason: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.judgement_reason"))
    crit_escalation: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    incidents_12_months: Mapped[int | None] = mapped_column(sa.Integer)
    crit_repeat: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Repeat: proposed by the system (or claimed by the referrer), then confirmed or rejected
    # by the coordinator: None = awaiting the coordinator, True = confirmed, False = rejected.
    repeat_of_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"))
    repeat_confirmed: Mapped[bool | None] = mapped_column(sa.Boolean)
    repeat_reject_reason: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.repeat_reject_reason"))
    previous_marac_date: Mapped[date | None] = mapped_column(sa.Date)
    previous_reference: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.previous_reference"))
    victim_aware = enum_column(YES_NO, "referral_victim_aware", nullable=False)
    consent = enum_column(YES_NO, "referral_consent", nullable=False)
    consent_override_reason: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.consent_override"))
    victim_fears: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.victim_fears"))
    safe_to_call: Mapped[bool | None] = mapped_column(sa.Boolean)
    safe_contact: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.safe_contact"))
    summary: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.summary"))
    # Transfer in from another MARAC area.
    transfer_in: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Areas a victim moved from or to can locate them: encrypted.
    transfer_from_area: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.transfer_from_area"))
    transfer_in_date: Mapped[date | None] = mapped_column(sa.Date)
    transfer_previous_ref: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.transfer_previous_ref"))
    # Transfer out to another MARAC area.
    transfer_out_date: Mapped[date | None] = mapped_column(sa.Date)
    transfer_out_area: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.transfer_out_area"))
    transfer_out_sent: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.transfer_out_sent"))
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText("marac_referral.decline_reason"))
    idva_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    victim: Mapped[Person] = relationship(foreign_keys=[victim_id])
    referring_agency: Mapped[Agency] = relationship()
    dash: Mapped[DashAssessment | None] = relationship()
    idva: Mapped[User | None] = relationship(foreign_keys=[idva_user_id])
    repeat_of: Mapped[Case | None] = relationship(foreign_keys=[repeat_of_case_id])

    @property
    def status(self) -> str:
        """The referral's status is its case's: one lifecycle (core/cases.py), never two that drift."""
        return self.case.status

    @property
    def criteria(self) -> list[str]:
        out = []
        if self.crit_visible_high_risk:
            out.append("Visible high risk")
        if self.crit_professional_judgement:
            out.append("Professional judgement")
        if self.crit_escalation:
            out.append(f"Potential escalation ({self.incidents_12_months} incidents in 12 months)")
        if self.crit_repeat:
            out.append("Repeat" if self.repeat_confirmed else "Repeat (to be confirmed)")
        return out

    @property
    def is_repeat(self) -> bool:
        """A repeat case: only once the coordinator has confirmed it.

        Detection only proposes (SafeLives, "Definition of a repeat Marac case";
        domain-notes §2-§3): an unconfirmed or rejected proposal is not a repeat, on
        the agenda or in the quarterly return.
        """
        return bool(self.crit_repeat and self.repeat_confirmed is True)

    @property
    def repeat_to_confirm(self) -> bool:
        """Proposed or claimed as a repeat, awaiting the coordinator's decision."""
        return bool(self.crit_repeat and self.repeat_confirmed is None)

    @classmethod
    def repeat_clause(cls) -> sa.ColumnElement[bool]:
        """``is_repeat`` in SQL, for counting in the database: confirmed repeats only."""
        return sa.and_(cls.crit_repeat.is_(True), cls.repeat_confirmed.is_(True))


class ResearchResponse(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """One agency's research on one listed case before the meeting."""

    __tablename__ = "marac_research"
    __table_args__ = (sa.UniqueConstraint("agenda_item_id", "agency_id", name="uq_marac_research_item_agency"),)
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_item.id", ondelete="CASCADE"), nullable=False, index=True
    )
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    no_trace: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    findings: Mapped[str | None] = mapped_column(EncryptedText("marac_research.findings"))
    risks: Mapped[str | None] = mapped_column(EncryptedText("marac_research.risks"))
    withheld: Mapped[str | None] = mapped_column(EncryptedText("marac_research.withheld"))

    agenda_item: Mapped[AgendaItem] = relationship()
    agency: Mapped[Agency] = relationship()
    user: Mapped[User | None] = relationship()


class ContactLog(RowBoundMixin, db.Model):
    """An IDVA's contact with the victim. Only the IDVA contacts the victim (SafeLives)."""

    __tablename__ = "marac_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    contact_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    method = enum_column(CONTACT_METHODS, "contact_method", nullable=False)
    outcome = enum_column(CONTACT_OUTCOMES, "contact_outcome", nullable=False)
    notes: Mapped[str | None] = mapped_column(EncryptedText("marac_contact.notes"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    user: Mapped[User | None] = relationship()


# The people a distribution-list agency researches, and the identifiers it may be shown.
DISCLOSURE_ROLES = {"victim": "Victim", "perpetrator": "Perpetrator", "child": "Children"}
DISCLOSURE_FIELDS = {
    "name": "Name",
    "aliases": "Aliases",
    "dob": "Date of birth",
    "address": "Address",
}


class DisclosureRule(TimestampMixin, VersionedMixin, db.Model):
    """What agencies of one kind see of the victim, perpetrators and children of the cases
    they research (issue: one disclosure policy). One row per agency kind, edited by an
    administrator; a kind with no row follows ``disclosure.default_rule``."""

    __tablename__ = "marac_disclosure_rule"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_kind: Mapped[str] = mapped_column(sa.String(40), nullable=False, unique=True)
    victim_name: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    victim_aliases: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    victim_dob: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    victim_address: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    perpetrator_name: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    perpetrator_aliases: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    perpetrator_dob: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    perpetrator_address: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    child_name: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    child_aliases: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    child_dob: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    child_address: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


class AddressRelease(RowBoundMixin, db.Model):
    """The coordinator's release of a victim's address, for research on one case, to every
    agency that may open the case. Withdrawn by setting ``withdrawn_at``; rows are kept."""

    __tablename__ = "marac_address_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(EncryptedText("marac_address_release.reason"), nullable=False)
    released_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    released_by: Mapped[User] = relationship(foreign_keys=[released_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
