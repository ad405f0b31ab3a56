"""The IOM report on the hub, worked by hand for January to March 2025."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from casework.core import periods
from casework.extensions import db
from casework.iom.reports import report_figures
from tests.helpers import audit_events, login
from tests.iom.conftest import adopt, nominate, offence, offender_of, team  # noqa: F401 - fixture

Q1 = "/reports/iom/reoffending?kind=calendar_quarter&year=2025&quarter=1"


@pytest.fixture
def cohort(team, factory):  # noqa: F811
    """A: PPO, Fixed, adopted 1 June 2024; 4 convictions in the 12 months before (1 June 2023
    to 31 May 2024): baseline for a full quarter 4 × 3/12 = 1.00; actual: one conviction on
    10 February 2025. D: Repeat, Flex, adopted 1 October 2024 with no convictions before: a
    zero baseline (its % impact cannot be worked out); actual: one conviction on 1 March 2025.

    Cohort: 2 offenders, baseline 1.00, actual 2, difference −1.00, % impact −100.00.
    The quarter before (October to December 2024): both on the cohort, baseline 1.00, actual 0.
    """
    a_person = factory.person(team.officer, surname="Alpha")
    adopt(team, nominate(team, a_person, date(2024, 6, 1)), date(2024, 6, 1), strand="fixed", category="ppo")
    a = offender_of(a_person)
    for day in (date(2023, 6, 1), date(2023, 9, 1), date(2024, 1, 1), date(2024, 5, 31)):
        offence(team, a, day, "burglary_dwelling")
    offence(team, a, date(2025, 2, 10))
    d_person = factory.person(team.officer, surname="Delta")
    nomination = nominate(team, d_person, date(2024, 9, 1), category="repeat", proposed_strand="flex")
    adopt(team, nomination, date(2024, 10, 1), strand="flex", category="repeat")
    d = offender_of(d_person)
    offence(team, d, date(2025, 3, 1))
    return a, d


def test_figures_by_hand(app, cohort):
    f = {x.full_label: x.value for x in report_figures(periods.calendar_quarter(2025, 1))}
    assert f["Offenders on the cohort"] == 2
    assert f["Baseline convictions (12 months before joining, pro rata)"] == Decimal("1.00")
    assert f["Actual convictions while on the cohort"] == 2
    assert f["Difference (baseline − actual)"] == Decimal("-1.00")
    assert f["% impact (a positive figure is a reduction)"] == Decimal("-100.00")
    ppo = "By category: Prolific and priority offender (PPO)"
    assert [f[f"{ppo}: {k}"] for k in ("offenders", "baseline", "actual", "difference", "% impact")] == [
        1, Decimal("1.00"), 1, Decimal("0.00"), Decimal("0.00"),
    ]  # fmt: skip
    # The offender with a zero baseline: no % impact, never a division by zero.
    rep = "By category: Repeat offender"
    assert [f[f"{rep}: {k}"] for k in ("offenders", "baseline", "actual", "% impact")] == [1, Decimal("0.00"), 1, None]
    assert f["By category: Other: offenders"] == 0 and f["By category: Other: % impact"] is None
    strands = {k: v for k, v in f.items() if k.startswith("By strand") and k.endswith(": offenders")}
    assert sorted(strands.values()) == [0, 1, 1]
    assert any(k.startswith("Pathway needs (medium or high)") for k in f)
    before = {x.full_label: x.value for x in report_figures(periods.calendar_quarter(2024, 4))}
    assert before["Offenders on the cohort"] == 2 and before["Actual convictions while on the cohort"] == 0
    assert before["Baseline convictions (12 months before joining, pro rata)"] == Decimal("1.00")


def test_page_manager_exact_analyst_suppressed(app, factory, team, cohort):  # noqa: F811
    client = app.test_client()
    login(client, team.manager)
    page = client.get(Q1)
    assert page.status_code == 200
    assert '<th scope="row">Offenders on the cohort</th><td>2</td><td>2</td><td>0.0%</td>' in page.text
    assert '<th scope="row">Actual convictions while on the cohort</th><td>2</td><td>0</td><td>–</td>' in page.text
    assert '<th scope="row">Repeat offender: % impact</th><td>no data</td>' in page.text
    assert "<svg" in page.text
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    seen = analyst.get(Q1)
    assert seen.status_code == 200
    assert '<th scope="row">Offenders on the cohort</th><td>&lt;5</td><td>&lt;5</td><td>–</td>' in seen.text
    assert "ALPHA" not in seen.text.upper() and "DELTA" not in seen.text.upper()
    rows = list(csv.reader(io.StringIO(analyst.get(Q1 + "&format=csv").text)))
    by = {row[2]: row[3] for row in rows[1:]}
    assert by["Offenders on the cohort"] == "<5" and by["% impact (a positive figure is a reduction)"] == "<5"


def test_empty_quarter(app, team):  # noqa: F811
    client = app.test_client()
    login(client, team.manager)
    page = client.get("/reports/iom/reoffending?kind=calendar_quarter&year=2001&quarter=2")
    assert page.status_code == 200
    assert '<th scope="row">Offenders on the cohort</th><td>0</td><td>0</td><td>–</td>' in page.text
    assert '<th scope="row">% impact (a positive figure is a reduction)</th><td>no data</td>' in page.text


def test_cohort_list_download(app, factory, team, cohort):  # noqa: F811
    a, d = cohort
    a.person.given_names = "=cmd|' /C calc'!A0"
    db.session.commit()
    client = app.test_client()
    login(client, team.officer)
    resp = client.get("/iom/?format=csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Reference", "Name", "Status", "Strand", "Category", "Tier", "Supervision", "Expected release",
                       "Lead officer"]  # fmt: skip
    by_ref = {row[0]: row for row in rows[1:]}
    assert by_ref[a.case.reference][1] == "'=cmd|' /C calc'!A0 ALPHA"
    assert by_ref[a.case.reference][2:5] == ["On the cohort", "Fixed", "Prolific and priority offender (PPO)"]
    assert by_ref[d.case.reference][4] == "Repeat offender"
    strand = list(csv.reader(io.StringIO(client.get("/iom/?format=csv&strand=flex").text)))
    assert [row[0] for row in strand[1:]] == [d.case.reference]
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/iom/?format=xlsx").data)).active
    names = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert names[a.case.reference].value.startswith("=cmd") and names[a.case.reference].data_type == "s"
    events = audit_events("iom.case.export")
    assert [e.data["details"]["format"] for e in events] == ["csv", "csv", "xlsx"]
    assert {a.person_id, d.person_id} <= set(events[0].data["person_ids"])
    app.config["EXPORT_MAX_ROWS"] = 1
    capped = client.get("/iom/?format=csv")
    assert capped.status_code == 302 and "more than 1 rows" in client.get(capped.headers["Location"]).text
    # A MARAC representative has no IOM list, and no download of it.
    rep = app.test_client()
    login(rep, team.marac_rep)
    refused = rep.get("/iom/?format=csv")
    assert refused.status_code == 403 and "ALPHA" not in refused.text.upper()
