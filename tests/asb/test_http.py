"""ASB over HTTP: logging incidents, the repeat flag, risk, support plan, contacts, perpetrator
actions, meetings; access by role and agency (403/404 with the data absent); conflicts."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.asb import repeats, risk
from casework.asb.models import AsbCase, Incident
from casework.core.models import Plan
from casework.extensions import db
from tests.helpers import audit_events, csrf_token, marker, signed_in

from .conftest import log


def _incident_form(day: date, **extra) -> dict:
    form = {
        "occurred_on": day.isoformat(),
        "occurred_time": "00:05",
        "reported_on": day.isoformat(),
        "category": "nuisance",
        "type_code": "noise",
        "description": "Music until 3am",
        "perpetrator_unknown": "y",
    }
    form.update(extra)
    return form


def _post(client, url: str, data: dict, get_url: str | None = None):
    token = csrf_token(client.get(get_url or url).text)
    return client.post(url, data={"csrf_token": token, **data})


def test_victim_journey_over_http(app, team, factory):
    secret = marker("ASBDESC")
    victim = factory.person(team.officer, address="4 Birch Road")
    officer = signed_in(app, team.officer)
    url = f"/asb/incidents/new/{victim.id}"
    # Bad input: a future incident is refused with a clear message, nothing saved.
    resp = _post(officer, url, _incident_form(date.today() + timedelta(days=2), target="new"))
    assert resp.status_code == 400 and "must be today or in the past" in resp.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0
    resp = _post(officer, url, _incident_form(date.today() - timedelta(days=40), description=secret, target="new"))
    assert resp.status_code == 302, resp.text
    asb = db.session.scalar(sa.select(AsbCase).where(AsbCase.victim_person_id == victim.id))
    page = f"/asb/cases/{asb.case_id}"
    # The second incident from the person page: the open case is offered, and a choice is required.
    resp = _post(officer, url, _incident_form(date.today() - timedelta(days=20)))
    assert resp.status_code == 400 and asb.case.reference in resp.text and "same victim" in resp.text
    resp = _post(officer, url, _incident_form(date.today() - timedelta(days=20), target=str(asb.case_id)))
    assert resp.status_code == 302
    resp = _post(officer, f"{page}/incidents", _incident_form(date.today()))
    assert resp.status_code == 302
    body = officer.get(page).text
    assert "Repeat victim" in body and secret in body
    assert repeats.is_repeat(repeats.victim_of(victim.id))
    assert victim.full_name in officer.get("/asb/repeat-victims").text
    # Risk: every question yes is high; the page shows the breakdown and offers a support plan.
    q = risk.questionnaire()
    answers = {f"risk-q_{x.code}": "yes" for x in q.questions}
    resp = _post(officer, f"{page}/risk", {"risk-assessed_on": date.today().isoformat(), **answers})
    assert resp.status_code == 302, resp.text
    body = officer.get(page).text
    assert "High risk" in body and "start one now" in body
    resp = _post(officer, f"{page}/plan", {"title": "Support plan"})
    assert resp.status_code == 302, resp.text
    plan = db.session.scalar(sa.select(Plan).where(Plan.case_id == asb.case_id))
    resp = _post(
        officer,
        f"{page}/plan/{plan.id}/items",
        {"kind": "target_hardening", "details": "Door camera", "owner_agency_id": str(team.housing.id)},
    )
    assert resp.status_code == 302, resp.text
    # A review dated before the plan started: an error next to the field, nothing saved.
    resp = _post(
        officer,
        f"{page}/plan/{plan.id}/review",
        {"reviewed_on": (date.today() - timedelta(days=3)).isoformat(), "summary": "x", "version_id": plan.version_id},
    )
    assert resp.status_code == 400 and "before the plan started" in resp.text
    # A stale version is a visible conflict (409), not an overwrite.
    resp = _post(
        officer,
        f"{page}/plan/{plan.id}/review",
        {"reviewed_on": date.today().isoformat(), "summary": "Reviewed", "version_id": str(plan.version_id - 1)},
    )
    assert resp.status_code == 409
    resp = _post(officer, f"{page}/contacts", {"contact_on": date.today().isoformat(), "method": "visit"})
    assert resp.status_code == 302
    # Perpetrator action with a breach.
    perp = factory.person(team.officer)
    log(team.officer, victim, date.today(), asb=asb, perpetrator_ids=[perp.id], perpetrator_unknown=False)
    resp = _post(
        officer,
        f"{page}/perpetrator-actions",
        {
            "person_id": str(perp.id),
            "kind": "closure_notice",
            "status": "active",
            "agency_id": str(team.council.id),
            "issued_on": date.today().isoformat(),
            "expires_on": (date.today() + timedelta(days=5)).isoformat(),
        },
    )
    assert resp.status_code == 400 and "lasts at most 2 days" in resp.text
    resp = _post(
        officer,
        f"{page}/perpetrator-actions",
        {
            "person_id": str(perp.id),
            "kind": "abc",
            "status": "active",
            "agency_id": str(team.council.id),
            "issued_on": date.today().isoformat(),
        },
    )
    assert resp.status_code == 302, resp.text
    for path in ("/asb/", "/asb/team", "/asb/meetings", f"{page}/risk/history", "/"):
        assert officer.get(path).status_code == 200, path
    assert audit_events("asb.case.view")


def test_incident_removal_is_confirmed_audited_and_recomputes(app, team, factory):
    victim = factory.person(team.officer)
    first, asb = log(team.officer, victim, date.today() - timedelta(days=3))
    log(team.officer, victim, date.today() - timedelta(days=2), asb=asb)
    third, _ = log(team.officer, victim, date.today() - timedelta(days=1), asb=asb)
    assert repeats.is_repeat(repeats.victim_of(victim.id))
    officer = signed_in(app, team.officer)
    url = f"/asb/incidents/{third.id}/remove"
    resp = _post(officer, url, {"reason": "Duplicate entry", "version_id": str(third.version_id)})
    assert resp.status_code == 200 and "Remove this incident?" in resp.text
    assert not third.is_deleted
    resp = _post(officer, url, {"reason": "Duplicate entry", "version_id": str(third.version_id), "confirmed": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, third.id).is_deleted
    assert not repeats.is_repeat(repeats.victim_of(victim.id))
    assert audit_events("asb.incident.delete")


def test_other_agencies_and_roles_see_nothing(app, team, factory):
    secret = marker("ASBHIDDEN")
    victim = factory.person(team.officer, surname=secret)
    _, asb = log(
        team.officer,
        victim,
        date.today(),
        description=secret,
        is_hate=True,
        hate_characteristic="religion",
        hate_details=f"details {secret}",
    )
    page = f"/asb/cases/{asb.case_id}"
    # An ASB officer in an agency not involved: 404, and the data nowhere in any list.
    other = signed_in(app, team.other_officer)
    resp = other.get(page)
    assert resp.status_code == 404 and secret not in resp.text
    for path in ("/asb/", "/asb/repeat-victims", "/asb/team"):
        resp = other.get(path)
        assert resp.status_code == 200 and secret not in resp.text
    assert other.get(f"{page}/risk").status_code == 404
    # A MARAC representative in the same agency has no ASB role at all: 403.
    rep = signed_in(app, team.marac_rep)
    resp = rep.get(page)
    assert resp.status_code == 403 and secret not in resp.text
    assert rep.get("/asb/").status_code == 403
    # The housing partner, once the housing provider is involved, sees the case but not the hate
    # details, and may not change it (403).
    from casework.core import cases

    cases.add_agency(asb.case, team.housing.id)
    db.session.commit()
    partner = signed_in(app, team.partner)
    resp = partner.get(page)
    assert resp.status_code == 200 and "Hate-motivated" in resp.text
    assert f"details {secret}" not in resp.text and "Religion or belief" not in resp.text
    assert partner.get(f"{page}/risk").status_code == 403
    assert partner.get(f"{page}/plan").status_code == 403
    # The council officer sees everything.
    officer = signed_in(app, team.officer)
    assert f"details {secret}" in officer.get(page).text


def test_known_elsewhere_shows_only_cases_the_viewer_may_open(app, team, factory):
    victim = factory.person(team.officer)
    _, asb = log(team.officer, victim, date.today())
    open_case = factory.case(team.officer, kind="iom", agencies=[team.council], people=[(victim, "offender")])
    hidden = factory.case(team.iom_officer, kind="iom", people=[(victim, "offender")])
    restricted = factory.case(
        team.officer, kind="iom", agencies=[team.council], people=[(victim, "offender")], restricted=True
    )
    # The ASB officer holds no IOM role: no IOM case appears, not even that one exists.
    body = signed_in(app, team.officer).get(f"/asb/cases/{asb.case_id}").text
    assert "Known elsewhere" not in body and open_case.reference not in body
    # A user with both roles sees the IOM case of their agency, never the other or the restricted one.
    both = factory.user("asb_officer", "iom_officer", agency=team.council)
    body = signed_in(app, both).get(f"/asb/cases/{asb.case_id}").text
    assert "Known elsewhere" in body and open_case.reference in body
    assert hidden.reference not in body and restricted.reference not in body


def test_meeting_lists_a_case_and_records_an_action(app, team, factory):
    victim = factory.person(team.officer)
    _, asb = log(team.officer, victim, date.today())
    officer = signed_in(app, team.officer)
    day = date.today() + timedelta(days=7)
    resp = _post(
        officer,
        "/asb/meetings/new",
        {
            "schedule-date": day.isoformat(),
            "schedule-time": "10:00",
            "schedule-venue": "Civic Centre",
            "schedule-chair_user_id": str(team.officer.id),
            "schedule-agency_ids": [str(team.council.id)],
        },
        get_url="/asb/meetings",
    )
    assert resp.status_code == 302, resp.text
    meeting_url = resp.headers["Location"]
    resp = _post(officer, f"{meeting_url}/list", {"listing-case_id": str(asb.case_id)}, get_url=meeting_url)
    assert resp.status_code == 302
    assert asb.case.reference in officer.get(meeting_url).text
    resp = _post(
        officer,
        f"{meeting_url}/actions",
        {
            "action-case_id": str(asb.case_id),
            "action-assigned_agency_id": str(team.housing.id),
            "action-description": "Fit a door camera",
            "action-due_on": (day + timedelta(days=7)).isoformat(),
        },
        get_url=meeting_url,
    )
    assert resp.status_code == 302, resp.text
    assert "Fit a door camera" in officer.get(f"/asb/cases/{asb.case_id}").text


def test_my_work_and_closing_the_case(app, team, factory):
    import time_machine

    from casework.asb import support

    victim = factory.person(team.officer)
    start = date.today() - timedelta(days=1)
    _, asb = log(team.officer, victim, start)
    q = risk.questionnaire()
    risk.assess(team.officer, asb, assessed_on=start, answers={x.code: "yes" for x in q.questions})
    support.start_plan(team.officer, asb, title="Plan")
    db.session.commit()
    with time_machine.travel(date.today() + timedelta(days=44), tick=True):
        officer = signed_in(app, team.officer)
        body = officer.get("/").text
        assert "ASB victims due a contact" in body and asb.case.reference in body
        assert "ASB risk re-assessments due" in body
        page = f"/asb/cases/{asb.case_id}"
        resp = _post(officer, f"{page}/close", {"closed_on": date.today().isoformat(), "reason": "Perpetrator moved"})
        assert resp.status_code == 302, resp.text
        assert "Perpetrator moved" in officer.get(page).text
        team_page = officer.get("/asb/team").text
        assert asb.case.reference not in team_page
        assert asb.case.reference not in officer.get("/").text.split("ASB victims due a contact")[1]
