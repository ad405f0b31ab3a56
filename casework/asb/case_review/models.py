"""ASB Case Review (formerly the Community Trigger) tables, keyed to an ASB case.

ASB, Crime and Policing Act 2014 ss104-105 and Sch 4 (domain-notes §5): a victim, or
someone acting with the victim's consent, applies for a review of the response to
persistent ASB. The relevant bodies check the threshold, and if it is met hold a
review meeting that may make recommendations; an applicant who is dissatisfied may
appeal. The complaints relied on are incidents recorded on the ASB case.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.models import Case, Meeting, Person, User
from ...core.models.base import RowBoundMixin, TimestampMixin, VersionedMixin, enum_column
from ...core.types import EncryptedText, UTCDateTime, utcnow
from ...extensions import db

APPLICANT_KINDS = {
    "victim": "The victim",
    "on_behalf": "Someone acting on the victim's behalf, with consent",
    "business": "A business",
    "community": "A community group",
}
INVOLVEMENT = {
    "attend": "Attend the review meeting",
    "views": "Give their views for the meeting (in writing or through the single point of contact)",
    "outcome_only": "Be told the outcome only",
}
THRESHOLD_DECISIONS = {"met": "Threshold met", "not_met": "Threshold not met"}
OUTCOMES = {"recommendations": "Recommendations made", "no_recommendations": "No recommendations"}
APPEAL_OUTCOMES = {"upheld": "Appeal upheld: the review is looked at again", "not_upheld": "Appeal not upheld"}


class CaseReview(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    """One Case Review application and everything decided on it."""

    __tablename__ = "asb_case_review"
    __history__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    # The application
    received_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    applicant_kind = enum_column(APPLICANT_KINDS, "asb_case_review_applicant_kind", nullable=False)
    applicant_name: Mapped[str] = mapped_column(EncryptedText("asb_case_review.applicant_name"), nullable=False)
    applicant_contact: Mapped[str | None] = mapped_column(EncryptedText("asb_case_review.applicant_contact"))
    # The victim the application is about (the applicant, or the person they act for).
    victim_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    consent_given: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    consent_on: Mapped[date | None] = mapped_column(sa.Date)
    involvement = enum_column(INVOLVEMENT, "asb_case_review_involvement", nullable=False)
    # The applicant's single point of contact: an officer of the partnership.
    spoc_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    summary: Mapped[str | None] = mapped_column(EncryptedText("asb_case_review.summary"))
    # Acknowledgement and threshold decision
    acknowledged_on: Mapped[date | None] = mapped_column(sa.Date)
    threshold_decision = enum_column(THRESHOLD_DECISIONS, "asb_case_review_threshold", nullable=True)
    threshold_decided_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    threshold_reasons: Mapped[str | None] = mapped_column(EncryptedText("asb_case_review.threshold_reasons"))
    # Qualifying complaints counted when the decision was made (the check at that moment).
    threshold_count: Mapped[int | None] = mapped_column(sa.Integer)
    # The review meeting (a shared Meeting of the ASB kind), its outcome and recommendations
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id"), index=True)
    outcome = enum_column(OUTCOMES, "asb_case_review_outcome", nullable=True)
    outcome_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    outcome_summary: Mapped[str | None] = mapped_column(EncryptedText("asb_case_review.outcome_summary"))
    # Appeal by a dissatisfied applicant
    appeal_received_on: Mapped[date | None] = mapped_column(sa.Date)
    appeal_grounds: Mapped[str | None] = mapped_column(EncryptedText("asb_case_review.appeal_grounds"))
    appeal_outcome = enum_column(APPEAL_OUTCOMES, "asb_case_review_appeal_outcome", nullable=True)
    appeal_decided_on: Mapped[date | None] = mapped_column(sa.Date)
    appeal_notes: Mapped[str | None] = mapped_column(EncryptedText("asb_case_review.appeal_notes"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    case: Mapped[Case] = relationship()
    victim: Mapped[Person | None] = relationship()
    spoc: Mapped[User | None] = relationship(foreign_keys=[spoc_user_id])
    meeting: Mapped[Meeting | None] = relationship()
    complaints: Mapped[list[CaseReviewComplaint]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="CaseReviewComplaint.incident_id"
    )

    @property
    def incident_ids(self) -> list[int]:
        return [c.incident_id for c in self.complaints]

    @property
    def is_finished(self) -> bool:
        """Nothing more to do: the threshold was not met, or the outcome is recorded (and any appeal answered)."""
        if self.appeal_received_on is not None and self.appeal_decided_on is None:
            return False
        return self.threshold_decision == "not_met" or self.outcome is not None


class CaseReviewComplaint(db.Model):
    """A complaint the application relies on: an incident recorded on the ASB case."""

    __tablename__ = "asb_case_review_complaint"

    review_id: Mapped[int] = mapped_column(sa.ForeignKey("asb_case_review.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("asb_incident.id"), primary_key=True, index=True)

    review: Mapped[CaseReview] = relationship(back_populates="complaints")


class CaseReviewExplained(RowBoundMixin, db.Model):
    """The officer told the victim about the ASB Case Review (2025 statutory guidance:
    at the victim's second report within 6 months)."""

    __tablename__ = "asb_case_review_explained"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), nullable=False, index=True)
    explained_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    how: Mapped[str | None] = mapped_column(EncryptedText("asb_case_review_explained.how"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    recorded_by: Mapped[User | None] = relationship()
