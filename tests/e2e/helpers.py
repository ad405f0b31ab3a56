"""Browser-test helpers shared by every e2e module: the live server handle, sign-in,
TOTP codes that are never reused, and the CSP / page-error guard.

Typical use in a test::

    def test_something(page, live_server):
        with live_server.seed() as factory:
            user = factory.user("marac_coordinator")
        login_as(page, user)
        page.goto("/people/")

Objects created inside ``live_server.seed()`` are committed, re-loaded and detached
when the block ends, so their column attributes (``user.email``, ``user.totp_secret``,
``person.id``…) stay readable afterwards; relationships are not loaded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyotp
from flask import Flask
from playwright.sync_api import Page, expect

from casework.extensions import db
from tests.helpers import PASSWORD, Factory

TOTP_STEP = 30
CSP_MARKERS = ("Refused to", "Content Security Policy")


@dataclass
class LiveServer:
    """A running instance of the app: ``url`` for the browser, ``app`` for seeding and checks."""

    url: str
    app: Flask

    @contextmanager
    def seed(self) -> Iterator[Factory]:
        """An app context with a Factory; everything is committed before the block ends."""
        with self.app.app_context():
            yield Factory(self.app)
            db.session.commit()
            for obj in list(db.session.identity_map.values()):
                db.session.refresh(obj)  # load (and decrypt) while keys and session are at hand
            db.session.expunge_all()

    def user(self, *roles: str, **kwargs):
        """Shortcut: one committed, detached user (``enrolled=False`` for no TOTP yet)."""
        with self.seed() as factory:
            return factory.user(*roles, **kwargs)


# --- TOTP ------------------------------------------------------------------------

_last_step: dict[str, int] = {}


def totp_code(secret: str) -> str:
    """A valid code for ``secret`` that this test run has not used before.

    The app refuses a code from a time step it has already accepted (no replay) and
    allows one step of clock drift, so a second sign-in within 30 seconds uses the
    next step's code, and a third waits for the clock.
    """
    while True:
        now_step = int(time.time() // TOTP_STEP)
        step = max(now_step, _last_step.get(secret, now_step - 1) + 1)
        if step <= now_step + 1:
            break
        time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 0.05)
    _last_step[secret] = step
    return pyotp.TOTP(secret).at(step * TOTP_STEP)


# --- sign-in -----------------------------------------------------------------------


def submit_password(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def login_as(page: Page, user, *, password: str = PASSWORD, totp_secret: str | None = None) -> None:
    """Sign in through the real pages (password, then TOTP) and wait for "My work".

    ``user`` is anything with ``email`` and ``totp_secret`` (a user from ``live_server.seed()``).
    """
    secret = totp_secret or user.totp_secret
    assert secret, f"{user.email} has no TOTP secret: enrol first (see test_enrolment_*)"
    submit_password(page, user.email, password)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    page.get_by_label("Security code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="My work")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


# --- console guard -------------------------------------------------------------------


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if any(marker in m for marker in CSP_MARKERS)]


def page_errors(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith("uncaught error:")]


def server_errors(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith("server error:")]


# --- forms ---------------------------------------------------------------------------


def fill_date(page: Page, legend: str, day, scope=None) -> None:
    """Type a date into a GOV.UK day / month / year input, found by its legend."""
    group = (scope or page).get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))
