"""ASB Case Review rules: threshold with qualifying and non-qualifying complaints, working-day
deadlines, decisions in order, the published figures and the 2025 guidance prompt."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from casework.asb.case_review import services
from casework.asb.case_review.models import CaseReview
from casework.asb.models import IncidentGroup
from casework.core.periods import financial_year
from casework.core.services import FieldErrors, ServiceError
from casework.extensions import db

from .case_review_support import apply, incident, team_fixture  # noqa: F401

RECEIVED = date(2026, 3, 2)  # a Monday


def _errors(exc) -> dict:
    return dict(exc.value.errors)


# --- the threshold -------------------------------------------------------------------------------


def test_three_complaints_in_six_months_meet_the_threshold(team):
    complaints = [
        incident(team, date(2025, 9, 5), date(2025, 9, 6)),  # inside 6 months (window starts 2 Sep 2025)
        incident(team, date(2025, 12, 1), date(2025, 12, 31)),  # 30 days after: within 1 month
        incident(team, date(2026, 3, 2)),  # on the day of the application
    ]
    review = apply(team, RECEIVED, complaints)
    result = services.check_threshold(review)
    assert result.window_start == date(2025, 9, 2)
    assert [c.counts for c in result.complaints] == [True, True, True]
    assert result.qualifying == 3 and result.met
    assert result.complaints[2].reason.startswith("Counts: reported on the day of the incident")


def test_non_qualifying_complaints_are_explained(team):
    complaints = [
        incident(team, date(2025, 8, 30), date(2025, 9, 1)),  # reported the day before the window opens
        incident(team, date(2025, 10, 1), date(2025, 11, 2)),  # 1 month and a day after its incident
        incident(team, date(2026, 1, 10), date(2026, 1, 12)),  # counts
        incident(team, date(2026, 2, 27), date(2026, 3, 3)),  # reported after the application
    ]
    review = apply(team, RECEIVED, complaints[:3], today=date(2026, 3, 3))
    review.complaints.append(type(review.complaints[0])(incident_id=complaints[3].id))
    db.session.commit()
    result = services.check_threshold(review)
    reasons = {c.incident_id: (c.counts, c.reason) for c in result.complaints}
    assert reasons[complaints[0].id] == (False, "Reported more than 6 months before the application")
    assert reasons[complaints[1].id] == (False, "Reported more than 1 month after the incident")
    assert reasons[complaints[2].id][0] is True
    assert reasons[complaints[3].id] == (False, "Reported after the application was received")
    assert result.qualifying == 1 and not result.met


def test_window_edges(team):
    # 6 months before 2 March 2026 is 2 September 2025: a report that day counts, the day before does not.
    on_edge = incident(team, date(2025, 9, 2))
    before = incident(team, date(2025, 9, 1))
    # Reported exactly 1 month after the incident counts; a day later does not.
    month = incident(team, date(2025, 12, 15), date(2026, 1, 15))
    late = incident(team, date(2025, 12, 15), date(2026, 1, 16))
    review = apply(team, RECEIVED, [on_edge, before, month, late])
    counts = {c.incident_id: c.counts for c in services.check_threshold(review).complaints}
    assert counts == {on_edge.id: True, before.id: False, month.id: True, late.id: False}


def test_one_event_reported_to_several_agencies_counts_once(team):
    group = IncidentGroup(created_by_id=team.officer.id)
    db.session.add(group)
    db.session.commit()
    to_police = incident(team, date(2026, 1, 5), group_id=group.id)
    to_council = incident(team, date(2026, 1, 5), date(2026, 1, 6), group_id=group.id)
    other = incident(team, date(2026, 2, 1))
    review = apply(team, RECEIVED, [to_police, to_council, other])
    result = services.check_threshold(review)
    assert result.qualifying == 2 and not result.met
    assert "same event" in next(c.reason for c in result.complaints if not c.counts)


def test_a_removed_incident_no_longer_counts(team):
    complaints = [incident(team, date(2026, 1, d)) for d in (5, 12, 19)]
    review = apply(team, RECEIVED, complaints)
    assert services.check_threshold(review).met
    complaints[1].deleted_at = datetime(2026, 3, 3, tzinfo=UTC)
    db.session.commit()
    result = services.check_threshold(review)
    assert not result.met
    assert "removed by correction" in next(c.reason for c in result.complaints if not c.counts)


def test_threshold_is_configurable(team, app):
    complaints = [incident(team, date(2026, 1, 5)), incident(team, date(2026, 2, 5))]
    review = apply(team, RECEIVED, complaints)
    assert not services.check_threshold(review).met
    app.config["ASB_CASE_REVIEW_COMPLAINTS"] = 2
    try:
        assert services.check_threshold(review).met
    finally:
        app.config["ASB_CASE_REVIEW_COMPLAINTS"] = 3


def test_complaints_must_be_incidents_on_this_case(team, factory):
    other_case = factory.case(team.officer, kind="asb", people=[(team.victim, "victim")])
    elsewhere = incident(team, date(2026, 1, 5), case=other_case)
    with pytest.raises(FieldErrors) as exc:
        apply(team, RECEIVED, [elsewhere])
    assert _errors(exc)["incident_ids"] == "Select incidents recorded on this case"


# --- deadlines in working days --------------------------------------------------------------------------


def test_deadlines_skip_weekends_and_bank_holidays(team):
    # Received Thursday 18 December 2025: Christmas, Boxing Day and New Year's Day are skipped.
    review = apply(team, date(2025, 12, 18), [incident(team, date(2025, 12, 10))])
    due = {d.key: d.due_on for d in services.deadlines(review, today=date(2025, 12, 18))}
    assert due == {
        "acknowledge": date(2026, 1, 6),  # 10 working days
        "decision": date(2026, 1, 13),  # 15
        "meeting": date(2026, 1, 20),  # 20
    }


def test_countdown_and_overdue(team):
    review = apply(team, RECEIVED, [incident(team, date(2026, 2, 20))])
    # Acknowledgement due 10 working days after Monday 2 March: Monday 16 March.
    by_day = {
        date(2026, 3, 13): "1 working day left",  # Friday
        date(2026, 3, 14): "1 working day left",  # Saturday: no working day passes
        date(2026, 3, 16): "Due today",
        date(2026, 3, 17): "Overdue by 1 working day",
        date(2026, 3, 20): "Overdue by 4 working days",
    }
    for today, expected in by_day.items():
        ack = services.deadlines(review, today)[0]
        assert (ack.key, ack.due_on, ack.countdown) == ("acknowledge", date(2026, 3, 16), expected), today
        assert ack.overdue == expected.startswith("Overdue")
    services.acknowledge(
        team.officer, review, acknowledged_on=date(2026, 3, 18), version=review.version_id, today=date(2026, 3, 20)
    )
    ack = services.deadlines(review, date(2026, 3, 20))[0]
    assert not ack.overdue and ack.late and ack.countdown == "Done late"


def test_appeal_has_its_own_deadline(team):
    review = apply(team, RECEIVED, [incident(team, date(2026, 2, 20))])
    services.decide_threshold(
        team.officer,
        review,
        decision="not_met",
        decided_on=date(2026, 3, 9),
        reasons="One complaint only",
        version=review.version_id,
        today=date(2026, 3, 9),
    )
    assert [d.key for d in services.deadlines(review, date(2026, 3, 9))] == ["acknowledge", "decision"]
    services.record_appeal(
        team.officer,
        review,
        received_on=date(2026, 3, 20),
        grounds="Other reports were missed",
        version=review.version_id,
        today=date(2026, 3, 20),
    )
    appeal = services.deadlines(review, date(2026, 3, 20))[-1]
    # 20 working days from Friday 20 March 2026, skipping Good Friday (3 April) and Easter Monday (6 April).
    assert (appeal.key, appeal.due_on) == ("appeal", date(2026, 4, 21))


# --- decisions in order and bad input -----------------------------------------------------------------


def test_decision_before_the_application_is_refused(team):
    review = apply(team, RECEIVED, [incident(team, date(2026, 2, 20))])
    with pytest.raises(FieldErrors) as exc:
        services.decide_threshold(
            team.officer,
            review,
            decision="met",
            decided_on=date(2026, 2, 27),
            reasons="x",
            version=review.version_id,
            today=RECEIVED,
        )
    assert _errors(exc)["decided_on"] == "The decision cannot be before the application was received"
    with pytest.raises(FieldErrors) as exc:
        services.acknowledge(
            team.officer, review, acknowledged_on=date(2026, 3, 1), version=review.version_id, today=RECEIVED
        )
    assert "before the application" in _errors(exc)["acknowledged_on"]


def test_dates_in_the_future_are_refused(team):
    future = incident(team, date(2026, 2, 20))
    with pytest.raises(FieldErrors) as exc:
        apply(team, date(2026, 3, 10), [future], today=RECEIVED)
    assert _errors(exc)["received_on"] == "The date the application was received must be today or in the past"


def test_missing_and_over_long_answers_are_all_reported(team):
    complaint = incident(team, date(2026, 2, 20))
    with pytest.raises(FieldErrors) as exc:
        apply(
            team,
            RECEIVED,
            [complaint],
            applicant_kind="on_behalf",
            applicant_name="x" * 201,
            victim_person_id=None,
            involvement="",
            spoc_user_id=None,
            summary="y" * 4001,
        )
    errors = _errors(exc)
    assert errors["applicant_name"] == "The applicant's name must be 200 characters or fewer"
    assert errors["summary"] == "The summary must be 4,000 characters or fewer"
    assert errors["victim_person_id"] == "Choose the victim the applicant acts for"
    assert errors["consent_given"].startswith("Confirm that the victim consented")
    assert errors["involvement"] == "Select how the victim wants to be involved"
    assert errors["spoc_user_id"] == "Choose the applicant's single point of contact"


def test_a_decision_against_the_check_needs_reasons(team):
    review = apply(team, RECEIVED, [incident(team, date(2026, 2, 20))])
    with pytest.raises(FieldErrors) as exc:
        services.decide_threshold(
            team.officer,
            review,
            decision="met",
            decided_on=RECEIVED,
            reasons=None,
            version=review.version_id,
            today=RECEIVED,
        )
    assert "differs from the threshold check" in _errors(exc)["reasons"]
    services.decide_threshold(
        team.officer,
        review,
        decision="met",
        decided_on=RECEIVED,
        reasons="Vulnerable victim: discretion used",
        version=review.version_id,
        today=RECEIVED,
    )
    assert review.threshold_decision == "met" and review.threshold_count == 1


# --- the review, outcome and figures ---------------------------------------------------------------------


def _through_to_outcome(team, received: date, *, recommend: bool) -> CaseReview:
    complaints = [incident(team, date(received.year, received.month, d)) for d in (1, 2, 3)]
    review = apply(team, received, complaints, today=received)
    services.decide_threshold(
        team.officer,
        review,
        decision="met",
        decided_on=received,
        reasons=None,
        version=review.version_id,
        today=received,
    )
    with time_machine.travel(datetime.combine(received, time(9), tzinfo=UTC), tick=False):
        meeting = services.schedule_meeting(
            team.officer,
            review,
            starts_at=datetime.combine(received, time(14), tzinfo=UTC),
            venue="Town hall",
            chair_user_id=None,
            agency_ids=[team.council.id, team.police.id],
            version=review.version_id,
        )
    assert meeting.kind == "asb_mam"
    if recommend:
        services.add_recommendation(
            team.officer,
            review,
            agency_id=team.police.id,
            description="Joint patrols for 4 weeks",
            due_on=date(received.year, 12, 31),
        )
    services.record_outcome(
        team.officer,
        review,
        outcome="recommendations" if recommend else "no_recommendations",
        outcome_on=received,
        summary="Agreed",
        version=review.version_id,
        today=received,
    )
    db.session.commit()
    return review


def test_recommendations_are_shared_actions_at_the_review_meeting(team):
    review = _through_to_outcome(team, date(2026, 5, 4), recommend=True)
    [action] = services.recommendations(review)
    assert action.case_id == team.case.id and action.meeting_id == review.meeting_id
    assert action.assigned_agency_id == team.police.id and action.status == "open"


def test_no_outcome_before_the_threshold_is_met(team):
    complaints = [incident(team, date(2026, 5, d)) for d in (1, 2, 3)]
    review = apply(team, date(2026, 5, 4), complaints)
    with pytest.raises(ServiceError):
        services.record_outcome(
            team.officer,
            review,
            outcome="no_recommendations",
            outcome_on=date(2026, 5, 4),
            summary="x",
            version=review.version_id,
            today=date(2026, 5, 4),
        )


def test_annual_figures_follow_the_published_definitions(team):
    _through_to_outcome(team, date(2026, 5, 4), recommend=True)
    _through_to_outcome(team, date(2026, 6, 8), recommend=False)
    not_met = apply(team, date(2026, 7, 6), [incident(team, date(2026, 7, 1))])
    services.decide_threshold(
        team.officer,
        not_met,
        decision="not_met",
        decided_on=date(2026, 7, 7),
        reasons="One complaint",
        version=not_met.version_id,
        today=date(2026, 7, 7),
    )
    apply(team, date(2026, 3, 31), [incident(team, date(2026, 3, 30))])  # the year before
    db.session.commit()
    figures = services.annual_figures(financial_year(2026))
    assert (
        figures.applications,
        figures.threshold_not_met,
        figures.reviews_carried_out,
        figures.reviews_with_recommendations,
    ) == (3, 1, 2, 1)
    assert services.annual_figures(financial_year(2025)).applications == 1


# --- the 2025 guidance prompt ---------------------------------------------------------------------------------


def test_prompt_at_the_second_report_within_six_months(team):
    incident(team, date(2025, 6, 1))
    assert services.explanation_due(team.case) == []
    incident(team, date(2026, 1, 5))  # 7 months later: not a second report within 6 months
    assert services.explanation_due(team.case) == []
    incident(team, date(2026, 3, 1))
    [prompt] = services.explanation_due(team.case)
    assert (prompt.person_id, prompt.first_on, prompt.second_on) == (team.victim.id, date(2026, 1, 5), date(2026, 3, 1))
    services.record_explained(
        team.officer,
        team.case,
        person_id=team.victim.id,
        explained_on=date(2026, 3, 2),
        how="By phone",
        today=date(2026, 3, 2),
    )
    db.session.commit()
    assert services.explanation_due(team.case) == []


def test_explained_cannot_be_in_the_future(team):
    with pytest.raises(FieldErrors) as exc:
        services.record_explained(
            team.officer,
            team.case,
            person_id=team.victim.id,
            explained_on=date(2026, 3, 3),
            how=None,
            today=date(2026, 3, 2),
        )
    assert "today or in the past" in _errors(exc)["explained_on"]


# --- My work -------------------------------------------------------------------------------------------------------


def test_overdue_deadlines_for_my_work(team):
    review = apply(team, RECEIVED, [incident(team, date(2026, 2, 20))])
    assert services.overdue_for(team.officer, date(2026, 3, 16)) == []
    [(found, deadline)] = services.overdue_for(team.officer, date(2026, 3, 17))
    assert found.id == review.id and deadline.key == "acknowledge"
    assert services.overdue_for(team.outsider, date(2026, 3, 17)) == []


def test_my_work_section_lists_overdue_reviews(team, app):
    from casework.asb.case_review import work

    review = apply(team, RECEIVED, [incident(team, date(2026, 2, 20))])
    with app.test_request_context():
        [section] = work.sections(team.officer, date(2026, 3, 17))
        [item] = section.items
        assert item.label == team.case.reference and item.overdue and item.due_on == date(2026, 3, 16)
        assert item.url.endswith(f"/asb/case-reviews/{review.id}")
        assert section.case_ids == [team.case.id]
        assert work.sections(team.outsider, date(2026, 3, 17))[0].items == []
        assert work.sections(team.marac_rep, date(2026, 3, 17)) == []


# --- encryption at rest ------------------------------------------------------------------------------------------


def test_case_review_text_never_reaches_raw_storage(team, sqlite_path):
    from tests.helpers import marker
    from tests.integration.test_raw_storage import _raw_storage

    m = marker("ASBCRRAW")
    complaints = [incident(team, date(2026, 2, d)) for d in (2, 9, 16)]
    review = apply(
        team, RECEIVED, complaints, applicant_name=f"name {m}", applicant_contact=f"contact {m}", summary=f"sum {m}"
    )
    services.decide_threshold(
        team.officer,
        review,
        decision="not_met",
        decided_on=RECEIVED,
        reasons=f"why {m}",
        version=review.version_id,
        today=RECEIVED,
    )
    services.record_appeal(
        team.officer, review, received_on=RECEIVED, grounds=f"grounds {m}", version=review.version_id, today=RECEIVED
    )
    services.decide_appeal(
        team.officer,
        review,
        outcome="not_upheld",
        decided_on=RECEIVED,
        notes=f"notes {m}",
        version=review.version_id,
        today=RECEIVED,
    )
    services.record_explained(
        team.officer, team.case, person_id=team.victim.id, explained_on=RECEIVED, how=f"how {m}", today=RECEIVED
    )
    db.session.commit()
    assert m.encode() not in _raw_storage(sqlite_path)
    db.session.expire_all()
    assert db.session.get(CaseReview, review.id).appeal_notes == f"notes {m}"  # the control: readable via the model
