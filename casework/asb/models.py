"""ASB tables, keyed to the shared Case and Person (domain-notes §5, DESIGN §6).

An ASB case is opened for a victim (or a household) and holds its incidents,
risk assessments, support plan (the shared Plan, kind ``support``), contacts and
the actions taken against perpetrators. Each victim's repeat status is kept on
one row per person (:class:`Victim`), updated when an incident naming them is
logged or corrected, so no list ever recounts every incident.

The incident type list is a table seeded by the migration and editable by the
partnership; the risk questionnaire lives in ``data/risk_questionnaire.json``.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import crypto
from ..core.models import Agency, Case, Person, User
from ..core.models.base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column
from ..core.models.people import CODE_SIZE
from ..core.types import EncryptedJSON, EncryptedText, UTCDateTime, utcnow
from ..extensions import db

# Home Office ASB categories (ASB, Crime and Policing Act 2014 guidance; domain-notes §5).
CATEGORIES = {"personal": "Personal", "nuisance": "Nuisance", "environmental": "Environmental"}
# Who an incident was reported to.
REPORTED_TO = {"police": "Police", "council": "Council", "housing": "Housing provider", "other": "Other"}
# Protected characteristics of hate-motivated incidents (the five monitored strands, plus other).
HATE_CHARACTERISTICS = {
    "race": "Race or ethnicity",
    "religion": "Religion or belief",
    "sexual_orientation": "Sexual orientation",
    "disability": "Disability",
    "transgender": "Transgender identity",
    "other": "Other",
}
RISK_BANDS = {"standard": "Standard", "medium": "Medium", "high": "High"}
CONTACT_METHODS = {
    "visit": "Home visit",
    "phone": "Phone",
    "office": "Office",
    "letter": "Letter or e-mail",
    "attempted": "Attempted, no contact",
}
# Powers in the ASB, Crime and Policing Act 2014 and the informal steps before them.
PERPETRATOR_ACTION_KINDS = {
    "warning_letter": "Warning letter",
    "abc": "Acceptable Behaviour Contract",
    "cpw": "Community Protection Warning",
    "cpn": "Community Protection Notice",
    "civil_injunction": "Civil injunction",
    "cbo": "Criminal Behaviour Order",
    "closure_notice": "Closure notice",
    "closure_order": "Closure order",
}
PERPETRATOR_ACTION_STATUSES = {
    "proposed": "Proposed",
    "applied": "Applied for",
    "active": "In force",
    "breached": "Breached",
    "expired": "Expired",
    "discharged": "Discharged or ended",
    "refused": "Refused",
    "withdrawn": "Withdrawn",
}


def address_index(address: str | None) -> bytes | None:
    """Blind index of a normalised address, to offer cases at the same address (never a range)."""
    if not address or not address.strip():
        return None
    return crypto.blind_index("asb.address", crypto.normalise_text(address))


# --- the partnership's own list --------------------------------------------------------------


class IncidentType(db.Model):
    """A type of ASB incident within a category (the "problem" a Case Review counts)."""

    __tablename__ = "asb_incident_type"

    code: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    category = enum_column(CATEGORIES, "asb_incident_type_category", nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


# --- the ASB case ----------------------------------------------------------------------------


class AsbCase(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """The ASB part of a case: the victim or household it is for, and its contact cadence.

    ``next_contact_due_on`` is kept in step with each contact and risk change, so the
    missed-contacts list reads one indexed column.
    """

    __tablename__ = "asb_case"
    __history__ = True
    __blind_indexes__ = {"bi_address": lambda c: address_index(c.address)}

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, unique=True)
    # The main victim; a household case lists its other members as case participants.
    victim_person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    is_household: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    address: Mapped[str | None] = mapped_column(EncryptedText("asb_case.address"))
    bi_address: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16), index=True)
    summary: Mapped[str | None] = mapped_column(EncryptedText("asb_case.summary"))
    risk_band = enum_column(RISK_BANDS, "asb_case_risk_band", nullable=True)
    contact_every_days: Mapped[int | None] = mapped_column(sa.Integer)
    last_contact_on: Mapped[date | None] = mapped_column(sa.Date)
    next_contact_due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)

    case: Mapped[Case] = relationship()
    victim: Mapped[Person] = relationship()


class Victim(TimestampMixin, VersionedMixin, db.Model):
    """A victim's repeat status and risk position (one row per person, across ASB cases).

    Kept incrementally: logging or correcting an incident recomputes only the
    people it names, from their own incidents (domain-notes §5: repeat victim = 3 or
    more incidents within a rolling 12 months, both settings). The victim is a
    repeat victim on every day from ``repeat_since`` to ``repeat_until`` inclusive,
    so the flag lapses with time without any recount.
    """

    __tablename__ = "asb_victim"
    __table_args__ = (sa.Index("ix_asb_victim_repeat", "repeat_until", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, unique=True)
    # The ASB case the victim's latest incident was logged on: where lists link to.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id", ondelete="SET NULL"), index=True)
    incident_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    first_incident_on: Mapped[date | None] = mapped_column(sa.Date)
    last_incident_on: Mapped[date | None] = mapped_column(sa.Date)
    repeat_since: Mapped[date | None] = mapped_column(sa.Date)
    repeat_until: Mapped[date | None] = mapped_column(sa.Date)
    risk_band = enum_column(RISK_BANDS, "asb_victim_risk_band", nullable=True)
    risk_assessed_on: Mapped[date | None] = mapped_column(sa.Date)
    reassess_due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)

    person: Mapped[Person] = relationship()
    case: Mapped[Case | None] = relationship()

    def is_repeat_on(self, day: date) -> bool:
        return (
            self.repeat_since is not None
            and self.repeat_until is not None
            and self.repeat_since <= day <= self.repeat_until
        )


# --- incidents -------------------------------------------------------------------------------


class IncidentGroup(db.Model):
    """Incidents reported to several agencies about the same event, linked as one (counted once)."""

    __tablename__ = "asb_incident_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class Incident(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """One reported incident of anti-social behaviour.

    ``occurred_on`` is the local date of ``occurred_at`` (the repeat window counts
    local days). A correction removes an incident by setting ``deleted_at`` with a
    reason: it stays for the audit trail and counts for nothing.
    """

    __tablename__ = "asb_incident"
    __history__ = True
    __blind_indexes__ = {"bi_location": lambda i: address_index(i.location)}
    __table_args__ = (
        sa.Index("ix_asb_incident_case_occurred", "case_id", "occurred_on"),
        sa.Index("ix_asb_incident_type_occurred", "type_code", "occurred_on"),
        sa.Index("ix_asb_incident_reported_on", "reported_on"),
        # The incident list: most recent first across every case (stops at a page).
        sa.Index("ix_asb_incident_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("asb_incident_group.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    occurred_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    # When the incident was first reported to any agency (a Case Review complaint date).
    reported_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    category = enum_column(CATEGORIES, "asb_incident_category", nullable=False)
    type_code: Mapped[str] = mapped_column(sa.ForeignKey("asb_incident_type.code"), nullable=False)
    location: Mapped[str | None] = mapped_column(EncryptedText("asb_incident.location"))
    bi_location: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16), index=True)
    description: Mapped[str] = mapped_column(EncryptedText("asb_incident.description"), nullable=False)
    # Hate-motivated: the flag is shown with the incident; the protected characteristic and
    # the details only to roles holding ``asb.hate.view``.
    is_hate: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    hate_characteristic: Mapped[str | None] = mapped_column(
        EncryptedText("asb_incident.hate_characteristic", fixed=CODE_SIZE)
    )
    hate_details: Mapped[str | None] = mapped_column(EncryptedText("asb_incident.hate_details"))
    perpetrator_unknown: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    deletion_reason: Mapped[str | None] = mapped_column(EncryptedText("asb_incident.deletion_reason"))

    case: Mapped[Case] = relationship()
    incident_type: Mapped[IncidentType] = relationship(lazy="joined")
    victims: Mapped[list[IncidentVictim]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentVictim.person_id"
    )
    perpetrators: Mapped[list[IncidentPerpetrator]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentPerpetrator.id"
    )
    reports: Mapped[list[IncidentReport]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentReport.reported_on"
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class IncidentVictim(db.Model):
    """A victim named on an incident. ``occurred_on`` and ``live`` are copied from the incident
    so one index answers "this victim's incidents in a window" (repeat status, Case Review)."""

    __tablename__ = "asb_incident_victim"
    __table_args__ = (sa.Index("ix_asb_incident_victim_person_on", "person_id", "live", "occurred_on"),)

    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("asb_incident.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), primary_key=True)
    occurred_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    # The incident's linked group, or its own id negated: linked reports count once.
    event_key: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    live: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    incident: Mapped[Incident] = relationship(back_populates="victims")
    person: Mapped[Person] = relationship()


class IncidentPerpetrator(RowBoundMixin, db.Model):
    """An alleged perpetrator: a person, or a description when not known ("unknown")."""

    __tablename__ = "asb_incident_perpetrator"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("asb_incident.id", ondelete="CASCADE"), nullable=False, index=True
    )
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    description: Mapped[str | None] = mapped_column(EncryptedText("asb_incident_perpetrator.description"))

    incident: Mapped[Incident] = relationship(back_populates="perpetrators")
    person: Mapped[Person | None] = relationship()


class IncidentReport(RowBoundMixin, db.Model):
    """How and to whom the incident was reported, with that agency's reference number."""

    __tablename__ = "asb_incident_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("asb_incident.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reported_to = enum_column(REPORTED_TO, "asb_incident_report_to", nullable=False)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    reported_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reference: Mapped[str | None] = mapped_column(EncryptedText("asb_incident_report.reference"))

    incident: Mapped[Incident] = relationship(back_populates="reports")
    agency: Mapped[Agency | None] = relationship()


