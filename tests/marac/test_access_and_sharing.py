"""Who sees what in MARAC, what the agenda PDF discloses, and that every disclosure is audited."""

import io
from datetime import date, timedelta

import sqlalchemy as sa
from pypdf import PdfReader

from casework.core import meetings as core_meetings
from casework.core.audit import AuditEvent, AuditPerson
from casework.extensions import db
from casework.marac import referrals
from tests.helpers import audit_events, csrf_token, item_action, login

from .conftest import make_referral, record_dash, schedule

MARKER_ADDRESS = "99 Hidden Road ZQX"
MARKER_SAFE = "Ring the refuge ZQX"


def _listed(marac, factory, *, restricted=False, agencies=None):
    victim = factory.person(
        marac.idva,
        given_names="Alice",
        surname="Zedwards",
        dob=date(1990, 1, 2),
        address=MARKER_ADDRESS,
        phone="07700 900777",
    )
    perp = factory.person(marac.idva, given_names="Bob", surname="Yarrow", dob=date(1980, 3, 4))
    ref = make_referral(
        marac.idva,
        victim,
        dash_assessment=record_dash(marac.idva, victim, 16),
        perpetrators=[perp],
        safe_contact=MARKER_SAFE,
        safe_to_call=False,
        is_restricted=restricted,
    )
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    meeting = schedule(
        marac.coordinator, days_ahead=20, agencies=agencies or [marac.police, marac.idva_service, marac.housing]
    )
    item = core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    db.session.commit()
    return ref, meeting, item, victim, perp


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_agency_not_on_case_gets_404_without_data(app, factory, marac):
    ref, meeting, *_ = _listed(marac, factory)
    health = _client(app, marac.health_rep)  # health is not on the case or the meeting
    for url in (
        f"/marac/cases/{ref.case_id}",
        f"/marac/meetings/{meeting.id}/agenda",
        f"/marac/meetings/{meeting.id}/agenda.pdf",
        f"/people/{ref.victim_id}",
    ):
        resp = health.get(url)
        assert resp.status_code == 404, url
        assert "Zedwards" not in resp.text and "ZEDWARDS" not in resp.text and MARKER_ADDRESS not in resp.text
    denied = audit_events("access.denied")
    assert {e.object_type for e in denied} >= {"case", "meeting", "person"}
    assert all(e.result == "denied" and e.actor_user_id == marac.health_rep.id for e in denied)


def test_contact_details_only_for_idva_and_police(app, factory, marac):
    ref, *_ = _listed(marac, factory)
    for user, allowed in (
        (marac.idva, True),
        (marac.police_rep, True),
        (marac.housing_rep, False),
        (marac.coordinator, False),
    ):
        client = _client(app, user)
        case_page = client.get(f"/marac/cases/{ref.case_id}")
        person_page = client.get(f"/people/{ref.victim_id}")
        assert case_page.status_code == 200 and person_page.status_code == 200
        for body in (case_page.text, person_page.text):
            assert (MARKER_ADDRESS in body) is allowed, user.email
        assert (MARKER_SAFE in case_page.text) is allowed


def test_restricted_case_only_for_named_users(app, factory, marac):
    ref, meeting, *_ = _listed(marac, factory, restricted=True)
    # The referring IDVA and the MARAC coordinators are named; agencies on the meeting are not,
    # nor is a coordinator appointed afterwards until someone names them.
    assert _client(app, marac.idva).get(f"/marac/cases/{ref.case_id}").status_code == 200
    assert _client(app, marac.coordinator).get(f"/marac/cases/{ref.case_id}").status_code == 200
    late_coordinator = factory.user("marac_coordinator", agency=marac.csp)
    for user in (marac.police_rep, late_coordinator):
        resp = _client(app, user).get(f"/marac/cases/{ref.case_id}")
        assert resp.status_code == 404 and "Zedwards" not in resp.text
    agenda = _client(app, marac.police_rep).get(f"/marac/meetings/{meeting.id}/agenda")
    assert agenda.status_code == 200
    assert ref.case.reference in agenda.text and "Restricted case" in agenda.text
    assert "Zedwards" not in agenda.text.title() and "Yarrow" not in agenda.text.title()


