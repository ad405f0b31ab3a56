"""Two-person rule: giving roles and resetting sign-in factors need a second, independent
administrator. Each test performs an attack one administrator could try alone and shows it fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casework.admin import services as admin
from casework.admin.models import AccountChange, AdminRequest
from casework.core.models import User
from casework.core.types import utcnow
from casework.extensions import db
from tests.helpers import (
    PASSWORD,
    approve_only_request,
    audit_events,
    csrf_token,
    decide,
    page_token,
    pending_requests,
    post_form,
    signed_in,
)


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _request(request_id: int) -> AdminRequest:
    db.session.expire_all()
    return db.session.get(AdminRequest, request_id)


def _new_account(client, email: str, roles: list[str], agency_id: int) -> User:
    resp = post_form(
        client,
        "/admin/users/new",
        {
            "email": email,
            "display_name": "Second Account",
            "agency_id": str(agency_id),
            "roles": roles,
            "password": PASSWORD,
        },
    )
    assert resp.status_code == 302, resp.text
    return db.session.scalar(sa.select(User).where(User.email == email))


def _enrol(user: User) -> User:
    """Stand in for the owner of the account signing in and setting up two-factor sign-in."""
    import pyotp

    user = _fresh(user.id)
    user.totp_secret = pyotp.random_base32(length=32)
    user.totp_enrolled_at = utcnow()
    user.must_change_password = False
    db.session.commit()
    return user


def _denials(request_id: int) -> list:
    return [e for e in audit_events("admin.approval_refused") if e.object_id == str(request_id)]


@pytest.fixture
def admins(app, factory):
    """Two independent administrators: A (the would-be attacker) and C."""
    a, c = factory.user("admin"), factory.user("admin")
    return a, signed_in(app, a), c, signed_in(app, c)


def test_an_admin_account_created_by_an_administrator_cannot_approve_their_requests(app, factory, admins):
    a, a_client, c, c_client = admins
    victim = factory.user("marac_coordinator")

    # A creates an administrator account B: it exists without roles until someone else approves.
    b = _new_account(a_client, "bravo@example.org", ["admin"], a.agency_id)
    assert b.roles == set()
    [grant] = pending_requests(b.id)
    assert (grant.kind, grant.roles, grant.requested_by_id) == ("grant_roles", ["admin"], a.id)

    # A cannot approve it: refused, audited as denied, nothing changes.
    resp = decide(a_client, grant)
    assert resp.status_code == 302
    assert "another administrator must approve it" in a_client.get(resp.headers["Location"]).text
    [denied] = _denials(grant.id)
    assert (denied.result, denied.actor_user_id, denied.object_type) == ("denied", a.id, "admin_request")
    assert denied.data["details"] == {"reason": "own_request"}
    assert _fresh(b.id).roles == set() and _request(grant.id).status == "pending"

    # B, signed in while roleless, has no administration at all.
    b = _enrol(b)
    b_client = signed_in(app, b)
    assert b_client.get("/admin/approvals").status_code == 403
    assert decide(c_client, grant).status_code == 302  # (C's own page, for a token) …
    assert _fresh(b.id).roles == {"admin"}  # … and C's approval makes B an administrator.

    # A asks for the victim's two-factor sign-in to be reset: nothing happens yet.
    resp = a_client.post(f"/admin/users/{victim.id}/reset-mfa", data={"csrf_token": page_token(a_client)})
    assert "Request sent for approval by another administrator" in a_client.get(resp.headers["Location"]).text
    [reset] = pending_requests(victim.id)
    assert _fresh(victim.id).mfa_enrolled

    # B, now an administrator, was created by A and cannot approve it.
    b_client = signed_in(app, _fresh(b.id))
    resp = decide(b_client, reset)
    assert resp.status_code == 302
    assert "created or changed your account" in b_client.get(resp.headers["Location"]).text
    [denied] = _denials(reset.id)
    assert (denied.result, denied.actor_user_id, denied.object_id) == ("denied", b.id, str(reset.id))
    assert denied.data["details"] == {"reason": "requester_changed_approver"}
    assert _fresh(victim.id).mfa_enrolled and _request(reset.id).status == "pending"
    assert not audit_events("admin.mfa_reset")

    # An independent administrator can.
    approve_only_request(c_client, victim.id)
    assert not _fresh(victim.id).mfa_enrolled
    event = audit_events("admin.mfa_reset")[-1]
    assert (event.actor_user_id, event.object_id) == (c.id, str(victim.id))
    assert _request(reset.id).decided_by_id == c.id


def test_an_administrator_cannot_give_themselves_a_role_through_a_new_account(app, admins):
    a, a_client, c, c_client = admins
    mine = _new_account(a_client, "a.casework@example.org", ["marac_coordinator"], a.agency_id)
    [grant] = pending_requests(mine.id)
    # A cannot approve it, and the new account has nothing to use.
    decide(a_client, grant)
    assert _fresh(mine.id).roles == set()
    mine_client = signed_in(app, _enrol(mine))
    assert mine_client.get("/marac/").status_code == 403
    assert mine_client.get("/admin/approvals").status_code == 403
    assert decide(mine_client, grant).status_code == 403

    # Nor through a second administrator account A creates for the purpose, even once C
    # (not noticing) makes it an administrator.
    helper = _new_account(a_client, "a.admin@example.org", ["admin"], a.agency_id)
    approve_only_request(c_client, helper.id)
    helper_client = signed_in(app, _enrol(helper))
    decide(helper_client, grant)
    assert _fresh(mine.id).roles == set()
    assert [d.data["details"]["reason"] for d in _denials(grant.id)] == ["own_request", "requester_changed_approver"]
    assert _request(grant.id).status == "pending"


def test_accounts_sharing_a_creator_cannot_approve_each_others_requests(app, factory):
    a, c = factory.user("admin"), factory.user("admin")
    victim = factory.user("idva")
    b, _ = admin.create_account(
        a, email="bravo@example.org", display_name="B", agency_id=a.agency_id, roles={"admin"}, password=PASSWORD
    )
    d, _ = admin.create_account(
        a, email="delta@example.org", display_name="D", agency_id=a.agency_id, roles={"admin"}, password=PASSWORD
    )
    for account in (b, d):
        [grant] = pending_requests(account.id)
        admin.approve_request(grant, c, grant.version_id)
    db.session.commit()

    request = admin.request_mfa_reset(b, victim)
    # D was created by the same administrator as B (A knows both first passwords).
    assert admin.approval_refusal(request, d).reason == "accounts_not_independent"
    # A created B's account: the creator cannot approve for the account either.
    assert admin.approval_refusal(request, a).reason == "accounts_not_independent"
    assert admin.approval_refusal(request, c) is None
    # And the other way round: B and D cannot approve A's requests.
    request = admin.request_mfa_reset(a, factory.user("idva"))
    assert admin.approval_refusal(request, b).reason == "requester_changed_approver"
    assert admin.approval_refusal(request, d).reason == "requester_changed_approver"
    assert admin.approval_refusal(request, c) is None


def test_changing_an_administrators_sign_in_makes_them_dependent(app, factory):
    a, c, e = factory.user("admin"), factory.user("admin"), factory.user("admin")
    # A asks for C's password to be set (e.g. C forgot it); E approves. A knew that password,
    # so C can never approve A's requests, nor A approve C's.
    request = admin.request_temporary_password(a, c, "a temporary phrase for c 1")
    admin.approve_request(request, e, request.version_id)
    db.session.commit()
    victim = factory.user("idva")
    request = admin.request_mfa_reset(a, victim)
    assert admin.approval_refusal(request, c).reason == "requester_changed_approver"
    assert admin.approval_refusal(request, e) is None
    other = admin.request_mfa_reset(c, factory.user("idva"))
    assert admin.approval_refusal(other, a).reason == "accounts_not_independent"
    # Recorded as provenance, ids and kinds only.
    kinds = set(db.session.execute(sa.select(AccountChange.actor_id, AccountChange.target_user_id, AccountChange.kind)))
    assert (a.id, c.id, "password") in kinds and (a.id, victim.id, "mfa") in kinds


def test_nobody_approves_a_request_about_their_own_account(app, admins):
    a, a_client, c, c_client = admins
    resp = a_client.post(f"/admin/users/{c.id}/reset-mfa", data={"csrf_token": page_token(a_client)})
    assert resp.status_code == 302
    [request] = pending_requests(c.id)
    decide(c_client, request)
    assert _fresh(c.id).mfa_enrolled and _request(request.id).status == "pending"
    assert _denials(request.id)[-1].data["details"] == {"reason": "own_account"}
    # Nor asks for changes to their own account.
    resp = a_client.post(f"/admin/users/{a.id}/reset-mfa", data={"csrf_token": page_token(a_client)})
    assert "You cannot ask for changes to your own account" in a_client.get(resp.headers["Location"]).text
    assert not pending_requests(a.id)


def test_expired_requests_cannot_be_approved(app, factory, admins):
    a, a_client, c, c_client = admins
    victim = factory.user("idva")
    a_client.post(f"/admin/users/{victim.id}/password", data={"csrf_token": page_token(a_client), "password": "x" * 3})
    assert not pending_requests(victim.id)  # a weak password is refused before anything is asked
    resp = a_client.post(
        f"/admin/users/{victim.id}/password",
        data={"csrf_token": page_token(a_client), "password": "a temporary phrase 42"},
    )
    assert resp.status_code == 302
    [request] = pending_requests(victim.id)
    assert request.secret_hash.startswith("$argon2id$") and "a temporary phrase 42" not in str(request.payload)
    db.session.execute(
        sa.update(AdminRequest).where(AdminRequest.id == request.id).values(requested_at=utcnow() - timedelta(days=8))
    )
    db.session.commit()
    # (the button from a page opened before the request expired)
    resp = decide(c_client, _request(request.id), page="/admin/users")
    assert "This request has expired" in c_client.get(resp.headers["Location"]).text
    assert _denials(request.id)[-1].data["details"] == {"reason": "expired"}
    assert _fresh(victim.id).password_hash != request.secret_hash
    # The list no longer offers it; the request is closed and forgets the password hash.
    page = c_client.get("/admin/approvals")
    assert "There are no requests waiting for approval" in page.text
    expired = _request(request.id)
    assert (expired.status, expired.secret_hash) == ("expired", None)
    assert audit_events("admin.request_expired")[-1].object_id == str(request.id)
    # and it does not block asking again
    resp = a_client.post(
        f"/admin/users/{victim.id}/password",
        data={"csrf_token": page_token(a_client), "password": "a temporary phrase 43"},
    )
    assert len(pending_requests(victim.id)) == 1


def test_double_and_stale_approvals_apply_once(app, factory, admins):
    a, a_client, c, c_client = admins
    e = factory.user("admin")
    e_client = signed_in(app, e)
    victim = factory.user("idva")
    a_client.post(f"/admin/users/{victim.id}/reset-mfa", data={"csrf_token": page_token(a_client)})
    [request] = pending_requests(victim.id)
    # An approval carrying a stale version changes nothing.
    resp = decide(c_client, request, version=request.version_id - 1)
    assert "Someone else changed this record" in c_client.get(resp.headers["Location"]).text
    assert _fresh(victim.id).mfa_enrolled and _request(request.id).status == "pending"
    # Approved once …
    version = request.version_id
    assert decide(c_client, request).status_code == 302
    assert not _fresh(victim.id).mfa_enrolled
    # … the same button pressed again, by C or by E, is refused and applies nothing.
    _enrol(victim)
    for client in (c_client, e_client):
        resp = decide(client, request, version=version)
        assert resp.status_code == 302
        assert "already been dealt with: approved" in client.get(resp.headers["Location"]).text
    assert _fresh(victim.id).mfa_enrolled
    assert len(audit_events("admin.mfa_reset")) == 1
    assert [d.data["details"]["reason"] for d in _denials(request.id)] == ["not_pending", "not_pending"]


def test_a_request_can_be_refused_or_cancelled(app, factory, admins):
    a, a_client, c, c_client = admins
    victim = factory.user("idva")
    token = page_token(a_client)
    a_client.post(f"/admin/users/{victim.id}/password", data={"csrf_token": token, "password": "some temp phrase 8"})
    [request] = pending_requests(victim.id)
    resp = decide(c_client, request, "refuse")
    assert "Request refused. Nothing was changed." in c_client.get(resp.headers["Location"]).text
    refused = _request(request.id)
    assert (refused.status, refused.decided_by_id, refused.secret_hash) == ("refused", c.id, None)
    assert audit_events("admin.request_refused")[-1].object_id == str(request.id)
    # Approving after a refusal is refused.
    decide(signed_in(app, factory.user("admin")), refused)
    assert _request(request.id).status == "refused"
    assert not audit_events("admin.password_reset")

    # (A asked to set this account's password today, so asks for another account's reset.)
    victim = factory.user("idva")
    a_client.post(f"/admin/users/{victim.id}/reset-mfa", data={"csrf_token": page_token(a_client)})
    [request] = pending_requests(victim.id)
    page = a_client.get("/admin/approvals")
    assert "Cancel request" in page.text and f"/admin/approvals/{request.id}/approve" not in page.text
    resp = decide(a_client, request, "refuse")
    assert "Request cancelled" in a_client.get(resp.headers["Location"]).text
    assert _request(request.id).status == "cancelled"
    assert _fresh(victim.id).mfa_enrolled


def test_pending_approvals_page(app, factory, admins):
    a, a_client, c, c_client = admins
    target = factory.user("idva")
    page = c_client.get(f"/admin/users/{target.id}")
    resp = c_client.post(
        f"/admin/users/{target.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(_fresh(target.id).version_id),
            "display_name": target.display_name,
            "agency_id": str(target.agency_id),
            "roles": ["idva", "marac_rep"],
            "is_active": "y",
        },
    )
    assert resp.headers["Location"].endswith(f"/admin/users/{target.id}")
    user_page = c_client.get(resp.headers["Location"]).text
    assert "Request sent for approval by another administrator" in user_page
    assert "Waiting for approval" in user_page and "MARAC agency representative" in user_page

    page = a_client.get("/admin/approvals")
    assert page.status_code == 200
    for text in ("Give roles", target.display_name, c.display_name, "Less than an hour", "Approve", "Refuse"):
        assert text in page.text, text
    [request] = pending_requests(target.id)
    assert f'action="/admin/approvals/{request.id}/approve"' in page.text
    assert page.text.count('name="csrf_token"') >= 2
    assert "Pending approvals" in a_client.get("/admin/users").text  # in the menu
    # Asking again for the same account while one is waiting is refused with a message.
    page = c_client.get(f"/admin/users/{target.id}")
    resp = c_client.post(
        f"/admin/users/{target.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(_fresh(target.id).version_id),
            "display_name": target.display_name,
            "agency_id": str(target.agency_id),
            "roles": ["idva", "marac_rep", "dpo"],
            "is_active": "y",
        },
    )
    assert resp.status_code == 400 and "already waiting for approval" in resp.text
    assert len(pending_requests(target.id)) == 1


def test_approval_bad_input_is_never_a_500(app, factory, admins):
    a, a_client, c, c_client = admins
    victim = factory.user("idva")
    a_client.post(f"/admin/users/{victim.id}/reset-mfa", data={"csrf_token": page_token(a_client)})
    [request] = pending_requests(victim.id)
    token = page_token(c_client, "/admin/approvals")
    assert c_client.post("/admin/approvals/999999/approve", data={"csrf_token": token}).status_code == 404
    assert c_client.post("/admin/approvals/abc/approve", data={"csrf_token": token}).status_code == 404
    assert c_client.post("/admin/approvals/-1/refuse", data={"csrf_token": token}).status_code == 404
    assert c_client.get(f"/admin/approvals/{request.id}/approve").status_code == 405
    assert c_client.get(f"/admin/approvals/{request.id}/refuse").status_code == 405
    assert c_client.post(f"/admin/approvals/{request.id}/approve").status_code == 400  # no CSRF token
    resp = c_client.post(
        f"/admin/approvals/{request.id}/approve", data={"csrf_token": token, "version_id": "not-a-number"}
    )
    assert resp.status_code == 302  # a conflict, reported
    assert c_client.get("/admin/approvals?page=abc").status_code == 200
    assert _fresh(victim.id).mfa_enrolled and _request(request.id).status == "pending"
    # Only administrators reach the page.
    analyst_client = signed_in(app, factory.user("analyst"))
    assert analyst_client.get("/admin/approvals").status_code == 403
    assert analyst_client.post(f"/admin/approvals/{request.id}/approve", data={"csrf_token": token}).status_code in (
        400,
        403,
    )
    assert _request(request.id).status == "pending"


def test_the_operator_creates_the_first_administrators_directly(app, factory):
    factory.agency("other", code="CSP")
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "first.admin@example.org", "--name", "First", "--agency", "CSP"]
        + ["--role", "admin"],
        input="a perfectly long passphrase 9\na perfectly long passphrase 9\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "first.admin@example.org"))
    assert user.roles == {"admin"}
    assert not pending_requests(user.id)
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(AccountChange))


def test_pending_approvals_page_runs_a_fixed_number_of_statements(app, factory, admins):
    from tests.integration.test_query_counts import _statements_for

    a, _, c, c_client = admins
    admin.request_mfa_reset(a, factory.user("idva"))
    db.session.commit()
    few = _statements_for(c_client, "/admin/approvals")
    for n in range(12):
        target = factory.user("idva")
        if n % 2:
            admin.request_roles(a, target, {"marac_rep"})
        else:
            admin.request_mfa_reset(factory.user("admin"), target)
    db.session.commit()
    resp = c_client.get("/admin/approvals")
    assert resp.text.count("/admin/approvals/") >= 2 * 13
    assert _statements_for(c_client, "/admin/approvals") == few
