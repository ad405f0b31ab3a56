"""The MARAC report on the hub, on hand-built data with every figure worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from casework.core import actions as core_actions
from casework.core import meetings as core_meetings
from casework.core import periods
from casework.extensions import db
from casework.marac import referrals
from casework.marac.reports import report_figures
from tests.helpers import audit_events, login
from tests.marac.conftest import make_referral, marac, schedule  # noqa: F401 - fixture
from tests.marac.test_reports import _hear, _hold

Y2025 = "/reports/marac/quarterly?kind=calendar_year&year=2025"


def _at(meeting, moment: datetime) -> None:
    meeting.starts_at = moment
    db.session.commit()


@pytest.fixture
def years(app, factory, marac):  # noqa: F811
    """2024: one meeting (10 May) hears case A, referred by the police: 1 meeting, 1 case.

    2025: on 10 February case B (IDVA referral) and repeat case R (IDVA referral, a
    confirmed repeat of an earlier referral of the same victim and perpetrator) are heard,
    R deferred; on 10 March R is heard again. 2 meetings; 3 cases discussed (B, R, R);
    2 repeats (R twice); repeat rate 2 / 3 = 66.7%; 0 police, 3 partner referrals.
    Year on year: meetings +100.0%, cases +200.0%, police referrals 1 → 0 = −100.0%.

    Actions owned by Test Homes on case B, as at 31 December 2025: one open, due 20 February
    2025 (outstanding, overdue); one done on 5 January 2026, due 31 January 2026 (outstanding
    then, not overdue); one done on 1 June 2025 (closed). Outstanding 2, overdue 1.
    """
    m0 = schedule(marac.coordinator, days_ahead=3, agencies=[marac.police])
    m1 = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    m2 = schedule(marac.coordinator, days_ahead=2, agencies=[marac.police])
    _hear(marac, m0, factory.person(marac.idva), agency_user=marac.police_rep)
    _at(m0, datetime(2024, 5, 10, 10, 0, tzinfo=UTC))
    _hold(marac, m0)
    b = _hear(marac, m1, factory.person(marac.idva, gender="male"))
    victim, perp = factory.person(marac.idva), factory.person(marac.idva)
    earlier = make_referral(
        marac.idva, victim, incidents_12_months=4, on=date.today() - timedelta(days=60), perpetrators=[perp]
    )
    referrals.decide(marac.coordinator, earlier, accept=True, reason=None, version=earlier.version_id)
    db.session.commit()
    r = _hear(marac, m1, victim, perpetrators=[perp])
    referrals.confirm_repeat(marac.coordinator, r, is_repeat=True, version=r.version_id)
    db.session.commit()
    _at(m1, datetime(2025, 2, 10, 10, 0, tzinfo=UTC))
    _hold(marac, m1, outcome="deferred")
    core_meetings.list_case(marac.coordinator, m2, r.case, reason="repeat", urgent=True)
    db.session.commit()
    _at(m2, datetime(2025, 3, 10, 10, 0, tzinfo=UTC))
    _hold(marac, m2)
    specs = [
        (date(2025, 2, 20), None),
        (date(2026, 1, 31), datetime(2026, 1, 5, 12, 0, tzinfo=UTC)),
        (date(2025, 3, 31), datetime(2025, 6, 1, 12, 0, tzinfo=UTC)),
    ]
    for due, done_at in specs:
        action = core_actions.create_action(
            marac.coordinator, b.case, agency_id=marac.housing.id, description="Check the tenancy", due_on=due
        )
        action.created_at = datetime(2025, 2, 10, 11, 0, tzinfo=UTC)
        if done_at:
            action.status, action.completed_at = "done", done_at
    db.session.commit()
    return marac


def test_figures_by_hand(years):
    figures = {f.full_label: f.value for f in report_figures(periods.calendar_year(2025))}
    assert figures["Meetings held"] == 2
    assert figures["Cases discussed (repeats included)"] == 3
    assert figures["Repeat cases"] == 2
    assert figures["Repeat cases (% of cases discussed)"] == 66.7
    assert (figures["Referrals from police"], figures["Referrals from partner agencies"]) == (0, 3)
    assert figures["Victims: male"] == 1
    assert figures["Cases discussed by referring agency: Test IDVA Service"] == 3
    group = "Outstanding actions by agency (at the end of the period)"
    assert figures[f"{group}: Test Homes: outstanding"] == 2
    assert figures[f"{group}: Test Homes: overdue"] == 1
    before = {f.full_label: f.value for f in report_figures(periods.calendar_year(2024))}
    assert (before["Meetings held"], before["Cases discussed (repeats included)"], before["Repeat cases"]) == (1, 1, 0)
    assert before["Referrals from police"] == 1 and f"{group}: Test Homes: outstanding" not in before


def test_page_year_on_year_with_chart(app, years):
    client = app.test_client()
    login(client, years.coordinator)
    page = client.get(Y2025)
    assert page.status_code == 200
    # The coordinator sees exact figures, each beside 2024's, with the percentage change.
    assert '<th scope="row">Meetings held</th><td>2</td><td>1</td><td>+100.0%</td>' in page.text
    assert '<th scope="row">Cases discussed (repeats included)</th><td>3</td><td>1</td><td>+200.0%</td>' in page.text
    assert '<th scope="row">Repeat cases</th><td>2</td><td>0</td><td>–</td>' in page.text
    assert '<th scope="row">Repeat cases (% of cases discussed)</th><td>66.7%</td><td>0.0%</td><td>–</td>' in page.text
    assert '<th scope="row">Referrals from police</th><td>0</td><td>1</td><td>-100.0%</td>' in page.text
    assert '<th scope="row">Test Homes: overdue</th><td>1</td><td>0</td><td>–</td>' in page.text
    # A server-side chart: SVG in the page, no script and no inline style.
    assert "<svg" in page.text and 'class="chart-bar-now"' in page.text
    assert "<script" not in page.text.split("<main", 1)[1] and "style=" not in page.text
    assert 'role="img"' in page.text and "Cases discussed (repeats included)" in page.text.split("<svg", 1)[1]


def test_downloads_show_what_the_page_shows_and_carry_the_comparison(app, years):
    """The coordinator sees every MARAC case: the download is exact, as the page is (the
    SafeLives return needs the exact figures). The figures as published suppress small
    counts, on the page and in the download alike."""
    client = app.test_client()
    login(client, years.coordinator)
    resp = client.get(Y2025 + "&format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert 'filename="marac-quarterly-2025-exact.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0] == [
        "Period start", "Period end", "Measure", "Value", "Unit", "Period before", "Value in the period before",
        "Change (%)",
    ]  # fmt: skip
    by = {row[2]: row for row in rows[1:]}
    assert by["Cases discussed (repeats included)"][3:] == ["3", "count", "2024", "1", "200.0"]
    assert by["Repeat cases (% of cases discussed)"][3] == "66.7"
    assert by["Referrals from police"][3:] == ["0", "count", "2024", "1", "-100.0"]
    published = client.get(Y2025 + "&figures=published&format=csv")
    assert 'filename="marac-quarterly-2025.csv"' in published.headers["Content-Disposition"]
    by = {row[2]: row for row in csv.reader(io.StringIO(published.get_data().decode("utf-8-sig")))}
    # As published: 1 to 4 become "<5", and no change rests on a suppressed count.
    assert by["Cases discussed (repeats included)"][3:] == ["<5", "count", "2024", "<5", ""]
    assert by["Repeat cases (% of cases discussed)"][3] == "<5"
    assert by["Referrals from police"][3:] == ["0", "count", "2024", "<5", ""]
    page = client.get(Y2025 + "&figures=published")
    assert '<th scope="row">Cases discussed (repeats included)</th><td>&lt;5</td><td>&lt;5</td><td>–</td>' in page.text
    assert 'name="figures" value="published"' in page.text and "Show the exact figures" in page.text
    xlsx = client.get(Y2025 + "&figures=published&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    cells = {row[2]: row[3:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["Meetings held"][0] == "<5" and cells["Referrals from police"][0] == 0
    exact = openpyxl.load_workbook(io.BytesIO(client.get(Y2025 + "&format=xlsx").data)).active
    assert {row[2]: row[3] for row in exact.iter_rows(min_row=2, values_only=True)}["Meetings held"] == 2
    exports = audit_events("marac.report.export")
    assert [e.data["details"]["format"] for e in exports] == ["csv", "csv", "xlsx", "xlsx"]
    assert [e.data["details"]["figures"] for e in exports] == ["exact", "published", "published", "exact"]
    assert all(e.data["object_id"] == "marac_quarterly" and not e.data["person_ids"] for e in exports)


def test_empty_periods_show_zeros_and_no_data(app, factory, marac):  # noqa: F811
    client = app.test_client()
    login(client, marac.coordinator)
    for query in ("kind=calendar_quarter&year=2001&quarter=1", "kind=financial_year&year=2000",
                  "kind=custom&start=2001-01-01&end=2001-01-01"):  # fmt: skip
        page = client.get(f"/reports/marac/quarterly?{query}")
        assert page.status_code == 200, query
        assert '<th scope="row">Meetings held</th><td>0</td>' in page.text
        assert '<th scope="row">Repeat cases (% of cases discussed)</th><td>no data</td>' in page.text
        assert client.get(f"/reports/marac/quarterly?{query}&format=xlsx").status_code == 200


def test_old_address_leads_to_the_hub(app, marac):  # noqa: F811
    client = app.test_client()
    login(client, marac.coordinator)
    resp = client.get("/marac/reports/quarterly?kind=calendar_year&year=2025&format=csv")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/reports/marac/quarterly?")
    assert "format=csv" in resp.headers["Location"] and "year=2025" in resp.headers["Location"]


def test_each_victim_is_decrypted_once_for_both_periods(app, years, monkeypatch):
    """Four hearings in 2024 and 2025 (A; B, R, R) of three victims: each victim's date of
    birth is decrypted once, for the year and the year before together."""
    from casework.core import crypto
    from casework.marac.reports import figures_for

    seen = []
    original = crypto.open_value

    def counting(blob, aad, *args, **kwargs):
        seen.append(aad)
        return original(blob, aad, *args, **kwargs)

    monkeypatch.setattr(crypto, "open_value", counting)
    now, before = figures_for([periods.calendar_year(2025), periods.calendar_year(2024)])
    assert {f.label: f.value for f in now}["Cases discussed (repeats included)"] == 3
    assert {f.label: f.value for f in before}["Cases discussed (repeats included)"] == 1
    assert seen.count("person.dob") == 3 and seen.count("person.gender") == 1
    assert set(seen) <= {"person.dob", "person.gender", "person.ethnicity", "person.disability", "person.is_lgbt"}
    with pytest.raises(ValueError):
        figures_for([periods.calendar_year(2025), periods.calendar_quarter(2025, 2)])


def test_a_value_moved_from_another_row_counts_as_not_known(app, factory, marac):  # noqa: F811
    """Ciphertext copied into another person's row fails its row binding: not counted."""
    import sqlalchemy as sa

    from casework.core.models import Person

    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    heard = factory.person(marac.idva, gender="female")
    other = factory.person(marac.idva, gender="male")
    _hear(marac, meeting, heard)
    _hold(marac, meeting)
    table = Person.__table__
    stolen = db.session.execute(sa.select(table.c.gender).where(table.c.id == other.id)).scalar_one()
    db.session.execute(sa.update(table).where(table.c.id == heard.id).values(gender=stolen))
    db.session.commit()
    day = periods.local_date(meeting.starts_at)
    figures = {f.label: f.value for f in report_figures(periods.custom(day, day))}
    assert figures["Cases discussed (repeats included)"] == 1 and figures["Victims: male"] == 0
