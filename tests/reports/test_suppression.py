"""Disclosure control on the reports hub: no published figure, nor a sum, difference or ratio
of them, gives away a suppressed count; those who see every case see exact figures, on screen
and in downloads alike; suppressed readers choose custom dates as whole months only."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from casework.core import periods
from casework.core.reporting import WITHHELD, Figure, compare, protect
from tests.helpers import login
from tests.iom.conftest import adopt, nominate, team  # noqa: F401 - fixture
from tests.marac.conftest import marac, schedule  # noqa: F401 - fixture
from tests.marac.test_reports import _hear, _hold

AGENCIES = "By agency"


def _referrals(police: int, partner: int) -> list[Figure]:
    """Cases = police + partner referrals = the by-agency counts; a rate and a percentage of cases."""
    cases = police + partner
    return [
        Figure("Cases", cases, total_of=(AGENCIES,)),
        Figure("Police", police, total_of=((f"{AGENCIES}: Police",),)),
        Figure("Partners", partner, total_of=((f"{AGENCIES}: Housing",),)),
        Figure("Repeats", partner),
        Figure("Repeat rate", round(100 * partner / cases, 1) if cases else None, "percent", partner,
               derived_from=("Repeats", "Cases")),
        Figure("Per 10,000", round(cases * 1.5, 1), "rate", cases, derived_from=("Cases",)),
        Figure("Police", police, group=AGENCIES),
        Figure("Housing", partner, group=AGENCIES),
    ]  # fmt: skip


def _numbers(shown: dict) -> dict:
    return {label: v for (group, label), v in shown.items() if not isinstance(v, str) and not group}


def test_one_and_six_cannot_be_worked_out():
    shown = {f"{g}: {k}" if g else k: v for (g, k), v in protect(_referrals(1, 6), 5).items()}
    assert shown["Police"] == "<5" and shown[f"{AGENCIES}: Police"] == "<5"
    assert shown["Partners"] == 6 and shown[f"{AGENCIES}: Housing"] == 6
    # Cases less partner referrals would be the police count; a rate or a percentage of
    # cases would give cases back.
    assert shown["Cases"] == "5 or more"
    assert shown["Repeat rate"] == WITHHELD and shown["Per 10,000"] == WITHHELD
    # The exact reader sees every figure as counted.
    exact = protect(_referrals(1, 6), None)
    assert exact[("", "Cases")] == 7 and exact[("", "Police")] == 1 and exact[("", "Per 10,000")] == 10.5


@pytest.mark.parametrize(
    ("police", "expected"),
    [
        # 0 discloses nobody: everything is shown, the total and its rate too.
        (0, {"Cases": 6, "Police": 0, "Partners": 6, "Repeat rate": 100.0, "Per 10,000": 9.0}),
        (4, {"Cases": "5 or more", "Police": "<5", "Partners": 6, "Repeat rate": WITHHELD, "Per 10,000": WITHHELD}),
        # 5 is not small: nothing is hidden.
        (5, {"Cases": 11, "Police": 5, "Partners": 6, "Repeat rate": 54.5, "Per 10,000": 16.5}),
    ],
)
def test_edges_of_the_threshold(police, expected):
    shown = protect(_referrals(police, 6), 5)
    assert {k: shown[("", k)] for k in expected} == expected


def test_a_small_total_is_suppressed_as_itself():
    # 1 + 3: the total is 4, "<5" on its own; its parts are "<5" too.
    shown = protect(_referrals(1, 3), 5)
    assert shown[("", "Cases")] == "<5" and shown[("", "Partners")] == "<5"


def test_a_total_broken_down_two_ways_withholds_the_second_breakdown():
    """Offenders by category (1 + 9) and by strand (5 + 5): with the cohort hidden, the strands
    would add up to it again, and the cohort less category B gives category A."""
    figures = [
        Figure("Cohort", 10, total_of=("Category", "Strand")),
        Figure("Baseline", Decimal("7.50"), "number", basis=10, total_of=("Category", "Strand")),
        Figure("Impact", Decimal("20.00"), "percent", basis=10, derived_from=("Baseline",)),
        Figure("A", 1, group="Category"),
        Figure("A baseline", Decimal("0.75"), "number", basis=1, group="Category"),
        Figure("B", 9, group="Category"),
        Figure("B baseline", Decimal("6.75"), "number", basis=9, group="Category"),
        Figure("Fixed", 5, group="Strand"),
        Figure("Fixed baseline", Decimal("3.75"), "number", basis=5, group="Strand"),
        Figure("Flex", 5, group="Strand"),
        Figure("Need", 6, group="Pathway"),
        Figure("Need %", 60.0, "percent", basis=6, group="Pathway", derived_from=("Cohort",)),
    ]
    shown = protect(figures, 5)
    assert shown[("", "Cohort")] == "5 or more"
    # Not a count: a baseline is withheld, never "5 or more".
    assert shown[("", "Baseline")] == WITHHELD and shown[("", "Impact")] == WITHHELD
    assert shown[("Category", "A")] == "<5" and shown[("Category", "A baseline")] == "<5"
    assert shown[("Category", "B")] == 9 and shown[("Category", "B baseline")] == Decimal("6.75")
    assert {shown[("Strand", k)] for k in ("Fixed", "Fixed baseline", "Flex")} == {WITHHELD}
    # The pathway count is shown; its percentage of the hidden cohort is not.
    assert shown[("Pathway", "Need")] == 6 and shown[("Pathway", "Need %")] == WITHHELD


def test_no_change_rests_on_a_hidden_figure():
    now = _referrals(1, 6)
    before = _referrals(5, 6)
    rows = {r.figure.full_label: r for r in compare(now, before, 5)}
    # The period before is shown in full, but this period's total is hidden: no change.
    assert (rows["Cases"].value, rows["Cases"].before, rows["Cases"].change) == ("5 or more", 11, None)
    assert rows["Partners"].change == Decimal("0.0")
    assert rows["Per 10,000"].change is None and rows["Per 10,000"].before == 16.5
    exact = {r.figure.full_label: r for r in compare(now, before, None)}
    assert (exact["Cases"].value, exact["Cases"].change) == (7, Decimal("-36.4"))


def _csv(client, url) -> dict[str, list[str]]:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return {row[2]: row[3:] for row in list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))[1:]}


def _quarter_of(meeting) -> str:
    d = periods.local_date(meeting.starts_at)
    return f"/reports/marac/quarterly?kind=calendar_quarter&year={d.year}&quarter={(d.month - 1) // 3 + 1}"


def test_marac_return_one_police_six_partner(app, factory, marac):  # noqa: F811
    """One case referred by the police and six by the IDVA service: the analyst's download
    cannot give the police count back by subtraction, from the repeat rate or from the rate
    per 10,000 women; the coordinator's download is exact."""
    app.config["MARAC_WOMEN_16_PLUS"] = 50_000
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    _hear(marac, meeting, factory.person(marac.idva), agency_user=marac.police_rep)
    for _ in range(6):
        _hear(marac, meeting, factory.person(marac.idva))
    _hold(marac, meeting)
    url = _quarter_of(meeting)
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    by = {k: v[0] for k, v in _csv(analyst, url + "&format=csv").items()}
    assert by["Referrals from police"] == "<5" and by["Cases discussed by referring agency: Test Police"] == "<5"
    assert by["Referrals from partner agencies"] == "6"
    assert by["Cases discussed by referring agency: Test IDVA Service"] == "6"
    assert by["Cases discussed (repeats included)"] == "5 or more"
    assert by["Repeat cases (% of cases discussed)"] == "withheld"
    assert by["Cases per 10,000 women aged 16+ (annualised)"] == "withheld"
    # Nothing shown as a number equals 7, the count the subtraction would need.
    assert "7" not in by.values()
    page = analyst.get(url)
    assert '<th scope="row">Cases discussed (repeats included)</th><td>5 or more</td>' in page.text
    assert "Why some figures are not shown" in page.text and "Show the exact figures" not in page.text
    coordinator = app.test_client()
    login(coordinator, marac.coordinator)
    exact = {k: v[0] for k, v in _csv(coordinator, url + "&format=csv").items()}
    assert exact["Referrals from police"] == "1" and exact["Cases discussed (repeats included)"] == "7"
    assert exact["Repeat cases (% of cases discussed)"] == "0.0"
    assert float(exact["Cases per 10,000 women aged 16+ (annualised)"]) > 0
    page = coordinator.get(url)
    assert '<th scope="row">Referrals from police</th><td>1</td>' in page.text
    assert "You see the exact figures" in page.text
    # An analyst asking for exact figures still gets the suppressed ones.
    assert {k: v[0] for k, v in _csv(analyst, url + "&figures=exact&format=csv").items()} == by


