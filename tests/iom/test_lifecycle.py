"""Closing an IOM record through the core case lifecycle, and reopening it on a new nomination."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core.models import AuditEvent
from casework.core.services import FieldErrors, ServiceError
from casework.extensions import db
from casework.iom import nominations, pathways
from tests.helpers import csrf_token, marker, signed_in

from .conftest import deselect, nominate, on_cohort
from .test_http import _post

TODAY = date.today()


def _close(client, page: str, data: dict, *, confirm: bool = False):
    """Post the close form (fields prefixed ``close-``); ``confirm`` answers the confirmation step."""
    token = csrf_token(client.get(page).text)
    form = {"close-csrf_token": token, **{f"close-{k}": v for k, v in data.items()}}
    if confirm:
        form["confirmed"] = "1"
    return client.post(f"{page}/close", data=form)


def _events(action: str, case_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == str(case_id))
        )
    )


def test_deceased_record_is_closed_after_confirmation_and_stays_closed(app, team, factory):
    secret = marker("DECEASED")
    person, offender = on_cohort(team, factory, TODAY - timedelta(days=60), surname=secret)
    deselect(team, offender, TODAY - timedelta(days=5), reason="deceased")
    manager = signed_in(app, team.manager)
    page = f"/iom/cases/{offender.case_id}"
    assert "Close the IOM record" in manager.get(page).text
    form = manager.get(f"{page}/close").text
    assert 'value="Deceased"' in form  # the reason is offered from the deselection
    data = {"on": TODAY.isoformat(), "reason": "Deceased", "version_id": str(offender.version_id)}
    # The first POST only asks for confirmation: nothing changes yet.
    resp = _close(manager, page, data)
    assert resp.status_code == 200 and "Are you sure you want to close" in resp.text
    db.session.expire_all()
    assert offender.case.is_open and not _events("iom.case.close", offender.case_id)
    # The confirmed POST closes it through the core lifecycle, audited.
    resp = _close(manager, page, data, confirm=True)
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert offender.case.status == "closed" and offender.case.closed_on == TODAY
    assert offender.case.closure_reason == "Deceased"
    assert len(_events("iom.case.close", offender.case_id)) == 1
    body = manager.get(page).text
    assert "Closed on" in body and "Close the IOM record" not in body and "Nominate again" not in body
    # Nothing more can be recorded on a closed record, and it cannot be closed twice.
    resp = manager.get(f"{page}/tier")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page)
    resp = _close(manager, page, data, confirm=True)
    assert resp.status_code == 302 and offender.case.status == "closed"
    # A person recorded as deceased is not nominated again, and the person page offers no nomination.
    with pytest.raises(ServiceError, match="deceased"):
        nominations.nominate(
            team.officer,
            person,
            {"nominated_on": TODAY, "reasons": "x", "proposed_strand": "fixed", "category": "ppo"},
        )
    db.session.rollback()
    officer = signed_in(app, team.officer)
    assert "Nominate to IOM" not in officer.get(f"/people/{person.id}").text


def test_deselected_record_closes_and_a_new_nomination_reopens_it(app, team, factory):
    person, offender = on_cohort(team, factory, TODAY - timedelta(days=200))
    pathways.add_intervention(
        team.officer, offender, pathway_code="ete", intervention="College course", owner_agency_id=None, due_on=None
    )
    db.session.commit()
    deselect(team, offender, TODAY - timedelta(days=100), reason="desistance")
    nominations.close_record(
        team.manager,
        offender,
        on=TODAY - timedelta(days=90),
        reason="No further involvement",
        version=offender.version_id,
    )
    db.session.commit()
    assert not offender.case.is_open
    officer = signed_in(app, team.officer)
    # Re-nomination asks first, and a date before the closure is refused.
    url = f"/iom/nominate/{person.id}"
    base = {"reasons": "Back to burglary", "proposed_strand": "fixed", "category": "ppo"}
    resp = _post(
        officer, url, url, {**base, "nominated_on": (TODAY - timedelta(days=95)).isoformat(), "confirmed": "1"}
    )
    assert resp.status_code == 400 and "cannot be before the record closed" in resp.text
    resp = _post(officer, url, url, {**base, "nominated_on": TODAY.isoformat()})
    assert resp.status_code == 200 and "Nominating reopens" in resp.text
    db.session.expire_all()
    assert not offender.case.is_open
    resp = _post(officer, url, url, {**base, "nominated_on": TODAY.isoformat(), "confirmed": "1"})
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    case = offender.case
    assert case.is_open and case.status == "nominated" and case.closure_reason is None
    reopened = _events("iom.case.reopen", case.id)
    assert len(reopened) == 1 and reopened[0].data["details"]["was"] == "closed"
    # The earlier spell is kept, and the new nomination goes to the panel as usual.
    assert len(nominations.spells(offender)) == 1
    assert nominations.open_nomination(offender) is not None
    # The pathway plan closing stopped carries on, with its interventions.
    assert pathways.pathway_plan(offender) is not None
    assert "College course" in officer.get(f"/iom/cases/{case.id}").text


def test_closing_is_refused_while_involved_and_for_others(app, team, factory):
    _, offender = on_cohort(team, factory, TODAY - timedelta(days=30))
    with pytest.raises(ServiceError, match="Deselect the offender"):
        nominations.close_record(team.manager, offender, on=TODAY, reason="x", version=offender.version_id)
    deselect(team, offender, TODAY - timedelta(days=3))
    with pytest.raises(FieldErrors) as exc:
        nominations.close_record(
            team.manager, offender, on=TODAY - timedelta(days=10), reason=" ", version=offender.version_id
        )
    assert {f for f, _ in exc.value.errors} == {"on", "reason"}
    db.session.rollback()
    # A nomination waiting for the panel must be decided first.
    person2 = factory.person(team.officer)
    nomination = nominate(team, person2, TODAY)
    offender2 = nominations.offender_of_person(person2.id)
    with pytest.raises(ServiceError, match="decision on the open nomination"):
        nominations.close_record(team.manager, offender2, on=TODAY, reason="x", version=offender2.version_id)
    assert nomination.status == "open"
    db.session.rollback()
    # An IOM officer may not close (403), and a stale form is a visible conflict (409).
    page = f"/iom/cases/{offender.case_id}"
    officer = signed_in(app, team.officer)
    data = {"on": TODAY.isoformat(), "reason": "Done"}
    resp = _close(officer, page, data, confirm=True)
    assert resp.status_code == 403
    manager = signed_in(app, team.manager)
    resp = _close(manager, page, {**data, "version_id": "0"}, confirm=True)
    assert resp.status_code == 409
    db.session.expire_all()
    assert offender.case.is_open


def test_help_page_has_a_section_per_iom_role(app, team):
    officer = signed_in(app, team.officer).get("/help").text
    assert "As IOM officer" in officer and "Nominate to IOM" in officer
    assert "As IOM manager" not in officer and "As IOM partner agency worker" not in officer
    assert "What each status means" in officer and "except after a deselection recorded as deceased" in officer
    assert "Offending notes are shown to police and probation IOM officers" in officer
    manager = signed_in(app, team.manager).get("/help").text
    assert "As IOM manager" in manager and "initials-only copy of the minutes" in manager
    partner = signed_in(app, team.partner).get("/help").text
    assert "As IOM partner agency worker" in partner and "As IOM officer" not in partner
    # MARAC roles get MARAC's help only.
    rep = signed_in(app, team.marac_rep).get("/help").text
    assert "As MARAC agency representative" in rep and 'id="help-iom"' not in rep
