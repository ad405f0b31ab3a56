"""Attacks on sign-in that must fail: replaying the half-signed-in state, turning the
throttle against real users, telling accounts apart by the work done, and codes in
other scripts' digits (SECURITY.md, "Authentication and sessions")."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from casework.auth import services as auth
from casework.auth.services import CODE_ERROR, GENERIC_FAILURE
from casework.core.models import LoginAttempt, PendingSignIn, User, UserSession
from casework.core.types import utcnow
from casework.extensions import db
from tests.helpers import PASSWORD, audit_events, csrf_token, login, totp_now

USER_IP = "198.51.100.20"
ATTACKER_IP = "203.0.113.66"


def _password_step(client, email: str, password: str, *, ip: str = USER_IP):
    page = client.get("/login", environ_base={"REMOTE_ADDR": ip})
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def _code_page(client, url: str = "/login/code", *, ip: str = USER_IP):
    return client.get(url, environ_base={"REMOTE_ADDR": ip})


def _post_code(client, code: str, *, url: str = "/login/code", token: str | None = None, ip: str = USER_IP):
    if token is None:
        token = csrf_token(_code_page(client, url, ip=ip).text)
    return client.post(url, data={"csrf_token": token, "code": code}, environ_base={"REMOTE_ADDR": ip})


def _signed_in(client) -> bool:
    resp = client.get("/")
    return resp.status_code == 200 and "My work" in resp.text


def _session_count(user_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(UserSession.user_id == user_id))


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _code_at(user: User, offset_steps: int) -> str:
    return pyotp.TOTP(user.totp_secret).at(time.time() + 30 * offset_steps)


def _fail(email: str, ip: str, at, user_id: int | None = None) -> None:
    """One counted failure for this address typed, from ``ip``, at time ``at``."""
    auth.record_failure(auth.Failure("password", auth.account_key(email), user_id), ip, now=at)


# --- the half-signed-in state is server-side, single use, bound, short-lived ------------


def test_pending_state_is_a_random_token_stored_hashed(app, factory, client):
    user = factory.user("idva")
    assert _password_step(client, user.email, PASSWORD).status_code == 302
    with client.session_transaction() as sess:
        stored = dict(sess)
    assert set(stored) == {"pending_sign_in", "pending_binding", "next"}
    assert str(user.id) not in stored.values() and user.email not in str(stored)
    row = db.session.scalar(sa.select(PendingSignIn))
    assert row.user_id == user.id and row.used_at is None
    assert row.token_hash == hashlib.sha256(stored["pending_sign_in"].encode()).hexdigest()
    assert stored["pending_sign_in"] not in row.token_hash and stored["pending_binding"] not in row.binding_hash


def test_replayed_pending_cookie_cannot_open_a_second_session(app, factory, client):
    user = factory.user("idva")
    assert _password_step(client, user.email, PASSWORD).status_code == 302
    page = _code_page(client)
    token = csrf_token(page.text)
    captured = client.get_cookie("casework_session").value  # the browser's cookie, copied

    resp = _post_code(client, _code_at(user, 0), token=token)
    assert resp.status_code == 302 and _signed_in(client)
    assert _session_count(user.id) == 1
    burnt_step = _fresh(user.id).totp_last_step

    # Later, someone replays the copied cookie with a fresh, never used code (the next time
    # step, so the code itself would be accepted): no password, no second session.
    replay = app.test_client()
    replay.set_cookie("casework_session", captured)
    resp = _post_code(replay, _code_at(user, 1), token=token)
    assert resp.status_code == 302 and resp.headers["Location"].split("?")[0].endswith("/login")
    assert not _signed_in(replay)
    assert _session_count(user.id) == 1
    assert _fresh(user.id).totp_last_step == burnt_step  # the later code was never even checked
    assert audit_events("auth.login_failed")[-1].data["details"]["stage"] == "pending_refused"


def test_pending_sign_in_expires_after_five_minutes(app, factory):
    user = factory.user("idva")
    fresh_enough, too_old = app.test_client(), app.test_client()
    tokens = {}
    for client, age in ((fresh_enough, timedelta(minutes=4, seconds=50)), (too_old, timedelta(minutes=5, seconds=1))):
        assert _password_step(client, user.email, PASSWORD).status_code == 302
        tokens[client] = csrf_token(_code_page(client).text)
        row = db.session.scalars(sa.select(PendingSignIn).order_by(PendingSignIn.id.desc())).first()
        row.created_at = utcnow() - age
        db.session.commit()

    resp = _post_code(too_old, totp_now(user), token=tokens[too_old])
    assert resp.status_code == 302 and resp.headers["Location"].split("?")[0].endswith("/login")
    assert not _signed_in(too_old)
    assert _session_count(user.id) == 0

    resp = _post_code(fresh_enough, totp_now(user), token=tokens[fresh_enough])
    assert resp.status_code == 302 and _signed_in(fresh_enough)
    assert _session_count(user.id) == 1


def test_pending_token_from_one_browser_is_refused_in_another_session(app, factory):
    victim, attacker = factory.user("idva"), factory.user("idva")
    victim_browser, attacker_browser = app.test_client(), app.test_client()
    assert _password_step(victim_browser, victim.email, PASSWORD).status_code == 302
    with victim_browser.session_transaction() as sess:
        stolen = sess["pending_sign_in"]

    # The attacker passes the password step for their own account, then puts the victim's
    # token into their own session (their session keeps its own binding).
    assert _password_step(attacker_browser, attacker.email, PASSWORD, ip=ATTACKER_IP).status_code == 302
    token = csrf_token(_code_page(attacker_browser, ip=ATTACKER_IP).text)
    with attacker_browser.session_transaction() as sess:
        sess["pending_sign_in"] = stolen
    resp = _post_code(attacker_browser, totp_now(victim), token=token, ip=ATTACKER_IP)
    assert resp.status_code == 302 and resp.headers["Location"].split("?")[0].endswith("/login")
    assert not _signed_in(attacker_browser)
    assert _session_count(victim.id) == 0

    # A session holding the token alone (no binding) is refused too.
    bare = app.test_client()
    token = csrf_token(bare.get("/login").text)
    with bare.session_transaction() as sess:
        sess["pending_sign_in"] = stolen
    resp = _post_code(bare, totp_now(victim), token=token)
    assert resp.status_code == 302 and not _signed_in(bare)
    assert _session_count(victim.id) == 0

    # The victim's own browser is unaffected.
    resp = _post_code(victim_browser, totp_now(victim))
    assert resp.status_code == 302 and _signed_in(victim_browser)


def test_pending_sign_in_is_used_once_even_by_its_own_browser(app, factory, client):
    user = factory.user("idva")
    assert _password_step(client, user.email, PASSWORD).status_code == 302
    row = db.session.scalar(sa.select(PendingSignIn))
    assert auth.pending_sign_in(None, None) is None
    with client.session_transaction() as sess:
        token, binding = sess["pending_sign_in"], sess["pending_binding"]
    assert auth.pending_sign_in(token, binding).id == row.id
    assert auth.check_code_step(row, totp_now(user), USER_IP) is None
    db.session.commit()
    assert auth.pending_sign_in(token, binding) is None
    # Two requests racing with the same pending sign-in: only one may use it.
    failure = auth.check_code_step(row, _code_at(user, 1), USER_IP)
    assert failure is not None and failure.stage == "pending_refused"
    db.session.rollback()


def test_enrolment_needs_a_live_pending_sign_in(app, factory, client):
    user = factory.user("idva", enrolled=False)
    assert _password_step(client, user.email, PASSWORD).headers["Location"].endswith("/login/enrol")
    page = _code_page(client, "/login/enrol")
    assert page.status_code == 200
    db.session.execute(sa.update(PendingSignIn).values(used_at=utcnow()))
    db.session.commit()
    resp = _post_code(client, "123456", url="/login/enrol", token=csrf_token(page.text))
    assert resp.status_code == 302 and resp.headers["Location"].split("?")[0].endswith("/login")
    assert not _fresh(user.id).mfa_enrolled and not _signed_in(client)


# --- throttling that cannot be turned against the real user -------------------------------


def test_backoff_doubles_and_is_capped():
    cap = timedelta(minutes=15)
    assert [auth.backoff(n, 5, cap).total_seconds() for n in range(5)] == [0, 0, 0, 0, 0]
    assert [auth.backoff(n, 5, cap).total_seconds() for n in range(5, 10)] == [2, 4, 8, 16, 32]
    assert auth.backoff(14, 5, cap) == cap and auth.backoff(10_000, 5, cap) == cap


def test_failures_decay():
    now = utcnow()
    hour = timedelta(hours=1)
    assert auth.decayed_count([now, now], now, hour) == 2
    assert auth.decayed_count([now - hour, now - hour], now, hour) == pytest.approx(1)
    assert auth.decayed_count([now - 10 * hour] * 5, now, hour) < 0.01


def test_one_failure_every_quarter_hour_never_keeps_the_account_shut(app, factory):
    """The old lock: one wrong password every 15 minutes kept a known account locked for ever."""
    user = factory.user("idva")
    now = utcnow()
    for n in reversed(range(96)):  # a day of it, the last one a second ago
        _fail(user.email, ATTACKER_IP, now - timedelta(minutes=15 * n, seconds=1), user.id)
    key = auth.account_key(user.email)
    assert auth.sign_in_wait(key, USER_IP).until is None
    client = app.test_client()
    resp = _password_step(client, user.email, PASSWORD)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/code")
    resp = _post_code(client, totp_now(user))
    assert resp.status_code == 302 and _signed_in(client)


def test_an_attacker_elsewhere_delays_the_user_by_at_most_the_short_cap(app, factory):
    user = factory.user("idva")
    key = auth.account_key(user.email)
    now = utcnow()
    for n in range(40):  # a burst from many addresses
        _fail(user.email, f"203.0.113.{n}", now - timedelta(seconds=40 - n), user.id)
    last = now - timedelta(seconds=1)
    cap = app.config["LOGIN_ACCOUNT_BACKOFF_CAP"]
    wait = auth.sign_in_wait(key, USER_IP, now)
    assert wait.reason == "account" and wait.until == last + cap

    # During that minute the real user is refused with the generic message (and this refused
    # attempt does not lengthen anything) ...
    client = app.test_client()
    resp = _password_step(client, user.email, PASSWORD)
    assert resp.status_code == 429 and GENERIC_FAILURE in resp.text
    assert not _signed_in(client)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 40
    # ... and a minute after the last failure they sign in, while the attack keeps going.
    for row in db.session.scalars(sa.select(LoginAttempt)):
        row.at -= cap
    db.session.commit()
    assert auth.sign_in_wait(key, USER_IP).until is None
    login(client, user)
    assert _signed_in(client)


def test_the_attacking_address_gets_the_long_wait(app, factory):
    user = factory.user("idva")
    key = auth.account_key(user.email)
    now = utcnow()
    for n in range(20):
        _fail(user.email, ATTACKER_IP, now - timedelta(seconds=20 - n), user.id)
    wait = auth.sign_in_wait(key, ATTACKER_IP, now)
    assert wait.reason == "account_ip"
    assert wait.until == now - timedelta(seconds=1) + app.config["LOGIN_BACKOFF_CAP"]
    # A flood from other addresses afterwards does not hide that address's own failures.
    for n in range(100):
        _fail(user.email, f"192.0.2.{n}", now + timedelta(milliseconds=n), user.id)
    assert auth.sign_in_wait(key, ATTACKER_IP, now + timedelta(minutes=5)).reason == "account_ip"
    # Ten minutes later that address still waits; the user's own address does not.
    later = now + timedelta(minutes=10)
    assert auth.sign_in_wait(key, ATTACKER_IP, later).until is not None
    assert auth.sign_in_wait(key, USER_IP, later).until is None
    # The count fades: twelve hours later nothing is left of it.
    assert auth.sign_in_wait(key, ATTACKER_IP, now + timedelta(hours=12)).until is None


def test_a_wrong_code_counts_and_a_due_wait_stops_the_code_step(app, factory, client):
    user = factory.user("idva")
    assert _password_step(client, user.email, PASSWORD).status_code == 302
    wrong = "000000" if totp_now(user) != "000000" else "111111"
    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        resp = _post_code(client, wrong)
        assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
    # Now even the right code waits: guessing codes is throttled like guessing passwords.
    resp = _post_code(client, totp_now(user))
    assert resp.status_code == 429 and GENERIC_FAILURE in resp.text
    assert not _signed_in(client) and _session_count(user.id) == 0
    assert _fresh(user.id).failed_logins == app.config["LOGIN_FREE_FAILURES"]


def test_people_mistyping_behind_one_address_are_not_throttled(app, factory):
    """A shared NAT: many failures from one address, but for few distinct accounts."""
    limit = app.config["LOGIN_IP_MAX_ACCOUNTS"]
    colleagues = [factory.user("idva") for _ in range(limit - 1)]
    now = utcnow()
    for colleague in colleagues:
        for n in range(3):
            _fail(colleague.email, USER_IP, now - timedelta(minutes=5, seconds=n), colleague.id)
    user = factory.user("idva")
    assert auth.sign_in_wait(auth.account_key(user.email), USER_IP).until is None
    client = app.test_client()
    assert _password_step(client, user.email, PASSWORD).status_code == 302
    assert _post_code(client, totp_now(user)).status_code == 302 and _signed_in(client)


def test_failures_for_many_distinct_accounts_throttle_the_address(app, factory):
    limit = app.config["LOGIN_IP_MAX_ACCOUNTS"]
    user = factory.user("idva")
    attacker = app.test_client()
    for n in range(limit):
        resp = _password_step(attacker, f"sprayed{n}@example.org", "Summer2024!", ip=ATTACKER_IP)
        assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
    resp = _password_step(attacker, user.email, PASSWORD, ip=ATTACKER_IP)
    assert resp.status_code == 429 and GENERIC_FAILURE in resp.text
    assert not _signed_in(attacker)
    assert audit_events("auth.login_failed")[-1].data["details"]["stage"] == "ip_throttled"
    assert _fresh(user.id).failed_logins == 0
    # Once the window has passed, that address may try again.
    for row in db.session.scalars(sa.select(LoginAttempt)):
        row.at -= app.config["LOGIN_IP_WINDOW"]
    db.session.commit()
    assert _password_step(attacker, user.email, PASSWORD, ip=ATTACKER_IP).status_code == 302


def test_unknown_and_real_accounts_are_throttled_alike(app, factory):
    user = factory.user("idva")
    responses = []
    for email in (user.email, "nobody-here@example.org"):
        client = app.test_client()
        for n in range(app.config["LOGIN_FREE_FAILURES"]):
            assert _password_step(client, email, f"wrong guess {n}").status_code == 200
        responses.append(_password_step(client, email, "one more guess"))
    assert [r.status_code for r in responses] == [429, 429]
    assert responses[0].text.count(GENERIC_FAILURE) == responses[1].text.count(GENERIC_FAILURE) == 1


def test_failure_rows_hold_no_email_address(app, factory, client):
    user = factory.user("idva")
    _password_step(client, user.email, "not the right password")
    _password_step(client, "someone.else@example.org", "not the right password")
    rows = db.session.scalars(sa.select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert len(rows) == 2 and len({r.account_key for r in rows}) == 2
    for row in rows:
        assert b"example.org" not in row.account_key and len(row.account_key) == 16
    assert rows[0].account_key == auth.account_key(user.email.upper())


# --- the same work whether or not the account exists -------------------------------------


class _CountingHasher(auth.PasswordHasher):
    calls: list[str] = []

    def hash(self, *args, **kwargs):
        _CountingHasher.calls.append("hash")
        return super().hash(*args, **kwargs)

    def verify(self, *args, **kwargs):
        _CountingHasher.calls.append("verify")
        return super().verify(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch):
    monkeypatch.setattr(auth, "PasswordHasher", _CountingHasher)
    statements: list[str] = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)

    def run(client, email: str, password: str):
        auth._DUMMY_HASH.clear()  # a fresh worker: the dummy hash is made on either path
        _CountingHasher.calls = []
        statements.clear()
        resp = _password_step(client, email, password)
        user_lookups = [s for s in statements if 'FROM "user"' in s or "FROM user " in s]
        return resp, list(_CountingHasher.calls), user_lookups

    yield run
    sa.event.remove(db.engine, "before_cursor_execute", listen)


def test_known_and_unknown_accounts_cost_the_same_hashing(app, factory, counted):
    user = factory.user("idva")
    inactive = factory.user("idva")
    db.session.execute(sa.update(User).where(User.id == inactive.id).values(is_active=False))
    db.session.commit()
    too_long = "x" * (app.config["PASSWORD_MAX_LENGTH"] + 1)

    known = counted(app.test_client(), user.email, "not the right password")
    unknown = counted(app.test_client(), "nobody-here@example.org", "not the right password")
    deactivated = counted(app.test_client(), inactive.email, "not the right password")
    for resp, calls, lookups in (known, unknown, deactivated):
        assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
        assert calls == ["hash", "verify"]  # the dummy hash is made, then one verification
        assert len(lookups) == 1

    long_known = counted(app.test_client(), user.email, too_long)
    long_unknown = counted(app.test_client(), "nobody-here@example.org", too_long)
    for resp, calls, lookups in (long_known, long_unknown):
        assert resp.status_code == 200 and GENERIC_FAILURE in resp.text
        assert calls == ["hash"]  # only the dummy hash: no verification at all
        assert lookups == []  # refused before any look-up
    assert audit_events("auth.login_failed")[-1].data["details"]["stage"] == "password_too_long"

    # With the dummy hash already made, one verification each way.
    _CountingHasher.calls = []
    client = app.test_client()
    _password_step(client, user.email, "not the right password either")
    _password_step(client, "nobody-here@example.org", "not the right password either")
    assert _CountingHasher.calls == ["verify", "verify"]


def test_a_throttled_attempt_costs_no_hashing_for_either(app, factory, counted):
    user = factory.user("idva")
    now = utcnow()
    for email in (user.email, "nobody-here@example.org"):
        for n in range(app.config["LOGIN_FREE_FAILURES"]):
            _fail(email, USER_IP, now - timedelta(seconds=n))
    for email in (user.email, "nobody-here@example.org"):
        resp, calls, lookups = counted(app.test_client(), email, PASSWORD)
        assert resp.status_code == 429 and GENERIC_FAILURE in resp.text
        assert calls == ["hash"] and lookups == []


# --- codes are six ASCII digits ------------------------------------------------------------

FOREIGN_DIGITS = ["١٢٣٤٥٦", "１２３４５６", "۱۲۳۴۵۶", "१२३४५६", "𝟏𝟐𝟑𝟒𝟓𝟔", "12345６"]


def _in_script(code: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(c)) for c in code)


@pytest.mark.parametrize("url", ["/login/code", "/login/enrol"])
def test_codes_in_other_digits_are_a_form_error(app, factory, client, url):
    user = factory.user("idva", enrolled=url == "/login/code")
    assert _password_step(client, user.email, PASSWORD).headers["Location"].endswith(url)
    if url == "/login/enrol":
        page = _code_page(client, url)
        secret = page.text.split('<code class="secret">')[1].split("<")[0]
        right = pyotp.TOTP(secret).now()
    else:
        right = totp_now(user)
    # Even the right code written in another script's digits is refused, as a form error.
    for code in [*FOREIGN_DIGITS, _in_script(right, "\u0660"), _in_script(right, "\uff10")]:
        resp = _post_code(client, code, url=url)
        assert resp.status_code == 400, code
        assert CODE_ERROR in resp.text
        assert "There is a problem" in resp.text
        assert not _signed_in(client)
    fresh = _fresh(user.id)
    assert fresh.failed_logins == 0 and fresh.mfa_enrolled == (url == "/login/code")
    # The code in ASCII digits, with a space, works.
    resp = _post_code(client, f"{right[:3]} {right[3:]}", url=url)
    assert resp.status_code == 302 and _signed_in(client)


def test_matching_step_accepts_ascii_digits_only(app, factory):
    user = factory.user("idva")
    right = totp_now(user)
    assert auth.matching_step(user.totp_secret, right) is not None
    for code in [*FOREIGN_DIGITS, _in_script(right, "\u0660"), "", None, "1234567", "12345", "12a456"]:
        assert auth.normalise_code(code) is None
        assert auth.matching_step(user.totp_secret, code) is None