def test_iom_cohort_one_and_nine_by_category(app, factory, team):  # noqa: F811
    """One PPO and nine repeat offenders, five on each strand: the analyst sees the PPO count
    suppressed, and neither the cohort, its baseline, nor the strands give it back; the
    manager sees exact figures."""
    layout = [("ppo", "fixed")] + [("repeat", "fixed")] * 4 + [("repeat", "flex")] * 5
    for i, (category, strand) in enumerate(layout):
        person = factory.person(team.officer, surname=f"Cohort{i}")
        nomination = nominate(team, person, date(2024, 9, 1), category=category, proposed_strand=strand)
        adopt(team, nomination, date(2024, 10, 1), strand=strand, category=category)
    url = "/reports/iom/reoffending?kind=calendar_quarter&year=2025&quarter=1"
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    by = {k: v[0] for k, v in _csv(analyst, url + "&format=csv").items()}
    ppo = "By category: Prolific and priority offender (PPO)"
    assert by[f"{ppo}: offenders"] == "<5" and by[f"{ppo}: baseline"] == "<5"
    assert by["By category: Repeat offender: offenders"] == "9"
    assert by["Offenders on the cohort"] == "5 or more"
    for label in (
        "Baseline convictions (12 months before joining, pro rata)",
        "Actual convictions while on the cohort",
        "Difference (baseline − actual)",
    ):
        assert by[label] == "withheld", label
    strands = {k: v for k, v in by.items() if k.startswith("By strand: ")}
    assert strands and set(strands.values()) == {"withheld"}
    manager = app.test_client()
    login(manager, team.manager)
    exact = {k: v[0] for k, v in _csv(manager, url + "&format=csv").items()}
    assert exact["Offenders on the cohort"] == "10" and exact[f"{ppo}: offenders"] == "1"
    assert sorted(v for k, v in exact.items() if k.startswith("By strand: ") and k.endswith(": offenders")) == [
        "0", "5", "5",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("kind=custom&start=2025-01-01&end=2025-01-30", "end", "End date must be the last day of a month"),
        ("kind=custom&start=2025-01-02&end=2025-01-31", "start", "Start date must be the first day of a month"),
    ],
)
def test_suppressed_readers_choose_whole_months(app, factory, marac, query, field, message):  # noqa: F811
    """1 to 31 January less 1 to 30 January would be 31 January alone: a reader who sees
    suppressed figures chooses custom dates as whole months only, on screen and in downloads."""
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    resp = analyst.get(f"/reports/marac/quarterly?{query}")
    assert resp.status_code == 400 and "There is a problem" in resp.text and message in resp.text
    assert analyst.get(f"/reports/marac/quarterly?{query}&format=csv").status_code == 400
    ok = analyst.get("/reports/marac/quarterly?kind=custom&start=2025-01-01&end=2025-02-28")
    assert ok.status_code == 200 and "1 January 2025 to 28 February 2025" in ok.text
    # The period before a whole-month period is as many whole months before it.
    assert "1 November 2024 to 31 December 2024" in ok.text
    for kind in ("kind=calendar_quarter&year=2025&quarter=1", "kind=financial_year&year=2024",
                 "kind=calendar_year&year=2025"):  # fmt: skip
        assert analyst.get(f"/reports/marac/quarterly?{kind}").status_code == 200
    # The coordinator sees exact figures and may choose any dates; as published, whole months.
    coordinator = app.test_client()
    login(coordinator, marac.coordinator)
    assert coordinator.get(f"/reports/marac/quarterly?{query}").status_code == 200
    assert coordinator.get(f"/reports/marac/quarterly?{query}&figures=published").status_code == 400


def test_previous_of_whole_months():
    feb = periods.custom(date(2025, 2, 1), date(2025, 2, 28))
    assert (periods.previous(feb).start, periods.previous(feb).end) == (date(2025, 1, 1), date(2025, 1, 31))
    spring = periods.custom(date(2025, 1, 1), date(2025, 3, 31))
    assert (periods.previous(spring).start, periods.previous(spring).end) == (date(2024, 10, 1), date(2024, 12, 31))
    # Not whole months: the same number of days before, as ever.
    days = periods.previous(periods.custom(date(2025, 2, 1), date(2025, 2, 27)))
    assert (days.start, days.end) == (date(2025, 1, 5), date(2025, 1, 31))
    with pytest.raises(periods.PeriodError):
        periods.previous(periods.custom(date(periods.MIN_YEAR, 1, 1), date(periods.MIN_YEAR, 1, 31)))
