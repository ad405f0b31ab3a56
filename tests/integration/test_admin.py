"""Administration of agencies and users; bad input is a 400 with a message, never a 500."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from casework.auth import services as auth
from casework.core import crypto
from casework.core.models import Agency, User
from casework.extensions import db
from tests.helpers import (
    PASSWORD,
    approve_only_request,
    audit_events,
    csrf_token,
    login,
    page_token,
    pending_requests,
    post_form,
    signed_in,
)


@pytest.fixture
def admin(app, factory):
    user = factory.user("admin")
    return user, signed_in(app, user)


@pytest.fixture
def second_admin(app, factory):
    """An administrator independent of ``admin``: neither created nor changed the other."""
    user = factory.user("admin")
    return user, signed_in(app, user)


def _fresh_user(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _edit_user(client, user_id: int, **overrides):
    page = client.get(f"/admin/users/{user_id}")
    user = _fresh_user(user_id)
    data = {
        "csrf_token": csrf_token(page.text),
        "version_id": str(user.version_id),
        "display_name": user.display_name,
        "agency_id": str(user.agency_id),
        "roles": sorted(user.roles),
        "is_active": "y" if user.is_active else "",
    }
    data.update(overrides)
    return client.post(f"/admin/users/{user_id}", data=data)


# --- agencies ----------------------------------------------------------------------------


def test_create_and_edit_agency(app, admin):
    _, client = admin
    resp = post_form(
        client, "/admin/agencies/new", {"code": "NHS1", "name": "Northshire Health", "kind": "health", "is_active": "y"}
    )
    assert resp.status_code == 302
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == "NHS1"))
    assert (agency.name, agency.kind, agency.is_active) == ("Northshire Health", "health", True)
    assert "Northshire Health" in client.get("/admin/agencies").text
    assert [e.object_id for e in audit_events("admin.agency_created") if e.object_id == str(agency.id)]

    page = client.get(f"/admin/agencies/{agency.id}")
    resp = client.post(
        f"/admin/agencies/{agency.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(agency.version_id),
            "code": "NHS1",
            "name": "Northshire Health Board",
            "kind": "health",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    agency = db.session.get(Agency, agency.id)
    assert agency.name == "Northshire Health Board" and agency.is_active is False
    event = audit_events("admin.agency_updated")[-1]
    assert set(event.data["details"]["fields"]) == {"name", "is_active"}


def test_duplicate_agency_code_is_a_form_error(app, admin, factory):
    _, client = admin
    factory.agency("police", code="POL")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Agency))
    resp = post_form(client, "/admin/agencies/new", {"code": "POL", "name": "Second police", "kind": "police"})
    assert resp.status_code == 400
    assert "An agency with this code already exists" in resp.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == count

    other = factory.agency("housing", code="HOUS")
    page = client.get(f"/admin/agencies/{other.id}")
    resp = client.post(
        f"/admin/agencies/{other.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(other.version_id),
            "code": "POL",
            "name": other.name,
            "kind": "housing",
            "is_active": "y",
        },
    )
    assert resp.status_code == 400
    assert "An agency with this code already exists" in resp.text
    db.session.expire_all()
    assert db.session.get(Agency, other.id).code == "HOUS"


BAD_AGENCY_INPUT = [
    ({"code": "X" * 21, "name": "Too long code", "kind": "police"}, "must be 20 characters or fewer"),
    ({"code": "OK1", "name": "N" * 201, "kind": "police"}, "Name must be 200 characters or fewer"),
    ({"code": "OK2", "name": "Bad kind", "kind": "spaceforce"}, "Not a valid choice"),
    ({"code": "bad code!", "name": "Bad code", "kind": "police"}, "Use letters, digits, - or _"),
    ({"code": "", "name": "", "kind": "police"}, "Enter a code"),
]


def test_agency_bad_input_is_400(app, admin):
    _, client = admin
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Agency))
    for data, message in BAD_AGENCY_INPUT:
        resp = post_form(client, "/admin/agencies/new", data)
        assert resp.status_code == 400, data
        assert message in resp.text, data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == count


def test_agency_edit_stale_version_is_a_conflict(app, admin, factory):
    _, client = admin
    agency = factory.agency("police")
    page = client.get(f"/admin/agencies/{agency.id}")
    stale = agency.version_id
    agency.name = "Changed meanwhile"
    db.session.commit()
    resp = client.post(
        f"/admin/agencies/{agency.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(stale),
            "code": agency.code,
            "name": "My edit",
            "kind": "police",
        },
    )
    assert resp.status_code == 409
    assert "Someone else changed this record" in resp.text
    assert "My edit" in resp.text
    db.session.expire_all()
    assert db.session.get(Agency, agency.id).name == "Changed meanwhile"


def test_unknown_agency_page_is_404(app, admin):
    _, client = admin
    assert client.get("/admin/agencies/999999").status_code == 404
    assert client.get("/admin/users/999999").status_code == 404


# --- users ------------------------------------------------------------------------------


def test_create_user(app, admin, second_admin, factory):
    admin_user, client = admin
    agency = factory.agency("idva_service")
    resp = post_form(
        client,
        "/admin/users/new",
        {
            "email": "New.Person@Example.org",
            "display_name": "New Person",
            "agency_id": str(agency.id),
            "roles": ["idva", "marac_rep"],
            "password": "a long enough new passphrase",
            "is_active": "y",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "new.person@example.org"))
    assert user is not None
    assert "Request sent for approval by another administrator" in client.get(resp.headers["Location"]).text
    # The account exists at once, without roles: they wait for a second administrator.
    assert user.roles == set()
    assert user.agency_id == agency.id
    assert not user.mfa_enrolled
    assert user.password_hash.startswith("$argon2id$")
    event = audit_events("admin.user_created")[-1]
    assert event.object_id == str(user.id) and event.data["details"] == {"roles": []}
    [request] = pending_requests(user.id)
    assert (request.kind, request.roles) == ("grant_roles", ["idva", "marac_rep"])
    assert request.requested_by_id == admin_user.id
    made = audit_events("admin.request_made")[-1]
    assert made.object_id == str(request.id) and made.actor_user_id == admin_user.id
    assert made.data["details"] == {"kind": "grant_roles", "target_user_id": user.id, "roles": ["idva", "marac_rep"]}

    approve_only_request(second_admin[1], user.id)
    assert _fresh_user(user.id).roles == {"idva", "marac_rep"}
    # The new user can sign in and is sent to two-factor enrolment.
    anon = app.test_client()
    resp = post_form(anon, "/login", {"email": "new.person@example.org", "password": "a long enough new passphrase"})
    assert resp.headers["Location"].endswith("/login/enrol")


def test_create_user_duplicate_email_and_weak_password(app, admin, factory):
    _, client = admin
    existing = factory.user("idva")
    base = {"display_name": "Someone", "agency_id": str(existing.agency_id), "roles": ["idva"]}
    resp = post_form(
        client, "/admin/users/new", {**base, "email": existing.email.upper(), "password": "a long enough passphrase"}
    )
    assert resp.status_code == 400 and "already exists" in resp.text
    resp = post_form(client, "/admin/users/new", {**base, "email": "weak@example.org", "password": "password"})
    assert resp.status_code == 400 and "at least 12 characters" in resp.text
    assert db.session.scalar(sa.select(User).where(User.email == "weak@example.org")) is None


def test_change_roles_is_audited(app, admin, second_admin, factory):
    admin_user, client = admin
    approver, approver_client = second_admin
    target = factory.user("marac_rep")
    resp = _edit_user(client, target.id, roles=["idva", "dpo"])
    assert resp.status_code == 302
    assert "Request sent for approval by another administrator" in client.get(resp.headers["Location"]).text
    # A role taken away goes at once; roles given wait for approval.
    assert _fresh_user(target.id).roles == set()
    event = audit_events("admin.roles_changed")[-1]
    assert (event.actor_user_id, event.object_id) == (admin_user.id, str(target.id))
    assert event.data["details"] == {"added": [], "removed": ["marac_rep"]}

    approve_only_request(approver_client, target.id)
    assert _fresh_user(target.id).roles == {"idva", "dpo"}
    event = audit_events("admin.roles_changed")[-1]
    assert (event.actor_user_id, event.object_id) == (approver.id, str(target.id))
    [request] = audit_events("admin.request_approved")
    assert event.data["details"] == {
        "added": ["dpo", "idva"],
        "removed": [],
        "request_id": int(request.object_id),
        "requested_by_id": admin_user.id,
    }
    # Saving without a change records no role change and no request.
    count = len(audit_events("admin.roles_changed"))
    assert _edit_user(client, target.id).status_code == 302
    assert len(audit_events("admin.roles_changed")) == count
    assert not pending_requests(target.id)


def test_role_change_takes_effect_on_next_request(app, admin, second_admin, factory):
    _, admin_client = admin
    target = factory.user("analyst")
    target_client = signed_in(app, target)
    assert target_client.get("/governance/audit").status_code == 403
    assert _edit_user(admin_client, target.id, roles=["analyst", "dpo"]).status_code == 302
    assert target_client.get("/governance/audit").status_code == 403
    approve_only_request(second_admin[1], target.id)
    assert target_client.get("/governance/audit").status_code == 200


def test_agency_change_is_audited_and_ends_sessions(app, admin, factory):
    _, client = admin
    target = factory.user("marac_rep")
    target_client = signed_in(app, target)
    new_agency = factory.agency("housing")
    assert _edit_user(client, target.id, agency_id=str(new_agency.id)).status_code == 302
    assert _fresh_user(target.id).agency_id == new_agency.id
    assert audit_events("admin.agency_changed")[-1].object_id == str(target.id)
    assert target_client.get("/").status_code == 302


def test_deactivate_and_reactivate(app, admin, factory):
    _, client = admin
    target = factory.user("idva")
    assert _edit_user(client, target.id, is_active="").status_code == 302
    assert not _fresh_user(target.id).is_active
    assert audit_events("admin.user_deactivated")[-1].object_id == str(target.id)
    assert _edit_user(client, target.id, is_active="y").status_code == 302
    assert _fresh_user(target.id).is_active
    assert audit_events("admin.user_reactivated")[-1].object_id == str(target.id)
    login(app.test_client(), _fresh_user(target.id))


def test_reset_mfa(app, admin, second_admin, factory):
    _, client = admin
    target = factory.user("idva")
    resp = client.post(f"/admin/users/{target.id}/reset-mfa", data={"csrf_token": page_token(client)})
    assert resp.status_code == 302
    assert "Request sent for approval by another administrator" in client.get(resp.headers["Location"]).text
    assert _fresh_user(target.id).mfa_enrolled
    assert not audit_events("admin.mfa_reset")
    approve_only_request(second_admin[1], target.id, "reset_mfa")
    fresh = _fresh_user(target.id)
    assert fresh.totp_secret is None and fresh.totp_enrolled_at is None and fresh.totp_last_step is None
    assert audit_events("admin.mfa_reset")[-1].object_id == str(target.id)


def test_unlock(app, admin, factory):
    _, client = admin
    target = factory.user("idva")
    for _ in range(7):
        auth.record_failure(auth.Failure("password", auth.account_key(target.email), target.id), "192.0.2.9")
    assert auth.sign_in_wait(auth.account_key(target.email), "192.0.2.9").until is not None
    page = client.get(f"/admin/users/{target.id}")
    assert "7 since the last sign-in" in page.text
    resp = client.post(f"/admin/users/{target.id}/unlock", data={"csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    fresh = _fresh_user(target.id)
    assert fresh.failed_logins == 0
    assert auth.sign_in_wait(auth.account_key(target.email), "192.0.2.9").until is None
    assert audit_events("admin.user_unlocked")[-1].object_id == str(target.id)
    login(app.test_client(), fresh)


def test_one_button_actions_need_csrf(app, admin, factory):
    _, client = admin
    target = factory.user("idva")
    resp = client.post(f"/admin/users/{target.id}/reset-mfa")
    assert resp.status_code == 400
    assert _fresh_user(target.id).mfa_enrolled


def test_admin_cannot_deactivate_self_or_drop_own_admin_role(app, admin):
    admin_user, client = admin
    resp = _edit_user(client, admin_user.id, is_active="")
    assert resp.status_code == 400
    assert "You cannot change your own roles or deactivate your own account" in resp.text
    assert _fresh_user(admin_user.id).is_active
    resp = _edit_user(client, admin_user.id, roles=["dpo"])
    assert resp.status_code == 400
    assert "admin" in _fresh_user(admin_user.id).roles
    # Nor grant themselves casework or audit roles on top.
    resp = _edit_user(client, admin_user.id, roles=["admin", "marac_coordinator", "dpo"])
    assert resp.status_code == 400
    assert _fresh_user(admin_user.id).roles == {"admin"}
    assert client.get("/marac/").status_code == 403 and client.get("/governance/audit").status_code == 403
    assert client.get("/admin/users").status_code == 200


def test_admin_accounts_hold_no_other_role(app, admin, factory):
    _, client = admin
    target = factory.user("idva")
    resp = _edit_user(client, target.id, roles=["admin", "idva"])
    assert resp.status_code == 400 and "cannot hold other roles" in resp.text
    assert _fresh_user(target.id).roles == {"idva"}


BAD_USER_INPUT = [
    ({"display_name": "N" * 121}, "Full name must be 120 characters or fewer"),
    ({"display_name": ""}, "Enter the user&#39;s full name"),
    ({"agency_id": "999999"}, "Not a valid choice"),
    ({"agency_id": "not-a-number"}, "Choose an agency"),
    ({"roles": ["idva", "superuser"]}, "is not a valid choice"),
]


def test_user_edit_bad_input_is_400(app, admin, factory):
    _, client = admin
    target = factory.user("idva")
    before = (_fresh_user(target.id).display_name, _fresh_user(target.id).agency_id, _fresh_user(target.id).roles)
    for overrides, message in BAD_USER_INPUT:
        resp = _edit_user(client, target.id, **overrides)
        assert resp.status_code == 400, overrides
        assert message in resp.text, overrides
        fresh = _fresh_user(target.id)
        assert (fresh.display_name, fresh.agency_id, fresh.roles) == before


def test_inactive_agency_cannot_take_users(app, admin, factory):
    _, client = admin
    agency = factory.agency("police")
    agency.is_active = False
    db.session.commit()
    resp = post_form(
        client,
        "/admin/users/new",
        {
            "email": "x@example.org",
            "display_name": "X",
            "agency_id": str(agency.id),
            "roles": ["marac_rep"],
            "password": "a long enough passphrase",
        },
    )
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_over_long_login_input_is_not_an_error(app, client):
    resp = post_form(client, "/login", {"email": "a" * 300 + "@example.org", "password": "p" * 5000})
    assert resp.status_code == 400
    assert "Traceback" not in resp.text


def test_user_edit_stale_version_is_a_conflict(app, admin, factory):
    _, client = admin
    target = factory.user("idva")
    page = client.get(f"/admin/users/{target.id}")
    stale = _fresh_user(target.id).version_id
    fresh = _fresh_user(target.id)
    fresh.display_name = "Renamed meanwhile"
    db.session.commit()
    resp = client.post(
        f"/admin/users/{target.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(stale),
            "display_name": "My rename",
            "agency_id": str(fresh.agency_id),
            "roles": ["idva"],
            "is_active": "y",
        },
    )
    assert resp.status_code == 409
    assert "My rename" in resp.text
    assert _fresh_user(target.id).display_name == "Renamed meanwhile"


def test_admin_keys_page_shows_no_key_material(app, admin):
    _, client = admin
    resp = client.get("/admin/keys")
    assert resp.status_code == 200
    ring = crypto.keyring()
    assert ring.current in resp.text
    for key in ring.keys.values():
        assert base64.b64encode(key).decode() not in resp.text
    assert PASSWORD not in resp.text
