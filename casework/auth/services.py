"""Authentication rules: passwords, two-factor codes, throttling and sessions.

Modelled on SecureDrop: argon2id hashes, TOTP with codes never reusable, a
growing wait after repeated failures (never a lock an attacker could hold shut),
one generic failure message, the half-signed-in state and sessions held
server-side so that a password change, MFA reset or deactivation ends them all.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy.orm import defer, joinedload
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..core import audit, crypto
from ..core.models import LoginAttempt, PendingSignIn, User, UserSession
from ..core.types import utcnow
from ..extensions import db

GENERIC_FAILURE = (
    "Sign-in failed. Check your details and try again. "
    "After several failed attempts, wait a few minutes before trying again."
)
CODE_ERROR = "Enter the 6-digit code from your authenticator app"
TOTP_STEP = 30
# ASCII digits only: str.isdigit() and \d also accept other scripts' digits ("١٢٣٤٥٦",
# "１２３４５６"), which the code generator never produces and compare_digest refuses.
_CODE = re.compile(r"[0-9]{6}")

_COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])


class PasswordPolicyError(ValueError):
    pass


# --- passwords -------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why a new password is refused, or None. NCSC guidance: length and a deny list."""
    cfg = current_app.config
    lo, hi = cfg["PASSWORD_MIN_LENGTH"], cfg["PASSWORD_MAX_LENGTH"]
    if len(password) < lo:
        return f"Password must be at least {lo} characters"
    if len(password) > hi:
        return f"Password must be {hi} characters or fewer"
    lowered = password.casefold()
    if lowered in _COMMON_PASSWORDS or len(set(lowered)) < 4:
        return "Password is too common or too easy to guess; choose a longer phrase"
    if email and email.split("@")[0].casefold() in lowered:
        return "Password must not contain your email address"
    return None


def hash_password(password: str) -> str:
    if len(password) > current_app.config["PASSWORD_MAX_LENGTH"]:
        raise PasswordPolicyError("password too long")  # checked before hashing
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, new hash if the parameters changed). Touches no database row, so a caller
    can run it outside any transaction: hashing must not hold the database's write lock."""
    if len(password) > current_app.config["PASSWORD_MAX_LENGTH"]:
        return False, None
    hasher = _hasher()
    try:
        hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None)


def check_password(user: User, password: str) -> bool:
    ok, new_hash = verify_password(user.password_hash, password)
    if ok and new_hash:
        user.password_hash = new_hash
    return ok


