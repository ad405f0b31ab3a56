"""Settings for casework.

One class per environment. Secrets and keys never live here: they come from
environment variables or from files in the instance folder (never committed).
Every domain threshold is a setting so a partnership can change its local rule.
"""

from __future__ import annotations

import os
from datetime import timedelta

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "dev", "secret", "placeholder"}


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class BaseConfig:
    NAME = "base"
    SECRET_KEY: str | None = os.environ.get("CASEWORK_SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Key ring: a JSON document (CASEWORK_KEYRING) or a file (CASEWORK_KEYRING_FILE).
    KEYRING_JSON = os.environ.get("CASEWORK_KEYRING")
    KEYRING_FILE = os.environ.get("CASEWORK_KEYRING_FILE")
    # Behind a reverse proxy: how many proxies set X-Forwarded-For / -Proto.
    TRUSTED_PROXIES = _env_int("CASEWORK_TRUSTED_PROXIES", 0)

    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_NAME = "casework_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    PREFERRED_URL_SCHEME = "http"
    SEND_HSTS = False

    # Sessions (DESIGN §5)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    # Sign-in throttling (SECURITY.md): no account is ever locked by failures. Each failed
    # step counts 1, halving every LOGIN_FAILURE_HALF_LIFE; past the free failures the next
    # attempt waits 2, 4, 8 … seconds after the last failure, up to the cap. Counted per
    # (account, address), and per account from every address with a short cap, so someone
    # elsewhere can only delay the real user by that cap.
    LOGIN_FAILURE_HALF_LIFE = timedelta(hours=1)
    LOGIN_FAILURE_HORIZON = timedelta(hours=24)  # older failures are ignored and deleted
    LOGIN_FREE_FAILURES = 5
    LOGIN_BACKOFF_CAP = timedelta(minutes=15)
    LOGIN_ACCOUNT_FREE_FAILURES = 10
    LOGIN_ACCOUNT_BACKOFF_CAP = timedelta(minutes=1)
    # One address that failed for this many distinct accounts within the window is refused
    # (password spraying); many people mistyping their own password behind one NAT are not.
    LOGIN_IP_MAX_ACCOUNTS = 10
    LOGIN_IP_WINDOW = timedelta(minutes=15)
    # Time allowed between the password step and the two-factor code.
    LOGIN_PENDING_LIFETIME = timedelta(minutes=5)

    # argon2id parameters (SecureDrop uses 64 MiB, t=4, p=2).
    ARGON2_TIME_COST = 4
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 2
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 128

    # Casework modules to load: each package registers itself with the module registry.
    CASEWORK_MODULES = tuple(
        m.strip()
        for m in os.environ.get("CASEWORK_MODULES", "casework.marac,casework.iom,casework.asb").split(",")
        if m.strip()
    )
    # Days a request for a second administrator's approval stays open before it expires.
    ADMIN_REQUEST_EXPIRY_DAYS = _env_int("CASEWORK_ADMIN_REQUEST_EXPIRY_DAYS", 7)

    TOTP_ISSUER = os.environ.get("CASEWORK_TOTP_ISSUER", "casework")
    # The partnership's time zone: times are entered and shown in it, and reporting
    # periods follow its local dates (DESIGN §7). An IANA name for zoneinfo.
    TIMEZONE = os.environ.get("CASEWORK_TIMEZONE", "Europe/London")
    PAGE_SIZE = 25
    # Bank holidays skipped by working-day deadlines (core/workdays.py): a GOV.UK-format JSON
    # file. Unset: England and Wales, shipped in casework/core/data. For Scotland or Northern
    # Ireland point this at that division's list (or GOV.UK's whole bank-holidays.json and
    # set the division, e.g. "scotland" or "northern-ireland").
    BANK_HOLIDAYS_FILE = os.environ.get("CASEWORK_BANK_HOLIDAYS_FILE") or None
    BANK_HOLIDAYS_DIVISION = os.environ.get("CASEWORK_BANK_HOLIDAYS_DIVISION") or None

    # Domain defaults (DESIGN §6; domain-notes §0). Override per partnership.
    DASH_MEDIUM_THRESHOLD = 10
    DASH_HIGH_THRESHOLD = 14
    MARAC_ESCALATION_INCIDENTS = 3
    MARAC_ESCALATION_WINDOW_DAYS = 365
    # SafeLives: a repeat falls within 12 calendar months of the last MARAC referral date.
    MARAC_REPEAT_WINDOW_MONTHS = 12
    MARAC_CUTOFF_WORKING_DAYS = 5
    ASB_REPEAT_INCIDENTS = 3
    ASB_REPEAT_WINDOW_DAYS = 365
    ASB_SUPPORT_PLAN_REVIEW_DAYS = 42
    ASB_CASE_REVIEW_COMPLAINTS = 3
    # ASB Case Review (Community Trigger; ASB, Crime and Policing Act 2014 s104 and Sch 4).
    # Threshold: this many complaints about the same problem (one ASB case) in the months
    # before the application, each made within ASB_CASE_REVIEW_REPORT_MONTHS of its incident.
    ASB_CASE_REVIEW_WINDOW_MONTHS = 6
    ASB_CASE_REVIEW_REPORT_MONTHS = 1
    # Deadlines in working days from the day the application was received (bank holidays as
    # BANK_HOLIDAYS_FILE): acknowledge it, decide on the threshold, hold the review meeting.
    ASB_CASE_REVIEW_ACKNOWLEDGE_WORKING_DAYS = 10
    ASB_CASE_REVIEW_DECISION_WORKING_DAYS = 15
    ASB_CASE_REVIEW_MEETING_WORKING_DAYS = 20
    # Working days to answer an appeal, from the day it was received.
    ASB_CASE_REVIEW_APPEAL_WORKING_DAYS = 20
    # 2025 statutory guidance: tell a victim about the Case Review at their second report
    # within this many months.
    ASB_CASE_REVIEW_PROMPT_MONTHS = 6
    # ASB victim contact cadence by risk band, in days (weekly for high risk; none for standard),
    # and the days until a victim's risk assessment is due again, by band.
    ASB_CONTACT_DAYS = {"high": 7, "medium": 14}
    ASB_REASSESS_DAYS = {"high": 28, "medium": 42, "standard": 91}
    # A replacement ASB victim risk questionnaire (questions, weights, bands) as a JSON file;
    # unset: casework/asb/data/risk_questionnaire.json.
    ASB_RISK_QUESTIONNAIRE = os.environ.get("CASEWORK_ASB_RISK_QUESTIONNAIRE") or None
    RETENTION_YEARS = 6
    # Small-number suppression in published figures: counts from 1 to this - 1 become "<this".
    SMALL_NUMBER_THRESHOLD = _env_int("CASEWORK_SMALL_NUMBER_THRESHOLD", 5)
    # Most rows one list download (CSV or XLSX) may hold; a longer list must be filtered first.
    EXPORT_MAX_ROWS = _env_int("CASEWORK_EXPORT_MAX_ROWS", 10_000)
    # Women aged 16+ in the MARAC area (census), for the SafeLives volume measure.
    MARAC_WOMEN_16_PLUS = _env_int("CASEWORK_MARAC_WOMEN_16_PLUS", 0) or None
    # Spreadsheet import: the largest file (bytes) and the most data rows taken at once. An
    # upload is also bounded by MAX_CONTENT_LENGTH; `flask import` reads files up to this size.
    IMPORT_MAX_BYTES = _env_int("CASEWORK_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
    IMPORT_MAX_ROWS = _env_int("CASEWORK_IMPORT_MAX_ROWS", 10_000)
    # Rows taken through the upload page: each row goes through the module's services (about
    # 10-30 ms), so a page request stays well inside a worker's timeout. Larger files: `flask import`.
    IMPORT_UPLOAD_MAX_ROWS = _env_int("CASEWORK_IMPORT_UPLOAD_MAX_ROWS", 1_000)

    # Information governance (issue 13). Most rows one audit log CSV export may hold.
    GOVERNANCE_EXPORT_LIMIT = _env_int("CASEWORK_GOVERNANCE_EXPORT_LIMIT", 100_000)
    # Subject access: months to answer (UK GDPR Art 12(3)) and the most it may be extended by.
    SAR_RESPONSE_MONTHS = 1
    SAR_MAX_EXTENSION_MONTHS = 2

    # Notifications and e-mail (casework/notifications). With no SMTP host, mails stay in the
    # outbox that administrators read at /notifications/admin (development).
    MAIL_SMTP_HOST = os.environ.get("CASEWORK_SMTP_HOST", "")
    MAIL_SMTP_PORT = _env_int("CASEWORK_SMTP_PORT", 587)
    MAIL_SMTP_STARTTLS = os.environ.get("CASEWORK_SMTP_STARTTLS", "1") not in ("0", "false", "no")
    MAIL_SMTP_USERNAME = os.environ.get("CASEWORK_SMTP_USERNAME", "")
    MAIL_SMTP_PASSWORD = os.environ.get("CASEWORK_SMTP_PASSWORD", "")
    MAIL_SMTP_TIMEOUT = _env_int("CASEWORK_SMTP_TIMEOUT", 30)
    MAIL_FROM = os.environ.get("CASEWORK_MAIL_FROM", "casework@localhost")
    # The address of casework that links in mails point to.
    MAIL_BASE_URL = os.environ.get("CASEWORK_BASE_URL", "http://127.0.0.1:5000")
    # Daily summaries are built at the first ``flask notify send`` after this local hour.
    NOTIFY_DIGEST_HOUR = _env_int("CASEWORK_NOTIFY_DIGEST_HOUR", 7)
    # A failed mail is tried again after 1, 2, 4 … minutes (capped), then left as failed.
    NOTIFY_MAX_ATTEMPTS = _env_int("CASEWORK_NOTIFY_MAX_ATTEMPTS", 6)
    NOTIFY_RETRY_BASE_SECONDS = 60
    NOTIFY_RETRY_CAP_SECONDS = 6 * 3600
    NOTIFY_SEND_BATCH = 100
    # A claim older than this (a sender that died mid-run) is taken over by the next sender.
    NOTIFY_CLAIM_TIMEOUT = 900
    # Reminder thresholds (``flask notify scan``).
    MARAC_RESEARCH_REMINDER_WORKING_DAYS = 2
    MARAC_ACTION_DUE_SOON_DAYS = 3
    MARAC_PLAN_REVIEW_NOTICE_DAYS = 7
    IOM_RELEASE_NOTICE_DAYS = 14
    IOM_PATHWAY_REVIEW_NOTICE_DAYS = 7
    IOM_CONTACT_OVERDUE_DAYS = 14
    ASB_PLAN_REVIEW_NOTICE_DAYS = 7
    # Working days before an ASB Case Review deadline when its reminder goes out.
    ASB_CASE_REVIEW_NOTICE_WORKING_DAYS = 3


class DevelopmentConfig(BaseConfig):
    NAME = "development"
    DEMO_MODE = True


class TestingConfig(BaseConfig):
    NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret-key-not-for-use-anywhere-else"  # noqa: S105 - tests only
    # Cheap argon2 so the suite runs quickly (SecureDrop's insecure_scrypt idea).
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    DEMO_MODE = True


class ProductionConfig(BaseConfig):
    NAME = "production"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Strict"
    PREFERRED_URL_SCHEME = "https"
    SEND_HSTS = True
    DEMO_MODE = False


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None) -> type[BaseConfig]:
    """Return the settings class; production is the default so nothing runs insecure by accident."""
    name = name or os.environ.get("CASEWORK_CONFIG", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown CASEWORK_CONFIG {name!r}; use one of {sorted(CONFIGS)}") from None
