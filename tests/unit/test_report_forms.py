"""The report period form: every input gives a period or a GOV.UK error, never an exception."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from casework.core import periods
from casework.core.report_forms import PeriodForm, default_args, period_args


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _form(today=date(2025, 5, 20), **args):
    return PeriodForm.from_args(MultiDict(args), today=today)


def test_defaults_to_the_current_quarter(ctx):
    form = _form()
    assert form.validate()
    assert form.period() == periods.calendar_quarter(2025, 2)
    assert form.query_args() == {"kind": "calendar_quarter", "year": "2025", "quarter": "2"}


def test_default_follows_the_first_kind_offered(ctx):
    form = PeriodForm.from_args(MultiDict(), kinds=("financial_year", "custom"), today=date(2025, 3, 31))
    assert form.validate() and form.period() == periods.financial_year(2024)
    assert [c.value for c in form.kind.choices] == ["financial_year", "custom"]
    refused = PeriodForm.from_args(MultiDict({"kind": "calendar_year", "year": "2025"}), kinds=("financial_year",))
    assert not refused.validate() and refused.kind.errors == ["Select a period"]
    custom = PeriodForm.from_args(MultiDict(), kinds=("custom",), today=date(2025, 5, 20))
    assert custom.validate() and (custom.period().start, custom.period().end) == (date(2025, 4, 1), date(2025, 6, 30))


def test_year_and_quarter_without_a_kind_is_a_calendar_quarter(ctx):
    form = _form(year="2024", quarter="4")
    assert form.validate() and form.period() == periods.calendar_quarter(2024, 4)


def test_dates_without_a_kind_are_custom(ctx):
    form = _form(start="2025-01-01", end="2025-01-31")
    assert form.validate() and form.period().kind == "custom"


def test_each_kind(ctx):
    cases = {
        ("financial_year", "2024"): periods.financial_year(2024),
        ("calendar_year", "2024"): periods.calendar_year(2024),
    }
    for (kind, year), expected in cases.items():
        form = _form(kind=kind, year=year)
        assert form.validate(), form.errors
        assert form.period() == expected
        assert PeriodForm.from_args(MultiDict(form.query_args())).validate()
    form = _form(kind="custom", start="2024-02-29", end="2024-03-01", year="nonsense")
    assert form.validate(), form.errors  # the year is not used for custom dates
    assert (form.period().start, form.period().end) == (date(2024, 2, 29), date(2024, 3, 1))
    assert form.query_args() == {"kind": "custom", "start": "2024-02-29", "end": "2024-03-01"}


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"kind": "calendar_quarter", "year": "", "quarter": "1"}, "year", "Enter a year"),
        ({"kind": "financial_year", "year": "  "}, "year", "Enter a year"),
        ({"kind": "calendar_year", "year": "twenty"}, "year", "Enter the year as 4 numbers, for example 2025"),
        ({"kind": "calendar_year", "year": "-2025"}, "year", "Enter the year as 4 numbers, for example 2025"),
        ({"kind": "calendar_year", "year": "２０２５"}, "year", "Enter the year as 4 numbers, for example 2025"),
        ({"kind": "calendar_year", "year": "9" * 5000}, "year", "Year must be between 2000 and 2100"),
        ({"kind": "calendar_year", "year": "1999"}, "year", "Year must be between 2000 and 2100"),
        ({"kind": "calendar_quarter", "year": "2025", "quarter": "5"}, "quarter", "Select a quarter"),
        ({"kind": "calendar_quarter", "year": "2025", "quarter": ""}, "quarter", "Select a quarter"),
        ({"kind": "fortnight", "year": "2025"}, "kind", "Select a period"),
        ({"kind": "custom", "end": "2025-01-01"}, "start", "Enter a start date"),
        ({"kind": "custom", "start": "2025-01-01"}, "end", "Enter an end date"),
        ({"kind": "custom", "start": "2025-02-30", "end": "2025-03-01"}, "start", "Start date must be a real date"),
        ({"kind": "custom", "start": "1900-01-01", "end": "1900-01-02"}, "start", "Start date must be between"),
        (
            {"kind": "custom", "start": "2025-03-02", "end": "2025-03-01"},
            "end",
            "End date must be on or after the start date",
        ),
        ({"kind": "custom", "start": "2019-01-01", "end": "2025-01-01"}, "end", "The period must be 5 years"),
    ],
)
def test_errors_use_govuk_wording(ctx, args, field, message):
    form = _form(**args)
    assert not form.validate()
    assert any(m.startswith(message) for m in form[field].errors), form.errors
    with pytest.raises(RuntimeError):
        form.period()


def test_period_args_round_trip(ctx):
    for period in (
        periods.calendar_quarter(2025, 1),
        periods.financial_year(2030),
        periods.calendar_year(2001),
        periods.custom(date(2025, 1, 1), date(2025, 2, 1)),
    ):
        form = PeriodForm.from_args(MultiDict(period_args(period)))
        assert form.validate() and form.period() == period
    assert default_args("calendar_year", date(2025, 1, 1)) == {"kind": "calendar_year", "year": "2025"}


def test_an_unknown_time_zone_stops_the_application(tmp_path):
    from casework import create_app

    with pytest.raises(RuntimeError, match="not a time zone name"):
        create_app(
            "testing",
            {"TIMEZONE": "Europe/Atlantis", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/tz.db"},
        )
