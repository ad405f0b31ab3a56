"""Working-day arithmetic: weekends and bank holidays skipped, the start day never counted."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from casework.core import workdays
from casework.core.workdays import (
    NO_HOLIDAYS,
    BankHolidayError,
    add_working_days,
    is_working_day,
    load_holidays,
    next_working_day,
    parse_holidays,
    working_days_between,
)

EW = load_holidays()


def test_shipped_england_and_wales_list_covers_2020_to_2030():
    assert (EW.first_year, EW.last_year) == (2020, 2030)
    assert EW.division == "england-and-wales"
    # Eight a year, plus the one-off holidays of 2022 (Platinum Jubilee, State Funeral) and 2023 (Coronation).
    for year in range(2020, 2031):
        expected = 8 + {2022: 2, 2023: 1}.get(year, 0)
        assert sum(1 for d in EW.days if d.year == year) == expected, year
    assert date(2022, 9, 19) in EW and date(2023, 5, 8) in EW
    assert date(2020, 5, 8) in EW and date(2020, 5, 4) not in EW  # VE day moved the early May holiday
    assert all(d.weekday() < 5 for d in EW.days)  # substitute days, never a weekend


def test_friday_plus_one_is_monday():
    friday = date(2025, 10, 10)
    assert add_working_days(friday, 1, EW) == date(2025, 10, 13)
    assert working_days_between(friday, date(2025, 10, 13), EW) == 1
    assert working_days_between(friday, date(2025, 10, 11), EW) == 0  # Saturday
    assert add_working_days(friday, 5, EW) == date(2025, 10, 17)


def test_zero_days_is_the_start_itself():
    assert add_working_days(date(2025, 10, 11), 0, EW) == date(2025, 10, 11)
    assert working_days_between(date(2025, 10, 11), date(2025, 10, 11), EW) == 0


def test_weekend_start_counts_from_the_next_working_day():
    saturday = date(2025, 10, 11)
    assert add_working_days(saturday, 1, EW) == date(2025, 10, 13)
    assert add_working_days(date(2025, 10, 12), 10, EW) == date(2025, 10, 24)


def test_across_christmas_and_new_year():
    # 2025: Christmas Thursday, Boxing Day Friday, New Year's Day Thursday.
    assert add_working_days(date(2025, 12, 24), 1, EW) == date(2025, 12, 29)
    assert add_working_days(date(2025, 12, 19), 10, EW) == date(2026, 1, 7)
    assert working_days_between(date(2025, 12, 19), date(2026, 1, 7), EW) == 10
    # 2026: Christmas Friday, Boxing Day Saturday, so Monday 28 is the substitute day.
    assert add_working_days(date(2026, 12, 24), 1, EW) == date(2026, 12, 29)
    # 2027: both fall at the weekend; the substitutes are Monday 27 and Tuesday 28.
    assert add_working_days(date(2027, 12, 24), 1, EW) == date(2027, 12, 29)


def test_across_easter():
    # Easter 2025: Good Friday 18 April, Easter Monday 21 April.
    assert add_working_days(date(2025, 4, 17), 1, EW) == date(2025, 4, 22)
    assert working_days_between(date(2025, 4, 14), date(2025, 4, 25), EW) == 7
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
    assert add_working_days(date(2026, 4, 2), 1, EW) == date(2026, 4, 7)


def test_start_on_a_holiday():
    good_friday = date(2025, 4, 18)
    assert not is_working_day(good_friday, EW)
    assert add_working_days(good_friday, 1, EW) == date(2025, 4, 22)
    assert next_working_day(good_friday, EW) == date(2025, 4, 22)
    assert next_working_day(date(2025, 4, 22), EW) == date(2025, 4, 22)
    assert add_working_days(date(2025, 12, 25), 1, EW) == date(2025, 12, 29)


def test_without_holidays_only_weekends_are_skipped():
    assert add_working_days(date(2025, 12, 24), 1, NO_HOLIDAYS) == date(2025, 12, 25)
    assert working_days_between(date(2025, 12, 19), date(2026, 1, 6), NO_HOLIDAYS) == 12


def test_counting_backwards():
    monday = date(2025, 10, 13)
    assert add_working_days(monday, -1, EW) == date(2025, 10, 10)
    assert add_working_days(date(2025, 4, 22), -1, EW) == date(2025, 4, 17)  # back over Easter
    assert working_days_between(monday, date(2025, 10, 10), EW) == -1


def test_between_is_the_inverse_of_add():
    for start in (date(2025, 1, 1) + timedelta(days=i) for i in range(0, 400, 3)):
        for n in (0, 1, 3, 10, 15, 20, 28):
            end = add_working_days(start, n, EW)
            assert working_days_between(start, end, EW) == n
            assert is_working_day(end, EW) or n == 0
            # The closed-form count agrees with counting day by day.
            days = (end - start).days
            assert sum(1 for i in range(1, days + 1) if is_working_day(start + timedelta(days=i), EW)) == n


def test_absurd_counts_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2025, 1, 1), 10**6, EW)


def test_another_list_from_a_setting(app, tmp_path):
    scotland = {
        "division": "scotland",
        "events": [{"title": "2nd January", "date": "2026-01-02"}, {"title": "St Andrew's Day", "date": "2026-11-30"}],
    }
    path = tmp_path / "scotland.json"
    path.write_text(json.dumps(scotland), encoding="utf-8")
    with app.app_context():
        assert workdays.configured_holidays().division == "england-and-wales"
        app.config["BANK_HOLIDAYS_FILE"] = str(path)
        try:
            assert add_working_days(date(2026, 1, 1), 1) == date(2026, 1, 5)  # 1 and 2 January are holidays
            assert is_working_day(date(2026, 4, 6))  # Easter Monday is not a holiday in this list
        finally:
            app.config["BANK_HOLIDAYS_FILE"] = None


def test_whole_govuk_document_needs_a_division():
    document = {
        "england-and-wales": {"division": "england-and-wales", "events": [{"date": "2026-01-01"}]},
        "northern-ireland": {"division": "northern-ireland", "events": [{"date": "2026-03-17"}]},
    }
    assert parse_holidays(document, "northern-ireland").days == (date(2026, 3, 17),)
    with pytest.raises(BankHolidayError):
        parse_holidays(document)
    with pytest.raises(BankHolidayError):
        parse_holidays(document, "scotland")


def test_bad_files_fail_clearly(tmp_path):
    with pytest.raises(BankHolidayError):
        load_holidays(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(BankHolidayError):
        load_holidays(bad)
    with pytest.raises(BankHolidayError):
        parse_holidays({"events": [{"date": "31/12/2026"}]})
    with pytest.raises(BankHolidayError):
        parse_holidays(["2026-01-01"])
