"""Core models shared by every module."""

from ..audit import AuditEvent, AuditPerson
from .accounts import AGENCY_KINDS, Agency, LoginAttempt, User, UserRole, UserSession
from .base import row_uid_column
from .cases import CASE_KINDS, PARTICIPANT_ROLES, Case, CaseAgency, CaseMember, CaseParticipant, ReferenceCounter
from .history import ChangeEvent
from .meetings import AgendaItem, Attendance, Meeting, MeetingAgency
from .people import Person
from .work import Action, ActionUpdate, Plan, PlanItem, PlanReview

if "row_uid" not in AgendaItem.__table__.c:
    # Agenda items hold encrypted minutes: their values are bound to the row like every other
    # model's (RowBoundMixin), declared here so the meetings module's definitions stay its own.
    AgendaItem.row_uid = row_uid_column()

__all__ = [
    "AGENCY_KINDS",
    "CASE_KINDS",
    "PARTICIPANT_ROLES",
    "Action",
    "ActionUpdate",
    "Agency",
    "AgendaItem",
    "Attendance",
    "AuditEvent",
    "AuditPerson",
    "Case",
    "CaseAgency",
    "CaseMember",
    "CaseParticipant",
    "ChangeEvent",
    "LoginAttempt",
    "Meeting",
    "MeetingAgency",
    "Person",
    "Plan",
    "PlanItem",
    "PlanReview",
    "ReferenceCounter",
    "User",
    "UserRole",
    "UserSession",
]
