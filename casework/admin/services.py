"""Administration: agencies and user accounts. Every change is audited; giving roles and
resetting sign-in factors need a second, independent administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..auth import services as auth
from ..core import audit, directory
from ..core.access import ROLES
from ..core.models import Agency, User
from ..core.pagination import paginate
from ..core.services import ServiceError, apply_changes, check_version
from ..core.types import utcnow
from ..extensions import db
from .models import REQUEST_KINDS, AccountChange, AdminRequest

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
    """Create an account holding ``roles`` at once.

    For the operator only (``flask create-user`` on the server, demo data): in the
    application an administrator calls ``create_account``, whose roles wait for a second
    administrator's approval.
    """
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


def create_account(
    actor: User,
    *,
    email: str,
    display_name: str,
    agency_id: int,
    roles: set[str],
    password: str,
) -> tuple[User, AdminRequest | None]:
    """An administrator creates an account without roles; the roles asked for become a request
    that another administrator must approve. The administrator is recorded as the account's
    creator, so the new account can never approve their requests."""
    _check_roles(roles)
    user = create_user(
        email=email,
        display_name=display_name,
        agency_id=agency_id,
        roles=set(),
        password=password,
        must_change_password=True,
    )
    _note_change(actor, user, "created")
    request = request_roles(actor, user, roles) if roles else None
    return user, request


def update_user(
    user: User,
    *,
    actor: User,
    display_name: str,
    agency_id: int,
    roles: set[str],
    is_active: bool,
    version: int | None,
) -> tuple[list[str], AdminRequest | None]:
    """Change a user's name, agency, roles or active state.

    Removing roles takes effect at once; added roles become a request another administrator
    must approve (returned). Role and agency changes are audited as permission changes, and
    deactivation ends every session at once.
    """
    check_version(user, version)
    if user.id == actor.id and (roles != user.roles or not is_active):
        raise ServiceError(
            "You cannot change your own roles or deactivate your own account: ask another administrator", "roles"
        )
    _check_roles(roles)
    _check_agency(agency_id)
    before_roles = user.roles
    added, removed = roles - before_roles, before_roles - roles
    if added:
        _check_no_pending(user, "grant_roles")
    changed = apply_changes(
        user,
        {"display_name": display_name, "agency_id": agency_id, "is_active": is_active},
        ("display_name", "agency_id", "is_active"),
    )
    if removed:
        user.set_roles(before_roles - removed)
        changed.append("roles")
        _note_change(actor, user, "roles")
        audit.record(
            "admin.roles_changed",
            object_type="user",
            object_id=user.id,
            details={"added": [], "removed": sorted(removed)},
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
    request = request_roles(actor, user, added) if added else None
    return changed, request


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


# --- two-person rule --------------------------------------------------------------
#
# Giving roles (an administrator account included) and resetting a sign-in factor are
# requests: they take effect only when a second, independent administrator approves.
# ``AccountChange`` records who created or changed which account, so that an
# administrator cannot approve their own request through an account they control.

# Knowing an account's password (having created it or set it) and resetting its two-factor
# sign-in would let one person sign in as its owner: one person may not do both in a day.
FACTOR_WINDOW = timedelta(hours=24)
_CHANGE_OF_REQUEST = {"grant_roles": "roles", "reset_mfa": "mfa", "reset_password": "password"}
# Changes that tell the administrator the account's password: they control the account.
CREDENTIAL_CHANGES = ("created", "password")


@dataclass(frozen=True)
class Refusal:
    """Why an approval is refused: ``reason`` is the code kept in the audit log."""

    reason: str
    message: str


class ApprovalRefused(ServiceError):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


def request_expiry() -> timedelta:
    return timedelta(days=current_app.config["ADMIN_REQUEST_EXPIRY_DAYS"])


def is_expired(request: AdminRequest, now: datetime | None = None) -> bool:
    return request.requested_at <= (now or utcnow()) - request_expiry()


def _note_change(actor: User, target: User, kind: str) -> None:
    db.session.add(AccountChange(actor_id=actor.id, target_user_id=target.id, kind=kind, at=utcnow()))


def _changed_recently(actor_id: int, target_id: int, kinds: tuple[str, ...]) -> bool:
    since = utcnow() - FACTOR_WINDOW
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    AccountChange.actor_id == actor_id,
                    AccountChange.target_user_id == target_id,
                    AccountChange.kind.in_(kinds),
                    AccountChange.at >= since,
                )
            )
        )
    )


def controllers(user_id: int, kinds: tuple[str, ...] | None = None) -> set[int]:
    """The account itself and every account that created or changed it (of ``kinds``, or of
    any kind), directly or through accounts that one created or changed, and so on."""
    found = {user_id}
    frontier = {user_id}
    while frontier:
        query = sa.select(AccountChange.actor_id).where(AccountChange.target_user_id.in_(frontier)).distinct()
        if kinds is not None:
            query = query.where(AccountChange.kind.in_(kinds))
        frontier = set(db.session.scalars(query)) - found
        found |= frontier
    return found


def _pending_query(target_id: int, kind: str):
    return sa.select(AdminRequest.id).where(
        AdminRequest.target_user_id == target_id,
        AdminRequest.kind == kind,
        AdminRequest.status == "pending",
        AdminRequest.requested_at > utcnow() - request_expiry(),
    )


def _check_no_pending(target: User, kind: str) -> None:
    if db.session.scalar(_pending_query(target.id, kind).limit(1)):
        raise ServiceError(
            f"A request to {REQUEST_KINDS[kind].lower()} for this account is already waiting for approval. "
            "Ask another administrator to approve or refuse it first.",
            "roles" if kind == "grant_roles" else None,
        )


def _request(
    actor: User, target: User, kind: str, *, payload: dict | None = None, secret_hash: str | None = None
) -> AdminRequest:
    if target.id == actor.id:
        raise ServiceError("You cannot ask for changes to your own account: ask another administrator")
    _check_no_pending(target, kind)
    request = AdminRequest(
        kind=kind,
        target_user_id=target.id,
        payload=payload or {},
        secret_hash=secret_hash,
        requested_by_id=actor.id,
        requested_at=utcnow(),
        status="pending",
    )
    db.session.add(request)
    _note_change(actor, target, _CHANGE_OF_REQUEST[kind])
    db.session.flush()
    audit.record(
        "admin.request_made",
        object_type="admin_request",
        object_id=request.id,
        details={"kind": kind, "target_user_id": target.id, **(payload or {})},
    )
    return request


def request_roles(actor: User, target: User, roles: set[str]) -> AdminRequest:
    """Ask for ``target`` to be given ``roles`` (the administrator role included)."""
    roles = set(roles) - target.roles
    if not roles:
        raise ServiceError("Choose a role the user does not already hold", "roles")
    _check_roles(target.roles | roles)
    return _request(actor, target, "grant_roles", payload={"roles": sorted(roles)})


def request_mfa_reset(actor: User, target: User) -> AdminRequest:
    """Ask for ``target``'s two-factor sign-in to be reset (they enrol again at next sign-in)."""
    if _changed_recently(actor.id, target.id, CREDENTIAL_CHANGES):
        raise ServiceError(
            "You created this account or set its password in the last 24 hours: another administrator "
            "must ask for its two-factor sign-in to be reset, so that no one person can take over an account."
        )
    return _request(actor, target, "reset_mfa")


