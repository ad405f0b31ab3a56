"""Core models shared by every module."""

from ..audit import AuditEvent, AuditPerson
from .accounts import AGENCY_KINDS, Agency, LoginAttempt, PendingSignIn, User, UserRole, UserSession
from .cases import PARTICIPANT_ROLES, Case, CaseAgency, CaseMember, CaseParticipant, ReferenceCounter
from .history import ChangeEvent
from .meetings import AgendaItem, Attendance, Meeting, MeetingAgency
from .people import Person, PersonSearchToken
from .work import Action, ActionUpdate, Plan, PlanItem, PlanReview

__all__ = [
    "AGENCY_KINDS",
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
    "PendingSignIn",
    "Person",
    "PersonSearchToken",
    "Plan",
    "PlanItem",
    "PlanReview",
    "ReferenceCounter",
    "User",
    "UserRole",
    "UserSession",
]
