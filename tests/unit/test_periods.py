"""Reporting periods: quarters, April-to-March financial years, and local dates in UTC (DESIGN §7)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casework.core import periods
from casework.core.periods import Period, PeriodError


def test_calendar_quarters():
    q1 = periods.calendar_quarter(2025, 1)
    assert (q1.start, q1.end, q1.label, q1.kind) == (
        date(2025, 1, 1),
        date(2025, 3, 31),
        "January to March 2025",
        "calendar_quarter",
    )
    assert periods.calendar_quarter(2025, 4).end == date(2025, 12, 31)
    assert periods.calendar_quarter(2025, 2).days == 91


def test_leap_years():
    assert periods.calendar_quarter(2024, 1).days == 91  # 29 February 2024
    assert periods.calendar_quarter(2025, 1).days == 90
    assert periods.calendar_quarter(2100, 1).days == 90  # a century year is not a leap year...
    assert periods.calendar_quarter(2000, 1).days == 91  # ...unless it divides by 400
    assert periods.calendar_year(2024).days == 366
    assert periods.financial_year(2023).days == 366  # April 2023 to March 2024 holds 29 February 2024
    assert periods.financial_year(2024).days == 365
    assert periods.quarter_containing(date(2024, 2, 29)) == periods.calendar_quarter(2024, 1)


def test_quarter_containing_every_month():
    for month in range(1, 13):
        q = periods.quarter_containing(date(2025, month, 15))
        assert q.start <= date(2025, month, 15) <= q.end
        assert q.start.month == 3 * ((month - 1) // 3) + 1


def test_previous_quarter_crosses_into_the_year_before():
    q4 = periods.previous(periods.calendar_quarter(2025, 1))
    assert (q4.start, q4.end, q4.label) == (date(2024, 10, 1), date(2024, 12, 31), "October to December 2024")
    assert periods.previous(periods.calendar_quarter(2025, 3)) == periods.calendar_quarter(2025, 2)


def test_financial_year_is_april_to_march():
    fy = periods.financial_year(2024)
    assert (fy.start, fy.end, fy.label) == (date(2024, 4, 1), date(2025, 3, 31), "Financial year 2024 to 2025")
    assert periods.financial_year_containing(date(2025, 3, 31)) == fy
    assert periods.financial_year_containing(date(2025, 4, 1)) == periods.financial_year(2025)
    assert periods.financial_year_containing(date(2024, 4, 1)) == fy
    assert date(2025, 3, 31) in fy and date(2025, 4, 1) not in fy and date(2024, 3, 31) not in fy
    assert periods.previous(fy) == periods.financial_year(2023)


def test_financial_quarters():
    q1 = periods.financial_quarter(2024, 1)
    q4 = periods.financial_quarter(2024, 4)
    assert (q1.start, q1.end) == (date(2024, 4, 1), date(2024, 6, 30))
    assert (q4.start, q4.end) == (date(2025, 1, 1), date(2025, 3, 31))
    assert q4.label == "Q4 2024 to 2025 (January to March 2025)"
    assert periods.previous(q1) == periods.financial_quarter(2023, 4)
    assert periods.previous(q4) == periods.financial_quarter(2024, 3)
    # The four quarters tile the financial year.
    quarters = [periods.financial_quarter(2024, q) for q in range(1, 5)]
    assert sum(q.days for q in quarters) == periods.financial_year(2024).days


def test_calendar_year_and_previous():
    assert periods.previous(periods.calendar_year(2025)) == periods.calendar_year(2024)


def test_custom_periods():
    p = periods.custom(date(2025, 1, 10), date(2025, 1, 10))
    assert p.days == 1 and p.label == "10 January 2025 to 10 January 2025"
    before = periods.previous(periods.custom(date(2025, 1, 10), date(2025, 1, 19)))
    assert (before.start, before.end) == (date(2024, 12, 31), date(2025, 1, 9))
    with pytest.raises(PeriodError, match="End date must be on or after the start date"):
        periods.custom(date(2025, 1, 2), date(2025, 1, 1))
    assert periods.custom(date(2020, 1, 1), date(2024, 12, 31)).days == 1827
    with pytest.raises(PeriodError, match="5 years or shorter"):
        periods.custom(date(2020, 1, 1), date(2025, 1, 1))
    # 29 February plus 5 years is 28 February.
    assert periods.custom(date(2024, 2, 29), date(2029, 2, 27)).end == date(2029, 2, 27)
    with pytest.raises(PeriodError):
        periods.custom(date(2024, 2, 29), date(2029, 2, 28))


def test_bad_numbers_are_period_errors():
    for call in (
        lambda: periods.calendar_quarter(2025, 5),
        lambda: periods.calendar_quarter(2025, 0),
        lambda: periods.calendar_year(10_000),
        lambda: periods.financial_year(0),
        lambda: periods.financial_quarter(2025, True),
        lambda: Period(date(2025, 1, 2), date(2025, 1, 1), "backwards"),
        lambda: periods.previous(periods.calendar_year(periods.MIN_YEAR)),
        lambda: periods.zone("Mars/Olympus_Mons"),
    ):
        with pytest.raises(PeriodError):
            call()


def test_utc_bounds_gmt_start_bst_end():
    """1 January is in GMT (midnight UTC); 1 April is in BST (23:00 UTC the day before)."""
    lo, hi = periods.utc_bounds(periods.calendar_quarter(2025, 1), "Europe/London")
    assert (lo, hi) == (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 3, 31, 23, 0, tzinfo=UTC))


def test_utc_bounds_follow_bst():
    """1 April is in BST (UTC+1): its local midnight is 23:00 UTC on 31 March."""
    q2 = periods.calendar_quarter(2025, 2)
    lo, hi = periods.utc_bounds(q2, "Europe/London")
    assert lo == datetime(2025, 3, 31, 23, 0, tzinfo=UTC)
    assert hi == datetime(2025, 6, 30, 23, 0, tzinfo=UTC)
    # Q4 starts in BST (1 October) and ends in GMT (1 January).
    lo, hi = periods.utc_bounds(periods.calendar_quarter(2025, 4), "Europe/London")
    assert lo == datetime(2025, 9, 30, 23, 0, tzinfo=UTC)
    assert hi == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


def test_utc_bounds_over_the_clock_changes():
    # Clocks go forward at 01:00 UTC on 30 March 2025: that local day has 23 hours.
    lo, hi = periods.utc_bounds(periods.custom(date(2025, 3, 30), date(2025, 3, 30)), "Europe/London")
    assert (lo, hi) == (datetime(2025, 3, 30, 0, 0, tzinfo=UTC), datetime(2025, 3, 30, 23, 0, tzinfo=UTC))
    # Clocks go back at 01:00 UTC on 26 October 2025: that local day has 25 hours.
    lo, hi = periods.utc_bounds(periods.custom(date(2025, 10, 26), date(2025, 10, 26)), "Europe/London")
    assert (lo, hi) == (datetime(2025, 10, 25, 23, 0, tzinfo=UTC), datetime(2025, 10, 27, 0, 0, tzinfo=UTC))


def test_financial_year_boundary_in_utc():
    """A moment counts in the financial year of its local date."""
    fy = periods.financial_year(2024)
    lo, hi = periods.utc_bounds(fy, "Europe/London")
    assert lo == datetime(2024, 3, 31, 23, 0, tzinfo=UTC)  # 00:00 BST on 1 April 2024
    assert hi == datetime(2025, 3, 31, 23, 0, tzinfo=UTC)  # 00:00 BST on 1 April 2025
    late_march = datetime(2025, 3, 31, 22, 59, tzinfo=UTC)  # 23:59 BST on 31 March
    early_april = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 April
    assert lo <= late_march < hi and not early_april < hi
    assert periods.local_date(early_april, "Europe/London") == date(2025, 4, 1)
    assert periods.local_date(early_april.replace(tzinfo=None), "UTC") == date(2025, 3, 31)


def test_utc_bounds_in_another_zone_and_from_the_setting(app):
    lo, _ = periods.utc_bounds(periods.calendar_year(2025), "Asia/Kolkata")
    assert lo == datetime(2024, 12, 31, 18, 30, tzinfo=UTC)
    with app.app_context():
        assert app.config["TIMEZONE"] == "Europe/London"
        assert periods.utc_bounds(periods.calendar_quarter(2025, 3))[0] == datetime(2025, 6, 30, 23, tzinfo=UTC)
        app.config["TIMEZONE"] = "UTC"
        assert periods.utc_bounds(periods.calendar_quarter(2025, 3))[0] == datetime(2025, 7, 1, tzinfo=UTC)