# --- risk ------------------------------------------------------------------------------------


class RiskAssessment(RowBoundMixin, TimestampMixin, db.Model):
    """A scored victim risk assessment from the questionnaire data file (one row per assessment;
    the history is every row). Answers and breakdown are encrypted: they hold health and
    disability details, shown only to roles holding ``asb.health.view``."""

    __tablename__ = "asb_risk_assessment"
    __history__ = True
    __table_args__ = (sa.Index("ix_asb_risk_assessment_person_on", "person_id", "assessed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False)
    assessed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    tool: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    tool_version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    score: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    band = enum_column(RISK_BANDS, "asb_risk_assessment_band", nullable=False)
    answers: Mapped[dict] = mapped_column(EncryptedJSON("asb_risk_assessment.answers"), nullable=False)
    breakdown: Mapped[list] = mapped_column(EncryptedJSON("asb_risk_assessment.breakdown"), nullable=False)
    notes: Mapped[str | None] = mapped_column(EncryptedText("asb_risk_assessment.notes"))
    next_due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)

    assessed_by: Mapped[User | None] = relationship()


# --- contact and perpetrator actions ---------------------------------------------------------


class Contact(RowBoundMixin, db.Model):
    """A contact with the victim (or an attempt): what the contact cadence counts."""

    __tablename__ = "asb_contact"
    __table_args__ = (sa.Index("ix_asb_contact_case_on", "case_id", "contact_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    contact_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    method = enum_column(CONTACT_METHODS, "asb_contact_method", nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    notes: Mapped[str | None] = mapped_column(EncryptedText("asb_contact.notes"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    user: Mapped[User | None] = relationship()


class PerpetratorAction(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """A step taken against a perpetrator: warning letter to closure order, with its dates."""

    __tablename__ = "asb_perpetrator_action"
    __history__ = True
    __table_args__ = (sa.Index("ix_asb_perpetrator_action_expires", "status", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    kind = enum_column(PERPETRATOR_ACTION_KINDS, "asb_perpetrator_action_kind", nullable=False)
    status = enum_column(PERPETRATOR_ACTION_STATUSES, "asb_perpetrator_action_status", nullable=False)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False)
    issued_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    court_reference: Mapped[str | None] = mapped_column(EncryptedText("asb_perpetrator_action.court_reference"))
    terms: Mapped[str | None] = mapped_column(EncryptedText("asb_perpetrator_action.terms"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    person: Mapped[Person | None] = relationship()
    agency: Mapped[Agency] = relationship()
    breaches: Mapped[list[Breach]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="Breach.breached_on"
    )


class Breach(RowBoundMixin, db.Model):
    """A breach of a perpetrator action (an ABC, notice, injunction or order)."""

    __tablename__ = "asb_breach"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        sa.ForeignKey("asb_perpetrator_action.id", ondelete="CASCADE"), nullable=False, index=True
    )
    breached_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    details: Mapped[str | None] = mapped_column(EncryptedText("asb_breach.details"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    action: Mapped[PerpetratorAction] = relationship(back_populates="breaches")
