"""Help: a short page per role at /help (what to do first, what each status means, who
sees what), linked from the header of every signed-in page; modules add their part
through the registry."""

from __future__ import annotations

from casework.core import modules
from tests.helpers import signed_in


def test_help_is_linked_from_the_header_and_needs_sign_in(app, client, factory):
    assert client.get("/help").status_code in (302, 401)
    user = factory.user("idva")
    c = signed_in(app, user)
    home = c.get("/")
    assert '<a href="/help">Help</a>' in home.text
    page = c.get("/help")
    assert page.status_code == 200 and 'href="/help" aria-current="page">Help</a>' in page.text


def test_each_role_sees_its_own_help(app, factory):
    idva = signed_in(app, factory.user("idva")).get("/help").text
    assert "As IDVA" in idva and "What to do first" in idva and "record a DASH risk assessment" in idva
    assert "As MARAC coordinator" not in idva and "As system administrator" not in idva
    assert "What each status means" in idva and "Listed for a meeting" in idva
    assert "Who sees what" in idva and "IDVA service and police only" in idva

    coord = signed_in(app, factory.user("marac_coordinator")).get("/help").text
    assert "As MARAC coordinator" in coord and "mark it as held" in coord

    rep = signed_in(app, factory.user("marac_rep")).get("/help").text
    assert "As MARAC agency representative" in rep and "No trace or Information held" in rep

    admin = signed_in(app, factory.user("admin")).get("/help").text
    assert "As system administrator" in admin and "As IDVA" not in admin

    asb = signed_in(app, factory.user("asb_officer")).get("/help").text
    assert "As ASB officer" in asb and "Log an ASB incident" in asb and "Case Review" in asb
    assert "As IDVA" not in asb and "As ASB partner agency worker" not in asb


def test_every_status_of_a_module_with_help_is_explained(app):
    for module in modules.modules():
        if module.help is None:
            continue
        assert set(module.help.statuses) == set(module.case_statuses), module.name
        assert set(module.help.roles) <= set(module.roles), module.name


def test_a_module_adds_its_help_through_the_registry(app, factory):
    extra = modules.Module(
        name="helptest",
        label="Help test",
        case_kind="helptest",
        case_label="Help test",
        reference_prefix="HELPT",
        roles={"helptest_worker": "Help test worker"},
        help=modules.ModuleHelp(
            roles={"helptest_worker": modules.RoleHelp("You test help.", ("Press the button",))},
            statuses={"open": "Being worked on", "closed": "Finished"},
            visibility=("Only you see this.",),
        ),
    )
    with modules.registered(extra):
        assert [m.name for m, _ in modules.help_for({"helptest_worker"})] == ["helptest"]
        assert modules.help_for({"idva"})[0][0].name == "marac"
        assert all(m.name != "helptest" for m, _ in modules.help_for({"idva"}))