_DUMMY_HASH: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    """A hash of a random password under the current parameters, verified when no usable
    account matches so that an unknown address costs the same argon2 work as a real one."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = _hasher().hash(secrets.token_hex(16))
    return _DUMMY_HASH[key]


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


# --- TOTP --------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, rendered locally (no third-party service)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff", title="QR code")


def normalise_code(code: str | None) -> str | None:
    """The code without spaces if it is exactly six ASCII digits, else None."""
    code = (code or "").replace(" ", "").strip()
    return code if _CODE.fullmatch(code) else None


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step the code belongs to (±1 step allowed for clock drift), or None."""
    code = normalise_code(code)
    if code is None:
        return None
    now = time.time() if at is None else at
    totp = pyotp.TOTP(secret)
    current = int(now // TOTP_STEP)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def accept_totp(user: User, code: str, secret: str | None = None) -> bool:
    """Check a code and burn its time step so the same code cannot be used again."""
    secret = secret or user.totp_secret
    if not secret:
        return False
    step = matching_step(secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def pending_enrolment_secret(session, pending: PendingSignIn) -> str:
    """The TOTP secret offered to this browser's pending sign-in.

    It lives encrypted in this session only, bound to this pending sign-in, and reaches
    the user's record when a code from it is verified, so someone else who knows the
    password cannot read the secret the real user will enrol with.
    """
    aad = f"session.enrol.{pending.token_hash}"
    token = session.get("enrol_secret")
    if token:
        try:
            return crypto.decrypt(base64.b64decode(token), aad).decode()
        except (ValueError, crypto.DecryptionError, crypto.KeyringError):
            pass
    secret = new_totp_secret()
    session["enrol_secret"] = base64.b64encode(crypto.encrypt(secret.encode(), aad)).decode()
    return secret


def reset_mfa(user: User) -> None:
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    end_all_sessions(user, "mfa_reset")


# --- throttling ----------------------------------------------------------------------
#
# No account is ever locked by failures: a lock that anyone who knows an address can keep
# shut is a denial of service against the people who need the records. Instead each
# failed step is one row in ``login_attempt``; the next attempt waits 2^k seconds after the
# last failure once a decaying count passes a free allowance (SECURITY.md, "Sign-in").


def sign_in_identity(email: str | None) -> str:
    """The e-mail address as accounts are looked up (stored addresses are lower case)."""
    return (email or "").strip().lower()


def account_key(email: str) -> bytes:
    """Keyed hash of the e-mail address typed: the same work and the same counting whether
    or not an account has it, and no e-mail address stored with the failures. Any two
    spellings that reach the same account share the key."""
    return crypto.blind_index("login.account", sign_in_identity(email))


def decayed_count(times: list[datetime], now: datetime, half_life: timedelta) -> float:
    """Each failure counts 1, halving every ``half_life``: old mistakes fade on their own."""
    seconds = half_life.total_seconds()
    return sum(0.5 ** (max((now - at).total_seconds(), 0.0) / seconds) for at in times)


def backoff(count: float, free: int, cap: timedelta) -> timedelta:
    """The wait after the last failure: none within ``free`` failures, then 2, 4, 8 …
    seconds for each failure beyond, never more than ``cap``."""
    beyond = int(count + 0.5) - free + 1
    if beyond <= 0:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(beyond, 30)), cap)


# Only the most recent failures are read: a few dozen already reach the longest wait, and a
# flood from many addresses must not make every check read thousands of rows.
_COUNTED_FAILURES = 64


@dataclass(frozen=True)
class Wait:
    """Whether the next attempt must wait, until when, and which count asked for it."""

    until: datetime | None = None
    reason: str | None = None  # "ip", "account_ip" or "account"


def sign_in_wait(key: bytes, ip: str, now: datetime | None = None) -> Wait:
    """The wait before this account may be tried again from this address.

    Three counts: distinct accounts that failed from this address in ``LOGIN_IP_WINDOW``
    (spraying; one person's own mistakes never add up here), the decaying count for
    (account, address) with the long cap, and the decaying count for the account from
    every address with the short cap, so an attacker elsewhere can delay the real user
    by at most ``LOGIN_ACCOUNT_BACKOFF_CAP``.
    """
    cfg = current_app.config
    now = now or utcnow()
    since = now - cfg["LOGIN_IP_WINDOW"]
    ip_rows = db.session.execute(
        sa.select(sa.func.count(sa.distinct(LoginAttempt.account_key)), sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.ip == ip, LoginAttempt.at >= since
        )
    ).one()
    if ip_rows[0] >= cfg["LOGIN_IP_MAX_ACCOUNTS"]:
        return Wait(ip_rows[1] + cfg["LOGIN_IP_WINDOW"], "ip")

    half_life = cfg["LOGIN_FAILURE_HALF_LIFE"]
    recent = (
        sa.select(LoginAttempt.at)
        .where(LoginAttempt.account_key == key, LoginAttempt.at >= now - cfg["LOGIN_FAILURE_HORIZON"])
        .order_by(LoginAttempt.at.desc())
        .limit(_COUNTED_FAILURES)
    )
    for reason, query, free, cap in (
        ("account_ip", recent.where(LoginAttempt.ip == ip), cfg["LOGIN_FREE_FAILURES"], cfg["LOGIN_BACKOFF_CAP"]),
        ("account", recent, cfg["LOGIN_ACCOUNT_FREE_FAILURES"], cfg["LOGIN_ACCOUNT_BACKOFF_CAP"]),
    ):
        times = list(db.session.scalars(query))
        if not times:
            continue
        until = max(times) + backoff(decayed_count(times, now, half_life), free, cap)
        if until > now:
            return Wait(until, reason)
    return Wait()


