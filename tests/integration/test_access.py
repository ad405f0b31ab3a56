"""Access control: deny by default, capabilities per role, object-level policy (DESIGN §5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core import cases
from casework.core.access import (
    CAPABILITIES,
    ROLES,
    AccessDenied,
    authenticated,
    can_see_contact_details,
    can_view_case,
    can_view_person,
)
from casework.core.models import Action, AuditEvent, Meeting, Person, Plan, PlanItem, User
from casework.core.types import utcnow
from casework.extensions import db
from casework.marac.disclosure import DEFAULT_ADDRESS_KINDS
from tests.helpers import audit_events, csrf_token, is_login_redirect, marker, page_token, signed_in

PUBLIC = {"static", "healthz", "auth.login", "auth.code", "auth.enrol"}


def _world(factory) -> tuple[dict[str, object], str]:
    """Real objects for every URL parameter, and the marker held in the person's record."""
    m = marker()
    idva = factory.user("idva")
    police = factory.agency("police")
    person = factory.person(
        idva,
        given_names=f"{m}given",
        surname=f"{m}surname",
        address=f"{m}address",
        phone="07700 900111",
        notes=f"{m}notes",
    )
    case = factory.case(idva, agencies=[police], people=[(person, "victim")])
    meeting = Meeting(kind="marac", starts_at=utcnow() + timedelta(days=2), venue="Hall", chair_user_id=idva.id)
    action = Action(case_id=case.id, assigned_agency_id=police.id, description=f"{m}action", due_on=date.today())
    plan = Plan(case_id=case.id, kind="safety", title="Plan")
    plan.items = [PlanItem(area="Home", intervention=f"{m}item")]
    db.session.add_all([meeting, action, plan])
    db.session.commit()
    ids = {
        "person_id": person.id,
        "user_id": idva.id,
        "agency_id": idva.agency_id,
        "case_id": case.id,
        "meeting_id": meeting.id,
        "action_id": action.id,
        "plan_id": plan.id,
        "item_id": plan.items[0].id,
        "id": person.id,
    }
    return ids, m


def _routes(app, ids: dict[str, object]):
    """(endpoint, url, methods) for every rule, its parameters filled with real ids."""
    adapter = app.url_map.bind("localhost")
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        values = {arg: ids.get(arg, 1) for arg in rule.arguments}
        url = adapter.build(rule.endpoint, values)
        out.append((rule.endpoint, url, rule.methods - {"HEAD", "OPTIONS"}))
    return out


def test_route_list_covers_the_core(app, factory):
    ids, _ = _world(factory)
    endpoints = {e for e, _, _ in _routes(app, ids)}
    assert {"home.index", "people.view", "people.edit", "admin.users", "admin.user_reset_mfa", "auth.logout"} <= (
        endpoints
    )
    assert not endpoints & PUBLIC


# Endpoints any signed-in user may use, whatever their role. A new one must be added here on
# purpose: anything else needs a capability.
ANY_SIGNED_IN = {"home.index", "home.help_page", "auth.logout", "auth.change_password"}
# A user's own notifications and e-mail choices.
ANY_SIGNED_IN |= {
    "notifications.index",
    "notifications.mark_read",
    "notifications.mark_all_read",
    "notifications.preferences",
}


def test_every_endpoint_declares_its_access(app):
    seen = {"public": set(), "authenticated": set(), "capability": set()}
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        access = getattr(view, "access", None)
        assert access in seen, f"{endpoint} declares no access"
        seen[access].add(endpoint)
        if access == "capability":
            assert view.capability in {c for caps in CAPABILITIES.values() for c in caps}
    assert seen["public"] == PUBLIC - {"static"}
    assert seen["authenticated"] == ANY_SIGNED_IN


