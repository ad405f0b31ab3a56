"""Test helpers: build agencies, users, people and cases through the real services."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pyotp
import sqlalchemy as sa

from casework.admin import services as admin
from casework.core import cases, modules
from casework.core.access import ROLES
from casework.core.models import Agency, AuditEvent, User
from casework.core.types import utcnow
from casework.extensions import db
from casework.people.services import create_person

PASSWORD = "correct horse battery staple 42"
_seq = itertools.count(1)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


class Factory:
    def __init__(self, app):
        self.app = app

    def agency(self, kind: str = "police", code: str | None = None, name: str | None = None) -> Agency:
        n = next(_seq)
        agency = admin.create_agency(
            {"code": code or f"A{n}", "name": name or f"{kind.title()} agency {n}", "kind": kind, "is_active": True}
        )
        db.session.commit()
        return agency

    def user(self, *roles: str, agency: Agency | None = None, enrolled: bool = True, email: str | None = None) -> User:
        agency = agency or self.agency("idva_service" if "idva" in roles else "police")
        n = next(_seq)
        user = admin.create_user(
            email=email or f"user{n}@example.org",
            display_name=f"User {n}",
            agency_id=agency.id,
            roles=set(roles),
            password=PASSWORD,
        )
        if enrolled:
            user.totp_secret = pyotp.random_base32(length=32)
            user.totp_enrolled_at = utcnow()
        db.session.commit()
        return user

    def person(self, user: User, **fields) -> object:
        fields.setdefault("given_names", "Test")
        fields.setdefault("surname", f"Person{next(_seq)}")
        fields.setdefault("dob", date(1990, 1, 1))
        person = create_person(user, fields)
        db.session.commit()
        return person

    def case(self, creator: User, kind: str = "marac", agencies=(), people=(), restricted=False, members=()):
        case = cases.open_case(
            kind=kind,
            status=next(iter(modules.for_case_kind(kind).case_statuses)),
            opened_on=date.today(),
            lead_agency_id=creator.agency_id,
            lead_user_id=creator.id,
            created_by=creator,
            agency_ids=[a.id for a in agencies],
            is_restricted=restricted,
            member_ids=[m.id for m in members],
        )
        for person, role in people:
            cases.add_participant(case, person.id, role)
        db.session.commit()
        return case

    def every_role_user(self) -> dict[str, User]:
        return {role: self.user(role) for role in ROLES}


def totp_now(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def login(client, user: User, password: str = PASSWORD, *, reset_replay: bool = True) -> None:
    """Sign in with password and a current TOTP code; asserts success."""
    if reset_replay:
        db.session.execute(sa.update(User).where(User.id == user.id).values(totp_last_step=None))
        db.session.commit()
    page = client.get("/login")
    resp = client.post("/login", data={"csrf_token": csrf_token(page.text), "email": user.email, "password": password})
    assert resp.status_code == 302, resp.text
    assert resp.headers["Location"].endswith("/login/code"), resp.headers["Location"]
    page = client.get("/login/code")
    resp = client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": totp_now(user)})
    assert resp.status_code == 302, resp.text


def post_form(client, url: str, data: dict, *, get_url: str | None = None):
    """GET the page for a CSRF token, then POST the form."""
    page = client.get(get_url or url)
    return client.post(url, data={"csrf_token": csrf_token(page.text), **data})


def audit_events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = sa.select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


# --- helpers added for the core test suite ---------------------------------------


def marker(prefix: str = "ZQXMARKER") -> str:
    """A unique string that cannot occur by chance in ciphertext or page furniture."""
    import secrets

    return prefix + secrets.token_hex(6).upper()


def signed_in(app, user: User):
    """A new test client signed in as ``user``."""
    client = app.test_client()
    login(client, user)
    return client


def page_token(client, url: str = "/") -> str:
    """A CSRF token for the client's session, taken from a page it can see."""
    return csrf_token(client.get(url).text)


def is_login_redirect(resp) -> bool:
    return resp.status_code == 302 and resp.headers["Location"].split("?")[0].endswith("/login")


def item_action(user, item, **kwargs):
    """An action recorded at a meeting for one listed case (core actions, with the item's meeting)."""
    from casework.core import actions

    return actions.create_action(user, item.case, meeting=item.meeting, **kwargs)


# --- two-person rule ----------------------------------------------------------------


def pending_requests(target_id: int | None = None, kind: str | None = None) -> list:
    """Requests waiting for a second administrator, oldest first."""
    from casework.admin.models import AdminRequest

    db.session.expire_all()
    query = sa.select(AdminRequest).where(AdminRequest.status == "pending").order_by(AdminRequest.id)
    if target_id is not None:
        query = query.where(AdminRequest.target_user_id == target_id)
    if kind is not None:
        query = query.where(AdminRequest.kind == kind)
    return list(db.session.scalars(query))


def decide(client, request, decision: str = "approve", *, version: int | None = None, page: str = "/admin/approvals"):
    """Press Approve (or Refuse) for ``request`` on the pending approvals page."""
    token = csrf_token(client.get(page).text)
    return client.post(
        f"/admin/approvals/{request.id}/{decision}",
        data={"csrf_token": token, "version_id": str(request.version_id if version is None else version)},
    )


def approve_only_request(client, target_id: int, kind: str | None = None):
    """Approve the one pending request about ``target_id``; asserts it was applied."""
    [request] = pending_requests(target_id, kind)
    resp = decide(client, request)
    assert resp.status_code == 302, resp.text
    assert not pending_requests(target_id, kind), "the request was not approved"
    return resp