def test_marac_data_not_visible_to_other_modules(app, factory, marac):
    ref, *_ = _listed(marac, factory)
    for role in ("iom_officer", "asb_officer", "analyst", "dpo", "admin"):
        user = factory.user(role, agency=marac.police)
        resp = _client(app, user).get(f"/marac/cases/{ref.case_id}")
        assert resp.status_code in (403, 404), role
        assert "Zedwards" not in resp.text.title()


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_agenda_pdf_content_depends_on_recipient(app, factory, marac):
    ref, meeting, item, victim, perp = _listed(marac, factory)
    coordinator_pdf = _pdf_text(_client(app, marac.coordinator).get(f"/marac/meetings/{meeting.id}/agenda.pdf").data)
    assert ref.case.reference in coordinator_pdf
    assert "ZEDWARDS" in coordinator_pdf and "YARROW" in coordinator_pdf
    assert "DASH 16" in coordinator_pdf and "Confidentiality statement" in coordinator_pdf
    housing_pdf = _pdf_text(_client(app, marac.housing_rep).get(f"/marac/meetings/{meeting.id}/agenda.pdf").data)
    assert ref.case.reference in housing_pdf
    # The default disclosure policy: housing researches by name and date of birth, never sees
    # the address (tests/marac/test_disclosure.py covers an agency kind set to initials only).
    words = " ".join(housing_pdf.split())
    assert "Alice ZEDWARDS (02/01/1990)" in words and "Bob YARROW (04/03/1980)" in words
    for secret in (MARKER_ADDRESS, MARKER_SAFE, "07700"):
        assert secret not in housing_pdf, secret


