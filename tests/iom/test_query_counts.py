"""IOM pages run a fixed number of SQL statements however much they show (no N+1)."""

from __future__ import annotations

from datetime import date

from tests.helpers import signed_in
from tests.integration.test_query_counts import _statements_for

from .conftest import offence, on_cohort


def test_cohort_list_and_offender_page_do_not_grow(app, team, factory):
    _, first = on_cohort(team, factory, date(2025, 1, 1))
    offence(team, first, date(2025, 2, 1))
    client = signed_in(app, team.manager)
    few_list = _statements_for(client, "/iom/")
    few_page = _statements_for(client, f"/iom/cases/{first.case_id}")
    for n in range(8):
        _, other = on_cohort(team, factory, date(2025, 1, 1 + n))
        offence(team, other, date(2025, 3, 1))
    for n in range(10):
        offence(team, first, date(2024, 1, 1 + n), "robbery")
    assert _statements_for(client, "/iom/") == few_list
    assert _statements_for(client, f"/iom/cases/{first.case_id}") == few_page
