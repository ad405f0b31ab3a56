"""ASB rules as services: repeat-victim window edges, correction, linking, risk scoring from the data
file, support plan review and contact cadence with overdue detection (time frozen), bad input."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from casework.asb import incidents, repeats, risk, support
from casework.asb.models import Victim
from casework.core import plans
from casework.core.services import ServiceError
from casework.extensions import db
from tests.helpers import audit_events

from .conftest import data, log

D0 = date(2025, 1, 10)


def _at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, 0), tick=False)


# --- the window, as a pure rule --------------------------------------------------------------


def test_three_within_365_days_is_repeat_and_lapses_when_the_window_closes():
    s = repeats.status_from_dates([D0, D0 + timedelta(days=100), D0 + timedelta(days=364)], 3, 365)
    assert s.since == D0 + timedelta(days=364)
    assert s.until == D0 + timedelta(days=364)  # the last day the first incident is in the window
    s = repeats.status_from_dates([D0, D0 + timedelta(days=100), D0 + timedelta(days=200)], 3, 365)
    assert (s.since, s.until) == (D0 + timedelta(days=200), D0 + timedelta(days=364))


def test_third_incident_a_day_outside_the_window_is_not_repeat():
    s = repeats.status_from_dates([D0, D0 + timedelta(days=100), D0 + timedelta(days=365)], 3, 365)
    assert s.since is None and s.until is None
    assert s.incident_count == 3


def test_runs_merge_and_the_latest_is_kept():
    days = [D0, D0 + timedelta(days=10), D0 + timedelta(days=20), D0 + timedelta(days=300)]
    s = repeats.status_from_dates(days, 3, 365)
    # Days 0-10-20 make a run from day 20 to day 364, days 10-20-300 one from 300 to 374: merged.
    assert s.since == D0 + timedelta(days=20) and s.until == D0 + timedelta(days=374)
    days[-1] = D0 + timedelta(days=370)
    s = repeats.status_from_dates(days, 3, 365)
    # Days 365 to 369 hold only two incidents in the window: the latest run starts again on day 370.
    assert s.since == D0 + timedelta(days=370) and s.until == D0 + timedelta(days=374)
    s = repeats.status_from_dates([D0, D0, D0 + timedelta(days=1), D0 + timedelta(days=800)], 3, 365)
    assert s.since == D0 + timedelta(days=1) and s.until == D0 + timedelta(days=364)


def test_settings_change_the_threshold_and_window():
    days = [D0, D0 + timedelta(days=20)]
    assert repeats.status_from_dates(days, 2, 30).since == D0 + timedelta(days=20)
    assert repeats.status_from_dates(days, 2, 20).since is None


# --- repeat status kept per victim ------------------------------------------------------------


def test_repeat_flag_follows_logging_and_correction(app, team, factory):
    victim = factory.person(team.officer)
    with _at(D0 + timedelta(days=400)):
        today = date.today()
        _, asb = log(team.officer, victim, today - timedelta(days=364))
        log(team.officer, victim, today - timedelta(days=200), asb=asb)
        v = repeats.victim_of(victim.id)
        assert v.incident_count == 2 and not repeats.is_repeat(v, today)
        third, _ = log(team.officer, victim, today, asb=asb)
        v = repeats.victim_of(victim.id)
        assert repeats.is_repeat(v, today) and v.repeat_until == today
        assert not repeats.is_repeat(v, today + timedelta(days=1))  # the oldest leaves the window tomorrow
        page = repeats.repeat_victims_page(team.officer, 1, today=today)
        assert [(r.victim.person_id, r.count) for r in page.items] == [(victim.id, 3)]
        # A correction removes the third: audited, and the victim is no longer a repeat victim.
        incidents.delete_incident(team.officer, third, reason="Logged on the wrong victim", version=third.version_id)
        db.session.commit()
        v = repeats.victim_of(victim.id)
        assert v.incident_count == 2 and not repeats.is_repeat(v, today)
        assert [e.object_id for e in audit_events("asb.incident.delete")] == [str(third.id)]
        assert repeats.repeat_victims_page(team.officer, 1, today=today).items == []


def test_repeat_status_recomputes_only_the_victims_named(app, team, factory, monkeypatch):
    a, b = factory.person(team.officer), factory.person(team.officer)
    _, asb_a = log(team.officer, a, D0)
    log(team.officer, b, D0)
    seen = []
    original = repeats.event_days
    monkeypatch.setattr(repeats, "event_days", lambda pid: seen.append(pid) or original(pid))
    log(team.officer, a, D0 + timedelta(days=1), asb=asb_a)
    assert seen == [a.id]


def test_linked_reports_of_one_event_count_once(app, team, factory):
    victim = factory.person(team.officer)
    first, asb = log(team.officer, victim, D0)
    second, _ = log(team.officer, victim, D0 + timedelta(days=1), asb=asb)
    log(team.officer, victim, D0 + timedelta(days=2), asb=asb)
    assert repeats.is_repeat(repeats.victim_of(victim.id), D0 + timedelta(days=2))
    incidents.link_incidents(team.officer, first, second)
    db.session.commit()
    v = repeats.victim_of(victim.id)
    assert v.incident_count == 2 and v.repeat_since is None


def test_incidents_are_queryable_by_victim_type_and_dates(app, team, factory):
    victim = factory.person(team.officer)
    _, asb = log(team.officer, victim, D0)
    log(
        team.officer,
        victim,
        D0 + timedelta(days=5),
        asb=asb,
        reported_on=D0 + timedelta(days=30),
        category="personal",
        type_code="harassment",
    )
    found = incidents.incidents_of_victim(victim.id, type_code="harassment", since=D0)
    assert [i.reported_on for i in found] == [D0 + timedelta(days=30)]
    assert len(incidents.incidents_of_victim(victim.id, until=D0)) == 1


# --- similar cases ----------------------------------------------------------------------------


def test_similar_open_cases_by_victim_address_or_perpetrator(app, team, factory):
    victim, neighbour, perp = (factory.person(team.officer) for _ in range(3))
    _, asb = log(
        team.officer, victim, D0, location="12 Elm Close", perpetrator_ids=[perp.id], perpetrator_unknown=False
    )
    by_victim = incidents.similar_cases(team.officer, victim_ids=[victim.id])
    assert [(s.case.id, s.reasons) for s in by_victim] == [(asb.case_id, ("same victim",))]
    by_address = incidents.similar_cases(team.officer, victim_ids=[neighbour.id], address="  12 ELM close ")
    assert [s.case.id for s in by_address] == [asb.case_id] and by_address[0].reasons == ("same address",)
    by_perp = incidents.similar_cases(team.officer, victim_ids=[neighbour.id], perpetrator_ids=[perp.id])
    assert by_perp[0].reasons == ("same alleged perpetrator",)
    # Another agency's officer is offered nothing they may not see.
    assert incidents.similar_cases(team.other_officer, victim_ids=[victim.id]) == []


# --- risk -------------------------------------------------------------------------------------


def test_risk_scoring_and_bands_from_the_data_file(app):
    q = risk.questionnaire()
    assert {"repeat", "disability_illness", "time_at_home", "deprived_area", "health_impact", "fear"} <= {
        x.code for x in q.questions
    }
    none = {x.code: "no" for x in q.questions}
    assert risk.score(none)[:2] == (0, "standard")
    everything = {x.code: "yes" for x in q.questions}
    total = sum(x.weight for x in q.questions)
    assert risk.score(everything)[:2] == (total, "high")
    # "not known" scores nothing; bands at their exact thresholds.
    assert risk.score({x.code: "not_known" for x in q.questions})[0] == 0
    weights = {x.code: x.weight for x in q.questions}
    medium = {**none, "repeat": "yes", "disability_illness": "yes", "fear": "yes"}  # 3 + 3 + 2 = 8
    assert sum(weights[c] for c, a in medium.items() if a == "yes") == q.medium
    assert risk.score(medium)[1] == "medium"


def test_questionnaire_file_is_replaceable(app, tmp_path):
    path = tmp_path / "q.json"
    path.write_text(
        json.dumps(
            {
                "tool": "Local matrix",
                "version": "7",
                "answers": {"yes": "Yes", "no": "No"},
                "questions": [{"code": "a", "label": "A?", "weight": 5}, {"code": "b", "label": "B?", "weight": 1}],
                "bands": {"medium": 2, "high": 5},
            }
        )
    )
    before = app.config.get("ASB_RISK_QUESTIONNAIRE")
    app.config["ASB_RISK_QUESTIONNAIRE"] = str(path)
    try:
        q = risk.questionnaire()
        assert (q.tool, q.version) == ("Local matrix", "7")
        assert risk.score({"a": "no", "b": "yes"})[:2] == (1, "standard")
        assert risk.score({"a": "yes", "b": "no"})[:2] == (5, "high")
    finally:
        app.config["ASB_RISK_QUESTIONNAIRE"] = before


def _high(q):
    return {x.code: "yes" for x in q.questions}


def test_assessment_history_breakdown_and_reassessment_due(app, team, factory):
    victim = factory.person(team.officer)
    _, asb = log(team.officer, victim, date.today() - timedelta(days=10))
    q = risk.questionnaire()
    first = risk.assess(
        team.officer, asb, assessed_on=date.today() - timedelta(days=5), answers={x.code: "no" for x in q.questions}
    )
    second = risk.assess(team.officer, asb, assessed_on=date.today(), answers=_high(q), notes="Escalating")
    db.session.commit()
    assert [a.id for a in risk.history(asb)] == [second.id, first.id]
    assert second.band == "high" and second.next_due_on == date.today() + timedelta(days=28)
    assert {r["code"]: r["points"] for r in second.breakdown}["repeat"] == 3
    v = repeats.victim_of(victim.id)
    assert (v.risk_band, v.reassess_due_on) == ("high", second.next_due_on)
    # Health and disability answers are withheld from a partner without asb.health.view.
    hidden = [r for r in risk.visible_breakdown(team.partner, second) if r["withheld"]]
    assert {r["code"] for r in hidden} == {"disability_illness", "health_impact"}
    assert all(r["answer"] is None and r["points"] is None for r in hidden)
    with pytest.raises(ServiceError):
        risk.assess(team.officer, asb, assessed_on=date.today(), answers={"repeat": "yes"})


# --- support plan and contact cadence ---------------------------------------------------------


def test_review_cadence_and_overdue_with_time_frozen(app, team, factory):
    victim = factory.person(team.officer)
    start = date(2026, 3, 2)
    with _at(start):
        _, asb = log(team.officer, victim, start)
        risk.assess(team.officer, asb, assessed_on=start, answers=_high(risk.questionnaire()))
        with pytest.raises(ServiceError, match="within 42 days"):
            support.start_plan(team.officer, asb, title="Too late", first_review_on=start + timedelta(days=50))
        plan = support.start_plan(team.officer, asb, title="Support plan")
        db.session.commit()
        assert plan.review_due_on == start + timedelta(days=42)
    with _at(start + timedelta(days=42)):
        assert support.overdue_reviews_page(team.officer, 1).items == []  # due today, not yet overdue
    with _at(start + timedelta(days=43)):
        today = date.today()
        assert [p.id for p in support.overdue_reviews_page(team.officer, 1).items] == [plan.id]
        assert plan.id in [p.id for p in plans.my_plan_reviews(team.officer, today)]
        assert support.overdue_reviews_page(team.other_officer, 1).items == []
        # A review dated before the plan started is refused; a next review beyond six weeks too.
        with pytest.raises(ServiceError, match="before the plan started"):
            support.review(
                team.officer,
                plan,
                reviewed_on=start - timedelta(days=1),
                summary="x",
                next_review_on=None,
                version=plan.version_id,
            )
        with pytest.raises(ServiceError, match="at least every 42 days"):
            support.review(
                team.officer,
                plan,
                reviewed_on=today,
                summary="Reviewed",
                next_review_on=today + timedelta(days=43),
                version=plan.version_id,
            )
        support.review(
            team.officer, plan, reviewed_on=today, summary="Reviewed", next_review_on=None, version=plan.version_id
        )
        db.session.commit()
        assert plan.review_due_on == today + timedelta(days=42)
        assert support.overdue_reviews_page(team.officer, 1).items == []


def test_contact_cadence_weekly_for_high_risk_with_time_frozen(app, team, factory):
    victim = factory.person(team.officer)
    start = date(2026, 3, 2)
    with _at(start):
        _, asb = log(team.officer, victim, start)
        risk.assess(team.officer, asb, assessed_on=start, answers=_high(risk.questionnaire()))
        db.session.commit()
        assert (asb.contact_every_days, asb.next_contact_due_on) == (7, start + timedelta(days=7))
    with _at(start + timedelta(days=7)):
        assert support.missed_contacts_page(team.officer, 1).items == []
    with _at(start + timedelta(days=8)):
        assert [a.id for a in support.missed_contacts_page(team.officer, 1).items] == [asb.id]
        support.log_contact(team.officer, asb, contact_on=date.today(), method="attempted", notes=None)
        assert support.contact_missed(asb)  # an attempt that reached no one does not count
        support.log_contact(team.officer, asb, contact_on=date.today(), method="phone", notes="Spoke to her")
        db.session.commit()
        assert asb.next_contact_due_on == date.today() + timedelta(days=7)
        assert support.missed_contacts_page(team.officer, 1).items == []
    # Medium risk: fortnightly by default; standard: no cadence.
    with _at(start + timedelta(days=9)):
        none = {x.code: "no" for x in risk.questionnaire().questions}
        risk.assess(team.officer, asb, assessed_on=date.today(), answers=none)
        assert asb.contact_every_days is None and asb.next_contact_due_on is None


# --- bad input ----------------------------------------------------------------------------------


def test_bad_incidents_are_refused_with_clear_errors(app, team, factory):
    victim = factory.person(team.officer)
    tomorrow = date.today() + timedelta(days=1)
    cases_before = db.session.scalar(sa.select(sa.func.count()).select_from(Victim))
    for extra, message in (
        ({"occurred_on": tomorrow, "reported_on": tomorrow}, "must be today or in the past"),
        ({"reported_on": date.today() - timedelta(days=3)}, "on or after the date of the incident"),
        ({"description": "x" * 4001}, "4,000 characters or fewer"),
        ({"category": "personal"}, "select a type in the category"),
        ({"type_code": "nope"}, "Select the type of incident"),
        ({"perpetrator_unknown": False}, "Name the alleged perpetrator"),
        ({"is_hate": True}, "protected characteristic"),
    ):
        with pytest.raises(ServiceError, match=message):
            incidents.log_incident(team.officer, data(victim.id, date.today() - timedelta(days=1), **extra), asb=None)
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Victim)) == cases_before
