"""ASB pages run a fixed number of SQL statements however much they show (no N+1)."""

from __future__ import annotations

from datetime import date, timedelta

from casework.asb import risk, support
from casework.extensions import db
from tests.helpers import signed_in
from tests.integration.test_query_counts import _statements_for

from .conftest import log


def _repeat_victim_with_plan(team, factory, offset: int):
    victim, perp = factory.person(team.officer), factory.person(team.officer)
    today = date.today()
    _, asb = log(team.officer, victim, today - timedelta(days=30 + offset), perpetrator_ids=[perp.id])
    for days in (20, 10):
        log(team.officer, victim, today - timedelta(days=days + offset), asb=asb)
    risk.assess(team.officer, asb, assessed_on=today, answers={q.code: "yes" for q in risk.questionnaire().questions})
    plan = support.start_plan(team.officer, asb, title="Plan")
    plan.review_due_on = today - timedelta(days=1)
    asb.next_contact_due_on = today - timedelta(days=1)
    db.session.commit()
    return asb


def test_lists_and_case_page_do_not_grow(app, team, factory):
    first = _repeat_victim_with_plan(team, factory, 0)
    client = signed_in(app, team.officer)
    urls = ["/asb/", "/asb/incidents", "/asb/repeat-victims", "/asb/team", f"/asb/cases/{first.case_id}", "/"]
    few = {url: _statements_for(client, url) for url in urls}
    for n in range(1, 6):
        _repeat_victim_with_plan(team, factory, n)
    for n in range(5):
        log(team.officer, first.victim, date.today() - timedelta(days=40 + n), asb=first)
    assert {url: _statements_for(client, url) for url in urls} == few
