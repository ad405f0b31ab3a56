"""Research that is never hidden, the research chase list, the chair's running order, and
choosing the meeting when a referral is accepted (issue 9, items 4, 5 and 8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from casework.core import meetings as core_meetings
from casework.core.models import Action, AgendaItem, Meeting
from casework.core.services import ServiceError
from casework.extensions import db
from casework.marac import agenda, meetings, referrals
from casework.marac.models import ResearchResponse
from tests.helpers import audit_events, csrf_token, item_action, signed_in

from .conftest import make_referral, record_dash, schedule


def _listed(factory, marac, *, meeting=None, given="Vera", surname="Victimson", restricted=False, perp=True):
    victim = factory.person(marac.idva, given_names=given, surname=surname, dob=date(1991, 5, 6))
    perps = [factory.person(marac.idva, given_names="Piers", surname=f"Perp{surname}")] if perp else []
    assessment = record_dash(marac.idva, victim, 15)
    ref = make_referral(
        marac.idva,
        victim,
        dash_assessment=assessment,
        perpetrators=perps,
        referrer_name="Rita Referrer",
        is_restricted=restricted,
    )
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    meeting = meeting or schedule(marac.coordinator, days_ahead=14, agencies=[marac.housing, marac.health])
    item = core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    db.session.commit()
    return ref, meeting, item


def _post(client, url, data, page_url=None):
    token = csrf_token(client.get(page_url or url).text)
    return client.post(url, data={"csrf_token": token, **data})


def _response(item, agency):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(ResearchResponse).where(
            ResearchResponse.agenda_item_id == item.id, ResearchResponse.agency_id == agency.id
        )
    )


# --- research: "no trace" or "information held", never text hidden behind a flag -------------


def test_no_trace_with_text_is_refused_unless_the_removal_is_confirmed(app, factory, marac):
    _, _, item = _listed(factory, marac)
    with pytest.raises(ServiceError) as refused:
        meetings.record_research(marac.housing_rep, item, no_trace=True, findings="Tenancy", risks=None, withheld=None)
    assert refused.value.field == "held"
    db.session.rollback()
    assert _response(item, marac.housing) is None

    response = meetings.record_research(
        marac.housing_rep, item, no_trace=True, findings="Tenancy", risks="R", withheld="W", clear_text=True
    )
    db.session.commit()
    assert response.no_trace and (response.findings, response.risks, response.withheld) == (None, None, None)
    assert audit_events("marac.research.record")[-1].data["details"]["text_cleared"] is True


def test_information_held_needs_some_text_and_keeps_all_of_it(app, factory, marac):
    _, _, item = _listed(factory, marac)
    with pytest.raises(ServiceError, match="Enter the information"):
        meetings.record_research(marac.housing_rep, item, no_trace=False, findings=None, risks=" ", withheld=None)
    db.session.rollback()
    response = meetings.record_research(
        marac.housing_rep, item, no_trace=False, findings=None, risks=None, withheld="Police investigation ongoing"
    )
    db.session.commit()
    assert not response.no_trace and response.withheld == "Police investigation ongoing"


def test_research_form_asks_before_removing_text_and_works_without_javascript(app, factory, marac):
    _, _, item = _listed(factory, marac)
    housing = signed_in(app, marac.housing_rep)
    url = f"/marac/agenda-items/{item.id}/research"
    form = housing.get(url)
    assert form.status_code == 200
    assert 'type="radio"' in form.text and "Information held" in form.text and "No trace" in form.text

    # No choice made: one GOV.UK error, next to the radios and in the summary.
    resp = _post(housing, url, {"findings": "Rent arrears"})
    assert resp.status_code == 400
    assert "Select whether your agency holds information on these people" in resp.text
    assert 'href="#held"' in resp.text

    # "No trace" with text: asked first; nothing saved; the text is still on the page.
    resp = _post(housing, url, {"held": "no_trace", "findings": "Rent arrears since 2023"})
    assert resp.status_code == 200
    assert "Yes, record no trace and remove the text" in resp.text
    assert "No, keep the text as information held" in resp.text
    assert "Rent arrears since 2023" in resp.text
    assert _response(item, marac.housing) is None

    # "No, keep it": recorded as information held, with the text.
    resp = _post(housing, url, {"held": "no_trace", "findings": "Rent arrears since 2023", "confirm": "keep"})
    assert resp.status_code == 302, resp.text
    kept = _response(item, marac.housing)
    assert not kept.no_trace and kept.findings == "Rent arrears since 2023"

    # The form shows the saved answer; confirming "no trace" then removes the text.
    again = housing.get(url)
    assert '<input checked id="held-0" name="held" required type="radio" value="information_held">' in again.text
    resp = _post(
        housing,
        url,
        {
            "held": "no_trace",
            "findings": "Rent arrears since 2023",
            "confirm": "clear",
            "version_id": str(kept.version_id),
        },
    )
    assert resp.status_code == 302, resp.text
    cleared = _response(item, marac.housing)
    assert cleared.no_trace and cleared.findings is None


def test_no_trace_without_text_needs_no_confirmation(app, factory, marac):
    _, _, item = _listed(factory, marac)
    housing = signed_in(app, marac.housing_rep)
    resp = _post(housing, f"/marac/agenda-items/{item.id}/research", {"held": "no_trace"})
    assert resp.status_code == 302
    assert _response(item, marac.housing).no_trace


# --- the chase list ------------------------------------------------------------------------------


def test_chase_list_names_the_cases_an_agency_has_not_researched(app, factory, marac):
    ref, meeting, item = _listed(factory, marac)
    police_only = schedule(marac.coordinator, days_ahead=21, agencies=[marac.police])
    _, _, elsewhere = _listed(factory, marac, meeting=police_only, given="Other", surname="Elsewhere")
    _, _, hidden = _listed(factory, marac, meeting=meeting, given="Hidden", surname="Staffer", restricted=True)
    assert [i.id for i in meetings.research_outstanding(marac.housing_rep)] == [item.id]
    assert [i.id for i in meetings.research_outstanding(marac.police_rep)] == [elsewhere.id]
    assert {i.id for i in meetings.research_outstanding(marac.coordinator)} == set()  # CSP is not invited

    housing = signed_in(app, marac.housing_rep)
    home = housing.get("/")
    assert "MARAC research your agency has not done yet" in home.text
    assert f'href="/marac/agenda-items/{item.id}/research"' in home.text
    assert ref.case.reference in home.text
    assert hidden.case.reference not in home.text  # a restricted case shows to its named members only

    meetings.record_research(marac.housing_rep, item, no_trace=True, findings=None, risks=None, withheld=None)
    db.session.commit()
    assert meetings.research_outstanding(marac.housing_rep) == []
    assert "Your agency has researched every case" in housing.get("/").text

    # The meeting page says which cases the agency still has to research.
    page = housing.get(f"/marac/meetings/{meeting.id}")
    assert "Done" in page.text


def test_chase_list_leaves_out_cancelled_and_past_meetings(app, factory, marac):
    _, meeting, item = _listed(factory, marac)
    assert meetings.research_outstanding(marac.housing_rep) != []
    later = meeting.starts_at + timedelta(days=1)
    assert meetings.research_outstanding(marac.housing_rep, now=later) == []
    core_meetings.cancel(marac.coordinator, meeting, reason="Snow", version=meeting.version_id)
    db.session.commit()
    assert meetings.research_outstanding(marac.housing_rep) == []


# --- the chair's running order -------------------------------------------------------------------


@pytest.fixture
def running(app, factory, marac):
    """A meeting of two cases; the first with research, an earlier open action and a child."""
    earlier = schedule(marac.coordinator, days_ahead=1, agencies=[marac.housing])
    first, meeting, item = _listed(factory, marac)
    # An open action from an earlier meeting on the same case.
    earlier_item = AgendaItem(case=first.case, position=1, reason="new")
    earlier.items.append(earlier_item)
    db.session.flush()
    old = item_action(
        marac.coordinator,
        earlier_item,
        agency_id=marac.health.id,
        description="Health visitor to check on the children",
        due_on=date.today() + timedelta(days=3),
    )
    earlier.starts_at = datetime.combine(date.today() - timedelta(days=20), time(10), tzinfo=UTC)
    second, _, item2 = _listed(factory, marac, meeting=meeting, given="Wanda", surname="Second")
    meetings.record_research(
        marac.housing_rep, item, no_trace=False, findings="Tenancy in victim's sole name", risks=None, withheld=None
    )
    meetings.record_research(marac.health_rep, item, no_trace=True, findings=None, risks=None, withheld=None)
    db.session.commit()
    return {"meeting": meeting, "item": item, "item2": item2, "first": first, "second": second, "old": old}


def test_running_order_shows_everything_the_chair_needs_for_the_case(app, marac, running):
    meeting, item, first = running["meeting"], running["item"], running["first"]
    coord = signed_in(app, marac.coordinator)
    before = len(audit_events("marac.case.view"))
    page = coord.get(f"/marac/meetings/{meeting.id}/running-order/1")
    assert page.status_code == 200, page.text
    text = page.text
    assert first.case.reference in text and "Case 1 of 2" in text
    assert "Vera VICTIMSON" in text and "Piers" in text  # full names: the coordinator may see them
    assert "Visible high risk" in text and "Score 15, high risk" in text
    assert "Test IDVA Service" in text and "Rita Referrer" in text  # referring agency and referrer
    assert "Tenancy in victim&#39;s sole name" in text and "No trace" in text  # research received
    assert "Information held" in text
    assert "Health visitor to check on the children" in text  # outstanding from an earlier meeting
    assert f'action="/marac/agenda-items/{item.id}/minutes"' in text
    assert f'action="/marac/agenda-items/{item.id}/actions"' in text
    assert f'name="next" value="/marac/meetings/{meeting.id}/running-order/1"' in text
    assert f"/marac/meetings/{meeting.id}/running-order/2" in text  # next case
    assert running["second"].case.reference in text
    views = audit_events("marac.case.view")[before:]
    assert [(v.object_id, v.purpose) for v in views] == [(str(first.case_id), "marac_meeting")]

    last = coord.get(f"/marac/meetings/{meeting.id}/running-order/2")
    assert last.status_code == 200 and "Wanda SECOND" in last.text and "Vera VICTIMSON" not in last.text
    assert "Last case heard: back to the meeting" in last.text
    assert "Not received" in last.text  # nobody has researched the second case yet

    assert coord.get(f"/marac/meetings/{meeting.id}/running-order/3").status_code == 404
    assert coord.get(f"/marac/meetings/{meeting.id}/running-order/0").status_code == 404
    start = coord.get(f"/marac/meetings/{meeting.id}/running-order")
    assert start.status_code == 302 and start.headers["Location"].endswith(f"/meetings/{meeting.id}/running-order/1")


def test_running_order_is_for_the_chair_and_coordinator_only(app, factory, marac, running):
    meeting = running["meeting"]
    url = f"/marac/meetings/{meeting.id}/running-order/1"
    for user in (marac.housing_rep, marac.idva, factory.user("dpo"), factory.user("analyst")):
        resp = signed_in(app, user).get(url)
        assert resp.status_code in (403, 404), (user.email, resp.status_code)
        assert "VICTIMSON" not in resp.text and "Tenancy" not in resp.text
    iom = factory.user("iom_manager")
    assert signed_in(app, iom).get(url).status_code in (403, 404)


def test_running_order_withholds_a_restricted_case_from_a_chair_not_named_on_it(app, factory, marac, running):
    meeting = running["meeting"]
    _, _, secret = _listed(factory, marac, meeting=meeting, given="Sally", surname="Staffmember", restricted=True)
    other_chair = factory.user("marac_coordinator", agency=marac.csp)  # not named on the restricted case
    client = signed_in(app, other_chair)
    before = len(audit_events("marac.case.view"))
    page = client.get(f"/marac/meetings/{meeting.id}/running-order/3")
    assert page.status_code == 200
    assert "Restricted case" in page.text and secret.case.reference in page.text
    assert "STAFFMEMBER" not in page.text.upper() and "minutes" not in page.text.split("Restricted case")[1][:400]
    assert f"/marac/agenda-items/{secret.id}/minutes" not in page.text
    assert audit_events("marac.case.view")[before:] == []
    # The named coordinator sees it.
    assert (
        "Sally STAFFMEMBER"
        in signed_in(app, marac.coordinator).get(f"/marac/meetings/{meeting.id}/running-order/3").text
    )


def test_minutes_and_actions_from_the_running_order_come_back_to_it(app, marac, running):
    meeting, item = running["meeting"], running["item"]
    here = f"/marac/meetings/{meeting.id}/running-order/1"
    coord = signed_in(app, marac.coordinator)
    resp = _post(
        coord,
        f"/marac/agenda-items/{item.id}/minutes",
        {
            "minutes": "Housing to secure the property.",
            "outcome": "actions_agreed",
            "version_id": item.version_id,
            "next": here,
        },
        here,
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(here + "#minutes-section")
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).outcome == "actions_agreed"

    resp = _post(
        coord,
        f"/marac/agenda-items/{item.id}/actions",
        {
            "assigned_agency_id": marac.housing.id,
            "description": "Fit new locks",
            "due_on": (date.today() + timedelta(days=28)).isoformat(),
            "next": here,
        },
        here,
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(here + "#actions-section")
    page = coord.get(here)
    assert "Fit new locks" in page.text and "Housing to secure the property." in page.text
    assert "Heard" in page.text  # the case menu marks the case heard

    # A refused action is shown on the running order, with the error summary.
    resp = _post(coord, f"/marac/agenda-items/{item.id}/actions", {"next": here}, here)
    assert resp.status_code == 400
    assert "There is a problem" in resp.text and "Describe the action" in resp.text
    assert "Case 1 of 2" in resp.text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/marac/meetings/1/running-order/1",
        "//evil.example/marac/meetings/1/running-order/1",
        "/\\evil.example",
        "/marac/cases/1",
        "javascript:alert(1)",
    ],
)
def test_next_only_accepts_this_meetings_running_order(app, marac, running, target):
    item = running["item"]
    coord = signed_in(app, marac.coordinator)
    resp = _post(
        coord,
        f"/marac/agenda-items/{item.id}/minutes",
        {"minutes": "x", "outcome": "", "version_id": item.version_id, "next": target},
        f"/marac/agenda-items/{item.id}/minutes",
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/marac/agenda-items/{item.id}/minutes")


def test_next_pointing_at_another_meetings_running_order_is_ignored(app, marac, running):
    item = running["item"]
    other = schedule(marac.coordinator, days_ahead=30, agencies=[marac.housing])
    coord = signed_in(app, marac.coordinator)
    resp = _post(
        coord,
        f"/marac/agenda-items/{item.id}/minutes",
        {"minutes": "x", "version_id": item.version_id, "next": f"/marac/meetings/{other.id}/running-order/1"},
        f"/marac/agenda-items/{item.id}/minutes",
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/marac/agenda-items/{item.id}/minutes")


def test_running_order_service_follows_the_agenda_disclosure(app, marac, running):
    meeting = running["meeting"]
    page = agenda.running_order(marac.coordinator, meeting, 1)
    row = agenda.build(marac.coordinator, meeting).rows[0]
    assert page.row.victim == row.victim and page.row.perpetrators == row.perpetrators
    assert page.row.dash_score == 15 and page.row.dash_level == "high"
    assert [r.agency.name for r in page.research] == ["Test Health", "Test Homes"]
    assert [a.id for a in page.outstanding] == [running["old"].id]
    assert agenda.running_order(marac.coordinator, meeting, 5) is None


def test_the_meeting_page_links_to_the_running_order(app, marac, running):
    meeting = running["meeting"]
    page = signed_in(app, marac.coordinator).get(f"/marac/meetings/{meeting.id}")
    assert f'href="/marac/meetings/{meeting.id}/running-order/1"' in page.text
    assert "Run the meeting: running order" in page.text
    assert "running-order" not in signed_in(app, marac.housing_rep).get(f"/marac/meetings/{meeting.id}").text


# --- accepting a referral asks which meeting -----------------------------------------------------


@pytest.fixture
def submitted(factory, marac):
    victim = factory.person(marac.idva, given_names="Nora", surname="Newcase")
    ref = make_referral(marac.idva, victim, dash_assessment=record_dash(marac.idva, victim, 15))
    too_soon = schedule(marac.coordinator, days_ahead=2, agencies=[marac.housing])  # cut-off passed
    next_ok = schedule(marac.coordinator, days_ahead=21, agencies=[marac.housing])
    later = schedule(marac.coordinator, days_ahead=35, agencies=[marac.housing])
    return ref, too_soon, next_ok, later


def test_decision_form_preselects_the_next_meeting_whose_cut_off_the_referral_meets(app, marac, submitted):
    ref, too_soon, next_ok, later = submitted
    page = signed_in(app, marac.coordinator).get(f"/marac/cases/{ref.case_id}")
    assert page.status_code == 200
    assert f'<option selected value="{next_ok.id}">' in page.text or f'<option value="{next_ok.id}" selected' in (
        page.text
    )
    assert "cut-off passed, listed as urgent" in page.text
    assert 'value="later"' in page.text and "List later" in page.text
    assert str(later.id) in page.text


def _decide(app, marac, ref, **data):
    url = f"/marac/cases/{ref.case_id}"
    return _post(
        signed_in(app, marac.coordinator),
        f"{url}/decision",
        {"decision": "accept", "version_id": ref.version_id, **data},
        url,
    )


def test_accepting_lists_the_case_on_the_chosen_meeting(app, marac, submitted):
    ref, _, _, later = submitted
    resp = _decide(app, marac, ref, meeting_id=str(later.id))
    assert resp.status_code == 302, resp.text
    items = db.session.scalars(sa.select(AgendaItem).where(AgendaItem.case_id == ref.case_id)).all()
    assert [(i.meeting_id, i.reason) for i in items] == [(later.id, "new")]
    assert ref.case.status == "listed"


def test_accepting_onto_a_meeting_past_its_cut_off_lists_it_as_urgent(app, marac, submitted):
    ref, too_soon, _, _ = submitted
    assert _decide(app, marac, ref, meeting_id=str(too_soon.id)).status_code == 302
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.case_id == ref.case_id))
    assert (item.meeting_id, item.reason) == (too_soon.id, "urgent")


def test_list_later_accepts_without_listing(app, marac, submitted):
    ref, *_ = submitted
    assert _decide(app, marac, ref, meeting_id="later").status_code == 302
    db.session.expire_all()
    assert ref.case.status == "accepted"
    assert db.session.scalar(sa.select(AgendaItem).where(AgendaItem.case_id == ref.case_id)) is None


def test_an_unknown_meeting_is_refused_with_a_message_and_nothing_changes(app, marac, submitted):
    ref, *_ = submitted
    resp = _decide(app, marac, ref, meeting_id="999999")
    assert resp.status_code == 400
    assert "Select a meeting to list the case on, or &#39;List later&#39;" in resp.text
    db.session.expire_all()
    assert ref.case.status == "submitted"


def test_a_cancelled_meeting_cannot_be_chosen(app, marac, submitted):
    ref, _, next_ok, _ = submitted
    core_meetings.cancel(marac.coordinator, next_ok, reason="Room", version=next_ok.version_id)
    db.session.commit()
    resp = _decide(app, marac, ref, meeting_id=str(next_ok.id))
    assert resp.status_code == 400 and "Select a meeting still to come" in resp.text
    db.session.expire_all()
    assert ref.case.status == "submitted"


def test_moving_a_case_to_a_later_meeting_keeps_its_reason_not_urgent(app, marac, submitted):
    ref, _, next_ok, later = submitted
    assert _decide(app, marac, ref, meeting_id=str(next_ok.id)).status_code == 302
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.case_id == ref.case_id))
    coord = signed_in(app, marac.coordinator)
    resp = _post(
        coord, f"/marac/agenda-items/{item.id}/move", {"meeting_id": later.id}, f"/marac/meetings/{next_ok.id}"
    )
    assert resp.status_code == 302
    db.session.expire_all()
    active = db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.case_id == ref.case_id, AgendaItem.removed_reason.is_(None))
    ).all()
    assert [(i.meeting_id, i.reason) for i in active] == [(later.id, "new")]
    page = coord.get(f"/marac/meetings/{later.id}")
    row = page.text.split('id="item-', 1)[1].split("</tr>", 1)[0]
    assert ref.case.reference in row
    assert "Urgent" not in row and "New" in row


def test_decide_service_lists_on_the_meeting_given(app, marac, submitted):
    ref, _, next_ok, _ = submitted
    item = referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id, meeting=next_ok)
    db.session.commit()
    assert item.meeting_id == next_ok.id and item.reason == "new"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0
