"""Regression tests for weaknesses found in review: each proves the attack now fails."""

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import meetings as core_meetings
from casework.extensions import db
from casework.marac import meetings, referrals
from tests.helpers import login

from .conftest import make_referral, record_dash, schedule


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_dash_on_restricted_case_is_not_readable_through_another_case(app, factory, marac):
    victim = factory.person(marac.idva, surname="Quill")
    hidden_dash = record_dash(marac.idva, victim, 18)
    make_referral(marac.idva, victim, dash_assessment=hidden_dash, is_restricted=True)
    # The same victim on an ordinary case that housing can see through a meeting.
    visible = make_referral(marac.idva, victim, incidents_12_months=4)
    referrals.decide(marac.coordinator, visible, accept=True, reason=None, version=visible.version_id)
    meeting = schedule(marac.coordinator, days_ahead=20, agencies=[marac.housing])
    core_meetings.list_case(marac.coordinator, meeting, visible.case, reason="new")
    db.session.commit()
    housing = _client(app, marac.housing_rep)
    assert housing.get(f"/marac/cases/{visible.case_id}").status_code == 200
    resp = housing.get(f"/marac/dash/{hidden_dash.id}")
    assert resp.status_code == 404 and "Score" not in resp.text and "Quill" not in resp.text.title()
    page = housing.get(f"/marac/cases/{visible.case_id}")
    assert f"/marac/dash/{hidden_dash.id}" not in page.text


def test_unlinked_dash_only_for_assessing_agency(app, factory, marac):
    victim = factory.person(marac.idva)
    assessment = record_dash(marac.idva, victim, 12)
    assert _client(app, marac.idva).get(f"/marac/dash/{assessment.id}").status_code == 200
    assert _client(app, marac.coordinator).get(f"/marac/dash/{assessment.id}").status_code == 404


def test_repeat_does_not_reveal_a_case_the_referrer_cannot_see(app, factory, marac):
    victim = factory.person(marac.police_rep, surname="Hidden")
    perp = factory.person(marac.police_rep)
    earlier = make_referral(
        marac.idva,
        victim,
        incidents_12_months=4,
        is_restricted=True,
        on=date.today() - timedelta(days=30),
        perpetrators=[perp],
    )
    referrals.decide(marac.coordinator, earlier, accept=True, reason=None, version=earlier.version_id)
    db.session.commit()
    # Housing refers the same person later, unaware of the restricted case.
    new = make_referral(marac.housing_rep, victim, incidents_12_months=4, perpetrators=[perp])
    assert not new.crit_repeat and new.previous_reference is None and new.previous_marac_date is None
    assert new.repeat_of_case_id == earlier.case_id  # kept for the coordinator, who is named on it
    housing_page = _client(app, marac.housing_rep).get(f"/marac/cases/{new.case_id}")
    assert housing_page.status_code == 200 and earlier.case.reference not in housing_page.text
    coord_page = _client(app, marac.coordinator).get(f"/marac/cases/{new.case_id}")
    assert earlier.case.reference in coord_page.text  # the coordinator can confirm it
    referrals.confirm_repeat(marac.coordinator, new, is_repeat=True, version=new.version_id)
    db.session.commit()
    # confirmed as a repeat, but the restricted case's reference is still not copied
    assert new.crit_repeat and new.previous_reference is None


def test_locating_free_text_is_encrypted_and_kept_out_of_the_audit_log(app, factory, marac, sqlite_path):
    marker = "ZQXNEWTOWN"
    ref = make_referral(
        marac.idva,
        factory.person(marac.idva),
        incidents_12_months=4,
        transfer_in=True,
        transfer_from_area=f"{marker} from",
    )
    referrals.transfer_out(
        marac.coordinator, ref, on=date.today(), area=f"{marker} to", sent="Minutes", version=ref.version_id
    )
    declined = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4)
    referrals.decide(marac.coordinator, declined, accept=False, reason=f"{marker} decline", version=declined.version_id)
    db.session.commit()
    db.session.expire_all()
    assert ref.transfer_out_area == f"{marker} to" and ref.case.closure_reason == f"Transferred to {marker} to"
    if sqlite_path is not None:
        db.session.remove()
        db.engine.dispose()
        raw = sqlite_path.read_bytes() + (
            sqlite_path.with_name(sqlite_path.name + "-wal").read_bytes()
            if sqlite_path.with_name(sqlite_path.name + "-wal").exists()
            else b""
        )
        assert marker.encode() not in raw
    else:
        tables = ["marac_referral", "case", "audit_event", "change_event", "agenda_item", "plan"]
        for table in tables:
            dump = db.session.execute(sa.text(f'SELECT CAST(t AS text) FROM "{table}" AS t')).scalars().all()
            assert not any(marker in row for row in dump), table


