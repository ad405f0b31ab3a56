"""IOM tables, keyed to the shared Case and Person (domain-notes §4).

One IOM case per offender: it holds every nomination, every spell on the cohort
(start, end, strand, category, lead officer), tier and supervision history,
pathways, contacts and the offending record. The lists a partnership sets for
itself (offence categories with gravity, neighbourhood-crime flag and unit cost;
the selection scoring matrix; strands; tier labels; pathways) are rows seeded by
the migration and editable, not constants in code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Agency, Case, Person, User
from ..core.models.base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column
from ..core.types import EncryptedJSON, EncryptedText, UTCDateTime, utcnow
from ..extensions import db

OFFENCE_KINDS = {"arrest": "Arrest", "charge": "Charge", "conviction": "Conviction"}
CATEGORIES = {"ppo": "Prolific and priority offender (PPO)", "repeat": "Repeat offender", "other": "Other"}
NOMINATION_STATUSES = {"open": "Awaiting panel", "adopted": "Adopted", "rejected": "Not adopted"}
DESELECTION_REASONS = {
    "desistance": "Sustained desistance",
    "long_custody": "Long custodial sentence",
    "moved_out": "Moved out of area",
    "transferred": "Transferred to other supervision",
    "deceased": "Deceased",
    "other": "Other",
}
SUPERVISION_STATUSES = {
    "licence": "On licence",
    "community_order": "Community order",
    "pss": "Post-sentence supervision",
    "unsupervised": "Unsupervised",
    "custody": "In custody",
}
NEED_LEVELS = {"none": "None", "low": "Low", "medium": "Medium", "high": "High"}
RAG = {"red": "Red", "amber": "Amber", "green": "Green"}
CONTACT_TYPES = {
    "home_visit": "Home visit",
    "office": "Office appointment",
    "phone": "Phone",
    "joint_visit": "Joint visit",
    "missed": "Missed appointment",
}
CONTACT_OUTCOMES = {
    "engaged": "Engaged",
    "partly_engaged": "Partly engaged",
    "not_engaged": "Did not engage",
    "no_contact": "No contact made",
}
SCORE_FACTORS = {"recency": "Recency", "frequency": "Frequency", "gravity": "Gravity"}


# --- the partnership's own lists -------------------------------------------------------------


class OffenceCategory(TimestampMixin, VersionedMixin, db.Model):
    """An offence category with its gravity score, neighbourhood-crime flag and unit cost.

    Unit costs are example values (labelled with their source year) for the
    partnership to replace with its own.
    """

    __tablename__ = "iom_offence_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), nullable=False, unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    gravity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    neighbourhood: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    unit_cost: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), nullable=False, default=0)
    cost_source: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class ScoreFactor(db.Model):
    """One factor of the recency-frequency-gravity selection matrix: its weight and look-back."""

    __tablename__ = "iom_score_factor"

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    weight: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # Frequency and gravity look at convictions in this many months before the scoring date.
    lookback_months: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=24)
    bands: Mapped[list[ScoreBand]] = relationship(order_by="ScoreBand.low", lazy="selectin")


class ScoreBand(db.Model):
    """Points for a factor's measured value in [low, high] (high open-ended when null)."""

    __tablename__ = "iom_score_band"

    id: Mapped[int] = mapped_column(primary_key=True)
    factor_code: Mapped[str] = mapped_column(sa.ForeignKey("iom_score_factor.code"), nullable=False, index=True)
    low: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    high: Mapped[int | None] = mapped_column(sa.Integer)
    points: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class Strand(db.Model):
    """Fixed / Flex / Free, with the description each partnership writes."""

    __tablename__ = "iom_strand"

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    sort_order: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class TierLabel(db.Model):
    """A management tier / RAG label (default red, amber, green)."""

    __tablename__ = "iom_tier"

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    sort_order: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class Pathway(db.Model):
    """A resettlement pathway. ``sensitive``: its details (health, drugs and alcohol) are shown
    only to roles holding ``iom.pathway.sensitive``. The two women's pathways start disabled."""

    __tablename__ = "iom_pathway"

    code: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    is_enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    is_womens: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    sensitive: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    sort_order: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


# --- the offender's record -------------------------------------------------------------------


class Offender(TimestampMixin, VersionedMixin, db.Model):
    """The offender's current IOM position (one per IOM case and per person): what the cohort
    list filters on. Every change is also kept as history in the tables below."""

    __tablename__ = "iom_offender"
    __history__ = True
    # The cohort list walks offenders on (or off) the cohort newest first and stops at a page.
    __table_args__ = (sa.Index("ix_iom_offender_cohort", "on_cohort", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, unique=True)
    on_cohort: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    strand: Mapped[str | None] = mapped_column(sa.ForeignKey("iom_strand.code"))
    category = enum_column(CATEGORIES, "iom_offender_category", nullable=True)
    tier: Mapped[str | None] = mapped_column(sa.ForeignKey("iom_tier.code"), index=True)
    supervision = enum_column(SUPERVISION_STATUSES, "iom_offender_supervision", nullable=True, index=True)
    expected_release_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    lead_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)

    case: Mapped[Case] = relationship()
    person: Mapped[Person] = relationship()
    lead_user: Mapped[User | None] = relationship()


