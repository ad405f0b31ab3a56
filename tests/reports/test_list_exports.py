"""Spreadsheet downloads of the lists: the page's rows and columns, audited, capped, safe."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl

from casework.core import actions as core_actions
from casework.extensions import db
from casework.marac import referrals
from tests.helpers import audit_events, csrf_token, login
from tests.marac.conftest import make_referral, marac  # noqa: F401 - fixture

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _csv(resp):
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))


def _sheet(resp):
    return openpyxl.load_workbook(io.BytesIO(resp.data)).active


def _accepted(marac, victim, **kw):  # noqa: F811
    ref = make_referral(marac.idva, victim, incidents_12_months=4, **kw)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    db.session.commit()
    return ref


def test_case_list_download_has_the_page_columns_and_is_audited(app, factory, marac):  # noqa: F811
    victim = factory.person(marac.idva, given_names="Zara", surname="Quillfeather")
    ref = _accepted(marac, victim)
    client = app.test_client()
    login(client, marac.coordinator)
    resp = client.get("/marac/cases?format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="marac-cases-')
    rows = _csv(resp)
    assert rows[0] == ["Reference", "Restricted", "Victim", "Referred", "Referring agency", "Criteria", "Repeat",
                       "Status"]  # fmt: skip
    assert rows[1][:5] == [ref.case.reference, "No", "ZQ", date.today().isoformat(), "Test IDVA Service"]
    assert rows[1][7] == "Accepted"
    # The same disclosure as the page: initials, never the name.
    assert "Quillfeather" not in resp.text and "Zara" not in resp.text
    sheet = _sheet(client.get("/marac/cases?format=xlsx&status=accepted"))
    assert [c.value for c in sheet[2]][:3] == [ref.case.reference, "No", "ZQ"]
    assert sheet.max_row == 2
    events = audit_events("marac.case.export")
    assert [e.data["details"]["format"] for e in events] == ["csv", "xlsx"]
    assert all(victim.id in e.data["person_ids"] and e.data["details"]["rows"] == 1 for e in events)
    # A filter with no rows: a file with the header only.
    assert len(_csv(client.get("/marac/cases?format=csv&status=closed"))) == 1
    assert client.get("/marac/cases?format=pdf").status_code == 400


def test_a_search_is_downloaded_by_post_with_its_token(app, factory, marac):  # noqa: F811
    wanted = _accepted(marac, factory.person(marac.idva))
    _accepted(marac, factory.person(marac.idva))
    client = app.test_client()
    login(client, marac.coordinator)
    page = client.post("/marac/cases", data={"csrf_token": csrf_token(client.get("/marac/cases").text),
                                              "find": wanted.case.reference})  # fmt: skip
    assert 'name="format" value="csv"' in page.text
    token = csrf_token(page.text)
    resp = client.post("/marac/cases", data={"csrf_token": token, "find": wanted.case.reference, "format": "csv"})
    assert resp.status_code == 200
    assert [row[0] for row in _csv(resp)[1:]] == [wanted.case.reference]
    assert audit_events("marac.case.export")[-1].data["details"]["searched"] is True
    # Without the token nothing is downloaded.
    refused = client.post("/marac/cases", data={"find": wanted.case.reference, "format": "csv"})
    assert refused.status_code == 400 and refused.mimetype == "text/html"


def test_row_limit_gives_a_clear_message_not_a_cut_short_file(app, factory, marac):  # noqa: F811
    for _ in range(3):
        _accepted(marac, factory.person(marac.idva))
    app.config["EXPORT_MAX_ROWS"] = 2
    client = app.test_client()
    login(client, marac.coordinator)
    resp = client.get("/marac/cases?format=xlsx&status=accepted")
    assert resp.status_code == 302 and resp.headers["Location"] == "/marac/cases?status=accepted"
    page = client.get(resp.headers["Location"])
    assert "more than 2 rows, the most one download holds" in page.text
    assert not audit_events("marac.case.export")
    app.config["EXPORT_MAX_ROWS"] = 3
    assert len(_csv(client.get("/marac/cases?format=csv&status=accepted"))) == 4


def test_action_list_download_neutralises_formulas_and_keeps_agency_scope(app, factory, marac):  # noqa: F811
    ref = _accepted(marac, factory.person(marac.idva))
    due = date.today() - timedelta(days=1)
    core_actions.create_action(marac.coordinator, ref.case, agency_id=marac.housing.id, description=FORMULA, due_on=due)
    core_actions.create_action(
        marac.coordinator, ref.case, agency_id=marac.police.id, description="Police only action", due_on=due
    )
    db.session.commit()
    housing = app.test_client()
    login(housing, marac.housing_rep)
    resp = housing.get("/marac/actions?format=csv")
    rows = _csv(resp)
    assert rows[0] == ["Deadline", "Overdue", "Case", "Agency", "Action", "Status", "Reason not done"]
    assert rows[1:] == [[due.isoformat(), "Yes", ref.case.reference, "Test Homes", "'" + FORMULA, "Open", ""]]
    assert "Police only action" not in resp.text
    sheet = _sheet(housing.get("/marac/actions?format=xlsx"))
    cell = sheet["E2"]
    assert cell.value == FORMULA and cell.data_type == "s" and cell.quotePrefix
    events = audit_events("marac.action.export")
    assert len(events) == 2 and ref.victim_id in events[0].data["person_ids"]
    # The coordinator's download has both, filtered as the page is.
    coordinator = app.test_client()
    login(coordinator, marac.coordinator)
    assert len(_csv(coordinator.get("/marac/actions?format=csv"))) == 3
    only_police = _csv(coordinator.get(f"/marac/actions?format=csv&agency_id={marac.police.id}"))
    assert [row[4] for row in only_police[1:]] == ["Police only action"]


def test_people_and_casework_pages_and_lists_are_closed_to_analysts(app, factory, marac):  # noqa: F811
    victim = factory.person(marac.idva, given_names="Ysolde", surname="Marrowgate")
    ref = _accepted(marac, victim)
    analyst = app.test_client()
    login(analyst, factory.user("analyst"))
    hub = analyst.get("/reports/")
    assert hub.status_code == 200 and "Quarterly return (SafeLives)" in hub.text
    assert "Reoffending measure and cohort" in hub.text
    for url in (
        f"/people/{victim.id}",
        f"/marac/cases/{ref.case_id}",
        "/marac/cases",
        "/marac/cases?format=csv",
        "/marac/actions?format=xlsx",
        "/iom/?format=csv",
        "/people/",
    ):
        resp = analyst.get(url)
        assert resp.status_code == 403, url
        assert "Marrowgate" not in resp.text and ref.case.reference not in resp.text, url
    report = analyst.get("/reports/marac/quarterly")
    assert report.status_code == 200 and "Marrowgate" not in report.text and ref.case.reference not in report.text
    # Someone with no report at all is refused the hub; an unknown report is not found.
    idva = app.test_client()
    login(idva, marac.idva)
    assert idva.get("/reports/").status_code == 403
    assert idva.get("/reports/marac/quarterly").status_code == 403
    assert analyst.get("/reports/marac/nothing").status_code == 404
    assert analyst.get("/reports/marac/quarterly?format=pdf").status_code == 400
    # The IOM report's own capability is checked, not only the hub's.
    coordinator = app.test_client()
    login(coordinator, marac.coordinator)
    assert coordinator.get("/reports/iom/reoffending").status_code == 403
    assert "Reoffending" not in coordinator.get("/reports/").text