@dataclass(frozen=True)
class Failure:
    """A failed or refused sign-in step, as recorded and audited."""

    stage: str
    key: bytes
    user_id: int | None = None
    # Refused before anything was checked (a wait was due): audited, not counted, so
    # retrying during the wait never makes it longer.
    refused: bool = False


def record_failure(failure: Failure, ip: str, now: datetime | None = None) -> None:
    """Count a failed step and audit it, in its own transaction (the request's work is discarded)."""
    db.session.rollback()
    cfg = current_app.config
    now = now or utcnow()
    if not failure.refused:
        db.session.add(LoginAttempt(at=now, ip=ip, account_key=failure.key, user_id=failure.user_id))
        if failure.user_id is not None:
            # Atomic increment: concurrent failures all count, and none is lost to a stale version.
            db.session.execute(
                sa.update(User).where(User.id == failure.user_id).values(failed_logins=User.failed_logins + 1)
            )
        oldest = now - max(cfg["LOGIN_FAILURE_HORIZON"], cfg["LOGIN_IP_WINDOW"])
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < oldest))
    audit.record(
        "auth.login_failed",
        object_type="user" if failure.user_id else None,
        object_id=failure.user_id,
        result="denied",
        details={"stage": failure.stage},
        actor_user_id=None,
    )
    db.session.commit()


def clear_failures(user: User, ip: str) -> None:
    """After a full sign-in: this address's failures for the account no longer count."""
    db.session.execute(
        sa.delete(LoginAttempt).where(LoginAttempt.account_key == account_key(user.email), LoginAttempt.ip == ip)
    )


def unlock(user: User) -> None:
    """An administrator clears every failure counted against the account."""
    user.failed_logins = 0
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.account_key == account_key(user.email)))


# --- the two sign-in steps --------------------------------------------------------------


@dataclass
class PasswordCheck:
    user: User | None = None  # the account, when the password step passed
    failure: Failure | None = None


def check_password_step(email: str, password: str, ip: str, now: datetime | None = None) -> PasswordCheck:
    """The password step, doing the same work whether or not an account has this address.

    A due wait and an over-long password are refused before any look-up; otherwise
    exactly one argon2 verification runs, against a dummy hash when no active account
    matches, so neither the answer nor its timing tells whether the account exists.
    """
    dummy = _dummy_hash()
    key = account_key(email)
    wait = sign_in_wait(key, ip, now)
    if wait.until is not None:
        stage = "ip_throttled" if wait.reason == "ip" else "throttled"
        return PasswordCheck(failure=Failure(stage, key, refused=True))
    if len(password) > current_app.config["PASSWORD_MAX_LENGTH"]:
        return PasswordCheck(failure=Failure("password_too_long", key))
    user = db.session.scalar(sa.select(User).where(User.email == sign_in_identity(email)))
    usable = user is not None and user.is_active and user.agency.is_active
    user_id = user.id if user is not None else None
    target = user.password_hash if usable else dummy
    db.session.commit()  # end the transaction: argon2 must not run while holding the database lock
    ok, new_hash = verify_password(target, password)
    if not (ok and usable):
        return PasswordCheck(failure=Failure("password", key, user_id))
    user = db.session.get(User, user_id)
    if new_hash:
        user.password_hash = new_hash
    return PasswordCheck(user=user)


def begin_pending_sign_in(user: User, now: datetime | None = None) -> tuple[str, str]:
    """Record that this browser passed the password step. Returns the token and the
    binding value for the browser's session; only their hashes are stored."""
    now = now or utcnow()
    lifetime = current_app.config["LOGIN_PENDING_LIFETIME"]
    db.session.execute(sa.delete(PendingSignIn).where(PendingSignIn.created_at < now - lifetime))
    token, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.session.add(
        PendingSignIn(token_hash=_hash_token(token), binding_hash=_hash_token(binding), user_id=user.id, created_at=now)
    )
    db.session.flush()
    return token, binding