class Offence(RowBoundMixin, TimestampMixin, db.Model):
    """An arrest, charge or conviction on the offender's record (entered by hand or imported)."""

    __tablename__ = "iom_offence"
    __history__ = True
    __table_args__ = (sa.Index("ix_iom_offence_person_kind_on", "person_id", "kind", "offence_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False)
    kind = enum_column(OFFENCE_KINDS, "iom_offence_kind", nullable=False)
    offence_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("iom_offence_category.id"), nullable=False)
    outcome: Mapped[str | None] = mapped_column(EncryptedText("iom_offence.outcome"))
    source_ref: Mapped[str | None] = mapped_column(EncryptedText("iom_offence.source_ref"))
    # Police and probation notes: shown only to roles holding ``iom.offending.notes``.
    notes: Mapped[str | None] = mapped_column(EncryptedText("iom_offence.notes"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    category: Mapped[OffenceCategory] = relationship(lazy="joined")


class Nomination(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """A partner's nomination of a person to the cohort, decided at the panel."""

    __tablename__ = "iom_nomination"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    nominated_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    nominating_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False)
    nominated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reasons: Mapped[str] = mapped_column(EncryptedText("iom_nomination.reasons"), nullable=False)
    proposed_strand: Mapped[str] = mapped_column(sa.ForeignKey("iom_strand.code"), nullable=False)
    category = enum_column(CATEGORIES, "iom_nomination_category", nullable=False)
    ogrs: Mapped[int | None] = mapped_column(sa.Integer)
    rsr: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    score: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # The matrix breakdown at nomination (factor, value, points, weight): derived from the
    # offending record, so encrypted like it.
    score_breakdown: Mapped[dict | None] = mapped_column(EncryptedJSON("iom_nomination.score_breakdown"))
    status = enum_column(NOMINATION_STATUSES, "iom_nomination_status", nullable=False, default="open", index=True)
    decided_on: Mapped[date | None] = mapped_column(sa.Date)
    decision_reason: Mapped[str | None] = mapped_column(EncryptedText("iom_nomination.decision_reason"))
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id"))

    case: Mapped[Case] = relationship()
    nominating_agency: Mapped[Agency] = relationship()


class Spell(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """One spell on the cohort, from adoption to deselection (open-ended while on the cohort)."""

    __tablename__ = "iom_spell"
    __history__ = True
    __table_args__ = (sa.Index("ix_iom_spell_dates", "start_on", "end_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    nomination_id: Mapped[int | None] = mapped_column(sa.ForeignKey("iom_nomination.id"))
    start_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    end_on: Mapped[date | None] = mapped_column(sa.Date)
    strand: Mapped[str] = mapped_column(sa.ForeignKey("iom_strand.code"), nullable=False)
    category = enum_column(CATEGORIES, "iom_spell_category", nullable=False)
    lead_user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=False)
    lead_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False)
    deselection_reason = enum_column(DESELECTION_REASONS, "iom_deselection_reason", nullable=True)
    deselection_note: Mapped[str | None] = mapped_column(EncryptedText("iom_spell.deselection_note"))
    exit_plan: Mapped[str | None] = mapped_column(EncryptedText("iom_spell.exit_plan"))

    lead_user: Mapped[User] = relationship(foreign_keys=[lead_user_id])
    lead_agency: Mapped[Agency] = relationship()


class TierChange(RowBoundMixin, db.Model):
    """A change of management tier, with the reason for it."""

    __tablename__ = "iom_tier_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    tier: Mapped[str] = mapped_column(sa.ForeignKey("iom_tier.code"), nullable=False)
    changed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reason: Mapped[str] = mapped_column(EncryptedText("iom_tier_change.reason"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SupervisionChange(RowBoundMixin, db.Model):
    """Supervision or custody status from a date (with the expected release date in custody)."""

    __tablename__ = "iom_supervision_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    status = enum_column(SUPERVISION_STATUSES, "iom_supervision_status", nullable=False)
    from_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    expected_release_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(EncryptedText("iom_supervision_change.note"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class PathwayNeed(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """The offender's current need on one pathway; every change is kept in PathwayChange."""

    __tablename__ = "iom_pathway_need"
    __history__ = True
    __table_args__ = (
        sa.UniqueConstraint("case_id", "pathway_code", name="uq_iom_pathway_need_case_pathway"),
        sa.Index("ix_iom_pathway_need_pathway_need", "pathway_code", "need"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False)
    pathway_code: Mapped[str] = mapped_column(sa.ForeignKey("iom_pathway.code"), nullable=False)
    need = enum_column(NEED_LEVELS, "iom_pathway_need_level", nullable=False)
    rag = enum_column(RAG, "iom_pathway_rag", nullable=False)
    owner_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    review_due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    details: Mapped[str | None] = mapped_column(EncryptedText("iom_pathway_need.details"))
    assessed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    case: Mapped[Case] = relationship()
    pathway: Mapped[Pathway] = relationship(lazy="joined")
    owner_agency: Mapped[Agency | None] = relationship()


class PathwayChange(db.Model):
    """History of a pathway's need and RAG (codes and dates only; details stay on the need)."""

    __tablename__ = "iom_pathway_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    pathway_code: Mapped[str] = mapped_column(sa.ForeignKey("iom_pathway.code"), nullable=False)
    need = enum_column(NEED_LEVELS, "iom_pathway_change_need", nullable=False)
    rag = enum_column(RAG, "iom_pathway_change_rag", nullable=False)
    changed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class Contact(RowBoundMixin, db.Model):
    """A contact with the offender (or a missed appointment)."""

    __tablename__ = "iom_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    contact_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    contact_type = enum_column(CONTACT_TYPES, "iom_contact_type", nullable=False)
    outcome = enum_column(CONTACT_OUTCOMES, "iom_contact_outcome", nullable=False)
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), nullable=False)
    notes: Mapped[str | None] = mapped_column(EncryptedText("iom_contact.notes"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    officer: Mapped[User | None] = relationship()
    agency: Mapped[Agency] = relationship()