def request_temporary_password(actor: User, target: User, password: str) -> AdminRequest:
    """Ask for a temporary password that ``target`` must change at next sign-in. Only its
    argon2 hash is kept, and only until the request is decided."""
    if problem := auth.password_problem(password, email=target.email):
        raise ServiceError(problem, field="password")
    if _changed_recently(actor.id, target.id, ("mfa",)):
        raise ServiceError(
            "You asked for this account's two-factor sign-in to be reset in the last 24 hours: another "
            "administrator must ask for its password to be set, so that no one person can take over an account."
        )
    return _request(actor, target, "reset_password", secret_hash=auth.hash_password(password))


def approval_refusal(request: AdminRequest, approver: User) -> Refusal | None:
    """Why ``approver`` may not approve ``request``, or None if they may.

    Refused: a request already decided or expired; the requester themselves; a request about
    the approver's own account; an approver whose account the requester created or changed
    (roles, password, two-factor sign-in; directly or through accounts they created or
    changed); an approver who created or set the password of the requester's account, or
    whose account and the requester's were both created or given a password by one
    administrator; and an approver who knows the account's password (or reset its other
    factor) in the last 24 hours when the request resets a sign-in factor.
    """
    if request.status != "pending":
        return Refusal("not_pending", f"This request has already been dealt with: {request.status_label.lower()}.")
    if is_expired(request):
        return Refusal("expired", "This request has expired. Ask for the change again if it is still needed.")
    if approver.id == request.requested_by_id:
        return Refusal("own_request", "You asked for this change: another administrator must approve it.")
    if approver.id == request.target_user_id:
        return Refusal("own_account", "This request is about your own account: another administrator must approve it.")
    if request.requested_by_id in controllers(approver.id):
        return Refusal(
            "requester_changed_approver",
            "The administrator who asked for this created or changed your account, so you cannot approve it. "
            "Ask an administrator whose account they have not created or changed.",
        )
    if controllers(approver.id, CREDENTIAL_CHANGES) & controllers(request.requested_by_id, CREDENTIAL_CHANGES):
        return Refusal(
            "accounts_not_independent",
            "Your account and the requester's account were created, or given a password, by the same "
            "administrator (or one of you did it for the other), so you cannot approve it. "
            "Ask an administrator whose account is independent of theirs.",
        )
    other = {"reset_mfa": CREDENTIAL_CHANGES, "reset_password": ("mfa",)}.get(request.kind)
    if other and _changed_recently(approver.id, request.target_user_id, other):
        return Refusal(
            "other_factor",
            "You changed this account's other sign-in factor in the last 24 hours, so you cannot approve this: "
            "another administrator must, so that no one person can take over an account.",
        )
    return None


