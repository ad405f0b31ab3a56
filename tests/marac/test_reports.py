"""The quarterly return counts what SafeLives asks for, and nothing personal leaves it."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl

from casework.core import meetings as core_meetings
from casework.core import periods
from casework.core.models import CaseParticipant
from casework.extensions import db
from casework.marac import referrals
from casework.marac.reports import quarterly_return
from tests.helpers import audit_events, login

from .conftest import make_referral, schedule


def _hear(marac, meeting, victim, agency_user=None, **data):
    """Refer, accept and list a case; it is heard once the meeting is held (:func:`_hold`)."""
    ref = make_referral(agency_user or marac.idva, victim, incidents_12_months=4, **data)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new", urgent=True)
    db.session.commit()
    return ref


def _hold(marac, meeting, outcome="actions_agreed", *, skip=()):
    """Mark the meeting held and record an outcome for every listed case (but ``skip``)."""
    core_meetings.mark_held(
        marac.coordinator, meeting, meeting.version_id, now=meeting.starts_at + timedelta(minutes=5)
    )
    for item in core_meetings.active_items(meeting):
        if item.case_id not in skip:
            core_meetings.record_minutes(
                marac.coordinator, item, minutes="Discussed", outcome=outcome, version=item.version_id
            )
    db.session.commit()


def test_quarterly_counts(app, factory, marac):
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police, marac.housing])
    today = date.today()
    v1 = factory.person(
        marac.idva,
        gender="male",
        ethnicity="asian",
        is_lgbt="yes",
        disability="no",
        dob=today.replace(year=today.year - 17) - timedelta(days=2),
    )
    v2 = factory.person(marac.police_rep, gender="female", ethnicity="white_british", disability="yes")
    perp = factory.person(marac.police_rep)
    _hear(marac, meeting, v1)
    first = _hear(marac, meeting, v2, agency_user=marac.police_rep, perpetrators=[perp])
    # Listed but never heard (no outcome recorded): not a case discussed.
    unheard = _hear(marac, meeting, factory.person(marac.idva))
    # a repeat for v2 heard at a second meeting in the quarter
    second_meeting = schedule(marac.coordinator, days_ahead=2, agencies=[marac.police])
    repeat = make_referral(marac.police_rep, v2, incidents_12_months=4, perpetrators=[perp])
    assert repeat.repeat_of_case_id == first.case_id and repeat.repeat_to_confirm
    referrals.confirm_repeat(marac.coordinator, repeat, is_repeat=True, version=repeat.version_id)
    referrals.decide(marac.coordinator, repeat, accept=True, reason=None, version=repeat.version_id)
    core_meetings.list_case(marac.coordinator, second_meeting, repeat.case, reason="repeat", urgent=True)
    for n in range(2):  # two children in the first case's household, counted per hearing
        child = factory.person(marac.police_rep, surname=f"Child{n}", dob=today.replace(year=today.year - 5))
        db.session.add(CaseParticipant(case_id=first.case_id, person_id=child.id, role="child"))
    db.session.commit()
    # A third meeting in the quarter is never held: neither it nor its cases count.
    not_held = schedule(marac.coordinator, days_ahead=3, agencies=[marac.police])
    _hear(marac, not_held, factory.person(marac.idva))
    _hold(marac, meeting, skip={unheard.case_id})
    _hold(marac, second_meeting)
    period = periods.quarter_containing(periods.local_date(meeting.starts_at))
    second_day = periods.local_date(second_meeting.starts_at)
    if second_day > period.end:  # the quarter turned between the two meetings
        period = periods.custom(period.start, second_day)
    r = quarterly_return(period)
    assert (r.meetings, r.cases, r.repeats) == (2, 3, 1)
    assert (r.police_referrals, r.partner_referrals) == (2, 1)
    assert (r.minoritised, r.lgbt, r.disabled, r.male, r.aged_16_17) == (1, 1, 2, 1, 1)
    assert r.children == 2
    assert r.by_agency == {marac.police.name: 2, marac.idva_service.name: 1}
    measures = {m.label: m.value for m in r.measures()}
    assert measures["Repeat cases"] == 1 and measures["Repeat cases (% of cases discussed)"] == 33.3


def test_report_page_is_aggregate_and_audited(app, factory, marac):
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    victim = factory.person(marac.idva, given_names="Quentin", surname="Zorrow")
    _hear(marac, meeting, victim)
    _hold(marac, meeting)
    analyst = factory.user("analyst")
    client = app.test_client()
    login(client, analyst)
    d = periods.local_date(meeting.starts_at)
    query = f"kind=calendar_quarter&year={d.year}&quarter={(d.month - 1) // 3 + 1}"
    resp = client.get(f"/reports/marac/quarterly?{query}")
    assert resp.status_code == 200
    assert "Cases discussed (repeats included)" in resp.text and "Zorrow" not in resp.text.title()
    assert "Download CSV" in resp.text and "Download spreadsheet (XLSX)" in resp.text
    csv_resp = client.get(f"/reports/marac/quarterly?{query}&format=csv")
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    assert csv_resp.headers["Content-Disposition"].startswith('attachment; filename="marac-quarterly-')
    rows = list(csv.reader(io.StringIO(csv_resp.get_data().decode("utf-8-sig"))))
    assert rows[0][:5] == ["Period start", "Period end", "Measure", "Value", "Unit"]
    values = {row[2]: row[3] for row in rows[1:]}
    # Exports are for publication: a count of 1 to 4 is suppressed; 0 discloses nobody.
    assert values["Cases discussed (repeats included)"] == "<5"
    # The repeat rate is a percentage of the suppressed count: withheld with it.
    assert values["Repeat cases"] == "0" and values["Repeat cases (% of cases discussed)"] == "withheld"
    # One value a cell: every figure is a number, "<5", "withheld", or empty when it cannot be worked out.
    assert all(row[3] in ("", "<5", "withheld") or float(row[3]) >= 0 for row in rows[1:])
    # The analyst's screen is suppressed too.
    assert '<th scope="row">Cases discussed (repeats included)</th><td>&lt;5</td>' in resp.text
    assert "Zorrow" not in csv_resp.text.title()
    xlsx_resp = client.get(f"/reports/marac/quarterly?{query}&format=xlsx")
    assert xlsx_resp.status_code == 200
    assert xlsx_resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_resp.data)).active
    cells = {row[2]: row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["Cases discussed (repeats included)"] == "<5" and cells["Meetings held"] == "<5"
    assert cells["Repeat cases"] == 0
    generated = audit_events("marac.report.generate")
    exported = audit_events("marac.report.export")
    assert len(generated) == 1 and generated[0].data["details"]["kind"] == "calendar_quarter"
    assert [e.data["details"]["format"] for e in exported] == ["csv", "xlsx"]
    # The analyst still cannot open the case behind the numbers.
    assert client.get("/marac/cases").status_code == 403
    assert client.get("/reports/marac/quarterly?year=abc&quarter=9").status_code == 400
    assert client.get(f"/reports/marac/quarterly?{query}&format=pdf").status_code == 400


def test_report_defaults_to_this_quarter(app, factory):
    client = app.test_client()
    login(client, factory.user("marac_coordinator"))
    resp = client.get("/reports/marac/quarterly")
    assert resp.status_code == 200 and "Meetings held" in resp.text


def test_financial_year_report(app, factory, marac):
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    _hear(marac, meeting, factory.person(marac.idva))
    _hold(marac, meeting)
    client = app.test_client()
    login(client, factory.user("analyst"))
    fy = periods.financial_year_containing(periods.local_date(meeting.starts_at))
    resp = client.get(f"/reports/marac/quarterly?kind=financial_year&year={fy.start.year}")
    assert resp.status_code == 200 and fy.label in resp.text
    assert '<th scope="row">Cases discussed (repeats included)</th><td>&lt;5</td>' in resp.text
    csv_resp = client.get(f"/reports/marac/quarterly?kind=financial_year&year={fy.start.year}&format=csv")
    assert f'filename="marac-quarterly-fy-{fy.start:%Y}-{fy.end:%y}.csv"' in csv_resp.headers["Content-Disposition"]
    # Year on year: the financial year before is shown beside it, with a link to it.
    before = periods.previous(fy)
    assert f"{before.label} (period before)" in resp.text
    assert '<th scope="row">Cases discussed (repeats included)</th><td>&lt;5</td><td>0</td>' in resp.text
    earlier = client.get(f"/reports/marac/quarterly?kind=financial_year&year={before.start.year}")
    assert '<th scope="row">Cases discussed (repeats included)</th><td>0</td>' in earlier.text


def _held_at(marac, factory, moment):
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    _hear(marac, meeting, factory.person(marac.idva))
    meeting.starts_at = moment
    db.session.commit()
    _hold(marac, meeting)
    return meeting


def test_meeting_counts_in_the_period_of_its_local_date(app, factory, marac):
    """Periods follow LOCAL dates (setting TIMEZONE, Europe/London). 00:30 BST on 1 July
    is 23:30 UTC on 30 June: July to September (financial Q2). 23:30 BST on 30 June is
    22:30 UTC: April to June."""
    _held_at(marac, factory, datetime(2025, 6, 30, 23, 30, tzinfo=UTC))
    q2, q3 = periods.calendar_quarter(2025, 2), periods.calendar_quarter(2025, 3)
    assert (quarterly_return(q3).meetings, quarterly_return(q3).cases) == (1, 1)
    assert (quarterly_return(q2).meetings, quarterly_return(q2).cases) == (0, 0)
    assert quarterly_return(periods.financial_quarter(2025, 2)).cases == 1
    _held_at(marac, factory, datetime(2025, 6, 30, 22, 30, tzinfo=UTC))
    assert (quarterly_return(q2).meetings, quarterly_return(q2).cases) == (1, 1)
    assert quarterly_return(q3).meetings == 1


def test_financial_year_starts_at_local_midnight_on_1_april(app, factory, marac):
    """00:30 BST on 1 April 2025 is 23:30 UTC on 31 March: financial year 2025 to 2026.
    23:59 BST on 31 March 2025 (22:59 UTC) is 2024 to 2025."""
    _held_at(marac, factory, datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
    _held_at(marac, factory, datetime(2025, 3, 31, 22, 59, tzinfo=UTC))
    assert quarterly_return(periods.financial_year(2025)).meetings == 1
    assert quarterly_return(periods.financial_year(2024)).meetings == 1
    assert quarterly_return(periods.calendar_quarter(2025, 1)).cases == 1
    assert quarterly_return(periods.calendar_quarter(2025, 2)).cases == 1


def test_financial_years_are_offered_beside_calendar_quarters(app, factory):
    client = app.test_client()
    login(client, factory.user("marac_coordinator"))
    page = client.get("/reports/marac/quarterly")
    assert "Calendar quarter" in page.text and "Financial year (April to March)" in page.text
    fy = client.get("/reports/marac/quarterly?kind=financial_year&year=2025")
    assert fy.status_code == 200 and "Financial year 2025 to 2026" in fy.text


def test_report_form_errors_are_shown_not_raised(app, factory):
    client = app.test_client()
    login(client, factory.user("marac_coordinator"))
    cases = {
        "kind=calendar_quarter&year=&quarter=1": "Enter a year",
        "kind=calendar_quarter&year=99999999999999999999999&quarter=1": "Year must be between 2000 and 2100",
        "kind=financial_year&year=1066": "Year must be between 2000 and 2100",
        "kind=calendar_quarter&year=2025&quarter=x": "Select a quarter",
        "kind=nonsense": "Select a period",
        "kind=custom&start=2025-03-01&end=2025-02-01": "End date must be on or after the start date",
        "kind=custom&start=2025-13-45&end=": "Start date must be a real date",
        "kind=custom": "Enter a start date",
        "kind=custom&start=2010-01-01&end=2025-01-01": "The period must be 5 years or shorter",
    }
    for query, message in cases.items():
        resp = client.get(f"/reports/marac/quarterly?{query}")
        assert resp.status_code == 400, query
        assert "There is a problem" in resp.text and message in resp.text, query
    ok = client.get("/reports/marac/quarterly?kind=custom&start=2025-01-01&end=2025-01-31")
    assert ok.status_code == 200 and "1 January 2025 to 31 January 2025" in ok.text


def test_coordinators_see_exact_small_numbers_on_screen_and_in_downloads(app, factory, marac):
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    _hear(marac, meeting, factory.person(marac.idva))
    _hold(marac, meeting)
    client = app.test_client()
    login(client, marac.coordinator)
    d = periods.local_date(meeting.starts_at)
    query = f"kind=calendar_quarter&year={d.year}&quarter={(d.month - 1) // 3 + 1}"
    page = client.get(f"/reports/marac/quarterly?{query}")
    assert '<th scope="row">Cases discussed (repeats included)</th><td>1</td>' in page.text
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/marac/quarterly?{query}&format=csv").text)))
    assert {row[2]: row[3] for row in rows[1:]}["Cases discussed (repeats included)"] == "1"
    # The figures as published, to share outside the partnership, are suppressed.
    rows = list(
        csv.reader(io.StringIO(client.get(f"/reports/marac/quarterly?{query}&figures=published&format=csv").text))
    )
    assert {row[2]: row[3] for row in rows[1:]}["Cases discussed (repeats included)"] == "<5"


def test_small_number_suppression_edges(app):
    from casework.core.exports import suppress_small

    assert [suppress_small(n, 5) for n in (0, 1, 4, 5, 6)] == [0, "<5", "<5", 5, 6]
    assert suppress_small(None, 5) is None
    # A percentage resting on a suppressed count is suppressed with it; on zero or five, it is shown.
    assert suppress_small(25.0, 5, basis=2) == "<5"
    assert suppress_small(0.0, 5, basis=0) == 0.0 and suppress_small(50.0, 5, basis=5) == 50.0
    assert suppress_small(3, 10) == "<10"


def test_repeat_deferred_and_heard_twice_counts_as_two_hearings(app, factory, marac):
    """Each hearing counts, on both sides of the repeat rate (reports.py docstring): a
    confirmed repeat deferred at one meeting and heard at the next is two cases discussed
    and two repeat cases; a proposed repeat the coordinator never confirmed is a case
    discussed but not a repeat."""
    first_meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    second_meeting = schedule(marac.coordinator, days_ahead=2, agencies=[marac.police])
    victim, perp = factory.person(marac.idva), factory.person(marac.idva)
    earlier = make_referral(
        marac.idva, victim, incidents_12_months=4, on=date.today() - timedelta(days=60), perpetrators=[perp]
    )
    referrals.decide(marac.coordinator, earlier, accept=True, reason=None, version=earlier.version_id)
    db.session.commit()
    repeat = _hear(marac, first_meeting, victim, perpetrators=[perp])
    referrals.confirm_repeat(marac.coordinator, repeat, is_repeat=True, version=repeat.version_id)
    other, their_perp = factory.person(marac.idva), factory.person(marac.idva)
    their_earlier = make_referral(
        marac.idva, other, incidents_12_months=4, on=date.today() - timedelta(days=60), perpetrators=[their_perp]
    )
    referrals.decide(marac.coordinator, their_earlier, accept=True, reason=None, version=their_earlier.version_id)
    db.session.commit()
    unconfirmed = _hear(marac, first_meeting, other, perpetrators=[their_perp])
    assert unconfirmed.repeat_to_confirm and not unconfirmed.is_repeat
    _hold(marac, first_meeting, outcome="deferred")
    core_meetings.list_case(marac.coordinator, second_meeting, repeat.case, reason="repeat", urgent=True)
    db.session.commit()
    _hold(marac, second_meeting)
    period = periods.custom(periods.local_date(first_meeting.starts_at), periods.local_date(second_meeting.starts_at))
    r = quarterly_return(period)
    assert (r.meetings, r.cases, r.repeats, r.repeat_rate) == (2, 3, 2, 66.7)
    # Rejected with a reason: no longer a repeat anywhere in the return.
    referrals.confirm_repeat(
        marac.coordinator, repeat, is_repeat=False, reason="Same incident", version=repeat.version_id
    )
    db.session.commit()
    assert (quarterly_return(period).cases, quarterly_return(period).repeats) == (3, 0)


def test_cancelled_and_scheduled_meetings_count_nothing(app, factory, marac):
    held = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    cancelled = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    scheduled = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    for meeting in (held, cancelled, scheduled):
        _hear(marac, meeting, factory.person(marac.idva))
    # An outcome typed in before a meeting is cancelled still does not make it a hearing.
    item = core_meetings.active_items(cancelled)[0]
    core_meetings.record_minutes(
        marac.coordinator, item, minutes=None, outcome="actions_agreed", version=item.version_id
    )
    core_meetings.cancel(marac.coordinator, cancelled, reason="Venue closed", version=cancelled.version_id)
    _hold(marac, held)
    db.session.commit()
    r = quarterly_return(periods.custom(date.today(), date.today() + timedelta(days=2)))
    assert (r.meetings, r.cases) == (1, 1)