def test_research_save_does_not_overwrite_a_colleagues(app, factory, marac):
    from casework.core.services import ConflictError

    meeting = schedule(marac.coordinator, days_ahead=20, agencies=[marac.housing])
    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    item = core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    first = meetings.record_research(marac.housing_rep, item, no_trace=False, findings="A", risks=None, withheld=None)
    db.session.commit()
    opened = first.version_id
    meetings.record_research(
        marac.housing_rep, item, no_trace=False, findings="B", risks=None, withheld=None, version=opened
    )
    db.session.commit()
    import pytest

    with pytest.raises(ConflictError):
        meetings.record_research(
            marac.housing_rep, item, no_trace=True, findings=None, risks=None, withheld=None, version=opened
        )


def test_only_coordinators_allocate_and_deallocation_removes_naming(app, factory, marac):
    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4, is_restricted=True)
    other_idva = factory.user("idva", agency=marac.idva_service)
    idva_client = _client(app, marac.idva)
    page = idva_client.get(f"/marac/cases/{ref.case_id}")
    from tests.helpers import csrf_token

    resp = idva_client.post(
        f"/marac/cases/{ref.case_id}/allocate",
        data={
            "csrf_token": csrf_token(page.text),
            "idva_user_id": str(other_idva.id),
            "version_id": str(ref.version_id),
        },
    )
    assert resp.status_code == 403
    referrals.allocate_idva(marac.coordinator, ref, other_idva.id, ref.version_id)
    db.session.commit()
    assert _client(app, other_idva).get(f"/marac/cases/{ref.case_id}").status_code == 200
    referrals.allocate_idva(marac.coordinator, ref, None, ref.version_id)
    db.session.commit()
    assert _client(app, other_idva).get(f"/marac/cases/{ref.case_id}").status_code == 404
    assert _client(app, marac.idva).get(f"/marac/cases/{ref.case_id}").status_code == 200  # the referrer stays


def test_confirmed_repeat_never_copies_a_restricted_reference(app, factory, marac):
    victim = factory.person(marac.police_rep)
    perp = factory.person(marac.police_rep)
    earlier = make_referral(
        marac.idva,
        victim,
        incidents_12_months=4,
        is_restricted=True,
        on=date.today() - timedelta(days=20),
        perpetrators=[perp],
    )
    referrals.decide(marac.coordinator, earlier, accept=True, reason=None, version=earlier.version_id)
    db.session.commit()
    new = make_referral(marac.housing_rep, victim, incidents_12_months=4, perpetrators=[perp])
    referrals.confirm_repeat(marac.coordinator, new, is_repeat=True, version=new.version_id)
    db.session.commit()
    assert new.is_repeat and new.previous_reference is None
    assert earlier.case.reference not in _client(app, marac.housing_rep).get(f"/marac/cases/{new.case_id}").text


def test_agency_with_meeting_access_only_cannot_refer_or_edit_the_person(app, factory, marac):
    victim = factory.person(marac.idva, surname="Listed")
    ref = make_referral(marac.idva, victim, incidents_12_months=4)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    meeting = schedule(marac.coordinator, days_ahead=20, agencies=[marac.health])
    core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    db.session.commit()
    health = _client(app, marac.health_rep)
    assert health.get(f"/people/{victim.id}").status_code == 200  # to research the listed case
    for url in (
        f"/marac/referrals/new/{victim.id}",
        f"/people/{victim.id}/edit",
        f"/marac/people/{victim.id}/dash/new",
    ):
        assert health.get(url).status_code == 404, url


