"""The shared meeting, action and case-lifecycle mechanisms, exercised through MARAC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from casework.core import actions, cases, meetings, plans
from casework.core.models import Action, AgendaItem, CaseAgency
from casework.core.services import ConflictError, ServiceError
from casework.extensions import db
from casework.home.services import my_work
from casework.marac import meetings as marac_meetings
from casework.marac import referrals
from tests.helpers import csrf_token, item_action, signed_in

from .conftest import make_referral, record_dash, schedule


def _accepted(marac, factory, **data):
    victim = factory.person(marac.idva, surname="Lifecycle")
    dash = record_dash(marac.idva, victim, 15)
    ref = make_referral(marac.idva, victim, dash_assessment=dash, **data)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    db.session.commit()
    return ref


def test_cancel_sends_cases_back_to_awaiting_listing_and_keeps_the_items(app, marac, factory):
    meeting = schedule(marac.coordinator, agencies=[marac.police, marac.housing])
    ref = _accepted(marac, factory)
    item = marac_meetings.auto_list(marac.coordinator, ref)
    db.session.commit()
    assert ref.case.status == "listed"
    with pytest.raises(ServiceError, match="reason"):
        meetings.cancel(marac.coordinator, meeting, reason="  ", version=meeting.version_id)
    with pytest.raises(ConflictError):
        meetings.cancel(marac.coordinator, meeting, reason="Chair ill", version=meeting.version_id - 1)
    assert meetings.cancel(marac.coordinator, meeting, reason="Chair ill", version=meeting.version_id) == 1
    db.session.commit()
    assert meeting.status == "cancelled" and meeting.cancelled_reason == "Chair ill"
    assert db.session.get(AgendaItem, item.id).removed_reason == meetings.CANCELLED_ITEM_REASON
    assert ref.case.status == "accepted"
    # The housing representative no longer sees the case through the cancelled meeting.
    housing = signed_in(app, marac.housing_rep)
    assert housing.get(f"/marac/cases/{ref.case_id}").status_code == 404
    # A cancelled meeting cannot change again.
    with pytest.raises(ServiceError, match="cannot change"):
        meetings.mark_held(marac.coordinator, meeting, meeting.version_id)


def test_reschedule_and_its_checks(app, marac):
    meeting = schedule(marac.coordinator, agencies=[marac.police])
    later = meeting.starts_at + timedelta(days=7)
    changed = meetings.reschedule(
        marac.coordinator,
        meeting,
        starts_at=later,
        venue="Civic Centre",
        chair_user_id=None,
        version=meeting.version_id,
    )
    db.session.commit()
    assert set(changed) == {"starts_at", "venue", "chair_user_id"}
    assert meeting.starts_at == later and meeting.venue == "Civic Centre"
    past = datetime.combine(date.today() - timedelta(days=10), time(10), tzinfo=UTC)
    with pytest.raises(ServiceError, match="past"):
        meetings.reschedule(
            marac.coordinator, meeting, starts_at=past, venue="X", chair_user_id=None, version=meeting.version_id
        )
    with pytest.raises(ServiceError, match="venue"):
        meetings.reschedule(
            marac.coordinator, meeting, starts_at=later, venue=" ", chair_user_id=None, version=meeting.version_id
        )


def test_reschedule_and_cancel_through_the_pages(app, marac):
    meeting = schedule(marac.coordinator, agencies=[marac.police])
    client = signed_in(app, marac.coordinator)
    page = client.get(f"/marac/meetings/{meeting.id}/edit")
    assert page.status_code == 200 and 'for="venue"' in page.text
    token = csrf_token(page.text)
    new_day = meeting.starts_at.date() + timedelta(days=1)
    bad = client.post(
        f"/marac/meetings/{meeting.id}/edit",
        data={"csrf_token": token, "version_id": str(meeting.version_id), "venue": "", "time": "10:00"}
        | {"date-day": str(new_day.day), "date-month": str(new_day.month), "date-year": str(new_day.year)},
    )
    assert bad.status_code == 400 and "Enter the venue" in bad.text
    view = client.get(f"/marac/meetings/{meeting.id}")
    resp = client.post(
        f"/marac/meetings/{meeting.id}/cancel",
        data={
            "csrf_token": csrf_token(view.text),
            "version_id": str(meeting.version_id),
            "reason": "Room flooded",
            "confirmed": "1",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert meeting.status == "cancelled"
    # A representative cannot cancel or change a meeting (403), and nothing changes.
    rep = signed_in(app, marac.police_rep)
    other = schedule(marac.coordinator, agencies=[marac.police])
    token = csrf_token(rep.get(f"/marac/meetings/{other.id}").text)
    denied = rep.post(
        f"/marac/meetings/{other.id}/cancel",
        data={"csrf_token": token, "version_id": str(other.version_id), "reason": "No"},
    )
    assert denied.status_code == 403
    db.session.expire_all()
    assert other.status == "scheduled"


def test_marking_held_is_refused_before_the_meeting_starts(app, marac):
    meeting = schedule(marac.coordinator, days_ahead=3, agencies=[marac.police])
    with pytest.raises(ServiceError, match="once it has started"):
        meetings.mark_held(marac.coordinator, meeting, meeting.version_id)
    meetings.mark_held(marac.coordinator, meeting, meeting.version_id, now=meeting.starts_at + timedelta(minutes=5))
    db.session.commit()
    assert meeting.status == "held"


def test_closing_a_case_clears_agendas_actions_and_plan_reviews(app, marac, factory):
    meeting = schedule(marac.coordinator, agencies=[marac.police, marac.housing])
    ref = _accepted(marac, factory)
    item = marac_meetings.auto_list(marac.coordinator, ref)
    action = item_action(
        marac.coordinator,
        item,
        agency_id=marac.housing.id,
        description="Secure the door",
        due_on=meeting.starts_at.date() + timedelta(days=7),
    )
    plan = plans.create_plan(marac.idva, ref.case, kind="safety", title="Safety plan", review_due_on=date.today())
    db.session.commit()
    assert [a.id for a in my_work(marac.housing_rep).actions] == [action.id]
    assert [p.id for p in my_work(marac.idva).plan_reviews] == [plan.id]

    referrals.close_case(marac.coordinator, ref, on=date.today(), reason="Victim moved away", version=ref.version_id)
    db.session.commit()
    assert ref.case.status == "closed" and not ref.case.is_open
    assert db.session.get(AgendaItem, item.id).removed_reason == "Case closed"
    assert action.status == "cancelled" and action.updates[-1].note == "Case closed: Victim moved away"
    assert plan.is_active is False
    assert my_work(marac.housing_rep).actions == []
    assert my_work(marac.idva).plan_reviews == []
    with pytest.raises(ServiceError, match="closed"):
        actions.update_action(
            marac.housing_rep, action, status="done", note=None, not_done_reason=None, version=action.version_id
        )
    with pytest.raises(ServiceError, match="already closed"):
        cases.close_case(marac.coordinator, ref.case, on=date.today(), reason="Again")


def test_status_transitions_are_enforced(app, marac, factory):
    ref = _accepted(marac, factory)
    with pytest.raises(ServiceError, match="cannot become"):
        cases.set_status(ref.case, "heard")
    with pytest.raises(ServiceError, match="close_case"):
        cases.set_status(ref.case, "closed")
    with pytest.raises(ServiceError, match="already been decided"):
        referrals.decide(marac.coordinator, ref, accept=False, reason="x", version=ref.version_id)


def test_declining_closes_through_the_lifecycle(app, marac, factory):
    victim = factory.person(marac.idva)
    ref = make_referral(marac.idva, victim, dash_assessment=record_dash(marac.idva, victim, 15))
    referrals.decide(marac.coordinator, ref, accept=False, reason="Not high risk", version=ref.version_id)
    db.session.commit()
    assert ref.status == ref.case.status == "declined" and ref.case.closed_on == date.today()


def test_an_action_does_not_make_its_agency_a_member_of_the_case(app, marac, factory):
    """Owning an action lets the agency see and update the action, not the case record."""
    meeting = schedule(marac.coordinator, agencies=[marac.police])  # housing is not on the list
    ref = _accepted(marac, factory)
    item = marac_meetings.auto_list(marac.coordinator, ref)
    victim_name = ref.victim.surname
    action = item_action(
        marac.coordinator,
        item,
        agency_id=marac.housing.id,
        description="Check the tenancy",
        due_on=meeting.starts_at.date() + timedelta(days=7),
    )
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CaseAgency)
            .where(CaseAgency.case_id == ref.case_id, CaseAgency.agency_id == marac.housing.id)
        )
        == 0
    )
    housing = signed_in(app, marac.housing_rep)
    case_page = housing.get(f"/marac/cases/{ref.case_id}")
    assert case_page.status_code == 404 and victim_name not in case_page.text
    person_page = housing.get(f"/people/{ref.victim_id}")
    assert person_page.status_code == 404 and victim_name not in person_page.text
    listing = housing.get("/marac/actions")
    assert "Check the tenancy" in listing.text and victim_name not in listing.text
    assert f'/marac/cases/{ref.case_id}"' not in listing.text  # the reference is not a link into the case
    detail = housing.get(f"/marac/actions/{action.id}")
    assert detail.status_code == 200 and victim_name not in detail.text
    home = housing.get("/")
    assert "Check the tenancy" in home.text and f'/marac/cases/{ref.case_id}"' not in home.text
    # Another agency's representative sees neither the action nor the case.
    health = signed_in(app, marac.health_rep)
    assert health.get(f"/marac/actions/{action.id}").status_code == 404
    assert "Check the tenancy" not in health.get("/marac/actions").text


def test_moving_a_case_keeps_its_reason_and_is_not_urgent(app, marac, factory):
    first = schedule(marac.coordinator, days_ahead=14, agencies=[marac.police])
    second = schedule(marac.coordinator, days_ahead=28, agencies=[marac.police])
    ref = _accepted(marac, factory)
    item = marac_meetings.auto_list(marac.coordinator, ref)
    assert item.meeting_id == first.id
    moved = meetings.move_to_meeting(marac.coordinator, item, second)
    db.session.commit()
    assert moved.meeting_id == second.id and moved.reason == item.reason == "new"
    assert ref.case.status == "listed"
    assert db.session.scalar(sa.select(Action).limit(1)) is None


def test_an_urgent_case_moved_to_a_later_meeting_is_no_longer_urgent(app, marac, factory):
    first = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    later = schedule(marac.coordinator, days_ahead=28, agencies=[marac.police])
    ref = _accepted(marac, factory)
    item = meetings.list_case(marac.coordinator, first, ref.case, urgent=True)
    assert item.reason == "urgent"
    moved = meetings.move_to_meeting(marac.coordinator, item, later)
    db.session.commit()
    assert moved.meeting_id == later.id and moved.reason == "new"


def test_minutes_page_shows_text_kept_on_an_older_no_trace_response(app, marac, factory):
    """Responses saved before "no trace" and "information held" were exclusive may carry
    both: the text is still shown to the chair, never hidden behind the flag."""
    from casework.marac.models import ResearchResponse

    meeting = schedule(marac.coordinator, days_ahead=3, agencies=[marac.housing])
    ref = _accepted(marac, factory)
    item = meetings.list_case(marac.coordinator, meeting, ref.case, urgent=True)
    db.session.add(
        ResearchResponse(
            agenda_item_id=item.id, agency_id=marac.housing.id, no_trace=True, findings="Rent arrears since May"
        )
    )
    db.session.commit()
    page = signed_in(app, marac.coordinator).get(f"/marac/agenda-items/{item.id}/minutes")
    assert page.status_code == 200
    assert "No trace" in page.text and "Rent arrears since May" in page.text


def test_mark_held_through_the_page(app, marac):
    from casework.core.types import utcnow

    future = schedule(marac.coordinator, days_ahead=2, agencies=[marac.police])
    client = signed_in(app, marac.coordinator)
    page = client.get(f"/marac/meetings/{future.id}")
    assert "once it has started" in page.text and "Mark meeting as held" not in page.text
    resp = client.post(
        f"/marac/meetings/{future.id}/held",
        data={"csrf_token": csrf_token(page.text), "version_id": str(future.version_id), "confirmed": "1"},
    )
    assert resp.status_code == 302
    assert "A meeting can only be marked as held once it has started" in client.get(resp.location).text
    db.session.expire_all()
    assert future.status == "scheduled"
    started = meetings.schedule(
        marac.coordinator,
        kind="marac",
        starts_at=utcnow() - timedelta(hours=1),
        venue="Town Hall",
        chair_user_id=None,
        agency_ids=[marac.police.id],
    )
    db.session.commit()
    page = client.get(f"/marac/meetings/{started.id}")
    assert "Mark meeting as held" in page.text
    resp = client.post(
        f"/marac/meetings/{started.id}/held",
        data={"csrf_token": csrf_token(page.text), "version_id": str(started.version_id), "confirmed": "1"},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert started.status == "held"


def test_services_refuse_ids_the_forms_would_not_offer(app, marac, factory):
    """Called directly, the services check what the forms' choices otherwise guarantee."""
    meeting = schedule(marac.coordinator, agencies=[marac.police])
    starts = meeting.starts_at + timedelta(days=1)
    for chair in (999_999, marac.housing_rep.id):
        with pytest.raises(ServiceError, match="chair"):
            meetings.schedule(
                marac.coordinator, kind="marac", starts_at=starts, venue="X", chair_user_id=chair, agency_ids=[1]
            )
        with pytest.raises(ServiceError, match="chair"):
            meetings.reschedule(
                marac.coordinator, meeting, starts_at=starts, venue="X", chair_user_id=chair, version=meeting.version_id
            )
    with pytest.raises(ServiceError, match="distribution list"):
        meetings.record_attendance(
            marac.coordinator,
            meeting,
            agency_id=marac.housing.id,
            name="Someone",
            status="apologies",
            confidentiality_ack=False,
            information_sent=False,
        )
    ref = _accepted(marac, factory)
    for agency_id in (None, 999_999):
        with pytest.raises(ServiceError, match="agency that owns"):
            actions.create_action(
                marac.coordinator, ref.case, agency_id=agency_id, description="d", due_on=date.today()
            )
