"""Roles, capabilities and view decorators (DESIGN §5). No model imports.

Deny by default: every endpoint must declare its access with ``public``,
``authenticated`` or ``require(capability)``; one ``before_request`` sends
anything else to a 403 and anonymous users to the login page. Roles and
capabilities come from the module registry: core registers its own here and
each module adds its own when it is imported. ``require()`` refuses a
capability nobody registered, so a typo fails when the views are imported at
start-up, not when a user first opens the page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden, NotFound

from ..extensions import db
from . import audit, modules
from .modules import MenuEntry

# Capabilities every casework role needs to work with people records; modules grant them.
PEOPLE_CAPABILITIES = frozenset({"people.view", "people.create", "people.edit"})

# Core's own roles and capabilities. Casework roles come from the modules, which also
# grant people.* to their roles and add their report capabilities to ``analyst``.
modules.register_core(
    declared=PEOPLE_CAPABILITIES,
    legacy_audit_actions={
        "person.view": "people.person.view",
        "person.search": "people.person.search",
        "person.list": "people.person.list",
        "person.create": "people.person.create",
        "person.update": "people.person.update",
        "home.viewed": "home.work.view",
        "audit.viewed": "governance.audit.view",
        "audit.person_access_viewed": "governance.person_access.view",
        "audit.sharing_viewed": "governance.sharing.view",
    },
    roles={
        "admin": "System administrator",
        "analyst": "Analyst (aggregated reports only)",
        "dpo": "Data protection officer",
    },
    capabilities={
        "admin": frozenset({"admin.agencies.manage", "admin.users.manage", "admin.keys.view"}),
        "analyst": frozenset({"reports.aggregate"}),
        "dpo": frozenset({"governance.audit.view", "governance.sharing.view"}),
    },
    purposes={
        "casework": "Direct casework",
        "subject_access": "Subject access request",
        "audit": "Audit and governance",
        "duplicate_check": "Duplicate record check",
    },
    menu=(
        (0, MenuEntry("home.index", "My work", None)),
        (1, MenuEntry("people.index", "People", "people.view")),
        (10, MenuEntry("governance.audit_log", "Audit log", "governance.audit.view")),
        (11, MenuEntry("admin.users", "Users", "admin.users.manage")),
        (12, MenuEntry("admin.approvals", "Pending approvals", "admin.users.manage")),
        (13, MenuEntry("admin.agencies", "Agencies", "admin.agencies.manage")),
        (14, MenuEntry("admin.keys", "Keys", "admin.keys.view")),
    ),
)


class _Live(Mapping):
    """A read-only view of a registry table, always current (modules register at import)."""

    def __init__(self, source: Callable[[], Mapping]):
        self._source = source

    def __getitem__(self, key):
        return self._source()[key]

    def __iter__(self) -> Iterator:
        return iter(self._source())

    def __len__(self) -> int:
        return len(self._source())


ROLES: Mapping[str, str] = _Live(modules.roles)
CAPABILITIES: Mapping[str, frozenset[str]] = _Live(modules.capabilities)

PUBLIC_ENDPOINTS = frozenset({"static"})
# All a user whose password was set by an administrator may do until they change it.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout"})


class Principal(Protocol):
    is_active: bool
    roles: set[str]

    @property
    def agency(self) -> Any: ...


class AccessDenied(Exception):
    """An object-level check failed. ``hide`` answers 404 so existence does not leak."""

    def __init__(self, object_type: str, object_id: Any, *, hide: bool = True):
        super().__init__(f"{object_type} {object_id}")
        self.object_type = object_type
        self.object_id = object_id
        self.hide = hide


def capabilities_of(roles: set[str]) -> frozenset[str]:
    return modules.capabilities_of_roles(roles)


def has_capability(user: Principal, capability: str) -> bool:
    return user.is_active and user.agency.is_active and capability in capabilities_of(user.roles)


def all_capabilities() -> frozenset[str]:
    return modules.all_capabilities()


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
    """The view needs ``capability``; refused (403, audited) otherwise."""
    if capability not in all_capabilities():
        raise ValueError(f"unknown capability {capability!r}: no module registers it")

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