def test_pdf_survives_text_taller_than_a_page(app, factory, marac):
    perp = factory.person(marac.idva)
    victim = factory.person(marac.idva)
    ref = referrals.create_referral(
        marac.idva,
        victim,
        {
            "referral_date": date.today(),
            "referrer_name": "R",
            "victim_aware": "yes",
            "consent": "yes",
            "incidents_12_months": 4,
        },
        perpetrators=[referrals.PersonLink(perp.id, "a" + "\r\n" * 99 + "b")],
        children=[],
    )
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    meeting = schedule(marac.coordinator, days_ahead=20, agencies=[marac.police])
    core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    db.session.commit()
    resp = _client(app, marac.coordinator).get(f"/marac/meetings/{meeting.id}/agenda.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_agenda_changes_refused_on_removed_items_held_meetings_and_hidden_cases(app, factory, marac):
    from casework.core.access import AccessDenied
    from casework.core.services import ServiceError

    meeting = schedule(marac.coordinator, days_ahead=20, agencies=[marac.police])
    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    item = core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    core_meetings.remove_item(marac.coordinator, item, "Victim moved")
    db.session.commit()
    for attempt in (
        lambda: core_meetings.move_item(marac.coordinator, item, -1),
        lambda: core_meetings.remove_item(marac.coordinator, item, "again"),
    ):
        try:
            attempt()
        except ServiceError as exc:
            assert "no longer on the agenda" in str(exc)
        else:
            raise AssertionError("a removed item was changed")
    # A coordinator not named on a restricted case cannot take it off the agenda.
    hidden = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4, is_restricted=True)
    late = factory.user("marac_coordinator", agency=marac.csp)
    referrals.decide(marac.coordinator, hidden, accept=True, reason=None, version=hidden.version_id)
    hidden_item = core_meetings.list_case(marac.coordinator, meeting, hidden.case, reason="new")
    db.session.commit()
    try:
        core_meetings.remove_item(late, hidden_item, "x")
    except AccessDenied:
        pass
    else:
        raise AssertionError("an unnamed coordinator removed a restricted case")
    # Over HTTP: reordering a removed item is a message, not a 500.
    client = _client(app, marac.coordinator)
    from tests.helpers import csrf_token

    page = client.get(f"/marac/meetings/{meeting.id}")
    resp = client.post(
        f"/marac/agenda-items/{item.id}/reorder", data={"csrf_token": csrf_token(page.text), "direction": "up"}
    )
    assert resp.status_code == 302


def test_named_users_of_a_restricted_case_are_managed_and_audited(app, factory, marac):
    from tests.helpers import audit_events, csrf_token

    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4, is_restricted=True)
    late = factory.user("marac_coordinator", agency=marac.csp)
    case_url = f"/marac/cases/{ref.case_id}"
    assert _client(app, late).get(case_url).status_code == 404
    coord = _client(app, marac.coordinator)
    page = coord.get(case_url)
    assert "Named users" in page.text
    resp = coord.post(f"{case_url}/members", data={"csrf_token": csrf_token(page.text), "user_id": str(late.id)})
    assert resp.status_code == 302
    assert _client(app, late).get(case_url).status_code == 200
    page = coord.get(case_url)
    resp = coord.post(f"{case_url}/members/{late.id}/remove", data={"csrf_token": csrf_token(page.text)})
    assert resp.status_code == 302
    assert _client(app, late).get(case_url).status_code == 404
    assert [e.action for e in audit_events() if e.action.startswith("marac.case.") and "name_member" in e.action] == [
        "marac.case.name_member",
        "marac.case.unname_member",
    ]
    # Someone who cannot work on MARAC cases cannot be named.
    page = coord.get(case_url)
    asb = factory.user("asb_officer")
    resp = coord.post(f"{case_url}/members", data={"csrf_token": csrf_token(page.text), "user_id": str(asb.id)})
    assert resp.status_code == 400
