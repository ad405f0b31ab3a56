"""Regression tests for review findings on sign-in and administration: each attack now fails."""

import sqlalchemy as sa

from casework.admin import services as admin
from casework.core.models import Agency, User
from casework.extensions import db
from tests.helpers import PASSWORD, audit_events, csrf_token, login, totp_now


def _agency_update(agency: Agency, **changes):
    data = {"code": agency.code, "name": agency.name, "kind": agency.kind, "is_active": agency.is_active, **changes}
    admin.update_agency(agency, data, agency.version_id)
    db.session.commit()


def test_deactivating_an_agency_ends_its_staffs_access(app, factory):
    housing = factory.agency("housing")
    rep = factory.user("marac_rep", agency=housing)
    client = app.test_client()
    login(client, rep)
    assert client.get("/people/").status_code == 200
    _agency_update(housing, is_active=False)
    resp = client.get("/people/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # and signing in again is refused with the generic message
    page = client.get("/login")
    resp = client.post("/login", data={"csrf_token": csrf_token(page.text), "email": rep.email, "password": PASSWORD})
    assert resp.status_code == 200 and "Sign-in failed" in resp.text


def test_changing_an_agency_kind_ends_sessions(app, factory):
    agency = factory.agency("housing")
    rep = factory.user("marac_rep", agency=agency)
    client = app.test_client()
    login(client, rep)
    _agency_update(agency, kind="police")
    assert client.get("/people/").status_code == 302


def test_admin_set_password_must_be_changed_before_anything_else(app, factory):
    user = factory.user("idva")
    request = admin.request_temporary_password(factory.user("admin"), user, "temporary horse battery 9")
    admin.approve_request(request, factory.user("admin"), request.version_id)
    db.session.commit()
    client = app.test_client()
    page = client.get("/login")
    client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "email": user.email, "password": "temporary horse battery 9"},
    )
    page = client.get("/login/code")
    resp = client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": totp_now(user)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/password")
    for url in ("/", "/people/", "/marac/"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/password"), url
    page = client.get("/account/password")
    resp = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": "temporary horse battery 9",
            "new_password": "my own long passphrase 77",
            "confirm": "my own long passphrase 77",
        },
    )
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert not db.session.get(User, user.id).must_change_password
    assert [e.object_id for e in audit_events("admin.password_reset")] == [str(user.id)]


def test_accounts_created_by_an_administrator_start_with_a_temporary_password(app, factory):
    agency = factory.agency("police")
    admin_user = factory.user("admin", agency=agency)
    client = app.test_client()
    login(client, admin_user)
    page = client.get("/admin/users/new")
    resp = client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_token(page.text),
            "display_name": "New Person",
            "email": "new.person@example.org",
            "agency_id": str(agency.id),
            "roles": ["marac_rep"],
            "password": "initial strong phrase 12",
        },
    )
    assert resp.status_code == 302
    created = db.session.scalar(sa.select(User).where(User.email == "new.person@example.org"))
    assert created.must_change_password and not created.mfa_enrolled


def test_failed_sign_ins_are_counted_atomically(app, factory):
    user = factory.user("idva")
    client = app.test_client()
    for _ in range(3):
        page = client.get("/login")
        client.post("/login", data={"csrf_token": csrf_token(page.text), "email": user.email, "password": "wrong " * 3})
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.failed_logins == 3 and fresh.version_id == user.version_id
    assert len(audit_events("auth.login_failed")) == 3


def test_every_response_has_a_request_id(client):
    for resp in (client.get("/"), client.get("/login"), client.post("/login", data={})):
        assert len(resp.headers.get("X-Request-Id", "")) == 36


def test_one_administrator_cannot_reset_both_factors(app, factory):
    """Two-person rule: resetting MFA and the password of one account takes two administrators,
    and each reset needs the approval of a third."""
    from casework.core.services import ServiceError

    victim_account = factory.user("marac_coordinator")
    first, second, third = factory.user("admin"), factory.user("admin"), factory.user("admin")
    request = admin.request_mfa_reset(first, victim_account)
    admin.approve_request(request, second, request.version_id)
    db.session.commit()
    try:
        admin.request_temporary_password(first, victim_account, "takeover attempt phrase 1")
    except ServiceError as exc:
        assert "another administrator" in str(exc)
    else:
        raise AssertionError("the same administrator asked to reset both factors")
    db.session.rollback()
    request = admin.request_temporary_password(second, victim_account, "legitimate reset phrase 2")
    # The administrator who asked for the two-factor reset may not approve the password either.
    refusal = admin.approval_refusal(request, first)
    assert refusal is not None and refusal.reason == "other_factor"
    admin.approve_request(request, third, request.version_id)
    db.session.commit()
    # and the other way round, through the web page
    other = factory.user("idva")
    admin.request_temporary_password(first, other, "legitimate reset phrase 3")
    db.session.commit()
    client = app.test_client()
    login(client, first)
    page = client.get(f"/admin/users/{other.id}")
    resp = client.post(f"/admin/users/{other.id}/reset-mfa", data={"csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    assert "another administrator" in client.get(f"/admin/users/{other.id}").text
    db.session.expire_all()
    assert db.session.get(User, other.id).mfa_enrolled
    assert [r.kind for r in admin.pending_requests_for(db.session.get(User, other.id))] == ["reset_password"]
