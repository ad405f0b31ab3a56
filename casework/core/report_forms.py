"""The period picker every report page uses: read from the query string, never a 500.

A report page builds :class:`PeriodForm` with :meth:`PeriodForm.from_args`;
with no period in the query string it shows the current calendar quarter (in
the partnership's time zone). Every malformed value (a word for a year, a huge
number, an impossible date, a period ending before it starts) is a form error
with GOV.UK wording, shown in the error summary, and the page answers 400.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectField
from wtforms.validators import Optional
from wtforms.widgets import TextInput

from . import periods
from .forms import UKDateField, choices

FORM_MIN_YEAR = 2000
FORM_MAX_YEAR = 2100
YEAR_KINDS = (periods.CALENDAR_QUARTER, periods.FINANCIAL_YEAR, periods.CALENDAR_YEAR)
DEFAULT_KINDS = (periods.CALENDAR_QUARTER, periods.FINANCIAL_YEAR, periods.CALENDAR_YEAR, periods.CUSTOM)
PERIOD_KEYS = ("kind", "year", "quarter", "start", "end")


class YearField(IntegerField):
    """A year typed as digits; anything else is a clear error, and a huge number never reaches ``int``.

    Shown as a text box with a numeric keyboard, as GOV.UK advises for numbers.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "spellcheck": "false"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not raw:
            return
        if not (raw.isascii() and raw.isdigit()):
            raise ValueError("Enter the year as 4 numbers, for example 2025")
        if len(raw) > 4:
            raise ValueError(f"Year must be between {FORM_MIN_YEAR} and {FORM_MAX_YEAR}")
        self.data = int(raw)


