"""A whole MARAC cycle through the web pages, with the access rules checked on the way."""

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core.models import Action, AgendaItem, Person
from casework.extensions import db
from casework.marac.models import Referral
from tests.helpers import audit_events, csrf_token, login


def _post(client, url, data, page_url):
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    return client.post(url, data={"csrf_token": csrf_token(page.text), **data})


def test_full_cycle(app, factory, marac):
    idva_client, coord_client, housing_client = app.test_client(), app.test_client(), app.test_client()
    login(idva_client, marac.idva)
    victim = factory.person(
        marac.idva,
        given_names="Vera",
        surname="Victimson",
        dob=date(1991, 5, 6),
        address="7 Secret Lane",
        phone="07700 900555",
    )

    # DASH with 15 "yes" answers
    form = {"completed_on": date.today().isoformat()}
    from casework.marac import dash

    for i, code in enumerate(dash.checklist().codes):
        form[f"q_{code}"] = "yes" if i < 15 else "no"
    resp = _post(idva_client, f"/marac/people/{victim.id}/dash/new", form, f"/marac/people/{victim.id}/dash/new")
    assert resp.status_code == 302, resp.text
    assessment_page = idva_client.get(resp.headers["Location"])
    assert "Score" in assessment_page.text and "15" in assessment_page.text and "High" in assessment_page.text

    from casework.marac.models import DashAssessment

    dash_id = db.session.scalar(sa.select(DashAssessment.id).where(DashAssessment.person_id == victim.id))
    url = f"/marac/referrals/new/{victim.id}"
    resp = _post(
        idva_client,
        url,
        {
            "referral_date": date.today().isoformat(),
            "referrer_name": "Ivy IDVA",
            "dash_id": str(dash_id),
            "victim_aware": "yes",
            "consent": "no",
            "consent_override_reason": "Risk to life",
            "safe_to_call": "no",
            "safe_contact": "Only via refuge worker",
            "perp_given_names": "Peter",
            "perp_surname": "Perpson",
            "perp_dob": "1985-02-03",
            "perp_relationship": "Ex-partner",
            "children-0-given_names": "Kid",
            "children-0-surname": "Victimson",
            "children-0-dob": "2018-03-04",
            "children-0-school": "Hill Primary",
            "children-0-relationship_to_victim": "Son",
        },
        url,
    )
    assert resp.status_code == 302, resp.text
    referral = db.session.scalar(sa.select(Referral).where(Referral.victim_id == victim.id))
    assert referral.crit_visible_high_risk and referral.status == "submitted"
    assert {p.role for p in referral.case.participants} == {"victim", "perpetrator", "child"}

    # Coordinator schedules a meeting, accepts the referral, which lists it automatically.
    login(coord_client, marac.coordinator)
    meeting_date = date.today() + timedelta(days=21)
    resp = _post(
        coord_client,
        "/marac/meetings/new",
        {
            "date": meeting_date.isoformat(),
            "time": "10:00",
            "venue": "Civic Centre",
            "chair_user_id": str(marac.coordinator.id),
            "agency_ids": [str(a.id) for a in (marac.police, marac.idva_service, marac.housing)],
        },
        "/marac/meetings/new",
    )
    assert resp.status_code == 302, resp.text
    meeting_url = resp.headers["Location"]
    case_url = f"/marac/cases/{referral.case_id}"
    resp = _post(
        coord_client, f"{case_url}/decision", {"decision": "accept", "version_id": str(referral.version_id)}, case_url
    )
    assert resp.status_code == 302, resp.text
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.case_id == referral.case_id))
    assert item is not None and item.removed_reason is None

    agenda = coord_client.get(meeting_url + "/agenda")
    assert agenda.status_code == 200
    assert referral.case.reference in agenda.text and "Vera VICTIMSON" in agenda.text
    assert len(audit_events("marac.agenda.generate")) == 1

    # Housing representative: researches by name and date of birth (the default disclosure
    # policy), records research, cannot see the address.
    login(housing_client, marac.housing_rep)
    agenda = housing_client.get(meeting_url + "/agenda")
    assert agenda.status_code == 200
    assert "Vera VICTIMSON" in agenda.text and "7 Secret Lane" not in agenda.text
    case_page = housing_client.get(case_url)
    assert case_page.status_code == 200
    assert "7 Secret Lane" not in case_page.text and "refuge worker" not in case_page.text
    resp = _post(
        housing_client,
        f"/marac/agenda-items/{item.id}/research",
        {"held": "no_trace"},
        f"/marac/agenda-items/{item.id}/research",
    )
    assert resp.status_code == 302, resp.text

    # Coordinator records minutes and an action for housing.
    minutes_url = f"/marac/agenda-items/{item.id}/minutes"
    db.session.expire_all()
    resp = _post(
        coord_client,
        minutes_url,
        {
            "minutes": "Discussed safety.",
            "outcome": "actions_agreed",
            "version_id": str(db.session.get(AgendaItem, item.id).version_id),
        },
        minutes_url,
    )
    assert resp.status_code == 302, resp.text
    resp = _post(
        coord_client,
        f"/marac/agenda-items/{item.id}/actions",
        {
            "assigned_agency_id": str(marac.housing.id),
            "description": "Install target hardening",
            "due_on": (meeting_date + timedelta(days=14)).isoformat(),
        },
        minutes_url,
    )
    assert resp.status_code == 302, resp.text
    action = db.session.scalar(sa.select(Action).where(Action.case_id == referral.case_id))

    # Housing marks it done; police cannot see housing's action.
    police_client = app.test_client()
    login(police_client, marac.police_rep)
    assert police_client.get(f"/marac/actions/{action.id}").status_code == 404
    resp = _post(
        housing_client,
        f"/marac/actions/{action.id}",
        {"status": "done", "note": "Fitted", "version_id": str(action.version_id)},
        f"/marac/actions/{action.id}",
    )
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "done"

    pdf = coord_client.get(meeting_url + "/agenda.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    minutes = coord_client.get(meeting_url + "/minutes.pdf")
    assert minutes.status_code == 200 and minutes.data.startswith(b"%PDF")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 3
