"""Authentication rules: passwords, two-factor codes, throttling and sessions.

Modelled on SecureDrop: argon2id hashes, TOTP with codes never reusable,
lockout after repeated failures, one generic failure message, sessions held
server-side so that a password change, MFA reset or deactivation ends them all.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..core import audit, crypto
from ..core.models import LoginAttempt, User, UserSession
from ..core.types import utcnow
from ..extensions import db

GENERIC_FAILURE = "Sign-in failed. Check your details and try again, or ask your administrator to unlock your account."
TOTP_STEP = 30

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


_DUMMY_HASH: dict[str, str] = {}


def burn_password_check(password: str) -> None:
    """Spend the same time as a real check when the account does not exist."""
    key = f"{current_app.config['ARGON2_TIME_COST']}:{current_app.config['ARGON2_MEMORY_COST']}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = _hasher().hash(secrets.token_hex(16))
    with contextlib.suppress(VerificationError):
        _hasher().verify(_DUMMY_HASH[key], password[:128])


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


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step the code belongs to (±1 step allowed for clock drift), or None."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
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


def pending_enrolment_secret(session, user: User) -> str:
    """The TOTP secret offered to this browser's pending sign-in.

    It lives encrypted in this session only and reaches the user's record when a
    code from it is verified, so someone else who knows the password cannot read
    the secret the real user will enrol with.
    """
    aad = f"session.enrol.{user.id}"
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


def is_locked(user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return user.locked_until is not None and user.locked_until > now


def ip_throttled(ip: str) -> bool:
    cfg = current_app.config
    since = utcnow() - cfg["LOGIN_IP_WINDOW"]
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.at >= since)
    )
    return count >= cfg["LOGIN_IP_MAX_FAILURES"]


def record_failure(user: User | None, ip: str, stage: str) -> None:
    """Count a failed step, lock the account past the limit, and audit it in its own transaction."""
    db.session.rollback()
    cfg = current_app.config
    db.session.add(LoginAttempt(ip=ip, user_id=user.id if user else None))
    details = {"stage": stage}
    if user is not None:
        # Atomic increments: concurrent failures all count, and none is lost to a stale version.
        db.session.execute(sa.update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
        locked = db.session.execute(
            sa.update(User)
            .where(User.id == user.id, User.failed_logins >= cfg["LOGIN_MAX_FAILURES"])
            .values(locked_until=utcnow() + cfg["LOGIN_LOCKOUT"])
        ).rowcount
        if locked:
            details["locked"] = True
    audit.record(
        "auth.login_failed",
        object_type="user" if user else None,
        object_id=user.id if user else None,
        result="denied",
        details=details,
        actor_user_id=None,
    )
    db.session.commit()


def unlock(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


# --- sessions ---------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_hash_token(token), user_id=user.id))
    user._session_token = token
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    return token


@dataclass
class SessionCheck:
    user: User | None
    reason: str | None = None


def resume_session(token: str) -> SessionCheck:
    """Find the live session for a cookie token, enforcing idle and absolute timeouts."""
    row = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == _hash_token(token)))
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
