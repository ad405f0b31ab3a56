"""IOM in the browser's terms: the cohort lifecycle over HTTP, access by role, the measure export."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import cases
from casework.core.models import AuditEvent
from casework.extensions import db
from casework.iom import pathways
from casework.iom.models import Offender
from tests.helpers import csrf_token, marker, signed_in

from .conftest import category, offence, on_cohort


def _post(client, page_url: str, url: str, data: dict):
    """Post one of the offender page's forms: its fields carry the form's prefix (the URL's last part)."""
    token = csrf_token(client.get(page_url).text)
    if "/iom/cases/" not in url:
        return client.post(url, data={"csrf_token": token, **data})
    prefix = {"offences": "offence", "contacts": "contact", "pathways": "pathway"}.get(
        url.rsplit("/", 1)[1], url.rsplit("/", 1)[1]
    )
    return client.post(url, data={f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in data.items()}})


def test_cohort_lifecycle_over_http(app, team, factory):
    secret = marker("OFFENDER")
    person = factory.person(team.officer, surname=secret)
    officer = signed_in(app, team.officer)
    resp = _post(
        officer,
        f"/iom/nominate/{person.id}",
        f"/iom/nominate/{person.id}",
        {
            "nominated_on": date.today().isoformat(),
            "reasons": "Six burglaries this year",
            "proposed_strand": "fixed",
            "category": "ppo",
            "ogrs": "78",
        },
    )
    assert resp.status_code == 302, resp.text
    offender = db.session.scalar(sa.select(Offender).where(Offender.person_id == person.id))
    page = f"/iom/cases/{offender.case_id}"
    # Bad input: a future offence is refused with a clear message, nothing saved.
    resp = _post(
        officer,
        page,
        f"{page}/offences",
        {
            "kind": "conviction",
            "offence_on": (date.today() + timedelta(days=3)).isoformat(),
            "category_id": str(category("robbery").id),
        },
    )
    assert resp.status_code == 400 and "must be today or in the past" in resp.text
    resp = _post(
        officer,
        page,
        f"{page}/offences",
        {"kind": "conviction", "offence_on": date.today().isoformat(), "category_id": str(category("robbery").id)},
    )
    assert resp.status_code == 302
    # The panel: adoption without a date or lead officer is refused, every error at once.
    manager = signed_in(app, team.manager)
    db.session.expire_all()
    from casework.iom import nominations

    nomination = nominations.open_nomination(offender)
    version = str(nomination.version_id)
    resp = _post(
        manager,
        page,
        f"{page}/decision",
        {"decision": "adopt", "strand": "fixed", "category": "ppo", "tier": "red", "version_id": version},
    )
    assert resp.status_code == 400
    assert "Enter the date of the panel decision" in resp.text and "Choose the lead officer" in resp.text
    resp = _post(
        manager,
        page,
        f"{page}/decision",
        {
            "decision": "adopt",
            "decided_on": date.today().isoformat(),
            "strand": "fixed",
            "category": "ppo",
            "tier": "red",
            "lead_user_id": str(team.officer.id),
            "version_id": version,
        },
    )
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert offender.on_cohort and offender.case.status == "adopted"
    # Pathway, contact, tier.
    resp = _post(
        officer,
        page,
        f"{page}/pathways",
        {
            "pathway_code": "accommodation",
            "need": "high",
            "rag": "red",
            "review_due_on": (date.today() + timedelta(days=30)).isoformat(),
            "details": "Sofa surfing",
        },
    )
    assert resp.status_code == 302, resp.text
    resp = _post(
        officer,
        page,
        f"{page}/contacts",
        {"contact_on": date.today().isoformat(), "contact_type": "home_visit", "outcome": "engaged", "notes": "Seen"},
    )
    assert resp.status_code == 302
    # A stale tier change is a visible conflict.
    resp = _post(
        officer,
        page,
        f"{page}/tier",
        {"tier": "amber", "changed_on": date.today().isoformat(), "reason": "Engaging", "version_id": "0"},
    )
    assert resp.status_code == 409
    body = officer.get(page).text
    assert secret in body and "Sofa surfing" in body and "Home visit" in body and "Robbery" in body
    # The cohort list shows them.
    assert secret in officer.get("/iom/").text
    # Deselect.
    db.session.expire_all()
    resp = _post(
        manager,
        page,
        f"{page}/deselect",
        {
            "on": date.today().isoformat(),
            "reason": "moved_out",
            "exit_plan": "Transfer to the receiving IOM team",
            "version_id": str(offender.version_id),
        },
    )
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert not offender.on_cohort and offender.case.status == "deselected"
    assert secret not in officer.get("/iom/").text  # default: on the cohort only
    assert secret in officer.get("/iom/?state=former").text
    # The measure page and its export are audited with a purpose.
    resp = manager.get("/iom/measure")
    assert resp.status_code == 200 and "Reoffending measure" in resp.text
    resp = manager.get("/iom/measure?format=csv")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert resp.text.lstrip("\ufeff").splitlines()[0].startswith("Row,Strand,Category,Months on cohort,Baseline")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "iom.measure.export")).all()
    assert events and events[-1].purpose == "iom_performance"


