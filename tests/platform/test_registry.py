"""A module is a folder that registers itself: a throwaway module gets roles, capabilities,
menu, case page, meetings, actions, plans and "My work" with no edit to core."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from casework.core import actions, cases, meetings, modules, plans
from casework.core.access import CAPABILITIES, ROLES, capabilities_of, require
from casework.core.modules import RegistryError
from casework.core.services import ServiceError
from casework.extensions import db
from tests.conftest import IsolatedClient, make_app
from tests.helpers import Factory, signed_in


@pytest.fixture
def platform_app(database_url, keyring_json):
    from tests.platform import throwaway

    modules.register(throwaway.MODULE)
    app = make_app(
        database_url,
        keyring_json,
        CASEWORK_MODULES=("casework.marac", "casework.iom", "casework.asb", "tests.platform.throwaway"),
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    modules.unregister("throwaway")


@pytest.fixture
def world(platform_app):
    factory = Factory(platform_app)
    fire = factory.agency("fire", code="FIRE", name="Test Fire")
    worker = factory.user("throwaway_worker", agency=fire)
    person = factory.person(worker, surname="Throwaway")
    return factory, fire, worker, person


def test_roles_capabilities_and_unknown_capability(world):
    assert ROLES["throwaway_worker"] == "Throwaway worker"
    assert "throwaway.case.view" in CAPABILITIES["throwaway_worker"]
    assert "throwaway.case.view" in capabilities_of({"throwaway_worker"})
    with pytest.raises(ValueError, match="unknown capability"):
        require("throwaway.case.veiw")  # a typo fails when the view is declared


def test_registry_refuses_clashes(world):
    from tests.platform import throwaway

    clash = modules.Module(name="other", label="Other", case_kind="throwaway", case_label="X", reference_prefix="OTH")
    with pytest.raises(RegistryError, match="case kind"):
        modules.register(clash)
    same_role = modules.Module(
        name="other", label="Other", case_kind="other", case_label="X", reference_prefix="OTH", roles={"idva": "IDVA"}
    )
    with pytest.raises(RegistryError, match="roles"):
        modules.register(same_role)
    assert modules.register(throwaway.MODULE) is throwaway.MODULE  # the same module again is harmless


def test_menu_case_page_and_my_work(platform_app, world):
    factory, fire, worker, person = world
    case = factory.case(worker, kind="throwaway", people=[(person, "victim")])
    assert case.reference == f"THROW-{date.today().year}-0001"
    client = signed_in(platform_app, worker)
    home = client.get("/")
    assert 'href="/throwaway/"' in home.text and "Throwaway work" in home.text
    assert "Throwaway things to do" in home.text and "Feed the cat" in home.text
    page = client.get(f"/throwaway/cases/{case.id}")
    assert page.status_code == 200 and case.reference in page.text
    # Someone without the module's roles sees neither the menu entry nor the case.
    idva = factory.user("idva")
    other = signed_in(platform_app, idva)
    assert "Throwaway work" not in other.get("/").text
    denied = other.get(f"/throwaway/cases/{case.id}")
    assert denied.status_code == 403 and case.reference not in denied.text


def test_meetings_actions_and_plans_from_core(platform_app, world):
    factory, fire, worker, person = world
    case = factory.case(worker, kind="throwaway", people=[(person, "victim")])
    starts = datetime.combine(date.today() + timedelta(days=7), time(9), tzinfo=UTC)
    meeting = meetings.schedule(
        worker, kind="throwaway_panel", starts_at=starts, venue="Station", chair_user_id=None, agency_ids=[fire.id]
    )
    item = meetings.list_case(worker, meeting, case)
    assert item.reason == "new" and meetings.active_items(meeting) == [item]
    meetings.record_minutes(worker, item, minutes="Discussed", outcome="actions_agreed", version=item.version_id)
    with pytest.raises(ServiceError, match="outcome"):
        meetings.record_minutes(worker, item, minutes=None, outcome="transferred", version=item.version_id)
    action = actions.create_action(
        worker, case, meeting=meeting, agency_id=fire.id, description="Fit alarm", due_on=starts.date()
    )
    with pytest.raises(ServiceError, match="reason from the list"):
        actions.update_action(
            worker, action, status="not_done", note=None, not_done_reason="agency_not_done", version=action.version_id
        )
    actions.update_action(
        worker, action, status="not_done", note=None, not_done_reason="ran_out_of_time", version=action.version_id
    )
    assert action.not_done_reason == "ran_out_of_time"
    plan = plans.create_plan(worker, case, kind="throwaway_plan", title="Plan", review_due_on=date.today())
    with pytest.raises(ServiceError, match="kind of plan"):
        plans.create_plan(worker, case, kind="safety", title="Plan", review_due_on=None)
    db.session.commit()
    names = {e for (e,) in db.session.execute(db.text("SELECT action FROM audit_event")).all()}
    assert {"throwaway.meeting.schedule", "throwaway.meeting.list_case", "throwaway.action.create"} <= names
    assert {"throwaway.plan.create", "throwaway.case.create"} <= names
    assert plan.kind == "throwaway_plan"


def test_open_case_refuses_unregistered_kind_and_status(world):
    factory, fire, worker, person = world
    with pytest.raises(ServiceError, match="No module"):
        cases.open_case(
            kind="nonesuch", status="open", opened_on=date.today(), lead_agency_id=fire.id, created_by=worker
        )
    with pytest.raises(ServiceError, match="not a status"):
        cases.open_case(
            kind="throwaway", status="listed", opened_on=date.today(), lead_agency_id=fire.id, created_by=worker
        )