def approve_request(request: AdminRequest, approver: User, version: int | None) -> None:
    """Approve and apply ``request``: the two-person rule is checked again here, then the
    version, so two approvals of one request cannot both apply."""
    if refusal := approval_refusal(request, approver):
        raise ApprovalRefused(refusal)
    check_version(request, version)
    target = request.target
    applied = {"request_id": request.id, "requested_by_id": request.requested_by_id}
    if request.kind == "grant_roles":
        before = target.roles
        roles = set(request.roles) - before
        _check_roles(before | roles)
        target.set_roles(before | roles)
        audit.record(
            "admin.roles_changed",
            object_type="user",
            object_id=target.id,
            details={"added": sorted(roles), "removed": [], **applied},
        )
    elif request.kind == "reset_mfa":
        auth.reset_mfa(target)
        audit.record("admin.mfa_reset", object_type="user", object_id=target.id, details=applied)
    elif request.kind == "reset_password":
        if not request.secret_hash:
            raise ServiceError("This request holds no password: ask for the change again")
        target.password_hash = request.secret_hash
        target.password_changed_at = utcnow()
        target.must_change_password = True
        auth.unlock(target)
        auth.end_all_sessions(target, "password_reset")
        audit.record("admin.password_reset", object_type="user", object_id=target.id, details=applied)
    _decide(request, approver, "approved")


def decline_request(request: AdminRequest, actor: User, version: int | None) -> str:
    """Refuse a request (another administrator) or cancel it (the requester). Declining never
    changes an account, so any administrator may do it. Returns the new status."""
    if request.status != "pending":
        raise ServiceError(f"This request has already been dealt with: {request.status_label.lower()}.")
    check_version(request, version)
    status = "cancelled" if actor.id == request.requested_by_id else "refused"
    _decide(request, actor, status)
    return status


def _decide(request: AdminRequest, actor: User, status: str) -> None:
    request.status = status
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.secret_hash = None
    db.session.flush()
    audit.record(
        f"admin.request_{status}",
        object_type="admin_request",
        object_id=request.id,
        details={
            "kind": request.kind,
            "target_user_id": request.target_user_id,
            "requested_by_id": request.requested_by_id,
        },
    )


def record_refused_approval(request_id: int, approver_id: int, approver_agency_id: int, refusal: Refusal) -> None:
    """Audit a refused approval in its own transaction (ids and a reason code only)."""
    audit.record_denial(
        "admin.approval_refused",
        object_type="admin_request",
        object_id=request_id,
        details={"reason": refusal.reason},
        actor_user_id=approver_id,
        actor_agency_id=approver_agency_id,
    )


def expire_stale_requests() -> int:
    """Mark requests older than the expiry setting as expired and forget any password they held."""
    stale = list(
        db.session.scalars(
            sa.select(AdminRequest).where(
                AdminRequest.status == "pending", AdminRequest.requested_at <= utcnow() - request_expiry()
            )
        )
    )
    for request in stale:
        request.status = "expired"
        request.secret_hash = None
        db.session.flush()
        audit.record(
            "admin.request_expired",
            object_type="admin_request",
            object_id=request.id,
            details={"kind": request.kind, "target_user_id": request.target_user_id},
        )
    return len(stale)


def pending_requests_page(page: int, per_page: int):
    query = (
        sa.select(AdminRequest)
        .where(AdminRequest.status == "pending", AdminRequest.requested_at > utcnow() - request_expiry())
        .order_by(AdminRequest.requested_at, AdminRequest.id)
    )
    return paginate(query, page, per_page, max_per_page=100)


def pending_requests_for(user: User) -> list[AdminRequest]:
    return list(
        db.session.scalars(
            sa.select(AdminRequest)
            .where(
                AdminRequest.target_user_id == user.id,
                AdminRequest.status == "pending",
                AdminRequest.requested_at > utcnow() - request_expiry(),
            )
            .order_by(AdminRequest.requested_at)
        )
    )


def age_label(at: datetime, now: datetime | None = None) -> str:
    """How long ago, in words: "Less than an hour", "3 hours", "2 days"."""
    seconds = ((now or utcnow()) - at).total_seconds()
    hours = int(seconds // 3600)
    if hours < 1:
        return "Less than an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def _check_agency(agency_id: int) -> None:
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.is_active:
        raise ServiceError("Choose an active agency", field="agency_id")


def users_page(page: int, per_page: int, *, agency_id: int | None = None):
    query = sa.select(User).order_by(User.display_name, User.id)
    if agency_id:
        query = query.where(User.agency_id == agency_id)
    return paginate(query, page, per_page, max_per_page=100)


def agencies() -> list[Agency]:
    return directory.agencies()