def test_iom_data_only_for_iom_roles(app, team, factory):
    secret = marker("IOMONLY")
    _, offender = on_cohort(team, factory, date(2025, 1, 1), surname=secret)
    for user in (team.marac_rep, team.idva):
        client = signed_in(app, user)
        for url in (f"/iom/cases/{offender.case_id}", "/iom/", "/iom/measure", "/iom/nominations"):
            resp = client.get(url)
            assert resp.status_code in (403, 404), (user.roles, url, resp.status_code)
            assert secret not in resp.text
    # An IOM officer of another agency does not see it either (agency scope); the manager does.
    other = factory.user("iom_officer", agency=team.health)
    resp = signed_in(app, other).get(f"/iom/cases/{offender.case_id}")
    assert resp.status_code == 404 and secret not in resp.text
    assert secret in signed_in(app, team.manager).get(f"/iom/cases/{offender.case_id}").text


def test_sensitive_pathway_details_and_offending_notes_by_role(app, team, factory):
    health_secret, notes_secret = marker("HEALTH"), marker("NOTES")
    _, offender = on_cohort(team, factory, date(2025, 1, 1))
    cases.add_agency(offender.case, team.health.id)
    pathways.assess(
        team.manager,
        offender,
        pathway_code="drugs_alcohol",
        need="high",
        rag="red",
        owner_agency_id=team.health.id,
        review_due_on=date.today() + timedelta(days=7),
        details=health_secret,
        version=None,
    )
    from casework.iom import offending

    offending.record_offence(
        team.officer,
        offender,
        {"kind": "arrest", "offence_on": date(2025, 2, 1), "category_id": category("drugs").id, "notes": notes_secret},
    )
    db.session.commit()
    page = f"/iom/cases/{offender.case_id}"
    officer = signed_in(app, team.officer).get(page).text
    assert notes_secret in officer and health_secret not in officer and "Details withheld" in officer
    partner = signed_in(app, team.partner).get(page).text
    assert health_secret in partner and notes_secret not in partner
    manager = signed_in(app, team.manager).get(page).text
    assert health_secret in manager and notes_secret in manager


def test_known_elsewhere_shows_only_cases_the_viewer_may_open(app, team, factory):
    person, offender = on_cohort(team, factory, date(2025, 1, 1))
    both = factory.user("iom_manager", "marac_coordinator", agency=team.probation)
    open_case = factory.case(both, kind="marac", people=[(person, "perpetrator")])
    hidden = factory.case(both, kind="marac", people=[(person, "perpetrator")], restricted=True)
    page = f"/iom/cases/{offender.case_id}"
    body = signed_in(app, both).get(page).text
    assert open_case.reference in body and hidden.reference not in body
    body = signed_in(app, team.manager).get(page).text  # no MARAC role: nothing, not even a heading
    assert open_case.reference not in body and "Known elsewhere" not in body


def test_cohort_list_filters_and_pages(app, team, factory):
    for i in range(3):
        _, o = on_cohort(team, factory, date(2025, 1, 1), surname=f"Filter{i}")
    offence(team, o, date(2025, 2, 1))
    client = signed_in(app, team.manager)
    assert client.get("/iom/?strand=flex").text.count("/iom/cases/") == 0
    assert client.get("/iom/?strand=fixed").text.count("/iom/cases/") == 3
    assert client.get("/iom/?tier=nonsense").status_code == 200
    assert client.get("/iom/?page=99999999999").status_code == 200
    assert client.get("/iom/caseloads").status_code == 200
    assert client.get("/iom/nominations").status_code == 200


