"""The core journey in a real browser: sign in with TOTP, add people, duplicate warning, sign out."""

from __future__ import annotations

import re
import time
from datetime import date

import pyotp
import pytest
from playwright.sync_api import Page, expect

from .helpers import csp_violations, fill_date, login_as, logout, submit_password, totp_code

pytestmark = pytest.mark.e2e

SURNAME = "Thistlewood"
DOB = "1984-02-29"


def add_person(page: Page, *, given_names: str, surname: str, dob: str) -> None:
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
    page.get_by_role("link", name="Add a person").click()
    expect(page.get_by_role("heading", level=1, name="Add a person")).to_be_visible()
    page.get_by_label("Given names").fill(given_names)
    page.get_by_label("Surname").fill(surname)
    fill_date(page, "Date of birth", date.fromisoformat(dob))
    page.get_by_role("button", name="Save person").click()


def test_sign_in_add_people_duplicate_warning_sign_out(page: Page, live_server):
    user = live_server.user("idva")
    login_as(page, user)
    expect(page).to_have_title(re.compile("My work"))
    expect(page.get_by_text(f"{user.display_name} ·")).to_be_visible()

    # First record: saved, then shown.
    add_person(page, given_names="Alex", surname=SURNAME, dob=DOB)
    expect(page.get_by_role("status")).to_contain_text("created")
    expect(page.get_by_role("heading", level=1, name=f"Alex {SURNAME.upper()}")).to_be_visible()
    first_ref = page.locator(".caption").inner_text().strip()
    assert re.fullmatch(r"P\d{6}", first_ref), first_ref
    first_url = page.url
    expect(page.locator("dl.summary")).to_contain_text("29 Feb 1984")

    # Second record with the same surname (typed differently) and date of birth.
    add_person(page, given_names="Sam", surname=f"  {SURNAME.upper()} ", dob=DOB)
    warning = page.get_by_role("alert").filter(has_text="This person may already have a record")
    expect(warning).to_be_visible()
    match = warning.locator("#duplicate-candidates li")
    expect(match).to_have_count(1)
    expect(match).to_contain_text(f"Alex {SURNAME.upper()}")
    expect(match).to_contain_text(first_ref)
    expect(match).to_contain_text("same surname and date of birth")
    expect(match.get_by_role("link", name=f"Alex {SURNAME.upper()}")).to_have_attribute(
        "href", re.compile(re.escape(first_url.removeprefix(live_server.url)) + "$")
    )
    # The form kept what was typed, and the button now says what it will do.
    expect(page.get_by_label("Given names")).to_have_value("Sam")
    page.get_by_role("button", name="Create new record").click()

    expect(page.get_by_role("heading", level=1, name=f"Sam {SURNAME.upper()}")).to_be_visible()
    second_ref = page.locator(".caption").inner_text().strip()
    assert second_ref != first_ref
    assert page.url != first_url

    # Both records are listed.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="People").click()
    table = page.locator("table.table tbody")
    expect(table).to_contain_text(first_ref)
    expect(table).to_contain_text(second_ref)

    # Sign out: back on the sign-in page, and the session is gone.
    logout(page)
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    expect(page.get_by_label("Email address")).to_be_visible()
    page.goto("/people/")
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def test_enrolment_shows_qr_code_and_signs_in(page: Page, live_server):
    user = live_server.user("idva", enrolled=False)
    assert user.totp_secret is None

    submit_password(page, user.email)
    expect(page).to_have_url(re.compile(r"/login/enrol$"))
    expect(page.get_by_role("heading", level=1, name="Set up two-factor sign-in")).to_be_visible()
    qr = page.locator(".qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    secret = page.locator("code.secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret

    # A wrong code is refused and the same secret is offered again.
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time() + drift) for drift in (-30, 0, 30)}
    page.get_by_label("Security code").fill(next(c for c in ("000000", "111111", "222222") if c not in valid))
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("alert").filter(has_text="Sign-in failed")).to_be_visible()
    expect(page.locator("code.secret")).to_have_text(secret)

    page.get_by_label("Security code").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("heading", level=1, name="My work")).to_be_visible()

    # Enrolled now: the next sign-in asks for a code, not a QR code.
    logout(page)
    login_as(page, user, totp_secret=secret)


def test_csp_guard_catches_violations(page: Page, live_server, console_messages):
    """The console guard sees the app's CSP refusing something (then forgives it)."""
    page.goto("/login")
    page.evaluate(
        """() => {
            const img = new Image();
            img.src = "https://example.invalid/probe.png";
            document.body.append(img);
        }"""
    )
    for _ in range(40):
        if csp_violations(console_messages):
            break
        page.wait_for_timeout(50)
    assert csp_violations(console_messages), console_messages
    console_messages.clear()
