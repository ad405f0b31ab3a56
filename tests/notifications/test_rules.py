"""Recipient rules, preferences, mandatory kinds, the scan's idempotency and the access re-check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core import actions
from casework.core.models import MeetingAgency
from casework.core.services import FieldErrors
from casework.extensions import db
from casework.marac import referrals
from casework.notifications import service
from tests.helpers import signed_in

from .conftest import make_referral, record_dash, rows, schedule


def _referral(marac, factory, by=None):
    by = by or marac.police_rep
    victim = factory.person(by, given_names="Zelda", surname="Quixote")
    return make_referral(by, victim, dash_assessment=record_dash(by, victim, 15))


def _action(marac, case, agency, due_on=None, user_id=None):
    action = actions.create_action(
        marac.coordinator,
        case,
        agency_id=agency.id,
        description="Check the tenancy",
        due_on=due_on or date.today() + timedelta(days=20),
        assigned_user_id=user_id,
    )
    db.session.commit()
    return action


def test_new_referral_notifies_every_coordinator_but_not_the_referrer(app, factory, marac):
    other_coordinator = factory.user("marac_coordinator", agency=marac.idva_service)
    ref = _referral(marac, factory)
    got = rows("marac.referral_submitted")
    assert {n.user_id for n in got} == {marac.coordinator.id, other_coordinator.id}
    assert {n.object_id for n in got} == {ref.case_id}
    assert all(n.mode == "immediate" and n.mail_state == "pending" for n in got)


def test_a_notification_rolls_back_with_its_change(app, factory, marac):
    victim = factory.person(marac.police_rep)
    dash = record_dash(marac.police_rep, victim, 15)
    referrals.create_referral(
        marac.police_rep,
        victim,
        {"victim_aware": "yes", "consent": "yes", "referral_date": date.today(), "dash_id": dash.id},
        perpetrators=[],
        children=[],
    )
    db.session.rollback()
    assert rows() == []


def test_action_goes_to_the_owning_agency_and_its_mailbox(app, factory, marac):
    service.set_mailbox(marac.housing, "homes-team@example.org", "immediate")
    ref = _referral(marac, factory)
    action = _action(marac, ref.case, marac.housing)
    got = rows("marac.action_assigned")
    assert {n.user_id for n in got} == {marac.housing_rep.id, None}
    assert {n.agency_id for n in got} == {marac.housing.id}
    box = next(n for n in got if n.user_id is None)
    assert box.mode == "immediate" and box.read_at is not None  # a mailbox has no in-app list
    assert all(n.object_id == action.id for n in got)
    # The coordinator who made the action is not told about it.
    assert marac.coordinator.id not in {n.user_id for n in got}


def test_listing_notifies_the_agencies_on_the_distribution_list(app, factory, marac):
    meeting = schedule(marac.coordinator, 14, agencies=[marac.police, marac.housing])
    ref = _referral(marac, factory)
    item = referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id, meeting=meeting)
    db.session.commit()
    got = rows("marac.case_listed")
    assert {n.user_id for n in got} == {marac.police_rep.id, marac.housing_rep.id}
    assert {n.object_id for n in got} == {item.id}


def test_circulating_the_agenda_notifies_the_distribution_list(app, factory, marac):
    from casework.marac import agenda

    meeting = schedule(marac.coordinator, 14, agencies=[marac.health])
    with app.test_request_context():
        from flask_login import login_user

        login_user(marac.coordinator)
        agenda.circulate(marac.coordinator, meeting)
    db.session.commit()
    assert {n.user_id for n in rows("marac.agenda_circulated")} == {marac.health_rep.id}


def test_nomination_notifies_iom_managers(app, factory):
    from casework.iom import nominations

    officer = factory.user("iom_officer")
    manager = factory.user("iom_manager")
    person = factory.person(officer)
    with app.test_request_context():
        nominations.nominate(
            officer,
            person,
            {"nominated_on": date.today(), "reasons": "Prolific", "proposed_strand": "fixed", "category": "ppo"},
        )
    db.session.commit()
    assert {n.user_id for n in rows("iom.nomination")} == {manager.id}


def test_preference_none_and_mandatory_kinds(app, factory, marac):
    service.set_preferences(marac.housing_rep, {"marac.action_assigned": "none"})
    db.session.commit()
    ref = _referral(marac, factory)
    _action(marac, ref.case, marac.housing)
    [n] = rows("marac.action_assigned")
    assert (n.mode, n.mail_state) == ("none", "none")  # still listed in the app, never mailed
    service.set_mandatory({"marac.action_assigned"})
    db.session.commit()
    _action(marac, ref.case, marac.housing)
    latest = rows("marac.action_assigned")[-1]
    assert (latest.mode, latest.mail_state) == ("digest", "pending")
    with pytest.raises(FieldErrors):
        service.set_preferences(marac.housing_rep, {"marac.action_assigned": "none"})
    rows_shown = {r.kind.code: r for r in service.preferences(marac.housing_rep)}
    assert rows_shown["marac.action_assigned"].mandatory
    assert "iom.nomination" not in rows_shown  # kinds of casework the user does not do


def test_scan_is_idempotent_per_item_and_day(app, factory, marac):
    ref = _referral(marac, factory)
    overdue = _action(marac, ref.case, marac.housing, due_on=date.today() - timedelta(days=2))
    _action(marac, ref.case, marac.police, due_on=date.today() + timedelta(days=1))
    first = service.scan(date.today())
    db.session.commit()
    assert first >= 2
    assert {n.object_id for n in rows("marac.action_overdue")} == {overdue.id}
    assert {n.user_id for n in rows("marac.action_due")} == {marac.police_rep.id}
    assert service.scan(date.today()) == 0
    db.session.commit()
    assert service.scan(date.today() + timedelta(days=1)) == 0  # the same due date is not news
    # A new deadline is.
    db.session.execute(sa.text("UPDATE action SET due_on = :d WHERE id = :i"), {"d": date.today(), "i": overdue.id})
    db.session.commit()
    assert service.scan(date.today() + timedelta(days=3)) >= 1


def test_research_reminder_before_the_cutoff(app, factory, marac):
    meeting = schedule(marac.coordinator, 9, agencies=[marac.police, marac.housing])
    ref = _referral(marac, factory)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id, meeting=meeting)
    db.session.commit()
    assert service.scan(date.today() - timedelta(days=30)) == 0  # too early
    service.scan(date.today() + timedelta(days=6))
    db.session.commit()
    assert {n.user_id for n in rows("marac.research_due")} == {marac.police_rep.id, marac.housing_rep.id}
    assert service.scan(date.today() + timedelta(days=7)) == 0


def test_access_is_checked_again_when_the_list_is_shown(app, factory, marac):
    meeting = schedule(marac.coordinator, 14, agencies=[marac.police])
    ref = _referral(marac, factory, by=marac.idva)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id, meeting=meeting)
    db.session.commit()
    reference = ref.case.reference
    client = signed_in(app, marac.police_rep)
    page = client.get("/notifications/")
    assert reference in page.text
    # The police leave the meeting's distribution list: the case leaves their view.
    db.session.execute(sa.delete(MeetingAgency).where(MeetingAgency.meeting_id == meeting.id))
    db.session.commit()
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert reference not in page.text
    assert "You have no notifications" in page.text
    assert service.unread_count(marac.police_rep) == 0
