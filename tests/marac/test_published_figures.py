"""Three years of MARAC hearings run through the services reproduce a partnership's
published figures exactly: meetings held, cases heard and repeat rate per financial year.

The partnership meets monthly, on the 15th at 10:00 local time, April 2021 to March
2024 (36 meetings, months ``i`` = 0 to 35). Every referral is dated, and its incident
happened, on the 1st of the month it is heard in. At meeting ``i``:

* three new victims (each with their own perpetrator) are heard: ``V(i, 0..2)``;
* ``V(i-6, 0)`` is referred again, same perpetrator, 6 months after their last
  referral: a repeat, confirmed by the coordinator (from ``i`` = 6);
* the repeat heard at a meeting with ``i % 12 == 5`` is deferred there and heard
  again at the next meeting: two hearings, two repeat cases;
* ``V(i-13, 1)`` is referred again, same perpetrator, 13 months after their last
  referral: a new referral, not a repeat (from ``i`` = 13);
* every third meeting, ``V(i-3, 2)`` is referred again with a different perpetrator:
  not a repeat;
* at ``i % 12 == 11``, ``V(i-1, 2)`` is referred again, same perpetrator, a month
  later: proposed as a repeat, rejected by the coordinator with a reason;
* at ``i % 12 == 0`` a referral is declined; the same victim and perpetrator are
  referred again the month after and heard: not a repeat, since a declined referral
  is not an earlier MARAC referral.

Counting by hand (cases heard = new + repeat + deferred again + 13-month +
different perpetrator + rejected + after decline; repeats = repeat + deferred again):

* 2021 to 2022: 36 + 6 + 0 + 0 + 3 + 1 + 1 = 47 heard, 6 repeats, 12.8%;
* 2022 to 2023: 36 + 12 + 1 + 11 + 4 + 1 + 1 = 66 heard, 13 repeats, 19.7%;
* 2023 to 2024: 36 + 12 + 1 + 12 + 4 + 1 + 1 = 67 heard, 13 repeats, 19.4%.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from casework.core import meetings as core_meetings
from casework.core import periods
from casework.extensions import db
from casework.marac import referrals
from casework.marac.reports import quarterly_return

from .conftest import make_referral, schedule

PUBLISHED = {
    # financial year starting: (meetings held, cases heard, repeat cases, repeat rate %)
    2021: (12, 47, 6, 12.8),
    2022: (12, 66, 13, 19.7),
    2023: (12, 67, 13, 19.4),
}
LONDON = ZoneInfo("Europe/London")


def _month(i: int) -> date:
    return periods.add_months(date(2021, 4, 1), i)


def test_three_years_of_hearings_reproduce_the_published_figures(app, factory, marac):
    coordinator = marac.coordinator
    meetings = []
    for i in range(36):
        meeting = schedule(coordinator, days_ahead=1, agencies=[marac.police, marac.housing])
        day = _month(i)
        meeting.starts_at = datetime(day.year, day.month, 15, 10, tzinfo=LONDON).astimezone(UTC)
        meetings.append(meeting)
    db.session.commit()

    people = {}  # (i, n) -> (victim, perpetrator)
    declined = {}  # i -> (victim, perpetrator)
    deferred = None  # a case to hear again at the next meeting

    def refer(i, victim, perp, *, accept=True):
        ref = make_referral(
            marac.idva,
            victim,
            incidents_12_months=3,
            on=_month(i),
            incident_date=_month(i),
            perpetrators=[perp],
        )
        if accept:
            referrals.decide(coordinator, ref, accept=True, reason=None, version=ref.version_id)
        return ref

    for i, meeting in enumerate(meetings):
        heard = []
        for n in range(3):
            people[i, n] = (factory.person(marac.idva), factory.person(marac.idva))
            ref = refer(i, *people[i, n])
            assert not ref.crit_repeat
            heard.append(ref)
        repeat = None
        if i >= 6:
            repeat = refer(i, *people[i - 6, 0])
            assert repeat.repeat_to_confirm
            referrals.confirm_repeat(coordinator, repeat, is_repeat=True, version=repeat.version_id)
            heard.append(repeat)
        if i >= 13:
            later = refer(i, *people[i - 13, 1])
            assert not later.crit_repeat and later.repeat_of_case_id is None
            heard.append(later)
        if i >= 3 and i % 3 == 0:
            victim, _ = people[i - 3, 2]
            other = refer(i, victim, factory.person(marac.idva))
            assert not other.crit_repeat
            heard.append(other)
        if i % 12 == 11:
            proposed = refer(i, *people[i - 1, 2])
            assert proposed.repeat_to_confirm
            referrals.confirm_repeat(
                coordinator, proposed, is_repeat=False, reason="Same incident", version=proposed.version_id
            )
            heard.append(proposed)
        if i % 12 == 0:
            declined[i] = (factory.person(marac.idva), factory.person(marac.idva))
            ref = refer(i, *declined[i], accept=False)
            referrals.decide(coordinator, ref, accept=False, reason="Below threshold", version=ref.version_id)
        if i - 1 in declined:
            again = refer(i, *declined[i - 1])
            assert not again.crit_repeat
            heard.append(again)
        for ref in heard:
            core_meetings.list_case(coordinator, meeting, ref.case, reason="new", urgent=True)
        if deferred is not None:
            core_meetings.list_case(coordinator, meeting, deferred.case, reason="repeat", urgent=True)
        db.session.commit()
        core_meetings.mark_held(coordinator, meeting, meeting.version_id, now=meeting.starts_at + timedelta(hours=2))
        defer_now = repeat if (repeat is not None and i % 12 == 5) else None
        for item in core_meetings.active_items(meeting):
            outcome = "deferred" if defer_now is not None and item.case_id == defer_now.case_id else "actions_agreed"
            core_meetings.record_minutes(coordinator, item, minutes=None, outcome=outcome, version=item.version_id)
        deferred = defer_now
        db.session.commit()

    for year, figures in PUBLISHED.items():
        r = quarterly_return(periods.financial_year(year))
        assert (r.meetings, r.cases, r.repeats, r.repeat_rate) == figures, year
    # Quarters add up to the year.
    year = [quarterly_return(periods.financial_quarter(2022, q)) for q in range(1, 5)]
    assert sum(q.cases for q in year) == 66 and sum(q.repeats for q in year) == 13
