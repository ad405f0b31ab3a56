"""Administration: agencies and user accounts. Every change is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..auth import services as auth
from ..core import audit, directory
from ..core.access import ROLES
from ..core.audit import AuditEvent
from ..core.models import Agency, User
from ..core.services import ServiceError, apply_changes, check_version
from ..core.types import utcnow
from ..extensions import db

AGENCY_FIELDS = ("code", "name", "kind", "is_active")


def create_agency(data: dict[str, Any]) -> Agency:
    if db.session.scalar(sa.select(Agency.id).where(Agency.code == data["code"])):
        raise ServiceError("An agency with this code already exists", field="code")
    agency = Agency(is_active=True)
    apply_changes(agency, data, AGENCY_FIELDS)
    db.session.add(agency)
    db.session.flush()
    audit.record("admin.agency_created", object_type="agency", object_id=agency.id)
    return agency


def update_agency(agency: Agency, data: dict[str, Any], version: int | None) -> list[str]:
    check_version(agency, version)
    clash = db.session.scalar(sa.select(Agency.id).where(Agency.code == data["code"], Agency.id != agency.id))
    if clash:
        raise ServiceError("An agency with this code already exists", field="code")
    changed = apply_changes(agency, data, AGENCY_FIELDS)
    if changed:
        db.session.flush()
        audit.record("admin.agency_updated", object_type="agency", object_id=agency.id, details={"fields": changed})
    if {"is_active", "kind"} & set(changed):
        # Deactivation removes access; a new kind changes what its staff may see. Either way
        # the agency's staff start again from a fresh sign-in.
        auth.end_agency_sessions(agency.id, "agency_changed")
    return changed


def create_user(
    *,
    email: str,
    display_name: str,
    agency_id: int,
    roles: set[str],
    password: str,
    must_change_password: bool = False,
) -> User:
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise ServiceError("A user with this email address already exists", field="email")
    if problem := auth.password_problem(password, email=email):
        raise ServiceError(problem, field="password")
    _check_roles(roles)
    _check_agency(agency_id)
    user = User(email=email, display_name=display_name, agency_id=agency_id, is_active=True, failed_logins=0)
    auth.set_password(user, password)
    user.must_change_password = must_change_password
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    audit.record("admin.user_created", object_type="user", object_id=user.id, details={"roles": sorted(roles)})
    return user


def update_user(
    user: User,
    *,
    actor: User,
    display_name: str,
    agency_id: int,
    roles: set[str],
    is_active: bool,
    version: int | None,
) -> list[str]:
    """Change a user's name, agency, roles or active state; role and agency changes are audited as
    permission changes, and deactivation ends every session at once."""
    check_version(user, version)
    if user.id == actor.id and (roles != user.roles or not is_active):
        raise ServiceError(
            "You cannot change your own roles or deactivate your own account: ask another administrator", "roles"
        )
    _check_roles(roles)
    _check_agency(agency_id)
    before_roles = user.roles
    changed = apply_changes(
        user,
        {"display_name": display_name, "agency_id": agency_id, "is_active": is_active},
        (
            "display_name",
            "agency_id",
            "is_active",
        ),
    )
    if roles != before_roles:
        user.set_roles(roles)
        changed.append("roles")
        audit.record(
            "admin.roles_changed",
            object_type="user",
            object_id=user.id,
            details={"added": sorted(roles - before_roles), "removed": sorted(before_roles - roles)},
        )
    if "agency_id" in changed:
        audit.record("admin.agency_changed", object_type="user", object_id=user.id, details={"agency_id": agency_id})
        auth.end_all_sessions(user, "agency_changed")
    if "is_active" in changed:
        audit.record(
            "admin.user_deactivated" if not is_active else "admin.user_reactivated",
            object_type="user",
            object_id=user.id,
        )
        if not is_active:
            auth.end_all_sessions(user, "deactivated")
    if changed:
        db.session.flush()
    return changed


# Resetting both factors of one account lets whoever did it sign in as that person.
PASSWORD_EVENTS = ("admin.user_created", "admin.password_reset")
MFA_EVENTS = ("admin.mfa_reset",)
TWO_PERSON_WINDOW = timedelta(hours=24)


def _require_second_administrator(actor: User, user: User, other_factor: tuple[str, ...]) -> None:
    """Two-person rule: one administrator may not reset both sign-in factors of an account
    within 24 hours; a second administrator must do the other one."""
    since = utcnow() - TWO_PERSON_WINDOW
    did_other = db.session.scalar(
        sa.select(
            sa.exists().where(
                AuditEvent.action.in_(other_factor),
                AuditEvent.object_type == "user",
                AuditEvent.object_id == str(user.id),
                AuditEvent.actor_user_id == actor.id,
                AuditEvent.at >= since,
            )
        )
    )
    if did_other:
        raise ServiceError(
            "You changed this account's other sign-in factor in the last 24 hours: "
            "another administrator must do this, so that no one person can take over an account."
        )


def reset_mfa(user: User, actor: User) -> None:
    _require_second_administrator(actor, user, PASSWORD_EVENTS)
    auth.reset_mfa(user)
    audit.record(
        "admin.mfa_reset",
        object_type="user",
        object_id=user.id,
        actor_user_id=actor.id,
        actor_agency_id=actor.agency_id,
    )


def unlock(user: User) -> None:
    auth.unlock(user)
    audit.record("admin.user_unlocked", object_type="user", object_id=user.id)


def _check_roles(roles: set[str]) -> None:
    """Known roles only; an administrator account holds no other role (least privilege:
    whoever manages accounts cannot also read casework or the audit log with them)."""
    unknown = roles - set(ROLES)
    if unknown:
        raise ServiceError("Unknown role", field="roles")
    if "admin" in roles and len(roles) > 1:
        raise ServiceError(
            "An administrator account cannot hold other roles: use a separate account for casework", "roles"
        )


def set_temporary_password(user: User, password: str, actor: User) -> None:
    """An administrator sets a password the user must change at next sign-in; all sessions end."""
    _require_second_administrator(actor, user, MFA_EVENTS)
    if problem := auth.password_problem(password, email=user.email):
        raise ServiceError(problem, field="password")
    auth.set_password(user, password)
    user.must_change_password = True
    auth.unlock(user)
    auth.end_all_sessions(user, "password_reset")
    audit.record(
        "admin.password_reset",
        object_type="user",
        object_id=user.id,
        actor_user_id=actor.id,
        actor_agency_id=actor.agency_id,
    )


def _check_agency(agency_id: int) -> None:
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.is_active:
        raise ServiceError("Choose an active agency", field="agency_id")


def users_page(page: int, per_page: int, *, agency_id: int | None = None):
    query = sa.select(User).order_by(User.display_name)
    if agency_id:
        query = query.where(User.agency_id == agency_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def agencies() -> list[Agency]:
    return directory.agencies()