def test_panel_agenda_decision_and_action(app, team, factory):
    from datetime import UTC, datetime, time

    from casework.core import meetings as core_meetings
    from casework.core.models import Action
    from casework.iom import cohort as iom_cohort

    waiting = factory.person(team.officer)
    from .conftest import nominate

    nomination = nominate(team, waiting, date.today())
    _, releasing = on_cohort(team, factory, date(2025, 1, 1))
    iom_cohort.set_supervision(
        team.officer,
        releasing,
        status="custody",
        from_on=date(2025, 6, 1),
        expected_release_on=date.today() + timedelta(days=20),
        note=None,
        version=releasing.version_id,
    )
    _, quiet = on_cohort(team, factory, date(2025, 1, 1))
    meeting = core_meetings.schedule(
        team.manager,
        kind="iom_panel",
        starts_at=datetime.combine(date.today() + timedelta(days=7), time(10), tzinfo=UTC),
        venue="Probation office",
        chair_user_id=team.manager.id,
        agency_ids=[team.police.id, team.probation.id],
    )
    db.session.commit()
    manager = signed_in(app, team.manager)
    url = f"/iom/panel/{meeting.id}"
    token = csrf_token(manager.get(url).text)
    assert manager.post(f"{url}/agenda", data={"csrf_token": token}).status_code == 302
    body = manager.get(url).text
    assert nomination.case.reference in body and releasing.case.reference in body
    assert quiet.case.reference not in body
    # The decision is recorded from the agenda, against the meeting.
    resp = _post(
        manager,
        f"/iom/cases/{nomination.case_id}?meeting={meeting.id}",
        f"/iom/cases/{nomination.case_id}/decision",
        {
            "decision": "reject",
            "decided_on": date.today().isoformat(),
            "reason": "Not prolific enough",
            "meeting_id": str(meeting.id),
            "version_id": str(nomination.version_id),
        },
    )
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert nomination.status == "rejected" and nomination.meeting_id == meeting.id
    resp = manager.post(
        f"{url}/actions",
        data={
            "action-csrf_token": token,
            "action-case_id": str(releasing.case_id),
            "action-assigned_agency_id": str(team.probation.id),
            "action-description": "Arrange accommodation before release",
            "action-due_on": (date.today() + timedelta(days=10)).isoformat(),
        },
    )
    assert resp.status_code == 302, resp.text
    action = db.session.scalar(sa.select(Action).where(Action.case_id == releasing.case_id))
    assert action.meeting_id == meeting.id
    assert "Arrange accommodation before release" in manager.get(url).text
    assert manager.get("/iom/panel").status_code == 200
    # Attendance (confidentiality acknowledged), minutes for a listed case, then held.
    resp = manager.post(
        f"{url}/attendance",
        data={"attendance-csrf_token": token, "attendance-name": "Pat Probation", "attendance-status": "present"},
    )
    assert resp.status_code == 400 and "acknowledge the confidentiality statement" in resp.text
    resp = manager.post(
        f"{url}/attendance",
        data={
            "attendance-csrf_token": token,
            "attendance-agency_id": str(team.probation.id),
            "attendance-name": "Pat Probation",
            "attendance-status": "present",
            "attendance-confidentiality_ack": "y",
        },
    )
    assert resp.status_code == 302, resp.text
    from casework.core.models import AgendaItem

    item = db.session.scalar(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == releasing.case_id)
    )
    minutes_url = f"/iom/panel/items/{item.id}/minutes"
    assert manager.get(minutes_url).status_code == 200
    resp = manager.post(
        minutes_url,
        data={
            "csrf_token": token,
            "minutes": "Release plan agreed",
            "outcome": "actions_agreed",
            "version_id": str(item.version_id),
        },
    )
    assert resp.status_code == 302, resp.text
    body = manager.get(url).text
    assert "Pat Probation" in body and "Actions agreed" in body
    resp = manager.post(f"{url}/held", data={"csrf_token": token, "version_id": str(meeting.version_id)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert meeting.status == "scheduled"  # refused: the panel has not started yet


def test_settings_edit_unit_costs_strands_and_womens_pathways(app, team, factory):
    from casework.iom.models import Pathway

    robbery = category("robbery")
    manager = signed_in(app, team.manager)
    assert manager.get("/iom/settings").status_code == 200
    token = csrf_token(manager.get("/iom/settings").text)
    prefix = f"category-{robbery.id}"
    resp = manager.post(
        f"/iom/settings/categories/{robbery.id}",
        data={
            f"{prefix}-csrf_token": token,
            f"{prefix}-gravity": "9",
            f"{prefix}-unit_cost": "12000.50",
            f"{prefix}-cost_source": "Local 2026 figures",
            f"{prefix}-neighbourhood": "y",
            f"{prefix}-version_id": str(robbery.version_id),
        },
    )
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert robbery.gravity == 9 and str(robbery.unit_cost) == "12000.50"
    bad = manager.post(
        f"/iom/settings/categories/{robbery.id}",
        data={f"{prefix}-csrf_token": token, f"{prefix}-gravity": "99", f"{prefix}-unit_cost": "-1"},
    )
    assert bad.status_code == 400 and "Gravity must be a whole number from 0 to 10" in bad.text
    for odd, message in (
        ("NaN", "Enter the unit cost in pounds, from 0 to 10,000,000"),
        ("Infinity", "Enter the unit cost in pounds, from 0 to 10,000,000"),
        ("1.234", "at most two decimal places"),
    ):
        resp = manager.post(
            f"/iom/settings/categories/{robbery.id}",
            data={
                f"{prefix}-csrf_token": token,
                f"{prefix}-gravity": "5",
                f"{prefix}-unit_cost": odd,
                f"{prefix}-version_id": str(robbery.version_id),
            },
        )
        assert resp.status_code == 400 and message in resp.text, odd
    assert manager.post("/iom/settings/pathways/abuse", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Pathway, "abuse").is_enabled
    # An officer cannot change the partnership's lists.
    officer = signed_in(app, team.officer)
    assert officer.get("/iom/settings").status_code == 403


def test_analyst_sees_the_measure_without_offenders_and_small_numbers_suppressed(app, team, factory):
    secret = marker("ANALYST")
    _, offender = on_cohort(team, factory, date(2025, 1, 1), surname=secret)
    analyst = signed_in(app, factory.user("analyst"))
    resp = analyst.get("/iom/measure?start=2025-01-01&end=2025-03-31")
    assert resp.status_code == 200
    assert secret not in resp.text and offender.case.reference not in resp.text
    assert "<dd>&lt;" in resp.text or "<dd><" in resp.text  # one offender: suppressed
    assert analyst.get(f"/iom/cases/{offender.case_id}").status_code == 403
    manager = signed_in(app, team.manager).get("/iom/measure?start=2025-01-01&end=2025-03-31").text
    assert offender.case.reference in manager


def test_pathway_owner_agency_sees_the_record_and_its_overdue_reviews(app, team, factory):
    from casework.iom.models import PathwayNeed
    from casework.iom.work import my_work

    _, offender = on_cohort(team, factory, date(2025, 1, 1))
    page = f"/iom/cases/{offender.case_id}"
    partner = signed_in(app, team.partner)
    assert partner.get(page).status_code == 404  # health is not involved yet
    pathways.assess(
        team.officer,
        offender,
        pathway_code="drugs_alcohol",
        need="high",
        rag="red",
        owner_agency_id=team.health.id,
        review_due_on=date.today(),
        details=None,
        version=None,
    )
    db.session.commit()
    assert partner.get(page).status_code == 200
    need = db.session.scalar(sa.select(PathwayNeed).where(PathwayNeed.case_id == offender.case_id))
    need.review_due_on = date.today() - timedelta(days=3)
    db.session.commit()
    with app.test_request_context():
        sections = {s.title: s for s in my_work(team.partner, date.today())}
    overdue = sections["IOM pathway reviews overdue"]
    assert [i.label for i in overdue.items] == [offender.case.reference]


def test_a_panel_entered_at_ten_in_summer_time_is_at_ten_local(app, team, factory):
    """Times are entered in the partnership's time zone and stored in UTC (BST is UTC+1)."""
    from datetime import UTC, datetime, time

    from casework.core.models import Meeting

    client = signed_in(app, team.manager)
    day = date(date.today().year + 1, 7, 1)
    token = csrf_token(client.get("/iom/panel").text)
    resp = client.post(
        "/iom/panel/new",
        data={
            "schedule-csrf_token": token,
            "schedule-date-day": str(day.day),
            "schedule-date-month": str(day.month),
            "schedule-date-year": str(day.year),
            "schedule-time": "10:00",
            "schedule-venue": "Police HQ",
            "schedule-chair_user_id": str(team.manager.id),
            "schedule-agency_ids": [str(team.police.id)],
        },
    )
    assert resp.status_code == 302, resp.text
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.kind == "iom_panel"))
    assert meeting.starts_at == datetime.combine(day, time(9, 0), tzinfo=UTC)
    assert "10:00" in client.get(resp.headers["Location"]).text
