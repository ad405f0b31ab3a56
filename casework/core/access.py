"""Roles, capabilities, view decorators and object-level policy (DESIGN §5).

Deny by default: every endpoint must declare its access with ``public``,
``authenticated`` or ``require(capability)``; one ``before_request`` sends
anything else to a 403 and anonymous users to the login page. Object checks
(agency scope, restricted cases, withheld fields) live here and are called
again by services, never only by templates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden, NotFound

from ..extensions import db
from . import audit
from .models import AgendaItem, Case, CaseAgency, CaseMember, CaseParticipant, MeetingAgency, Person, User

ROLES: dict[str, str] = {
    "admin": "System administrator",
    "marac_coordinator": "MARAC coordinator",
    "idva": "IDVA",
    "marac_rep": "MARAC agency representative",
    "iom_officer": "IOM officer",
    "iom_manager": "IOM manager",
    "asb_officer": "ASB officer",
    "analyst": "Analyst (aggregated reports only)",
    "dpo": "Data protection officer",
}

_PEOPLE = {"people.view", "people.create", "people.edit"}

CAPABILITIES: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin.agencies.manage", "admin.users.manage", "admin.keys.view"}),
    "marac_coordinator": frozenset(
        _PEOPLE
        | {
            "marac.case.view",
            "marac.case.view_all",
            "marac.case.edit",
            "marac.referral.create",
            "marac.referral.decide",
            "marac.dash.record",
            "marac.meeting.manage",
            "marac.agenda.generate",
            "marac.minutes.record",
            "marac.actions.view_all",
            "marac.actions.update",
            "marac.research.record",
            "marac.reports.view",
            "marac.agenda.full_names",
        }
    ),
    "idva": frozenset(
        _PEOPLE
        | {
            "marac.case.view",
            "marac.case.edit",
            "marac.referral.create",
            "marac.dash.record",
            "marac.idva.casework",
            "marac.research.record",
            "marac.actions.update",
            "marac.agenda.full_names",
        }
    ),
    "marac_rep": frozenset(
        _PEOPLE
        | {
            "marac.case.view",
            "marac.referral.create",
            "marac.dash.record",
            "marac.research.record",
            "marac.actions.update",
        }
    ),
    "iom_officer": frozenset(_PEOPLE | {"iom.case.view", "iom.case.edit", "iom.nominate"}),
    "iom_manager": frozenset(_PEOPLE | {"iom.case.view", "iom.case.view_all", "iom.case.edit", "iom.cohort.manage"}),
    "asb_officer": frozenset(_PEOPLE | {"asb.case.view", "asb.case.edit", "asb.incident.record"}),
    "analyst": frozenset({"reports.aggregate", "marac.reports.view"}),
    "dpo": frozenset({"governance.audit.view", "governance.sharing.view"}),
}

# Who may see a person's current address and safe contact details, by the kind of
# case they appear in and the viewer's agency kind. MARAC: IDVA service and police
# only (the address can put a victim in danger); the rest see that details are held.
CONTACT_DETAIL_AGENCY_KINDS: dict[str, frozenset[str]] = {
    "marac": frozenset({"idva_service", "police"}),
    "iom": frozenset({"police", "probation"}),
    "asb": frozenset({"council_asb", "police", "housing"}),
}

PUBLIC_ENDPOINTS = frozenset({"static"})
# All a user whose password was set by an administrator may do until they change it.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout"})


class AccessDenied(Exception):
    """An object-level check failed. ``hide`` answers 404 so existence does not leak."""

    def __init__(self, object_type: str, object_id: Any, *, hide: bool = True):
        super().__init__(f"{object_type} {object_id}")
        self.object_type = object_type
        self.object_id = object_id
        self.hide = hide


def capabilities_of(roles: set[str]) -> frozenset[str]:
    caps: set[str] = set()
    for role in roles:
        caps |= CAPABILITIES.get(role, frozenset())
    return frozenset(caps)


def has_capability(user: User, capability: str) -> bool:
    return user.is_active and user.agency.is_active and capability in capabilities_of(user.roles)


def all_capabilities() -> frozenset[str]:
    return capabilities_of(set(ROLES))


# --- view decorators ---------------------------------------------------------------


def _transactional(view: Callable) -> Callable:
    """Run the view, then commit once; roll back on any error (Indico's request pipeline)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            response = view(*args, **kwargs)
            db.session.commit()
            return response
        except StaleDataError:
            db.session.rollback()
            abort(409)
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def public(view: Callable) -> Callable:
    wrapped = _transactional(view)
    wrapped.access = "public"  # type: ignore[attr-defined]
    return wrapped


def authenticated(view: Callable) -> Callable:
    wrapped = _transactional(view)
    wrapped.access = "authenticated"  # type: ignore[attr-defined]
    return wrapped


def require(capability: str) -> Callable[[Callable], Callable]:
    if capability not in all_capabilities():
        raise ValueError(f"unknown capability {capability!r}")

    def decorator(view: Callable) -> Callable:
        inner = _transactional(view)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.can(capability):
                audit.record_denial("access.denied", object_type="endpoint", object_id=request.endpoint)
                abort(403)
            return inner(*args, **kwargs)

        wrapper.access = "capability"  # type: ignore[attr-defined]
        wrapper.capability = capability  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _enforce_access() -> Any:
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None
    view = current_app.view_functions.get(endpoint)
    access = getattr(view, "access", None)
    if access is None:
        # A view without an access declaration is a programming error: fail closed.
        abort(403)
    if access == "public":
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=_safe_next()))
    if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("auth.change_password"))
    return None


