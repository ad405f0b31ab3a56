"""A module adds blocks and next steps to a person's page through the registry: core's
person page knows no module by name."""

from __future__ import annotations

from casework.core import modules
from casework.core.modules import PersonAction, PersonSection, WorkItem
from tests.helpers import signed_in


def _sections(user, person, may_act):
    return [
        PersonSection(
            title="Hook test records",
            items=[WorkItem(label=f"Record for {person.reference}", url="/hook-test/1", detail="detail text")],
            actions=[PersonAction("Start hook work", "/hook-test/new", primary=True)] if may_act else [],
        ),
        PersonSection(title="Empty hook section", items=[], empty="Nothing in the hook."),
    ]


HOOK = modules.Module(
    name="hooktest",
    label="Hook test",
    case_kind="hooktest",
    case_label="Hook test",
    reference_prefix="HOOK",
    person_sections=_sections,
)


def test_person_page_shows_module_sections_and_actions(app, factory):
    worker = factory.user("idva")
    person = factory.person(worker, surname="Hooked")
    with modules.registered(HOOK), app.test_request_context():
        assert [s.title for s in modules.person_sections(worker, person, True)][-2:] == [
            "Hook test records",
            "Empty hook section",
        ]
    with modules.registered(HOOK):
        page = signed_in(app, worker).get(f"/people/{person.id}")
    assert page.status_code == 200
    assert "Hook test records" in page.text and f'<a href="/hook-test/1">Record for {person.reference}</a>' in page.text
    assert "detail text" in page.text
    assert "Empty hook section" in page.text and "Nothing in the hook." in page.text
    assert 'href="/hook-test/new">Start hook work</a>' in page.text
    # Without the module, nothing of it is shown.
    page = signed_in(app, worker).get(f"/people/{person.id}")
    assert "Hook test records" not in page.text


def test_actions_are_offered_only_to_users_who_may_act(app, factory):
    worker = factory.user("idva")
    person = factory.person(worker, surname="Hooked")
    with modules.registered(HOOK), app.test_request_context():
        sections = modules.person_sections(worker, person, False)
    assert all(not s.actions for s in sections if s.title.startswith("Hook"))
