"""Sign-in, two-factor codes, lockout, throttling and sessions (DESIGN §5)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from casework.auth import services as auth
from casework.auth.services import GENERIC_FAILURE
from casework.core import crypto
from casework.core.models import LoginAttempt, PendingSignIn, User, UserSession
from casework.core.types import utcnow
from casework.extensions import db
from tests.helpers import (
    PASSWORD,
    approve_only_request,
    audit_events,
    csrf_token,
    is_login_redirect,
    login,
    page_token,
    post_form,
    signed_in,
    totp_now,
)


def _password_step(client, email: str, password: str, *, ip: str = "127.0.0.1", next_url: str | None = None):
    page = client.get("/login", environ_base={"REMOTE_ADDR": ip})
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(
        url,
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def _code_step(client, code: str):
    page = client.get("/login/code")
    return client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": code})


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _signed_in(client) -> bool:
    resp = client.get("/")
    return resp.status_code == 200 and "My work" in resp.text


# --- lockout and throttling ---------------------------------------------------------------


def test_repeated_failures_make_the_next_attempt_wait(app, factory, client):
    user = factory.user("idva")
    free = app.config["LOGIN_FREE_FAILURES"]
    assert free == 5
    for n in range(free):
        resp = _password_step(client, user.email, f"wrong password number {n}")
        assert resp.status_code == 200
        assert GENERIC_FAILURE in resp.text
        assert _fresh(user.id).failed_logins == n + 1

    # Within the wait the right password fails too, with exactly the same message, and the
    # refused attempt is audited but does not make the wait longer.
    resp = _password_step(client, user.email, PASSWORD)
    assert resp.status_code == 429
    assert GENERIC_FAILURE in resp.text
    assert "locked" not in resp.text.lower()
    assert not _signed_in(client)
    assert audit_events("auth.login_failed")[-1].data["details"]["stage"] == "throttled"
    assert _fresh(user.id).failed_logins == free
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == free

    # Once the wait (2 seconds after the fifth failure) has passed, the right password works.
    for row in db.session.scalars(sa.select(LoginAttempt)):
        row.at -= timedelta(seconds=3)
    db.session.commit()
    login(client, user)
    assert _signed_in(client)
    assert _fresh(user.id).failed_logins == 0
    # A full sign-in clears this address's failures for the account.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0


def test_unknown_account_and_wrong_password_look_the_same(app, factory):
    user = factory.user("idva")
    a = _password_step(app.test_client(), user.email, "not the right password")
    b = _password_step(app.test_client(), "nobody-here@example.org", "not the right password")
    assert a.status_code == b.status_code == 200
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", a.text) == strip.sub("", b.text)


def test_wrong_totp_counts_towards_lockout(app, factory, client):
    user = factory.user("idva")
    resp = _password_step(client, user.email, PASSWORD)
    assert resp.headers["Location"].endswith("/login/code")
    wrong = "000000" if totp_now(user) != "000000" else "111111"
    resp = _code_step(client, wrong)
    assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
    assert _fresh(user.id).failed_logins == 1
    assert not _signed_in(client)


def test_per_ip_throttle(app, factory):
    app.config["LOGIN_IP_MAX_ACCOUNTS"] = 3
    user = factory.user("idva")
    attacker = app.test_client()
    for n in range(3):
        resp = _password_step(attacker, f"guess{n}@example.org", "some password guess", ip="203.0.113.7")
        assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
    # Three distinct accounts failed from that address: even correct details are now
    # refused there, with the same message.
    resp = _password_step(attacker, user.email, PASSWORD, ip="203.0.113.7")
    assert resp.status_code == 429
    assert GENERIC_FAILURE in resp.text
    assert _fresh(user.id).failed_logins == 0  # the account itself is not penalised
    # Another address is unaffected.
    other = app.test_client()
    resp = _password_step(other, user.email, PASSWORD, ip="198.51.100.2")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/code")


# --- two-factor codes -------------------------------------------------------------------


def test_totp_code_cannot_be_reused(app, factory, client):
    user = factory.user("idva")
    code = totp_now(user)
    db.session.execute(sa.update(User).where(User.id == user.id).values(totp_last_step=None))
    db.session.commit()
    assert _password_step(client, user.email, PASSWORD).status_code == 302
    resp = _code_step(client, code)
    assert resp.status_code == 302
    assert _signed_in(client)
    resp = client.post("/logout", data={"csrf_token": page_token(client)})
    assert is_login_redirect(resp)
    assert not _signed_in(client)

    assert _password_step(client, user.email, PASSWORD).status_code == 302
    resp = _code_step(client, code)
    assert resp.status_code == 200
    assert GENERIC_FAILURE in resp.text
    assert not _signed_in(client)

    # The next time step's code is still accepted (±1 step for clock drift).
    next_code = pyotp.TOTP(_fresh(user.id).totp_secret).at(time.time() + 30)
    resp = _code_step(client, next_code)
    assert resp.status_code == 302
    assert _signed_in(client)


def test_accept_totp_unit(app, factory):
    user = factory.user("idva")
    secret = user.totp_secret
    user.totp_last_step = None
    assert not auth.accept_totp(user, "12345")  # too short
    assert not auth.accept_totp(user, "abcdef")
    old = pyotp.TOTP(secret).at(time.time() - 300)
    assert not auth.accept_totp(user, old)  # outside the drift window
    now = pyotp.TOTP(secret).now()
    assert auth.accept_totp(user, now)
    assert not auth.accept_totp(user, now)
    db.session.rollback()


def test_code_step_needs_the_password_step(app, factory, client):
    user = factory.user("idva")
    assert is_login_redirect(client.get("/login/code"))
    resp = client.post("/login/code", data={"csrf_token": page_token(client, "/login"), "code": totp_now(user)})
    assert is_login_redirect(resp)
    assert not _signed_in(client)


def test_enrolment_for_user_without_totp(app, factory, client):
    user = factory.user("idva", enrolled=False)
    assert _fresh(user.id).totp_secret is None
    resp = _password_step(client, user.email, PASSWORD)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/enrol")
    assert is_login_redirect(client.get("/"))  # the password alone does not sign in

    page = client.get("/login/enrol")
    assert page.status_code == 200
    assert "<svg" in page.text and "QR code" in page.text
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text).group(1)
    assert len(secret) == 32
    # Nothing is stored until a code from the secret is verified, and the secret is not
    # in the session cookie in clear either.
    assert _fresh(user.id).totp_secret is None
    assert secret not in (client.get_cookie("casework_session").value or "")
    # Reloading in this browser shows the same secret (the QR code stays valid) ...
    assert secret in client.get("/login/enrol").text
    # ... but another browser that knows the password is offered a different one, so it
    # cannot learn the secret the real user is about to enrol with.
    other = app.test_client()
    assert _password_step(other, user.email, PASSWORD).headers["Location"].endswith("/login/enrol")
    other_secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', other.get("/login/enrol").text).group(1)
    assert other_secret != secret

    totp = pyotp.TOTP(secret)
    wrong = "000000" if totp.now() != "000000" else "111111"
    resp = client.post("/login/enrol", data={"csrf_token": csrf_token(page.text), "code": wrong})
    assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
    assert not _fresh(user.id).mfa_enrolled
    assert not _signed_in(client)

    resp = client.post("/login/enrol", data={"csrf_token": csrf_token(page.text), "code": totp.now()})
    assert resp.status_code == 302
    assert _fresh(user.id).mfa_enrolled
    assert _signed_in(client)
    # Now stored, encrypted under the current key, never in plain text.
    raw = bytes(
        db.session.execute(sa.text('SELECT totp_secret FROM "user" WHERE id = :i'), {"i": user.id}).scalar_one()
    )
    assert secret.encode() not in raw
    assert crypto.key_id_of(raw) == crypto.keyring().current
    assert _fresh(user.id).totp_secret == secret
    assert [e.object_id for e in audit_events("auth.mfa_enrolled")] == [str(user.id)]


def test_enrolled_user_cannot_reenrol(app, factory, client):
    user = factory.user("idva")
    secret = user.totp_secret
    _password_step(client, user.email, PASSWORD)
    resp = client.get("/login/enrol")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/code")
    assert secret not in resp.text
    assert _fresh(user.id).totp_secret == secret


# --- sessions ---------------------------------------------------------------------------


def _session_row(user_id: int) -> UserSession:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id.desc())
    ).first()


def test_idle_timeout_ends_the_session(app, factory, client):
    user = factory.user("idva")
    login(client, user)
    row = _session_row(user.id)
    row.last_seen_at = utcnow() - timedelta(minutes=29)
    db.session.commit()
    assert _signed_in(client)  # 29 minutes idle: still fine

    row = _session_row(user.id)
    row.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    assert is_login_redirect(client.get("/"))
    assert is_login_redirect(client.get("/people/"))
    page = client.get("/login")
    assert page.status_code == 200 and "session timed out" in page.text
    assert is_login_redirect(client.get("/"))


def test_absolute_timeout_ends_the_session(app, factory, client):
    user = factory.user("idva")
    login(client, user)
    row = _session_row(user.id)
    row.created_at = utcnow() - timedelta(hours=11, minutes=59)
    row.last_seen_at = utcnow()
    db.session.commit()
    assert _signed_in(client)

    row = _session_row(user.id)
    row.created_at = utcnow() - timedelta(hours=12, minutes=1)
    row.last_seen_at = utcnow()  # active all along
    db.session.commit()
    assert is_login_redirect(client.get("/"))
    assert "session timed out" in client.get("/login").text
    assert is_login_redirect(client.get("/"))


def test_session_token_is_stored_hashed(app, factory, client):
    user = factory.user("idva")
    login(client, user)
    cookie = client.get_cookie("casework_session")
    assert cookie is not None
    row = _session_row(user.id)
    assert len(row.token_hash) == 64
    assert row.token_hash not in cookie.value


def test_login_regenerates_the_session(app, factory, client):
    user = factory.user("idva")
    client.get("/login")
    before = client.get_cookie("casework_session").value
    login(client, user)
    after = client.get_cookie("casework_session").value
    assert before != after


def _change_password(client, current: str, new: str, confirm: str | None = None):
    page = client.get("/account/password")
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.text),
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def test_password_change_ends_other_sessions_only(app, factory):
    user = factory.user("idva")
    here = signed_in(app, user)
    there = signed_in(app, user)
    assert _signed_in(here) and _signed_in(there)

    new_password = "a brand new passphrase 7"
    resp = _change_password(here, PASSWORD, new_password)
    assert resp.status_code == 302
    assert _signed_in(here)
    assert is_login_redirect(there.get("/"))
    events = audit_events("auth.password_changed")
    assert len(events) == 1 and events[0].data["details"]["sessions_ended"] == 2

    # The old password no longer works; the new one does.
    fresh = app.test_client()
    resp = _password_step(fresh, user.email, PASSWORD)
    assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
    login(app.test_client(), _fresh(user.id), new_password)


def test_password_change_needs_current_password(app, factory):
    user = factory.user("idva")
    client = signed_in(app, user)
    resp = _change_password(client, "not my password at all", "a brand new passphrase 7")
    assert resp.status_code == 400
    assert "current password is not correct" in resp.text
    assert auth.check_password(_fresh(user.id), PASSWORD)


def test_password_policy(app, factory):
    user = factory.user("idva")
    client = signed_in(app, user)
    for new_password, message in [
        ("short pw 1", "at least 12 characters"),
        ("qwerty123456", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("x" * 129, "128 characters or fewer"),
    ]:
        resp = _change_password(client, PASSWORD, new_password)
        assert resp.status_code == 400, new_password
        assert message in resp.text, new_password
        assert auth.check_password(_fresh(user.id), PASSWORD)
        assert _signed_in(client)


def test_password_must_not_contain_email_name(app, factory):
    user = factory.user("idva", email="jessica.jones@example.org")
    client = signed_in(app, user)
    resp = _change_password(client, PASSWORD, "Jessica.Jones rules 2024")
    assert resp.status_code == 400 and "email address" in resp.text


def test_password_confirmation_must_match(app, factory):
    user = factory.user("idva")
    client = signed_in(app, user)
    resp = _change_password(client, PASSWORD, "a brand new passphrase 7", "a different passphrase 8")
    assert resp.status_code == 400 and "do not match" in resp.text


def test_password_hashes_are_argon2id(app, factory):
    user = factory.user("idva")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    with pytest.raises(auth.PasswordPolicyError):
        auth.hash_password("y" * 500)
    assert not auth.check_password(user, "y" * 500)


def test_admin_mfa_reset_ends_sessions(app, factory):
    user = factory.user("idva")
    victim_client = signed_in(app, user)
    admin = signed_in(app, factory.user("admin"))
    resp = admin.post(f"/admin/users/{user.id}/reset-mfa", data={"csrf_token": page_token(admin)})
    assert resp.status_code == 302
    assert victim_client.get("/").status_code == 200  # nothing happens until a second administrator approves
    approve_only_request(signed_in(app, factory.user("admin")), user.id, "reset_mfa")
    assert is_login_redirect(victim_client.get("/"))
    fresh = _fresh(user.id)
    assert fresh.totp_secret is None and not fresh.mfa_enrolled
    assert _session_row(user.id).end_reason == "mfa_reset"
    # Next sign-in goes through enrolment again.
    resp = _password_step(app.test_client(), user.email, PASSWORD)
    assert resp.headers["Location"].endswith("/login/enrol")


def test_admin_deactivation_ends_sessions(app, factory):
    user = factory.user("idva")
    victim_client = signed_in(app, user)
    admin = signed_in(app, factory.user("admin"))
    page = admin.get(f"/admin/users/{user.id}")
    fresh = _fresh(user.id)
    resp = admin.post(
        f"/admin/users/{user.id}",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(fresh.version_id),
            "display_name": fresh.display_name,
            "agency_id": str(fresh.agency_id),
            "roles": ["idva"],
        },
    )
    assert resp.status_code == 302
    assert not _fresh(user.id).is_active
    assert is_login_redirect(victim_client.get("/"))
    assert _session_row(user.id).end_reason == "deactivated"
    resp = _password_step(app.test_client(), user.email, PASSWORD)
    assert resp.status_code == 200 and GENERIC_FAILURE in resp.text


def test_logout_ends_the_server_side_session(app, factory, client):
    user = factory.user("idva")
    login(client, user)
    cookie = client.get_cookie("casework_session").value
    client.post("/logout", data={"csrf_token": page_token(client)})
    assert _session_row(user.id).end_reason == "logout"
    # Replaying the old cookie does not bring the session back.
    replay = app.test_client()
    replay.set_cookie("casework_session", cookie)
    assert is_login_redirect(replay.get("/"))


# --- request hygiene -----------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(app, factory):
    user = factory.user("idva")
    anon = app.test_client()
    resp = anon.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 400
    assert "security token" in resp.text
    assert not _signed_in(anon)

    client = signed_in(app, user)
    resp = client.post("/logout")
    assert resp.status_code == 400
    assert _signed_in(client)
    resp = client.post("/people/new", data={"surname": "NoToken", "dob": "1990-01-01"})
    assert resp.status_code == 400
    assert "NoToken" not in client.get("/people/").text
    resp = client.post("/people/new", data={"csrf_token": "forged-token", "surname": "NoToken"})
    assert resp.status_code == 400


def test_session_cookie_flags(app, factory, client):
    user = factory.user("idva")
    client.get("/login")
    _password_step(client, user.email, PASSWORD)
    page = client.get("/login/code")
    resp = client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": totp_now(user)})
    cookies = [v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith("casework_session=")]
    assert cookies
    assert all("HttpOnly" in c for c in cookies)
    assert all("SameSite=Lax" in c for c in cookies)
    assert not any(k == "Set-Cookie" and v.startswith("remember_token=") for k, v in resp.headers.items())


OPEN_REDIRECTS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%09/evil.example",  # browsers drop the tab: //evil.example
    "/%0d%0a/evil.example",  # a newline would also break the Location header
]


def test_next_open_redirect_is_refused(app, factory):
    user = factory.user("idva")
    for target in OPEN_REDIRECTS:
        client = app.test_client()
        resp = _password_step(client, user.email, PASSWORD, next_url=target)
        assert resp.status_code == 302, target
        db.session.execute(sa.update(User).where(User.id == user.id).values(totp_last_step=None))
        db.session.commit()
        resp = _code_step(client, totp_now(user))
        assert resp.status_code == 302, target
        location = resp.headers["Location"]
        assert "evil" not in location and "javascript" not in location, (target, location)
        assert location in ("/", "http://localhost/"), (target, location)


def test_next_local_path_is_followed(app, factory, client):
    user = factory.user("idva")
    resp = client.get("/people/new")
    assert is_login_redirect(resp)
    assert "next=/people/new" in resp.headers["Location"]
    _password_step(client, user.email, PASSWORD, next_url="/people/new")
    resp = _code_step(client, totp_now(user))
    assert resp.headers["Location"].endswith("/people/new")


def test_signed_in_user_visiting_login_goes_home(app, factory):
    client = signed_in(app, factory.user("idva"))
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.headers["Location"] in ("/", "http://localhost/")


def test_pending_password_step_expires(app, factory, client):
    user = factory.user("idva")
    _password_step(client, user.email, PASSWORD)
    db.session.execute(sa.update(PendingSignIn).values(created_at=utcnow() - timedelta(minutes=5, seconds=1)))
    db.session.commit()
    assert is_login_redirect(client.get("/login/code"))
    resp = client.post("/login/code", data={"csrf_token": page_token(client, "/login"), "code": totp_now(user)})
    assert is_login_redirect(resp)
    assert not _signed_in(client)


def test_login_form_errors_are_400(app, client):
    resp = post_form(client, "/login", {"email": "", "password": ""})
    assert resp.status_code == 400
    assert "There is a problem" in resp.text