def _safe_next() -> str | None:
    path = request.full_path if request.query_string else request.path
    if request.method != "GET" or not path.startswith("/") or path.startswith("//"):
        return None
    return path


def _handle_denied(exc: AccessDenied):
    audit.record_denial("access.denied", object_type=exc.object_type, object_id=exc.object_id)
    # An error handler must not raise: Flask would turn abort() here into a 500. Hand the
    # HTTP error to its own handler instead, so the user gets the 404/403 page.
    return current_app.handle_http_exception(NotFound() if exc.hide else Forbidden())


def init_app(app: Flask) -> None:
    app.before_request(_enforce_access)
    app.register_error_handler(AccessDenied, _handle_denied)


# --- object-level policy ------------------------------------------------------------


def case_kinds_viewable(user: User) -> tuple[list[str], list[str]]:
    """(kinds the user sees in full, kinds the user sees within agency scope)."""
    from .models import CASE_KINDS

    full = [k for k in CASE_KINDS if user.can(f"{k}.case.view_all")]
    scoped = [k for k in CASE_KINDS if user.can(f"{k}.case.view") and k not in full]
    return full, scoped


def can_view_case(user: User, case: Case) -> bool:
    if not user.is_authenticated or not user.can(f"{case.kind}.case.view"):
        return False
    if case.is_restricted:
        return user.id in case.member_ids
    if user.can(f"{case.kind}.case.view_all"):
        return True
    if user.agency_id in case.agency_ids:
        return True
    return bool(db.session.scalar(sa.select(_listed_for_agency(case.id, user.agency_id))))


def _listed_for_agency(case_id, agency_id: int) -> sa.Exists:
    """The case is on a meeting's agenda (not removed) and the agency is on that meeting's
    distribution list. Worked out live, so taking an agency off the list, or the case off
    the agenda, takes the access away again."""
    return sa.exists().where(
        AgendaItem.case_id == case_id,
        AgendaItem.removed_reason.is_(None),
        MeetingAgency.meeting_id == AgendaItem.meeting_id,
        MeetingAgency.agency_id == agency_id,
    )


def can_edit_case(user: User, case: Case) -> bool:
    return can_view_case(user, case) and user.can(f"{case.kind}.case.edit")


def visible_case_clause(user: User, *, via_meetings: bool = True) -> sa.ColumnElement[bool]:
    """SQL condition matching exactly the cases ``can_view_case`` allows.

    ``via_meetings=False`` leaves out access that comes only from a meeting's agenda:
    that access is for researching the listed case, not for acting on the people in it.
    """
    full, scoped = case_kinds_viewable(user)
    if not full and not scoped:
        return sa.false()
    routes = [
        Case.lead_agency_id == user.agency_id,
        sa.exists().where(CaseAgency.case_id == Case.id, CaseAgency.agency_id == user.agency_id),
    ]
    if via_meetings:
        routes.append(_listed_for_agency(Case.id, user.agency_id))
    in_agency = sa.or_(*routes)
    is_member = sa.exists().where(CaseMember.case_id == Case.id, CaseMember.user_id == user.id)
    open_rule = sa.or_(Case.kind.in_(full), sa.and_(Case.kind.in_(scoped), in_agency))
    return sa.or_(
        sa.and_(Case.is_restricted.is_(False), open_rule),
        sa.and_(Case.is_restricted.is_(True), Case.kind.in_(full + scoped), is_member),
    )


def visible_person_clause(user: User, *, via_meetings: bool = True) -> sa.ColumnElement[bool]:
    """People the user may see: those in a case the user can see, and their own
    agency's records that are in no case yet. ``via_meetings=False``: the people
    the user may act on (edit, refer, link), which a meeting listing alone does not give."""
    if not user.can("people.view"):
        return sa.false()
    in_visible_case = sa.exists().where(
        CaseParticipant.person_id == Person.id,
        CaseParticipant.case_id == Case.id,
        visible_case_clause(user, via_meetings=via_meetings),
    )
    in_any_case = sa.exists().where(CaseParticipant.person_id == Person.id)
    own_unlinked = sa.and_(Person.created_by_agency_id == user.agency_id, sa.not_(in_any_case))
    return sa.or_(in_visible_case, own_unlinked)


def can_view_person(user: User, person: Person) -> bool:
    if not user.is_authenticated:
        return False
    clause = visible_person_clause(user)
    return bool(db.session.scalar(sa.select(sa.exists().where(Person.id == person.id, clause))))


def can_act_on_person(user: User, person: Person) -> bool:
    """Edit a person, refer them or link them into a new case: not on meeting access alone."""
    if not user.is_authenticated:
        return False
    clause = visible_person_clause(user, via_meetings=False)
    return bool(db.session.scalar(sa.select(sa.exists().where(Person.id == person.id, clause))))


def can_see_contact_details(user: User, person: Person) -> bool:
    """Address and phone. A person in no case: the agency that recorded them. A person in
    cases: only agency kinds allowed for every kind of case they appear in (so a MARAC
    victim's address goes to the IDVA service and police alone), on a case the user can see."""
    kinds = set(
        db.session.scalars(
            sa.select(Case.kind)
            .join(CaseParticipant, CaseParticipant.case_id == Case.id)
            .where(CaseParticipant.person_id == person.id)
        )
    )
    if not kinds:
        return person.created_by_agency_id == user.agency_id
    agency_kind = user.agency.kind
    if not all(agency_kind in CONTACT_DETAIL_AGENCY_KINDS.get(k, frozenset()) for k in kinds):
        return False
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    CaseParticipant.person_id == person.id,
                    CaseParticipant.case_id == Case.id,
                    visible_case_clause(user),
                )
            )
        )
    )