def pending_sign_in(token: str | None, binding: str | None, now: datetime | None = None) -> PendingSignIn | None:
    """This session's pending sign-in, or None if the token is unknown, was issued to
    another session, was used already, is older than ``LOGIN_PENDING_LIFETIME``, or its
    account or agency is no longer active."""
    if not isinstance(token, str) or not isinstance(binding, str):
        return None
    row = db.session.scalar(sa.select(PendingSignIn).where(PendingSignIn.token_hash == _hash_token(token)))
    if row is None or not secrets.compare_digest(row.binding_hash, _hash_token(binding)):
        return None
    now = now or utcnow()
    if row.used_at is not None or now - row.created_at > current_app.config["LOGIN_PENDING_LIFETIME"]:
        return None
    if not row.user.is_active or not row.user.agency.is_active:
        return None
    return row


def record_refused_pending() -> None:
    """A code sent with a missing, replayed, foreign or expired pending sign-in."""
    audit.record_denial("auth.login_failed", details={"stage": "pending_refused"})


def check_code_step(
    pending: PendingSignIn,
    code: str,
    ip: str,
    *,
    secret: str | None = None,
    stage: str = "totp",
    now: datetime | None = None,
) -> Failure | None:
    """The two-factor step: None when the code is accepted and the pending sign-in used up.

    ``secret`` is the one being enrolled, if any. A due wait refuses the attempt before
    the code is looked at; the pending sign-in is marked used atomically, so two requests
    racing with the same one cannot both sign in.
    """
    user = pending.user
    key = account_key(user.email)
    if sign_in_wait(key, ip, now).until is not None:
        return Failure("throttled", key, user.id, refused=True)
    if not accept_totp(user, code, secret=secret):
        return Failure(stage, key, user.id)
    used = db.session.execute(
        sa.update(PendingSignIn)
        .where(PendingSignIn.id == pending.id, PendingSignIn.used_at.is_(None))
        .values(used_at=now or utcnow())
    ).rowcount
    if used != 1:
        return Failure("pending_refused", key, user.id, refused=True)
    return None


# --- sessions ---------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_hash_token(token), user_id=user.id))
    user._session_token = token
    user.failed_logins = 0
    user.last_login_at = utcnow()
    return token


@dataclass
class SessionCheck:
    user: User | None
    reason: str | None = None


def resume_session(token: str) -> SessionCheck:
    """Find the live session for a cookie token, enforcing idle and absolute timeouts."""
    row = db.session.scalar(
        sa.select(UserSession)
        .where(UserSession.token_hash == _hash_token(token))
        # The user, agency and roles in the same query; the password hash and TOTP secret
        # are needed only at sign-in, so they are not read (nor decrypted) on every request.
        .options(
            joinedload(UserSession.user).options(
                joinedload(User.role_rows), defer(User.totp_secret), defer(User.password_hash)
            )
        )
    )
    if row is None or row.ended_at is not None:
        return SessionCheck(None, "ended")
    cfg = current_app.config
    now = utcnow()
    reason = None
    if now - row.created_at > cfg["SESSION_ABSOLUTE_TIMEOUT"]:
        reason = "absolute_timeout"
    elif now - row.last_seen_at > cfg["SESSION_IDLE_TIMEOUT"]:
        reason = "idle_timeout"
    elif not row.user.is_active:
        reason = "deactivated"
    elif not row.user.agency.is_active:
        reason = "agency_deactivated"
    if reason:
        row.ended_at, row.end_reason = now, reason
        return SessionCheck(None, reason)
    if (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
    row.user._session_token = token
    return SessionCheck(row.user)


def end_session(token: str, reason: str = "logout") -> None:
    row = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == _hash_token(token)))
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = utcnow(), reason


def end_all_sessions(user: User, reason: str) -> int:
    """Log the user out everywhere (password change, MFA reset, deactivation)."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return result.rowcount or 0


def end_agency_sessions(agency_id: int, reason: str) -> int:
    """Log every user of an agency out everywhere (agency deactivated or its kind changed)."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(
            UserSession.user_id.in_(sa.select(User.id).where(User.agency_id == agency_id)),
            UserSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return result.rowcount or 0
