"""The quarterly return counts what SafeLives asks for, and nothing personal leaves it."""

from datetime import date, timedelta

from casework.core import meetings as core_meetings
from casework.extensions import db
from casework.marac import referrals
from casework.marac.reports import quarter_of, quarterly_return
from tests.helpers import audit_events, login

from .conftest import make_referral, schedule


def _hear(marac, meeting, victim, agency_user=None, **data):
    ref = make_referral(agency_user or marac.idva, victim, incidents_12_months=4, **data)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new", urgent=True)
    db.session.commit()
    return ref


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
    _hear(marac, meeting, v1)
    first = _hear(marac, meeting, v2, agency_user=marac.police_rep)
    # a repeat for v2 heard at a second meeting in the quarter
    second_meeting = schedule(marac.coordinator, days_ahead=2, agencies=[marac.police])
    repeat = make_referral(marac.police_rep, v2, incidents_12_months=4)
    assert repeat.repeat_of_case_id == first.case_id
    referrals.decide(marac.coordinator, repeat, accept=True, reason=None, version=repeat.version_id)
    core_meetings.list_case(marac.coordinator, second_meeting, repeat.case, reason="repeat", urgent=True)
    db.session.commit()
    start, end = quarter_of(meeting.starts_at.date())
    if second_meeting.starts_at.date() > end:  # the quarter turned between the two meetings
        end = second_meeting.starts_at.date()
    r = quarterly_return(start, end)
    assert (r.meetings, r.cases, r.repeats) == (2, 3, 1)
    assert (r.police_referrals, r.partner_referrals) == (2, 1)
    assert (r.minoritised, r.lgbt, r.disabled, r.male, r.aged_16_17) == (1, 1, 2, 1, 1)


def test_report_page_is_aggregate_and_audited(app, factory, marac):
    meeting = schedule(marac.coordinator, days_ahead=1, agencies=[marac.police])
    victim = factory.person(marac.idva, given_names="Quentin", surname="Zorrow")
    _hear(marac, meeting, victim)
    analyst = factory.user("analyst")
    client = app.test_client()
    login(client, analyst)
    d = meeting.starts_at.date()
    resp = client.get(f"/marac/reports/quarterly?year={d.year}&quarter={(d.month - 1) // 3 + 1}")
    assert resp.status_code == 200
    assert "Cases discussed (repeats included)" in resp.text and "Zorrow" not in resp.text.title()
    csv_resp = client.get(f"/marac/reports/quarterly?year={d.year}&quarter={(d.month - 1) // 3 + 1}&format=csv")
    assert csv_resp.status_code == 200 and "Cases discussed (repeats included),1" in csv_resp.text
    assert "Zorrow" not in csv_resp.text.title()
    assert len(audit_events("report.generated")) == 2
    # The analyst still cannot open the case behind the numbers.
    assert client.get("/marac/cases").status_code == 403
    assert client.get("/marac/reports/quarterly?year=abc&quarter=9").status_code == 400


def test_report_defaults_to_this_quarter(app, factory):
    client = app.test_client()
    login(client, factory.user("marac_coordinator"))
    resp = client.get("/marac/reports/quarterly")
    assert resp.status_code == 200 and "Meetings held" in resp.text