def test_every_endpoint_sends_anonymous_users_to_login(app, factory):
    ids, m = _world(factory)
    anon = app.test_client()
    token = csrf_token(anon.get("/login").text)
    head = db.session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
    checked = 0
    for endpoint, url, methods in _routes(app, ids):
        if "GET" in methods:
            resp = anon.get(url)
            assert is_login_redirect(resp), (endpoint, url, resp.status_code)
            assert m not in resp.text
        else:
            assert anon.get(url).status_code == 405, endpoint
        for method in methods - {"GET"}:
            resp = anon.open(url, method=method, data={"csrf_token": token})
            assert is_login_redirect(resp), (endpoint, method, resp.status_code)
            assert m not in resp.text
        checked += 1
    assert checked >= 15
    # Nothing an anonymous request did reached the database.
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.max(AuditEvent.seq))) == head
    assert db.session.get(User, ids["user_id"]).mfa_enrolled


def test_public_endpoints_are_reachable_anonymously(app):
    anon = app.test_client()
    assert anon.get("/login").status_code == 200
    assert anon.get("/healthz").status_code == 200
    # The two-factor steps need a password first: they go back to the sign-in page.
    assert is_login_redirect(anon.get("/login/code"))
    assert is_login_redirect(anon.get("/login/enrol"))


def _protected(app, ids):
    return [
        (endpoint, url, methods, app.view_functions[endpoint].capability)
        for endpoint, url, methods in _routes(app, ids)
        if hasattr(app.view_functions[endpoint], "capability")
    ]


def _role_clients(app, factory):
    users = {role: factory.user(role) for role in ROLES}
    clients = {role: signed_in(app, user) for role, user in users.items()}
    return users, clients


def test_capabilities_are_enforced_for_every_role(app, factory):
    ids, m = _world(factory)
    users, clients = _role_clients(app, factory)
    tokens = {role: page_token(client) for role, client in clients.items()}
    protected = _protected(app, ids)
    assert len(protected) >= 12
    denials = 0
    for endpoint, url, methods, capability in protected:
        for role, client in clients.items():
            if capability in CAPABILITIES[role]:
                continue
            for method in sorted(methods):
                data = {"csrf_token": tokens[role]} if method != "GET" else None
                before = len(audit_events("access.denied"))
                resp = client.open(url, method=method, data=data)
                assert resp.status_code == 403, (endpoint, role, method, resp.status_code)
                assert m not in resp.text, (endpoint, role)
                events = audit_events("access.denied")[before:]
                assert [(e.object_type, e.object_id, e.actor_user_id) for e in events] == [
                    ("endpoint", endpoint, users[role].id)
                ]
                denials += 1
    assert denials >= 50
    # Refused POSTs changed nothing.
    db.session.expire_all()
    target = db.session.get(User, ids["user_id"])
    assert target.mfa_enrolled and target.is_active


def test_roles_with_the_capability_are_not_refused(app, factory):
    """The control for the test above: the 403 comes from the capability, not from the page.
    Every GET page opens (real objects in the URL) for each role that holds its capability,
    without an endpoint denial; object-level checks may still answer 404 for what is out of scope."""
    ids, _ = _world(factory)
    users, clients = _role_clients(app, factory)
    opened = 0
    for endpoint, url, methods, capability in _protected(app, ids):
        if "GET" not in methods:
            continue
        for role, client in clients.items():
            if capability not in CAPABILITIES[role]:
                continue
            before = len(audit_events("access.denied"))
            resp = client.get(url)
            events = audit_events("access.denied")[before:]
            assert not [e for e in events if e.object_type == "endpoint"], (endpoint, role)
            assert resp.status_code in (200, 302, 404), (endpoint, role, resp.status_code)
            opened += resp.status_code == 200
    assert opened >= 10


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_capabilities_match_the_table(role):
    # A role holds exactly the capabilities its row lists; nothing is granted implicitly.
    from casework.core.access import capabilities_of

    assert capabilities_of({role}) == CAPABILITIES[role]
    assert capabilities_of({role, "analyst"}) == CAPABILITIES[role] | CAPABILITIES["analyst"]


def test_inactive_user_has_no_capabilities(app, factory):
    user = factory.user("admin")
    assert user.can("admin.users.manage")
    user.is_active = False
    assert not user.can("admin.users.manage")


