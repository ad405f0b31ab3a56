"""The MARAC disclosure policy in a real browser: an administrator sets what housing sees,
the coordinator releases a victim's address from the case page, and housing then sees it.
Both pages are checked with axe-core."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .helpers import login_as, logout

pytestmark = pytest.mark.e2e

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
ADDRESS = "12 Lantern Row"


def _violations(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{page.url}: {v['id']}: {v['help']}" for v in results.response["violations"]]


def _seed(live_server):
    from casework.core import meetings as core_meetings
    from casework.marac import referrals

    with live_server.seed() as f:
        idva_service = f.agency("idva_service", code="IDVA", name="IDVA Service")
        housing = f.agency("housing", code="HOUS", name="Homes Trust")
        csp = f.agency("other", code="CSP", name="Partnership")
        admin = f.user("admin", agency=csp)
        idva = f.user("idva", agency=idva_service)
        coordinator = f.user("marac_coordinator", agency=csp)
        housing_rep = f.user("marac_rep", agency=housing)
        victim = f.person(idva, given_names="Robin", surname="Ashdown", dob=date(1990, 3, 4), address=ADDRESS)
        ref = referrals.create_referral(
            idva,
            victim,
            {
                "referral_date": date.today(),
                "referrer_name": "Indira Referrer",
                "victim_aware": "yes",
                "consent": "yes",
                "crit_professional_judgement": True,
                "judgement_reason": "Escalating threats",
            },
            perpetrators=[],
            children=[],
        )
        referrals.decide(coordinator, ref, accept=True, reason=None, version=ref.version_id)
        meeting = core_meetings.schedule(
            coordinator,
            kind="marac",
            starts_at=datetime.combine(date.today() + timedelta(days=20), time(10), tzinfo=UTC),
            venue="Civic Centre",
            chair_user_id=coordinator.id,
            agency_ids=[idva_service.id, housing.id],
        )
        core_meetings.list_case(coordinator, meeting, ref.case, reason="new")
        case_id = ref.case_id
    return admin, coordinator, housing_rep, case_id


def test_admin_sets_policy_and_coordinator_releases_address(page: Page, live_server):
    admin, coordinator, housing_rep, case_id = _seed(live_server)
    problems: list[str] = []

    login_as(page, admin)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="MARAC disclosure").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("What each kind of agency sees")
    problems += _violations(page)
    section = page.locator("#kind-housing")
    section.get_by_label("Victim: name").uncheck()
    section.get_by_role("button", name="Save what housing agencies see").click()
    expect(page.get_by_role("status")).to_contain_text("Saved what housing agencies see")
    expect(page.locator("#kind-housing").get_by_label("Victim: name")).not_to_be_checked()
    logout(page)

    login_as(page, housing_rep)
    page.goto(f"/marac/cases/{case_id}")
    expect(page.get_by_role("table", name="People in this case")).to_contain_text("RA")
    expect(page.get_by_text("Robin ASHDOWN")).to_have_count(0)
    expect(page.get_by_text(ADDRESS)).to_have_count(0)
    logout(page)

    login_as(page, coordinator)
    page.goto(f"/marac/cases/{case_id}")
    panel = page.locator("#release-panel")
    expect(panel).to_contain_text("withheld from Homes Trust")
    problems += _violations(page)
    panel.get_by_role("button", name="Release the victim's address").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter why the address is needed for research")
    page.locator("#release-panel").get_by_label("Why the agencies need").fill("Housing cannot find the tenancy")
    page.locator("#release-panel").get_by_role("button", name="Release the victim's address").click()
    expect(page.get_by_role("status")).to_contain_text("released for research")
    expect(page.locator("#release-panel")).to_contain_text("Housing cannot find the tenancy")
    problems += _violations(page)
    logout(page)

    login_as(page, housing_rep)
    page.goto(f"/marac/cases/{case_id}")
    expect(page.get_by_role("table", name="People in this case")).to_contain_text(ADDRESS)
    assert problems == []