class PeriodForm(FlaskForm):
    """Kind of period, then a year and quarter, or custom start and end dates (GET, no CSRF)."""

    class Meta:
        csrf = False

    kind = SelectField("Period", choices=choices(periods.KINDS), validate_choice=False)
    year = YearField(
        "Year",
        description="For a financial year, the year it starts: 2024 means 1 April 2024 to 31 March 2025",
    )
    quarter = SelectField(
        "Quarter",
        choices=choices({str(q): name for q, name in periods.QUARTER_NAMES.items()}),
        validate_choice=False,
        description="For a calendar quarter",
    )
    start = UKDateField("Start date", validators=[Optional()], description="For custom dates only")
    end = UKDateField("End date", validators=[Optional()], description="For custom dates only")

    def __init__(self, formdata=None, *, kinds: Iterable[str] = DEFAULT_KINDS, whole_months: bool = False, **kwargs):
        super().__init__(formdata, **kwargs)
        self.kinds = tuple(kinds)
        # Custom dates as whole months only (``reporting.whole_months_only``).
        self.whole_months = whole_months
        if whole_months:
            self.start.description = "For custom dates only: the first day of a month, for example 1 January 2025"
            self.end.description = "For custom dates only: the last day of a month, for example 31 March 2025"
        unknown = set(self.kinds) - set(DEFAULT_KINDS)
        if unknown:
            raise ValueError(f"the period form does not offer {sorted(unknown)}")
        self.kind.choices = choices({k: periods.KINDS[k] for k in self.kinds})
        for name in ("kind", "year", "quarter"):
            self[name].flags.required = True
        self._period: periods.Period | None = None

    @classmethod
    def from_args(
        cls,
        args: Mapping[str, str],
        *,
        kinds: Iterable[str] = DEFAULT_KINDS,
        today: date | None = None,
        whole_months: bool = False,
    ) -> PeriodForm:
        """The form for a query string; with no period in it, the current period of the first kind."""
        kinds = tuple(kinds)
        data = MultiDict(args)
        if not any(data.get(key) for key in PERIOD_KEYS):
            for key, value in default_args(kinds[0], today or periods.local_today()).items():
                data[key] = value
        elif not data.get("kind"):
            dates_only = (data.get("start") or data.get("end")) and not data.get("year")
            data["kind"] = periods.CUSTOM if dates_only and periods.CUSTOM in kinds else kinds[0]
        return cls(data, kinds=kinds, whole_months=whole_months)

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        self._period = None
        kind = self.kind.data
        if kind not in self.kinds:
            self.kind.errors = ["Select a period"]
            return False
        if kind == periods.CUSTOM:
            self.year.errors = []
            self.quarter.errors = []
            self._check_custom()
        else:
            self.start.errors = []
            self.end.errors = []
            self._check_year()
            if kind == periods.CALENDAR_QUARTER and self.quarter.data not in {"1", "2", "3", "4"}:
                self.quarter.errors = ["Select a quarter"]
        if any(f.errors for f in self):
            return False
        self._period = self._build()
        return True

    def _check_year(self) -> None:
        if self.year.errors:
            return
        if self.year.data is None:
            self.year.errors = ["Enter a year"]
        elif not FORM_MIN_YEAR <= self.year.data <= FORM_MAX_YEAR:
            self.year.errors = [f"Year must be between {FORM_MIN_YEAR} and {FORM_MAX_YEAR}"]

    def _check_custom(self) -> None:
        for field, name in ((self.start, "start"), (self.end, "end")):
            if field.errors:
                continue
            if field.data is None:
                field.errors = [f"Enter {'a' if name == 'start' else 'an'} {name} date"]
            elif not FORM_MIN_YEAR <= field.data.year <= FORM_MAX_YEAR:
                field.errors = [
                    f"{name.capitalize()} date must be between 1 January {FORM_MIN_YEAR} "
                    f"and 31 December {FORM_MAX_YEAR}"
                ]
        if self.start.errors or self.end.errors:
            return
        try:
            periods.custom(self.start.data, self.end.data)
        except periods.PeriodError as exc:
            self.end.errors = [str(exc)]
            return
        if self.whole_months:
            if self.start.data.day != 1:
                self.start.errors = ["Start date must be the first day of a month, for example 1 January 2025"]
            if not periods.is_whole_months(self.end.data.replace(day=1), self.end.data):
                self.end.errors = ["End date must be the last day of a month, for example 31 March 2025"]

    def _build(self) -> periods.Period:
        kind = self.kind.data
        if kind == periods.CALENDAR_QUARTER:
            return periods.calendar_quarter(self.year.data, int(self.quarter.data))
        if kind == periods.FINANCIAL_YEAR:
            return periods.financial_year(self.year.data)
        if kind == periods.CALENDAR_YEAR:
            return periods.calendar_year(self.year.data)
        return periods.custom(self.start.data, self.end.data)

    def period(self) -> periods.Period:
        """The chosen period; only after :meth:`validate` returned True."""
        if self._period is None:
            raise RuntimeError("the period form has not been validated")
        return self._period

    def query_args(self) -> dict[str, str]:
        """The query string that chooses this period again (for download links)."""
        return period_args(self.period())


def default_args(kind: str, today: date) -> dict[str, str]:
    """Query values choosing the period of ``kind`` that contains ``today``."""
    if kind == periods.FINANCIAL_YEAR:
        return period_args(periods.financial_year_containing(today))
    if kind == periods.CALENDAR_YEAR:
        return period_args(periods.calendar_year(today.year))
    if kind == periods.CUSTOM:
        quarter = periods.quarter_containing(today)
        return period_args(periods.custom(quarter.start, quarter.end))
    return period_args(periods.quarter_containing(today))


def period_args(period: periods.Period) -> dict[str, str]:
    """Query values that choose ``period`` in a :class:`PeriodForm`."""
    if period.kind == periods.CALENDAR_QUARTER:
        return {"kind": period.kind, "year": str(period.start.year), "quarter": str((period.start.month - 1) // 3 + 1)}
    if period.kind in (periods.FINANCIAL_YEAR, periods.CALENDAR_YEAR):
        return {"kind": period.kind, "year": str(period.start.year)}
    return {"kind": periods.CUSTOM, "start": period.start.isoformat(), "end": period.end.isoformat()}
