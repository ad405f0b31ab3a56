"""Destructive actions ask first: an unconfirmed POST shows a confirmation page and changes
nothing; only the confirmed POST (``confirmed=1``, carried by that page) calls the service."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from casework.core import meetings as core_meetings
from casework.core.models import AgendaItem, Meeting
from casework.extensions import db
from casework.marac import meetings as marac_meetings
from casework.marac import referrals
from casework.marac.models import Referral
from tests.helpers import csrf_token, signed_in

from .conftest import make_referral, record_dash, schedule


def _date(name: str, value: date) -> dict:
    """A date as the ISO field and as day / month / year parts (either form of the field reads it)."""
    return {
        name: value.isoformat(),
        f"{name}-day": str(value.day),
        f"{name}-month": str(value.month),
        f"{name}-year": str(value.year),
    }


def _hidden(html: str) -> dict:
    """The hidden fields a confirmation page posts back."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def _accepted(marac, factory):
    victim = factory.person(marac.idva, surname="Confirm")
    ref = make_referral(marac.idva, victim, dash_assessment=record_dash(marac.idva, victim, 15))
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    db.session.commit()
    return ref


def _confirm_step(resp, question: str) -> dict:
    assert resp.status_code == 200, resp.text[:500]
    assert question in resp.text and "This cannot be undone" in resp.text
    assert 'name="confirmed" value="1"' in resp.text and ">Cancel</a>" in resp.text
    return _hidden(resp.text)


def test_closing_a_case_asks_first(app, marac, factory):
    ref = _accepted(marac, factory)
    client = signed_in(app, marac.idva)
    url = f"/marac/cases/{ref.case_id}"
    page = client.get(url)
    assert f'action="{url}/close"' in page.text
    data = {"csrf_token": csrf_token(page.text), "version_id": str(ref.version_id), "reason": "Moved away"}
    first = client.post(f"{url}/close", data=data | _date("on", date.today()))
    hidden = _confirm_step(first, f"Are you sure you want to close {ref.case.reference}?")
    assert "Moved away" in first.text and f'href="{url}"' in first.text
    db.session.expire_all()
    assert db.session.get(Referral, ref.id).status != "closed"
    second = client.post(f"{url}/close", data=hidden)
    assert second.status_code == 302, second.text[:500]
    db.session.expire_all()
    closed = db.session.get(Referral, ref.id)
    assert closed.status == "closed" and closed.case.closure_reason == "Moved away"


def test_closing_with_errors_shows_them_before_any_confirmation(app, marac, factory):
    ref = _accepted(marac, factory)
    client = signed_in(app, marac.idva)
    url = f"/marac/cases/{ref.case_id}"
    token = csrf_token(client.get(url).text)
    resp = client.post(f"{url}/close", data={"csrf_token": token, "version_id": str(ref.version_id), "reason": ""})
    assert resp.status_code == 400 and "Are you sure" not in resp.text
    assert "Enter the reason for closing the case" in resp.text


def test_transfer_out_asks_first(app, marac, factory):
    ref = _accepted(marac, factory)
    client = signed_in(app, marac.idva)
    url = f"/marac/cases/{ref.case_id}"
    data = {
        "csrf_token": csrf_token(client.get(url).text),
        "version_id": str(ref.version_id),
        "area": "Northshire",
        "sent": "Minutes",
    } | _date("on", date.today())
    first = client.post(f"{url}/transfer-out", data=data)
    hidden = _confirm_step(first, "to another MARAC and close it?")
    db.session.expire_all()
    assert db.session.get(Referral, ref.id).transfer_out_area is None
    assert client.post(f"{url}/transfer-out", data=hidden).status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, ref.id).transfer_out_area == "Northshire"


def test_removing_a_case_from_the_agenda_asks_first(app, marac, factory):
    meeting = schedule(marac.coordinator, agencies=[marac.police])
    ref = _accepted(marac, factory)
    item = marac_meetings.auto_list(marac.coordinator, ref)
    db.session.commit()
    client = signed_in(app, marac.coordinator)
    token = csrf_token(client.get(f"/marac/meetings/{meeting.id}").text)
    first = client.post(f"/marac/agenda-items/{item.id}/remove", data={"csrf_token": token, "reason": "Duplicate"})
    hidden = _confirm_step(first, f"Are you sure you want to remove {ref.case.reference} from the agenda?")
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).removed_reason is None
    assert client.post(f"/marac/agenda-items/{item.id}/remove", data=hidden).status_code == 302
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).removed_reason == "Duplicate"


def test_marking_a_meeting_held_asks_first(app, marac):
    started = core_meetings.schedule(
        marac.coordinator,
        kind="marac",
        starts_at=datetime.now(UTC) - timedelta(hours=1),
        venue="Town Hall",
        chair_user_id=None,
        agency_ids=[marac.police.id],
    )
    db.session.commit()
    client = signed_in(app, marac.coordinator)
    token = csrf_token(client.get(f"/marac/meetings/{started.id}").text)
    data = {"csrf_token": token, "version_id": str(started.version_id)}
    first = client.post(f"/marac/meetings/{started.id}/held", data=data)
    hidden = _confirm_step(first, "Are you sure you want to mark the meeting as held?")
    db.session.expire_all()
    assert db.session.get(Meeting, started.id).status == "scheduled"
    assert client.post(f"/marac/meetings/{started.id}/held", data=hidden).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, started.id).status == "held"


def test_cancelling_a_meeting_asks_first(app, marac):
    meeting = schedule(marac.coordinator, agencies=[marac.police])
    client = signed_in(app, marac.coordinator)
    token = csrf_token(client.get(f"/marac/meetings/{meeting.id}").text)
    data = {"csrf_token": token, "version_id": str(meeting.version_id), "reason": "Room flooded"}
    first = client.post(f"/marac/meetings/{meeting.id}/cancel", data=data)
    hidden = _confirm_step(first, "Are you sure you want to cancel the meeting?")
    assert "Room flooded" in first.text
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == "scheduled"
    # "Cancel" on the confirmation page is a link back: following it changes nothing either.
    assert client.get(f"/marac/meetings/{meeting.id}").status_code == 200
    assert db.session.get(Meeting, meeting.id).status == "scheduled"
    assert client.post(f"/marac/meetings/{meeting.id}/cancel", data=hidden).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == "cancelled"
