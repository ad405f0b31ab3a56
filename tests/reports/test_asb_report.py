"""The ASB report on the hub, worked by hand for January to March 2025 (and the quarter before)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from casework.asb import incidents
from casework.asb.reports import figures_for, repeat_callers
from casework.core import periods, plans
from casework.extensions import db
from tests.asb.conftest import log, team  # noqa: F401 - fixture
from tests.helpers import audit_events, login

Q1 = periods.calendar_quarter(2025, 1)
Q4 = periods.calendar_quarter(2024, 4)
URL = "/reports/asb/incidents?kind=calendar_quarter&year=2025&quarter=1"


@pytest.fixture
def world(team, factory):  # noqa: F811
    """V1: incidents on 1 March 2024, 1 December 2024 and 28 February 2025. The third is 364
    days after the first, inside the 12 months up to and including it: a repeat caller in Q1.
    V2: 10 January 2024, 1 June 2024 and 10 January 2025: the third falls exactly 12 months
    after the first, so the window ending on it (from 11 January 2024) holds only two: not a
    repeat caller. V3: 5 January (harassment, personal), 5 February (noise, reported twice and
    linked as one event) and 5 March 2025 (graffiti, environmental): three events in the
    quarter, a repeat caller. One more incident of V3 in the quarter was removed by correction.

    Q1 2025: incidents personal 1, nuisance 3 (V1, V2, V3's linked pair once), environmental 1,
    total 5; repeat callers 2 (V1, V3); victims by risk: high 1 (V1), medium 1 (V3), not assessed
    1 (V2). V3's support plan review was due on 1 March 2025: overdue at the end of Q1, not
    at the end of Q4 2024. Q4 2024: V1's December incident only: 1 nuisance, no repeat caller.
    """
    officer = team.officer
    v1, v2, v3 = (factory.person(officer, surname=name) for name in ("Vone", "Vtwo", "Vthree"))
    _, case1 = log(officer, v1, date(2024, 3, 1))
    log(officer, v1, date(2024, 12, 1), asb=case1)
    log(officer, v1, date(2025, 2, 28), asb=case1)
    _, case2 = log(officer, v2, date(2024, 1, 10))
    log(officer, v2, date(2024, 6, 1), asb=case2)
    log(officer, v2, date(2025, 1, 10), asb=case2)
    _, case3 = log(officer, v3, date(2025, 1, 5), category="personal", type_code="harassment")
    first, _ = log(officer, v3, date(2025, 2, 5), asb=case3)
    second, _ = log(officer, v3, date(2025, 2, 5), asb=case3, description="Reported to the police too")
    incidents.link_incidents(officer, first, second)
    log(officer, v3, date(2025, 3, 5), asb=case3, category="environmental", type_code="graffiti")
    wrong, _ = log(officer, v3, date(2025, 3, 6), asb=case3)
    incidents.delete_incident(officer, wrong, reason="Logged on the wrong case", version=wrong.version_id)
    from casework.asb.repeats import victims_of

    victims = victims_of([v1.id, v2.id, v3.id])
    victims[v1.id].risk_band = "high"
    victims[v3.id].risk_band = "medium"
    plan = plans.create_plan(officer, case3.case, kind="support", title="Support", review_due_on=None)
    plan.review_due_on = date(2025, 3, 1)
    db.session.commit()
    return v1, v2, v3


def test_figures_by_hand(app, world):
    now, before = ({f.full_label: f.value for f in figures} for figures in figures_for([Q1, Q4]))
    assert now["Incidents"] == 5
    assert [now[f"Incidents by category: {c}"] for c in ("Personal", "Nuisance", "Environmental")] == [1, 3, 1]
    assert now["Repeat callers"] == 2
    assert [now[f"Victims by risk level: {b}"] for b in ("Standard", "Medium", "High", "Not assessed")] == [0, 1, 1, 1]
    assert now["Support plan reviews overdue (at the end of the period)"] == 1
    assert now["ASB Case Review: Applications for an ASB Case Review"] == 0
    assert before["Incidents"] == 1 and before["Incidents by category: Nuisance"] == 1
    assert before["Repeat callers"] == 0
    assert before["Support plan reviews overdue (at the end of the period)"] == 0


def test_repeat_caller_window_edges(app, world):
    # With the third incident exactly 12 months after the first, V2 counts once the window is a day longer.
    assert repeat_callers(Q1, threshold=3, window_days=365) == 2
    assert repeat_callers(Q1, threshold=3, window_days=367) == 3
    # A threshold of 4: only V3's four events (one linked pair counted once: 3 events) fall short too.
    assert repeat_callers(Q1, threshold=4, window_days=365) == 0
    assert repeat_callers(periods.calendar_quarter(2001, 1)) == 0


def test_page_download_and_access(app, factory, team, world):  # noqa: F811
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    page = analyst.get(URL)
    assert page.status_code == 200 and "<svg" in page.text
    # Every category is a small count, so the total is not given exactly either.
    assert '<th scope="row">Incidents</th><td>5 or more</td><td>&lt;5</td><td>–</td>' in page.text
    assert '<th scope="row">Repeat callers</th><td>&lt;5</td><td>0</td><td>–</td>' in page.text
    assert "VONE" not in page.text.upper() and "VTHREE" not in page.text.upper()
    rows = list(csv.reader(io.StringIO(analyst.get(URL + "&format=csv").text)))
    by = {row[2]: row[3:] for row in rows[1:]}
    assert by["Incidents"][:1] == ["5 or more"] and by["Incidents"][3:] == ["<5", ""]
    assert [e.data["object_id"] for e in audit_events("asb.report.export")] == ["asb_incidents"]
    # An ASB officer has the report; an ASB partner worker does not; an analyst has no ASB case.
    officer = app.test_client()
    login(officer, team.officer)
    assert officer.get(URL).status_code == 200
    partner = app.test_client()
    login(partner, team.partner)
    assert partner.get(URL).status_code == 403
    assert analyst.get("/asb/").status_code == 403


def test_empty_quarter(app, team):  # noqa: F811
    client = app.test_client()
    login(client, team.officer)
    page = client.get("/reports/asb/incidents?kind=calendar_quarter&year=2001&quarter=1")
    assert page.status_code == 200
    assert '<th scope="row">Incidents</th><td>0</td><td>0</td><td>–</td>' in page.text


def test_case_list_download(app, factory, team, world):  # noqa: F811
    v1, v2, v3 = world
    v2.given_names = "@SUM(1+1)"
    db.session.commit()
    client = app.test_client()
    login(client, team.officer)
    resp = client.get("/asb/?format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Reference", "Victim", "Repeat victim", "Opened", "Risk", "Next contact due", "Contact missed"]
    assert len(rows) == 4
    names = {row[1] for row in rows[1:]}
    assert "'@SUM(1+1) VTWO" in names
    events = audit_events("asb.case.export")
    assert len(events) == 1 and {v1.id, v2.id, v3.id} <= set(events[0].data["person_ids"])
    assert client.get("/asb/?format=xlsx").status_code == 200
    app.config["EXPORT_MAX_ROWS"] = 2
    capped = client.get("/asb/?format=csv")
    assert capped.status_code == 302 and "more than 2 rows" in client.get("/asb/").text
    # A worker of an agency on none of these cases downloads none of them.
    app.config["EXPORT_MAX_ROWS"] = 100
    other = app.test_client()
    login(other, team.other_officer)
    theirs = other.get("/asb/?format=csv")
    assert theirs.status_code == 200 and "VONE" not in theirs.text.upper() and len(theirs.text.splitlines()) == 1


def test_case_incidents_download(app, factory, team, world):  # noqa: F811
    from casework.asb.models import AsbCase

    v1, v2, v3 = world
    case_id = db.session.scalar(sa.select(AsbCase.case_id).where(AsbCase.victim_person_id == v3.id))
    hate, _ = log(team.officer, v3, date(2025, 3, 7), asb=db.session.scalar(
        sa.select(AsbCase).where(AsbCase.case_id == case_id)), is_hate=True, hate_characteristic="race",
        hate_details="Racist abuse shouted", description="=HYPERLINK(\"http://evil.example\")")  # fmt: skip
    url = f"/asb/cases/{case_id}/incidents/download?format=csv"
    officer = app.test_client()
    login(officer, team.officer)
    resp = officer.get(url)
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0][-1] == "Hate crime details" and len(rows) == 7  # six incidents, the removed one marked
    by_desc = {row[10]: row for row in rows[1:]}
    assert by_desc['\'=HYPERLINK("http://evil.example")'][-1] == "Race or ethnicity: Racist abuse shouted"
    assert any(d.startswith("Removed: Logged on the wrong case") for d in by_desc)
    assert audit_events("asb.incident.export")[0].data["object_id"] == str(case_id)
    # A partner worker on the case sees the incidents but not the hate-crime details.
    partner = app.test_client()
    login(partner, team.partner)
    seen = partner.get(url)
    assert seen.status_code in (200, 404)
    assert "Racist abuse" not in seen.text and "Race or ethnicity" not in seen.text
    # An officer of another area, and an analyst: nothing.
    other = app.test_client()
    login(other, team.other_officer)
    refused = other.get(url)
    assert refused.status_code == 404 and "HYPERLINK" not in refused.text
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    assert analyst.get(url).status_code == 403


def test_total_does_not_give_away_a_suppressed_category(app, factory, team):  # noqa: F811
    """One personal incident, six nuisance, no environmental: with the total shown, the
    personal count would be the total less the others. The total is "5 or more" in every
    download and for readers without exact figures; the period before, with no suppressed
    count, keeps its total."""
    officer = team.officer
    victim = factory.person(officer, surname="Vsmall")
    _, case = log(officer, victim, date(2025, 1, 2), category="personal", type_code="harassment")
    for day in range(3, 9):
        log(officer, victim, date(2025, 1, day), asb=case)
    for day in range(1, 8):
        log(officer, victim, date(2024, 11, day), asb=case)
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    rows = list(csv.reader(io.StringIO(analyst.get(URL + "&format=csv").text)))
    by = {row[2]: row[3:] for row in rows[1:]}
    assert by["Incidents by category: Personal"][0] == "<5"
    assert by["Incidents by category: Nuisance"][0] == "6"
    assert by["Incidents by category: Environmental"][0] == "0"
    assert by["Incidents"][0] == "5 or more" and by["Incidents"][3] == "7" and by["Incidents"][4] == ""
    page = analyst.get(URL)
    assert page.status_code == 200
    assert '<th scope="row">Incidents</th><td>5 or more</td><td>7</td><td>–</td>' in page.text
    assert '<th scope="row">Incidents</th><td>7</td>' not in page.text


def test_small_counts_and_their_changes_stay_hidden_for_every_asb_reader(app, factory, team, world):  # noqa: F811
    """No ASB role sees every ASB case, so the officer sees what the analyst sees, on screen and
    in the download: repeat callers, victims by risk level and overdue reviews from 1 to 4 are
    "<5", and no change between the quarters rests on one."""
    seen = []
    for user in (factory.user("analyst"), team.officer):
        client = app.test_client()
        login(client, user)
        rows = list(csv.reader(io.StringIO(client.get(URL + "&format=csv").text)))
        by = {row[2]: row[3:] for row in rows[1:]}
        assert by["Repeat callers"][0] == "<5" and by["Repeat callers"][4] == ""
        assert [by[f"Victims by risk level: {b}"][0] for b in ("Standard", "Medium", "High", "Not assessed")] == [
            "0", "<5", "<5", "<5",
        ]  # fmt: skip
        overdue = by["Support plan reviews overdue (at the end of the period)"]
        assert overdue[0] == "<5" and overdue[3] == "0" and overdue[4] == ""
        assert all(v[0] in ("0", "<5", "5 or more") for v in by.values())
        page = client.get(URL)
        assert '<th scope="row">High</th><td>&lt;5</td>' in page.text
        assert "Why some figures are not shown" in page.text
        seen.append(by)
    assert seen[0] == seen[1]
