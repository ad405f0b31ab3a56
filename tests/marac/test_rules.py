"""MARAC domain rules as services: scoring, levels, criteria, repeats, cut-off, carry-over."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from casework.core import actions as core_actions
from casework.core import meetings as core_meetings
from casework.core.access import can_view_case
from casework.core.models import Action, AgendaItem
from casework.core.services import ConflictError, ServiceError
from casework.extensions import db
from casework.marac import dash, meetings, referrals
from casework.marac.agenda import build
from casework.marac.models import Referral
from tests.helpers import item_action, login, post_form

from .conftest import all_yes, make_referral, record_dash, schedule

# --- DASH scoring and levels ---------------------------------------------------------


def test_score_counts_only_yes(app):
    answers = all_yes(5)
    codes = list(answers)
    answers[codes[10]] = {"answer": "not_known", "note": "unsure"}
    answers[codes[11]] = {"answer": "no", "note": None}
    assert dash.score(answers) == 5


@pytest.mark.parametrize(
    ("score", "level"), [(0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"), (14, "high"), (24, "high")]
)
def test_level_bands(app, score, level):
    assert dash.level_for_score(score) == level


def test_thresholds_are_configurable(app):
    app.config["DASH_HIGH_THRESHOLD"] = 17  # e.g. Cambridgeshire hears cases at 17+
    assert dash.level_for_score(15) == "medium"


def test_judgement_raises_with_reason(app, marac, factory):
    victim = factory.person(marac.idva)
    a = record_dash(marac.idva, victim, 6, judgement_level="high", judgement_reason="Strangulation disclosed")
    assert (a.score, a.score_level, a.final_level) == (6, "standard", "high")
    assert a.tool == "SafeLives Dash RIC" and a.tool_version == "2015"


def test_judgement_needs_reason(app, marac, factory):
    victim = factory.person(marac.idva)
    with pytest.raises(ServiceError, match="reasons"):
        record_dash(marac.idva, victim, 6, judgement_level="high", judgement_reason="  ")


def test_judgement_cannot_lower_high_score(app, marac, factory):
    victim = factory.person(marac.idva)
    with pytest.raises(ServiceError, match="cannot lower"):
        record_dash(marac.idva, victim, 15, judgement_level="medium", judgement_reason="Victim minimises")


def test_every_question_must_be_answered(app, marac, factory):
    victim = factory.person(marac.idva)
    answers = all_yes(3)
    answers.pop(next(iter(answers)))
    with pytest.raises(ServiceError, match="Answer every question"):
        dash.record_assessment(marac.idva, victim, completed_on=date.today(), answers=answers)


def test_compare_flags_changed_factors(app, marac, factory):
    victim = factory.person(marac.idva)
    older = record_dash(marac.idva, victim, 3, on=date.today() - timedelta(days=30))
    newer = record_dash(marac.idva, victim, 5)
    changes = dash.compare(older, newer)
    assert [c.question.code for c in changes if c.changed] == list(dash.checklist().codes[3:5])


# --- referral criteria -------------------------------------------------------------------


def test_referral_meeting_no_criterion_is_refused(app, marac, factory):
    victim = factory.person(marac.idva)
    low = record_dash(marac.idva, victim, 9)
    with pytest.raises(ServiceError, match="meets none of the MARAC criteria"):
        make_referral(marac.idva, victim, dash_assessment=low, incidents_12_months=2)


def test_escalation_threshold(app, marac, factory):
    victim = factory.person(marac.idva)
    ref = make_referral(marac.idva, victim, incidents_12_months=3)
    assert ref.crit_escalation and not ref.crit_visible_high_risk


def test_visible_high_risk_from_dash(app, marac, factory):
    victim = factory.person(marac.idva)
    ref = make_referral(marac.idva, victim, dash_assessment=record_dash(marac.idva, victim, 14))
    assert ref.crit_visible_high_risk
    assert ref.case.reference.startswith(f"MARAC-{date.today().year}-")


def test_dash_of_another_person_is_refused(app, marac, factory):
    victim, other = factory.person(marac.idva), factory.person(marac.idva)
    with pytest.raises(ServiceError, match="DASH assessment for this victim"):
        make_referral(marac.idva, victim, dash_assessment=record_dash(marac.idva, other, 20))


def test_impossible_dates_are_refused(app, marac, factory):
    victim = factory.person(marac.idva)
    with pytest.raises(ServiceError, match="incident date cannot be after"):
        make_referral(
            marac.idva, victim, incidents_12_months=4, incident_date=date.today() + timedelta(days=1), on=date.today()
        )
    with pytest.raises(ServiceError, match="cannot be in the future"):
        make_referral(marac.idva, victim, incidents_12_months=4, on=date.today() + timedelta(days=2))


def test_no_consent_needs_reason(app, marac, factory):
    victim = factory.person(marac.idva)
    with pytest.raises(ServiceError, match="without consent"):
        make_referral(marac.idva, victim, incidents_12_months=4, consent="no")


# --- repeats ------------------------------------------------------------------------------


def _accepted(user, victim, on, perpetrators, marac, **data):
    """An earlier referral the MARAC took on: the only kind a repeat is measured from."""
    ref = make_referral(user, victim, incidents_12_months=3, on=on, perpetrators=perpetrators, **data)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    db.session.commit()
    return ref


def _further(marac, victim, incident, perpetrators, **data):
    """A new referral two days after a further incident."""
    return make_referral(
        marac.idva,
        victim,
        incidents_12_months=3,
        on=incident + timedelta(days=2),
        incident_date=incident,
        perpetrators=perpetrators,
        **data,
    )


@pytest.mark.parametrize(
    ("last", "incident", "repeat"),
    [
        (date(2023, 5, 10), date(2024, 5, 9), True),
        (date(2023, 5, 10), date(2024, 5, 10), True),  # 12 calendar months to the day
        (date(2023, 5, 10), date(2024, 5, 11), False),  # a day after: a new referral
        (date(2024, 2, 29), date(2025, 2, 28), True),  # leap day: 12 months end on 28 February
        (date(2024, 2, 29), date(2025, 3, 1), False),
        (date(2023, 3, 1), date(2024, 2, 29), True),  # 366 days, within 12 calendar months
        (date(2023, 3, 1), date(2024, 3, 1), True),
        (date(2023, 3, 1), date(2024, 3, 2), False),
    ],
)
def test_repeat_window_is_12_calendar_months_from_the_last_referral(app, marac, factory, last, incident, repeat):
    victim, perp = factory.person(marac.idva), factory.person(marac.idva)
    first = _accepted(marac.idva, victim, last, [perp], marac)
    second = _further(marac, victim, incident, [perp])
    assert second.crit_repeat is repeat and second.repeat_to_confirm is repeat
    # Detection only proposes: nothing is a repeat until the coordinator confirms it.
    assert not second.is_repeat
    if repeat:
        assert second.repeat_of_case_id == first.case_id
        assert second.previous_marac_date == first.referral_date
        assert second.previous_reference == first.case.reference
        found = referrals.find_repeats(victim.id, incident, {perp.id}, exclude_case_id=second.case_id)
        assert found[0].perpetrator_match and found[0].days_since == (incident - last).days
    else:
        assert second.repeat_of_case_id is None and second.previous_marac_date is None


def test_add_months_clamps_to_the_month_end(app):
    from casework.core.periods import add_months

    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 15), -12) == date(2024, 1, 15)
    assert referrals.repeat_window_end(date(2024, 2, 29)) == date(2025, 2, 28)


def test_window_is_measured_from_the_last_referral_not_the_first(app, marac, factory):
    victim, perp = factory.person(marac.idva), factory.person(marac.idva)
    _accepted(marac.idva, victim, date(2022, 6, 1), [perp], marac)
    last = _accepted(marac.idva, victim, date(2023, 4, 1), [perp], marac)
    second = _further(marac, victim, date(2024, 3, 15), [perp])  # 21 months after the first
    assert second.repeat_to_confirm and second.repeat_of_case_id == last.case_id
    assert second.previous_marac_date == date(2023, 4, 1)


def test_a_different_perpetrator_is_not_a_repeat(app, marac, factory):
    victim, perp1, perp2 = (factory.person(marac.idva) for _ in range(3))
    earlier = _accepted(marac.idva, victim, date.today() - timedelta(days=40), [perp1], marac)
    second = _further(marac, victim, date.today() - timedelta(days=2), [perp2])
    assert not second.crit_repeat and second.repeat_of_case_id is None and not second.is_repeat
    # The coordinator still sees the earlier referral, marked as a different perpetrator.
    found = referrals.find_repeats(victim.id, date.today(), {perp2.id}, exclude_case_id=second.case_id)
    assert [f.referral.case_id for f in found] == [earlier.case_id] and not found[0].perpetrator_match
    assert referrals.proposed_repeat(found) is None
    # One of several perpetrators named again is the same perpetrator(s).
    third = _further(marac, victim, date.today() - timedelta(days=2), [perp1, perp2])
    assert third.repeat_to_confirm and third.repeat_of_case_id == earlier.case_id


def test_only_the_last_referral_counts_even_if_an_older_one_names_the_perpetrator(app, marac, factory):
    victim, perp1, perp2 = (factory.person(marac.idva) for _ in range(3))
    _accepted(marac.idva, victim, date.today() - timedelta(days=200), [perp1], marac)
    _accepted(marac.idva, victim, date.today() - timedelta(days=100), [perp2], marac)
    second = _further(marac, victim, date.today() - timedelta(days=2), [perp1])
    assert not second.crit_repeat and second.repeat_of_case_id is None


def test_declined_or_undecided_referrals_are_not_earlier_marac_referrals(app, marac, factory):
    victim, perp = factory.person(marac.idva), factory.person(marac.idva)
    older = _accepted(marac.idva, victim, date.today() - timedelta(days=300), [perp], marac)
    declined = make_referral(
        marac.idva, victim, incidents_12_months=3, on=date.today() - timedelta(days=30), perpetrators=[perp]
    )
    referrals.decide(marac.coordinator, declined, accept=False, reason="Below threshold", version=declined.version_id)
    db.session.commit()
    # The declined referral is not the last MARAC referral: the accepted one before it is.
    second = _further(marac, victim, date.today() - timedelta(days=2), [perp])
    assert second.repeat_of_case_id == older.case_id and second.previous_marac_date == older.referral_date
    # With only a declined (or an undecided) referral before it, it is a new referral.
    other, their_perp = factory.person(marac.idva), factory.person(marac.idva)
    only = make_referral(
        marac.idva, other, incidents_12_months=3, on=date.today() - timedelta(days=30), perpetrators=[their_perp]
    )
    pending = _further(marac, other, date.today() - timedelta(days=2), [their_perp])
    assert not pending.crit_repeat and pending.repeat_of_case_id is None
    referrals.decide(marac.coordinator, only, accept=False, reason="Duplicate", version=only.version_id)
    db.session.commit()
    after = _further(marac, other, date.today() - timedelta(days=3), [their_perp])
    assert not after.crit_repeat and after.repeat_of_case_id is None


def test_coordinator_confirms_or_rejects_repeat_with_a_reason(app, marac, factory):
    victim, perp = factory.person(marac.idva), factory.person(marac.idva)
    _accepted(marac.idva, victim, date.today() - timedelta(days=10), [perp], marac)
    second = make_referral(marac.idva, victim, incidents_12_months=3, perpetrators=[perp])
    assert second.repeat_to_confirm and not second.is_repeat and second.repeat_confirmed is None
    with pytest.raises(ServiceError, match="reason this is not a repeat"):
        referrals.confirm_repeat(marac.coordinator, second, is_repeat=False, reason="  ", version=second.version_id)
    referrals.confirm_repeat(
        marac.coordinator, second, is_repeat=False, reason="Same incident as before", version=second.version_id
    )
    assert not second.is_repeat and not second.repeat_to_confirm
    assert second.repeat_reject_reason == "Same incident as before"
    referrals.confirm_repeat(marac.coordinator, second, is_repeat=True, version=second.version_id)
    assert second.is_repeat and second.repeat_reject_reason is None
    db.session.commit()
    repeats = db.session.scalars(sa.select(Referral.case_id).where(Referral.repeat_clause())).all()
    assert repeats == [second.case_id]


def test_repeat_decision_through_the_case_page(app, marac, factory):
    victim, perp = factory.person(marac.idva), factory.person(marac.idva)
    earlier = _accepted(marac.idva, victim, date.today() - timedelta(days=10), [perp], marac)
    second = make_referral(marac.idva, victim, incidents_12_months=3, perpetrators=[perp])
    client = app.test_client()
    login(client, marac.coordinator)
    page_url = f"/marac/cases/{second.case_id}"
    page = client.get(page_url)
    assert "Is this a repeat?" in page.text and "the last MARAC referral" in page.text
    assert earlier.case.reference in page.text and "To confirm" in page.text
    url = f"{page_url}/repeat"
    refused = post_form(client, url, {"is_repeat": "no", "version_id": second.version_id}, get_url=page_url)
    assert refused.status_code == 400 and "Enter the reason this is not a repeat" in refused.text
    done = post_form(client, url, {"is_repeat": "yes", "version_id": second.version_id}, get_url=page_url)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, second.id).is_repeat


# --- meetings: cut-off, listing, carry-over --------------------------------------------------


def test_working_day_cutoff(app):
    monday = date(2026, 11, 30)
    assert monday.weekday() == 0
    assert meetings.subtract_working_days(monday, 5) == date(2026, 11, 23)
    assert meetings.subtract_working_days(date(2026, 12, 2), 5) == date(2026, 11, 25)  # Wed -> previous Wed


def test_accepted_referral_goes_to_first_meeting_whose_cutoff_it_meets(app, marac, factory):
    too_soon = schedule(marac.coordinator, days_ahead=3, agencies=[marac.police])
    later = schedule(marac.coordinator, days_ahead=30, agencies=[marac.police, marac.housing])
    assert meetings.cutoff_date(too_soon) < date.today() <= meetings.cutoff_date(later)
    victim = factory.person(marac.idva)
    ref = make_referral(marac.idva, victim, incidents_12_months=5)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    item = meetings.auto_list(marac.coordinator, ref)
    db.session.commit()
    assert item.meeting_id == later.id
    # Listing shares the case with the meeting's agencies, and only while it stays listed.
    assert can_view_case(marac.housing_rep, ref.case) and can_view_case(marac.police_rep, ref.case)
    assert not can_view_case(marac.health_rep, ref.case)
    core_meetings.update_distribution(marac.coordinator, later, {marac.police.id}, later.version_id)
    db.session.commit()
    assert not can_view_case(marac.housing_rep, ref.case)
    assert can_view_case(marac.police_rep, ref.case)
    with pytest.raises(ServiceError, match="already listed"):
        core_meetings.list_case(marac.coordinator, later, ref.case, reason="new")
    with pytest.raises(ServiceError, match="cut-off"):
        core_meetings.list_case(marac.coordinator, too_soon, ref.case, reason="new")
    urgent = core_meetings.list_case(marac.coordinator, too_soon, ref.case, reason="new", urgent=True)
    assert urgent.reason == "urgent"


def test_remove_and_reorder(app, marac, factory):
    meeting = schedule(marac.coordinator, days_ahead=30, agencies=[marac.police])
    items = []
    for _ in range(3):
        ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=5)
        referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
        items.append(core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new"))
    core_meetings.move_item(marac.coordinator, items[2], -1)
    assert [i.id for i in core_meetings.active_items(meeting)] == [items[0].id, items[2].id, items[1].id]
    with pytest.raises(ServiceError, match="reason"):
        core_meetings.remove_item(marac.coordinator, items[0], " ")
    core_meetings.remove_item(marac.coordinator, items[0], "Victim moved area")
    db.session.commit()
    assert items[0].id not in [i.id for i in core_meetings.active_items(meeting)]


def _listed_case(marac, factory, meeting):
    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=5)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    return core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new", urgent=True)


def test_outstanding_actions_carry_to_next_meeting(app, marac, factory):
    first = schedule(marac.coordinator, days_ahead=1, agencies=[marac.housing, marac.police])
    second = schedule(marac.coordinator, days_ahead=30, agencies=[marac.housing, marac.police])
    item = _listed_case(marac, factory, first)
    due = first.starts_at.date() + timedelta(days=7)
    open_a = item_action(marac.coordinator, item, agency_id=marac.housing.id, description="Open one", due_on=due)
    not_done = item_action(marac.coordinator, item, agency_id=marac.police.id, description="Not done", due_on=due)
    done = item_action(marac.coordinator, item, agency_id=marac.police.id, description="Done one", due_on=due)
    db.session.commit()
    core_actions.update_action(
        marac.police_rep,
        not_done,
        status="not_done",
        note=None,
        not_done_reason="circumstances_changed",
        version=not_done.version_id,
    )
    core_actions.update_action(
        marac.police_rep, done, status="done", note="ok", not_done_reason=None, version=done.version_id
    )
    db.session.commit()
    carried = {a.id for a in core_actions.outstanding_actions(second)}
    assert carried == {open_a.id, not_done.id}
    doc = build(marac.coordinator, second)
    assert {a.id for a in doc.outstanding} == {open_a.id, not_done.id}


def test_outstanding_actions_are_this_agendas_cases_and_the_previous_meetings(app, marac, factory):
    """SafeLives: the agenda reviews the open actions of the cases listed on it and what
    the previous meeting set (open or not done); not every open action of past years."""
    agencies = [marac.housing, marac.police]
    oldest = schedule(marac.coordinator, days_ahead=1, agencies=agencies)
    previous = schedule(marac.coordinator, days_ahead=20, agencies=agencies)
    this = schedule(marac.coordinator, days_ahead=40, agencies=agencies)
    relisted = _listed_case(marac, factory, oldest)
    not_relisted = _listed_case(marac, factory, oldest)
    at_previous = _listed_case(marac, factory, previous)
    due = previous.starts_at.date() + timedelta(days=7)

    def action(item, text):
        return item_action(marac.coordinator, item, agency_id=marac.housing.id, description=text, due_on=due)

    on_relisted = action(relisted, "Open, case listed again")
    on_not_relisted = action(not_relisted, "Open, case not listed again")
    previous_open = action(at_previous, "Open, set at the previous meeting")
    previous_not_done = action(at_previous, "Not done at the previous meeting")
    db.session.commit()
    core_actions.update_action(
        marac.housing_rep,
        previous_not_done,
        status="not_done",
        note=None,
        not_done_reason="circumstances_changed",
        version=previous_not_done.version_id,
    )
    # The relisted case on this agenda (listing rules are not what is tested here).
    db.session.add(AgendaItem(meeting_id=this.id, case_id=relisted.case_id, position=1, reason="repeat"))
    db.session.commit()

    carried = {a.id for a in core_actions.outstanding_actions(this)}
    assert carried == {on_relisted.id, previous_open.id, previous_not_done.id}
    assert on_not_relisted.id not in carried
    # The not-done action was reviewed at the meeting after it; it is not carried again.
    later = schedule(marac.coordinator, days_ahead=60, agencies=agencies)
    assert previous_not_done.id not in {a.id for a in core_actions.outstanding_actions(later)}


def test_action_rules(app, marac, factory):
    meeting = schedule(marac.coordinator, days_ahead=2, agencies=[marac.housing])
    item = _listed_case(marac, factory, meeting)
    with pytest.raises(ServiceError, match="owns this action"):
        item_action(marac.coordinator, item, agency_id=None, description="x", due_on=date.today() + timedelta(days=9))
    with pytest.raises(ServiceError, match="deadline"):
        item_action(marac.coordinator, item, agency_id=marac.housing.id, description="x", due_on=None)
    a = item_action(
        marac.coordinator, item, agency_id=marac.housing.id, description="x", due_on=date.today() + timedelta(days=9)
    )
    with pytest.raises(ServiceError, match="why"):
        core_actions.update_action(
            marac.housing_rep, a, status="not_done", note=None, not_done_reason=None, version=a.version_id
        )
    with pytest.raises(ConflictError):
        core_actions.update_action(
            marac.housing_rep, a, status="done", note=None, not_done_reason=None, version=a.version_id - 1
        )


def test_rep_sees_only_own_agency_actions(app, marac, factory):
    meeting = schedule(marac.coordinator, days_ahead=2, agencies=[marac.housing, marac.police])
    item = _listed_case(marac, factory, meeting)
    due = date.today() + timedelta(days=9)
    mine = item_action(marac.coordinator, item, agency_id=marac.housing.id, description="Housing's", due_on=due)
    item_action(marac.coordinator, item, agency_id=marac.police.id, description="Police's", due_on=due)
    db.session.commit()
    page = core_actions.actions_page(marac.housing_rep, "marac", core_actions.ActionFilter(), 1)
    assert [a.id for a in page.items] == [mine.id]
    assert len(core_actions.actions_page(marac.coordinator, "marac", core_actions.ActionFilter(), 1).items) == 2


def test_overdue_filter(app, marac, factory):
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.housing])
    item = _listed_case(marac, factory, meeting)
    a = item_action(
        marac.coordinator,
        item,
        agency_id=marac.housing.id,
        description="late",
        due_on=meeting.starts_at.date() + timedelta(days=1),
    )
    db.session.commit()
    later = meeting.starts_at.date() + timedelta(days=5)
    page = core_actions.actions_page(
        marac.coordinator, "marac", core_actions.ActionFilter(overdue_only=True), 1, today=later
    )
    assert [x.id for x in page.items] == [a.id]
    assert (
        core_actions.actions_page(marac.coordinator, "marac", core_actions.ActionFilter(overdue_only=True), 1).items
        == []
    )


def test_research_only_from_distribution_agencies(app, marac, factory):
    meeting = schedule(marac.coordinator, days_ahead=10, agencies=[marac.housing])
    item = _listed_case(marac, factory, meeting)
    with pytest.raises(ServiceError, match="distribution list"):
        meetings.record_research(marac.health_rep, item, no_trace=True, findings=None, risks=None, withheld=None)
    with pytest.raises(ServiceError, match="No trace"):
        meetings.record_research(marac.housing_rep, item, no_trace=False, findings=None, risks=None, withheld=None)
    meetings.record_research(marac.housing_rep, item, no_trace=True, findings=None, risks=None, withheld=None)
    db.session.commit()
    doc = build(marac.coordinator, meeting)
    assert doc.rows[0].responded == [marac.housing.name]


def test_meeting_in_past_refused(app, marac):
    with pytest.raises(ServiceError, match="past"):
        core_meetings.schedule(
            marac.coordinator,
            kind="marac",
            starts_at=datetime.combine(date.today() - timedelta(days=3), time(9), tzinfo=UTC),
            venue="x",
            chair_user_id=None,
            agency_ids=[marac.police.id],
        )


def test_attendance_needs_confidentiality(app, marac):
    meeting = schedule(marac.coordinator, days_ahead=3, agencies=[marac.police])
    with pytest.raises(ServiceError, match="confidentiality"):
        core_meetings.record_attendance(
            marac.coordinator,
            meeting,
            agency_id=marac.police.id,
            name="PC Smith",
            status="present",
            confidentiality_ack=False,
            information_sent=False,
        )
    core_meetings.record_attendance(
        marac.coordinator,
        meeting,
        agency_id=marac.police.id,
        name="PC Smith",
        status="present",
        confidentiality_ack=True,
        information_sent=False,
    )
    db.session.commit()
    assert len(meeting.attendance) == 1


def test_transfer_out_and_close(app, marac, factory):
    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=5)
    referrals.transfer_out(
        marac.coordinator,
        ref,
        on=date.today(),
        area="Westshire MARAC",
        sent="Minutes, action plan",
        version=ref.version_id,
    )
    db.session.commit()
    assert ref.status == "transferred_out" and ref.case.closed_on == date.today()
    other = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=5)
    with pytest.raises(ServiceError, match="on or after the referral date"):
        referrals.close_case(
            marac.coordinator, other, on=date.today() - timedelta(days=3), reason="x", version=other.version_id
        )


def test_stale_referral_update_conflicts(app, marac, factory):
    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=5)
    opened_version = ref.version_id
    referrals.allocate_idva(marac.coordinator, ref, marac.idva.id, opened_version)
    db.session.commit()
    with pytest.raises(ConflictError):
        referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=opened_version)
    assert db.session.scalar(sa.select(Action).limit(1)) is None


def test_removing_a_case_from_the_agenda_withdraws_meeting_access(app, marac, factory):
    meeting = schedule(marac.coordinator, days_ahead=10, agencies=[marac.housing])
    item = _listed_case(marac, factory, meeting)
    db.session.commit()
    assert can_view_case(marac.housing_rep, item.case)
    core_meetings.remove_item(marac.coordinator, item, "Heard elsewhere")
    db.session.commit()
    assert not can_view_case(marac.housing_rep, item.case)
