"""Two-person rule in a real browser: one administrator adds a user with a role, another
approves it on the pending approvals page; both pages pass the WCAG checks."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import login_as, logout

pytestmark = pytest.mark.e2e

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{page.url}: {v['id']}: {v['help']}" for v in results.response["violations"]]


def test_a_new_users_role_waits_for_a_second_administrator(page: Page, live_server):
    with live_server.seed() as f:
        agency = f.agency("idva_service", code="IDVA", name="IDVA Service")
        first = f.user("admin", agency=agency)
        second = f.user("admin", agency=agency)
    problems: list[str] = []

    login_as(page, first)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Add a user").click()
    page.get_by_label("Full name").fill("Robin Newstarter")
    page.get_by_label("Email address").fill("robin.newstarter@example.org")
    page.get_by_label("Agency", exact=True).select_option(label="IDVA Service")
    page.get_by_label("IDVA", exact=True).check()
    page.get_by_label("Initial password").fill("a long first passphrase 31")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Request sent for approval by another administrator")
    expect(page.get_by_role("heading", level=2, name="Waiting for approval")).to_be_visible()
    problems += _violations(page)

    # The requester is offered only "Cancel request".
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Pending approvals").click()
    expect(page.get_by_role("button", name=re.compile("^Cancel request"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    logout(page)

    login_as(page, second)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Pending approvals").click()
    row = page.get_by_role("row").filter(has_text="Robin Newstarter")
    expect(row).to_contain_text("Give roles: IDVA")
    expect(row).to_contain_text(first.display_name)
    problems += _violations(page)
    row.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.get_by_text("There are no requests waiting for approval")).to_be_visible()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Users").click()
    expect(page.get_by_role("row").filter(has_text="Robin Newstarter")).to_contain_text("IDVA")
    assert problems == []