def test_agenda_generation_and_download_are_sharing_events(app, factory, marac):
    ref, meeting, item, victim, perp = _listed(marac, factory)
    housing = _client(app, marac.housing_rep)
    assert housing.get(f"/marac/meetings/{meeting.id}/agenda").status_code == 200
    assert housing.get(f"/marac/meetings/{meeting.id}/agenda.pdf").status_code == 200
    generated, downloaded = audit_events("marac.agenda.generate"), audit_events("marac.agenda.download")
    assert len(generated) == 1 and len(downloaded) == 1
    for ev in generated + downloaded:
        assert ev.object_type == "meeting" and ev.object_id == str(meeting.id)
        assert ev.recipient_agency_id == marac.housing.id
        assert ev.purpose == "marac_meeting" and ev.lawful_basis == "gdpr_6_1_e_sch1_safeguarding"
        assert set(ev.data["person_ids"]) == {victim.id, perp.id}
        people = set(db.session.scalars(sa.select(AuditPerson.person_id).where(AuditPerson.event_seq == ev.seq)))
        assert people == {victim.id, perp.id}

    coord = _client(app, marac.coordinator)
    page = coord.get(f"/marac/meetings/{meeting.id}")
    resp = coord.post(f"/marac/meetings/{meeting.id}/circulate", data={"csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    circulated = audit_events("marac.agenda.circulate")
    assert {e.recipient_agency_id for e in circulated} == {marac.police.id, marac.idva_service.id, marac.housing.id}
    police_event = next(e for e in circulated if e.recipient_agency_id == marac.police.id)
    assert police_event.lawful_basis == "dpa2018_part3_sch8_safeguarding"
    # The DPO's question "what was shared with housing" answers from the log.
    dpo = factory.user("dpo")
    shared = _client(app, dpo).get(
        f"/governance/sharing?agency_id={marac.housing.id}&date_from={date.today()}&date_to={date.today()}"
    )
    assert shared.status_code == 200 and "marac.agenda.download" in shared.text


def test_minutes_pdf_download_is_audited(app, factory, marac):
    ref, meeting, item, *_ = _listed(marac, factory)
    core_meetings.record_minutes(
        marac.coordinator, item, minutes="Agreed ZQXMINUTE", outcome="actions_agreed", version=item.version_id
    )
    db.session.commit()
    resp = _client(app, marac.coordinator).get(f"/marac/meetings/{meeting.id}/minutes.pdf")
    assert resp.status_code == 200 and "ZQXMINUTE" in _pdf_text(resp.data)
    ev = audit_events("marac.minutes.download")[-1]
    assert ev.recipient_agency_id == marac.csp.id and ev.lawful_basis


def test_circulation_minutes_identify_people_by_initials_only(app, factory, marac):
    ref, meeting, item, *_ = _listed(marac, factory)
    core_meetings.record_minutes(
        marac.coordinator, item, minutes="Agreed ZQXMINUTE", outcome="actions_agreed", version=item.version_id
    )
    db.session.commit()
    client = _client(app, marac.coordinator)
    full = _pdf_text(client.get(f"/marac/meetings/{meeting.id}/minutes.pdf").data)
    assert "ZEDWARDS" in full and "02/01/1990" in full
    resp = client.get(f"/marac/meetings/{meeting.id}/minutes-circulation.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "circulation" in resp.headers["Content-Disposition"]
    text = " ".join(_pdf_text(resp.data).split())
    assert "ZQXMINUTE" in text and "Victim: AZ" in text and "initials only" in text
    for identifying in ("Zedwards", "ZEDWARDS", "Alice", "Yarrow", "YARROW", "02/01/1990", "04/03/1980"):
        assert identifying not in text, identifying
    ev = audit_events("marac.minutes.download")[-1]
    assert ev.data["details"] == {"copy": "circulation"} and ev.recipient_agency_id == marac.csp.id
    # The same access rule as the full minutes: an agency not on the distribution list gets nothing.
    assert (
        _client(app, marac.health_rep).get(f"/marac/meetings/{meeting.id}/minutes-circulation.pdf").status_code == 404
    )


def test_rep_cannot_update_other_agency_action(app, factory, marac):
    ref, meeting, item, *_ = _listed(marac, factory)
    action = item_action(
        marac.coordinator,
        item,
        agency_id=marac.police.id,
        description="Police check ZQXACT",
        due_on=date.today() + timedelta(days=30),
    )
    db.session.commit()
    housing = _client(app, marac.housing_rep)
    listing = housing.get("/marac/actions")
    assert listing.status_code == 200 and "ZQXACT" not in listing.text
    page = housing.get("/marac/actions")
    resp = housing.post(
        f"/marac/actions/{action.id}",
        data={"csrf_token": csrf_token(page.text), "status": "done", "version_id": str(action.version_id)},
    )
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(type(action), action.id).status == "open"


def test_simultaneous_edits_conflict_over_http(app, factory, marac):
    ref, *_ = _listed(marac, factory)
    coord, idva = _client(app, marac.coordinator), _client(app, marac.idva)
    case_url = f"/marac/cases/{ref.case_id}"
    coord_page, idva_page = coord.get(case_url), idva.get(case_url)
    opened = str(ref.version_id)
    first = coord.post(
        f"{case_url}/allocate",
        data={"csrf_token": csrf_token(coord_page.text), "idva_user_id": str(marac.idva.id), "version_id": opened},
    )
    assert first.status_code == 302
    second = idva.post(
        f"{case_url}/close",
        data={
            "csrf_token": csrf_token(idva_page.text),
            "on": date.today().isoformat(),
            "reason": "No further risk",
            "confirmed": "1",
            "version_id": opened,
        },
    )
    assert second.status_code == 409
    assert "Someone else changed this case" in second.text and "No further risk" in second.text
    db.session.expire_all()
    refreshed = db.session.get(type(ref), ref.id)
    assert refreshed.idva_user_id == marac.idva.id and refreshed.status != "closed"


def test_bad_input_never_500(app, factory, marac):
    victim = factory.person(marac.idva, dob=date(1990, 1, 1))
    idva = _client(app, marac.idva)
    url = f"/marac/referrals/new/{victim.id}"
    page = idva.get(url)
    cases = [
        {"referral_date": "2026-13-45"},
        {
            "referral_date": date.today().isoformat(),
            "incident_date": (date.today() + timedelta(days=3)).isoformat(),
            "incidents_12_months": "5",
        },
        {"referral_date": date.today().isoformat(), "incidents_12_months": "not a number"},
        {"referral_date": date.today().isoformat(), "referrer_name": "x" * 500, "incidents_12_months": "5"},
        {"referral_date": date.today().isoformat(), "dash_id": "99999", "incidents_12_months": "5"},
        {
            "referral_date": date.today().isoformat(),
            "perp_dob": "2999-01-01",
            "perp_surname": "X",
            "incidents_12_months": "5",
        },
        {"referral_date": date.today().isoformat()},  # no criteria
    ]
    base = {"referrer_name": "R", "victim_aware": "yes", "consent": "yes", "safe_to_call": "yes"}
    for data in cases:
        resp = idva.post(url, data={"csrf_token": csrf_token(page.text), **base, **data})
        assert resp.status_code == 400, data
        assert "There is a problem" in resp.text or "meets none" in resp.text
    from casework.marac.models import Referral

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "marac.case.create")
        )
        == 0
    )