def test_view_without_access_declaration_fails_closed(app, factory):
    secret = marker("UNDECLARED")
    app.add_url_rule("/undeclared", "undeclared", lambda: secret)
    app.add_url_rule("/declared", "declared", authenticated(lambda: secret))
    anon = app.test_client()
    resp = anon.get("/undeclared")
    assert resp.status_code == 403
    assert secret not in resp.text
    assert is_login_redirect(anon.get("/declared"))

    client = signed_in(app, factory.user("admin"))
    resp = client.get("/undeclared")
    assert resp.status_code == 403
    assert secret not in resp.text
    resp = client.get("/declared")  # the control: a declared view does run
    assert resp.status_code == 200 and resp.text == secret


def test_require_refuses_unknown_capability():
    from casework.core.access import require

    with pytest.raises(ValueError):
        require("people.teleport")


# --- object-level access ---------------------------------------------------------------


@pytest.fixture
def marac_case(factory):
    """An IDVA-led MARAC case shared with a police agency; housing is on it too."""
    m = marker()
    idva_agency = factory.agency("idva_service")
    police = factory.agency("police")
    housing = factory.agency("housing")
    idva = factory.user("idva", agency=idva_agency)
    victim = factory.person(
        idva,
        given_names="Vic",
        surname=f"{m}surname",
        address=f"{m}address",
        postcode="ZZ9 9ZZ",
        phone="07700 900456",
        email="vic@example.net",
    )
    case = factory.case(idva, agencies=[police, housing], people=[(victim, "victim")])
    return {
        "m": m,
        "idva": idva,
        "victim_id": victim.id,
        "case_id": case.id,
        "police": police,
        "housing": housing,
    }


def test_marac_rep_from_agency_not_on_case_cannot_see_its_people(app, factory, marac_case):
    m, pid = marac_case["m"], marac_case["victim_id"]
    outsider = factory.user("marac_rep", agency=factory.agency("health"))
    client = signed_in(app, outsider)
    for url in (f"/people/{pid}", f"/people/{pid}/edit", f"/marac/cases/{marac_case['case_id']}"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert m not in resp.text
    resp = client.get("/people/")
    assert resp.status_code == 200 and m not in resp.text
    resp = client.post(
        "/people/", data={"csrf_token": page_token(client), "surname": f"{m}surname", "dob": "1990-01-01"}
    )
    assert resp.status_code == 200
    assert "No one you can see matches those details" in resp.text
    assert f"/people/{pid}" not in resp.text and f"{m}SURNAME" not in resp.text

    insider = factory.user("marac_rep", agency=marac_case["police"])
    resp = signed_in(app, insider).get(f"/people/{pid}")
    assert resp.status_code == 200 and f"{m}surname".upper() in resp.text


def test_restricted_case_invisible_to_non_member_coordinator(app, factory):
    m = marker()
    idva = factory.user("idva")
    victim = factory.person(idva, surname=f"{m}surname")
    member = factory.user("marac_coordinator")
    outsider = factory.user("marac_coordinator", agency=idva.agency)  # even in the lead agency
    case = factory.case(idva, people=[(victim, "victim")], restricted=True, members=[member])

    assert not can_view_case(outsider, case)
    assert not can_view_person(outsider, victim)
    with pytest.raises(AccessDenied):
        cases.load_case(outsider, case.id)
    outsider_client = signed_in(app, outsider)
    resp = outsider_client.get(f"/people/{victim.id}")
    assert resp.status_code == 404 and m not in resp.text.upper()
    resp = outsider_client.get(f"/marac/cases/{case.id}")
    assert resp.status_code == 404 and m not in resp.text.upper() and case.reference not in resp.text
    assert case.reference not in outsider_client.get("/marac/cases").text

    assert can_view_case(member, case)
    assert cases.load_case(member, case.id).id == case.id
    resp = signed_in(app, member).get(f"/people/{victim.id}")
    assert resp.status_code == 200 and f"{m}surname".upper() in resp.text


def test_unrestricted_case_is_visible_to_every_coordinator(app, factory):
    idva = factory.user("idva")
    victim = factory.person(idva)
    case = factory.case(idva, people=[(victim, "victim")])
    coordinator = factory.user("marac_coordinator", agency=factory.agency("other"))
    assert can_view_case(coordinator, case)
    assert signed_in(app, coordinator).get(f"/people/{victim.id}").status_code == 200


def test_case_of_another_module_is_not_visible(app, factory):
    iom = factory.user("iom_officer")
    offender = factory.person(iom)
    case = factory.case(iom, kind="iom", people=[(offender, "offender")])
    marac_rep = factory.user("marac_rep", agency=iom.agency)  # same agency, wrong module
    assert not can_view_case(marac_rep, case)
    assert signed_in(app, marac_rep).get(f"/people/{offender.id}").status_code == 404


def test_contact_details_shown_only_to_allowed_agencies(app, factory, marac_case):
    m, pid = marac_case["m"], marac_case["victim_id"]
    # MARAC's disclosure policy (marac/disclosure.py): addresses for police and IDVA by default.
    assert {"police", "idva_service"} == set(DEFAULT_ADDRESS_KINDS)

    police_rep = factory.user("marac_rep", agency=marac_case["police"])
    resp = signed_in(app, police_rep).get(f"/people/{pid}")
    assert resp.status_code == 200
    assert f"{m}address" in resp.text and "07700 900456" in resp.text and "ZZ9 9ZZ" in resp.text

    resp = signed_in(app, marac_case["idva"]).get(f"/people/{pid}")
    assert f"{m}address" in resp.text and "07700 900456" in resp.text

    housing_rep = factory.user("marac_rep", agency=marac_case["housing"])
    client = signed_in(app, housing_rep)
    resp = client.get(f"/people/{pid}")
    assert resp.status_code == 200
    assert f"{m}surname".upper() in resp.text  # the record itself is visible
    assert "Withheld from your agency" in resp.text
    for secret in (f"{m}address", "07700 900456", "ZZ9 9ZZ", "vic@example.net"):
        assert secret not in resp.text
    edit = client.get(f"/people/{pid}/edit")
    assert edit.status_code == 200
    assert f"{m}address" not in edit.text and "07700 900456" not in edit.text
    assert 'name="address"' not in edit.text

    # A withheld field cannot be overwritten either: the service ignores it.
    person = db.session.get(Person, pid)
    resp = client.post(
        f"/people/{pid}/edit",
        data={
            "csrf_token": csrf_token(edit.text),
            "version_id": str(person.version_id),
            "given_names": "Vic",
            "surname": f"{m}surname",
            "dob": "1990-01-01",
            "address": "Overwritten by housing",
            "phone": "07000 000000",
            "notes": "Housing note",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    person = db.session.get(Person, pid)
    assert (person.address, person.phone, person.notes) == (f"{m}address", "07700 900456", "Housing note")


def test_contact_details_follow_the_kind_of_case(app, factory):
    """Housing may see contact details for an ASB case it works on; once the person is also in a
    MARAC case, the stricter MARAC rule (IDVA service and police only) applies."""
    housing = factory.agency("housing")
    council = factory.agency("council_asb")
    asb_lead = factory.user("asb_officer", agency=council)
    asb_officer = factory.user("asb_officer", agency=housing)
    housing_rep = factory.user("marac_rep", agency=housing)
    pid = factory.person(asb_lead, surname="Complainant", phone="07700 900654").id
    factory.case(asb_lead, kind="asb", agencies=[housing], people=[(db.session.get(Person, pid), "complainant")])

    person = db.session.get(Person, pid)
    assert can_see_contact_details(asb_officer, person)
    assert not can_see_contact_details(housing_rep, person)  # cannot see the ASB case at all
    resp = signed_in(app, asb_officer).get(f"/people/{pid}")
    assert resp.status_code == 200 and "07700 900654" in resp.text

    idva = factory.user("idva")
    police = factory.agency("police")
    factory.case(idva, agencies=[housing, police], people=[(db.session.get(Person, pid), "victim")])
    police_rep = factory.user("marac_rep", agency=police)
    person = db.session.get(Person, pid)
    assert not can_see_contact_details(asb_officer, person)
    assert can_see_contact_details(police_rep, person)
    resp = signed_in(app, asb_officer).get(f"/people/{pid}")
    assert resp.status_code == 200 and "07700 900654" not in resp.text
    assert "Withheld from your agency" in resp.text


def test_creating_agency_sees_its_own_unlinked_records_only(app, factory):
    m = marker()
    a = factory.user("idva")
    colleague = factory.user("marac_rep", agency=a.agency)
    stranger = factory.user("idva")
    pid = factory.person(a, surname=f"{m}surname", address=f"{m}address").id
    resp = signed_in(app, colleague).get(f"/people/{pid}")
    assert resp.status_code == 200 and f"{m}address" in resp.text
    resp = signed_in(app, stranger).get(f"/people/{pid}")
    assert resp.status_code == 404 and m not in resp.text.upper()


def test_roles_without_people_capability_cannot_see_people(app, factory, marac_case):
    pid, m = marac_case["victim_id"], marac_case["m"]
    for role in ("admin", "analyst", "dpo"):
        user = factory.user(role, agency=marac_case["police"])
        person = db.session.get(Person, pid)
        assert not can_view_person(user, person)
        resp = signed_in(app, user).get(f"/people/{pid}")
        assert resp.status_code == 403 and m not in resp.text


def test_deactivated_user_cannot_act(app, factory):
    admin = factory.user("admin")
    client = signed_in(app, admin)
    db.session.execute(sa.update(User).where(User.id == admin.id).values(is_active=False))
    db.session.commit()
    assert is_login_redirect(client.get("/admin/users"))


def test_unlinked_people_are_visible_only_within_the_casework_they_were_made_for(app, factory):
    """A record made for MARAC by the police representative is not visible to the same
    agency's IOM officer (and the other way round) until it is in a case they may see."""
    from casework.people.services import create_person

    police = factory.agency("police")
    marac_rep = factory.user("marac_rep", agency=police)
    iom_officer = factory.user("iom_officer", agency=police)
    both = factory.user("marac_rep", "iom_officer", agency=police)
    secret = marker()
    victim = create_person(marac_rep, {"surname": f"Victim{secret}", "address": f"1 {secret} Street"})
    offender = create_person(iom_officer, {"surname": f"Offender{secret}"})
    db.session.commit()
    assert victim.created_for_kind == "marac" and offender.created_for_kind == "iom"

    iom = signed_in(app, iom_officer)
    page = iom.get(f"/people/{victim.id}")
    assert page.status_code == 404 and secret not in page.text
    assert f"Victim{secret}" not in iom.get("/people/").text
    edit = iom.get(f"/people/{victim.id}/edit")
    assert edit.status_code == 404 and secret not in edit.text
    assert iom.get(f"/people/{offender.id}").status_code == 200

    rep = signed_in(app, marac_rep)
    page = rep.get(f"/people/{offender.id}")
    assert page.status_code == 404 and secret not in page.text
    assert f"1 {secret} Street" in rep.get(f"/people/{victim.id}").text

    assert not can_view_person(iom_officer, victim) and not can_view_person(marac_rep, offender)
    assert can_view_person(both, victim) and can_view_person(both, offender)

    # In an IOM case of the agency, the person becomes visible to the IOM officer.
    factory.case(iom_officer, kind="iom", people=[(victim, "offender")])
    assert can_view_person(iom_officer, victim)


def test_creating_a_person_needs_a_casework_the_user_works_in(app, factory):
    from casework.core.services import ServiceError
    from casework.people.services import create_person

    both = factory.user("marac_rep", "iom_officer")
    with pytest.raises(ServiceError, match="Choose which casework"):
        create_person(both, {"surname": "Ambiguous"})
    with pytest.raises(ServiceError, match="Choose which casework"):
        create_person(factory.user("marac_rep"), {"surname": "Wrong"}, kind="asb")
    client = signed_in(app, both)
    form = client.get("/people/new")
    assert 'for="kind"' in form.text
    resp = client.post(
        "/people/new",
        data={"csrf_token": csrf_token(form.text), "surname": "Chosen", "kind": "", "confirm_new": "1"},
    )
    assert resp.status_code == 400 and "Choose which casework this record is for" in resp.text
    resp = client.post(
        "/people/new",
        data={"csrf_token": csrf_token(form.text), "surname": "Chosen", "kind": "iom", "confirm_new": "1"},
    )
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(Person).where(Person.created_by_id == both.id)).created_for_kind == "iom"
