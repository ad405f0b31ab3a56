"""Reporting periods and their arithmetic, shared by every report (DESIGN §7).

A :class:`Period` is a run of whole LOCAL dates, both ends included. Reports
follow the partnership's local calendar (setting ``TIMEZONE``, default
Europe/London): a meeting at 00:30 BST on 1 April belongs to April, although it
is stored as 23:30 UTC on 31 March. :func:`utc_bounds` turns a period into the
half-open UTC range [start, end) to filter stored UTC timestamps with.

Kinds of period:

* calendar quarter: January to March, April to June, July to September,
  October to December;
* financial year: 1 April to 31 March, the UK public sector year set by
  HM Treasury (Managing Public Money; the government financial year of the
  Government Resources and Accounts Act 2000). "Financial year 2024 to 2025"
  starts on 1 April 2024;
* financial quarter: a quarter of a financial year (Q1 is April to June);
* calendar year: 1 January to 31 December;
* custom: any dates chosen by the user, at most :data:`MAX_CUSTOM_YEARS` years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/London"
# A custom period longer than this is refused: a report over decades is a mistake.
MAX_CUSTOM_YEARS = 5
# Years a period can start in: date arithmetic stays inside what ``date`` holds.
MIN_YEAR = 2
MAX_YEAR = 9998

CALENDAR_QUARTER = "calendar_quarter"
FINANCIAL_QUARTER = "financial_quarter"
FINANCIAL_YEAR = "financial_year"
CALENDAR_YEAR = "calendar_year"
CUSTOM = "custom"

KINDS: dict[str, str] = {
    CALENDAR_QUARTER: "Calendar quarter",
    FINANCIAL_QUARTER: "Financial quarter",
    FINANCIAL_YEAR: "Financial year (April to March)",
    CALENDAR_YEAR: "Calendar year",
    CUSTOM: "Custom dates",
}

QUARTER_NAMES = {1: "January to March", 2: "April to June", 3: "July to September", 4: "October to December"}
FINANCIAL_QUARTER_NAMES = {1: "April to June", 2: "July to September", 3: "October to December", 4: "January to March"}


class PeriodError(ValueError):
    """A period that cannot be reported on; the message can be shown to the user."""


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` to ``end``, both included, with a label for people.

    ``kind`` (one of :data:`KINDS`) says how the period was chosen, so that
    :func:`previous` can step back to the period of the same kind.
    """

    start: date
    end: date
    label: str
    kind: str = CUSTOM

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError("End date must be on or after the start date")

    @property
    def days(self) -> int:
        """How many days the period covers (both ends included)."""
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        return isinstance(day, date) and self.start <= day <= self.end

    def as_dict(self) -> dict[str, str]:
        """Plain values for an audit record or a URL."""
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}


def _check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"Year must be between {MIN_YEAR} and {MAX_YEAR}")
    return year


def _check_quarter(q: int) -> int:
    if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 4:
        raise PeriodError("Quarter must be 1, 2, 3 or 4")
    return q


def _month_end(year: int, month: int) -> date:
    """The last day of a month."""
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def calendar_quarter(year: int, q: int) -> Period:
    """Quarter ``q`` (1-4) of calendar year ``year``: Q1 is January to March."""
    _check_year(year)
    _check_quarter(q)
    first_month = 3 * (q - 1) + 1
    return Period(
        date(year, first_month, 1),
        _month_end(year, first_month + 2),
        f"{QUARTER_NAMES[q]} {year}",
        CALENDAR_QUARTER,
    )


def quarter_containing(day: date) -> Period:
    """The calendar quarter that ``day`` falls in."""
    return calendar_quarter(day.year, (day.month - 1) // 3 + 1)


def financial_year(start_year: int) -> Period:
    """The financial year starting on 1 April ``start_year`` and ending on 31 March the year after.

    HM Treasury's April-to-March year, used across the UK public sector; it is
    named "financial year 2024 to 2025" for ``start_year`` 2024.
    """
    _check_year(start_year)
    return Period(
        date(start_year, 4, 1),
        date(start_year + 1, 3, 31),
        f"Financial year {start_year} to {start_year + 1}",
        FINANCIAL_YEAR,
    )


def financial_year_containing(day: date) -> Period:
    """The April-to-March financial year that ``day`` falls in (1 April starts a new one)."""
    return financial_year(day.year if day.month >= 4 else day.year - 1)


def financial_quarter(start_year: int, q: int) -> Period:
    """Quarter ``q`` of the financial year starting in April ``start_year``.

    Q1 is April to June ``start_year``; Q4 is January to March of the year after.
    """
    _check_year(start_year)
    _check_quarter(q)
    year = start_year + (q == 4)
    first_month = (3 * q + 1) if q < 4 else 1
    return Period(
        date(year, first_month, 1),
        _month_end(year, first_month + 2),
        f"Q{q} {start_year} to {start_year + 1} ({FINANCIAL_QUARTER_NAMES[q]} {year})",
        FINANCIAL_QUARTER,
    )


def calendar_year(year: int) -> Period:
    """1 January to 31 December ``year``."""
    _check_year(year)
    return Period(date(year, 1, 1), date(year, 12, 31), str(year), CALENDAR_YEAR)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (earlier if negative).

    A day the target month lacks becomes that month's last day: 29 February 2024
    plus 12 months is 28 February 2025, and 31 January plus one month is the last
    day of February. Raises :class:`PeriodError` outside the years ``date`` holds.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise PeriodError("The date is outside the calendar")
    return date(year, month + 1, min(day.day, _month_end(year, month + 1).day))


def _add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)


def custom(start: date, end: date) -> Period:
    """Any run of dates, both ends included, at most :data:`MAX_CUSTOM_YEARS` years long."""
    if end < start:
        raise PeriodError("End date must be on or after the start date")
    _check_year(start.year)
    _check_year(end.year)
    if end >= _add_years(start, MAX_CUSTOM_YEARS):
        raise PeriodError(f"The period must be {MAX_CUSTOM_YEARS} years or shorter")
    return Period(start, end, f"{_long_date(start)} to {_long_date(end)}", CUSTOM)


def is_whole_months(start: date, end: date) -> bool:
    """Whether ``start`` to ``end`` is a run of whole calendar months (from a 1st to a month's last day)."""
    return start.day == 1 and end == _month_end(end.year, end.month)


def _months_before(period: Period) -> Period:
    """As many whole months as ``period`` covers, ending the day before it starts."""
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1
    first = period.start.year * 12 + period.start.month - 1 - months
    if first // 12 < MIN_YEAR:
        raise PeriodError("There is no earlier period")
    start = date(first // 12, first % 12 + 1, 1)
    end = period.start - timedelta(days=1)
    return Period(start, end, f"{_long_date(start)} to {_long_date(end)}", CUSTOM)


def previous(period: Period) -> Period:
    """The period of the same kind immediately before ``period``.

    Quarter on quarter for quarters, year on year for years. A custom period of
    whole months gives as many whole months before it (February 2025 gives January
    2025); any other custom period the same number of days ending the day before it starts.
    """
    try:
        if period.kind == CALENDAR_QUARTER:
            return quarter_containing(period.start - timedelta(days=1))
        if period.kind == FINANCIAL_QUARTER:
            before = period.start - timedelta(days=1)
            fy = financial_year_containing(before)
            return financial_quarter(fy.start.year, (before.month - 4) % 12 // 3 + 1)
        if period.kind == FINANCIAL_YEAR:
            return financial_year(period.start.year - 1)
        if period.kind == CALENDAR_YEAR:
            return calendar_year(period.start.year - 1)
        if is_whole_months(period.start, period.end):
            return _months_before(period)
        end = period.end - timedelta(days=period.days)
        start = period.start - timedelta(days=period.days)
    except OverflowError:
        raise PeriodError("There is no earlier period") from None
    if start.year < MIN_YEAR:
        raise PeriodError("There is no earlier period")
    return Period(start, end, f"{_long_date(start)} to {_long_date(end)}", CUSTOM)


def zone(tz: str | ZoneInfo | None = None) -> ZoneInfo:
    """The partnership's time zone: ``tz`` if given, else setting ``TIMEZONE`` (default Europe/London)."""
    if isinstance(tz, ZoneInfo):
        return tz
    if tz is None:
        from flask import current_app, has_app_context

        tz = current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"Unknown time zone {tz!r}") from exc


def local_today(tz: str | ZoneInfo | None = None) -> date:
    """Today's date in the partnership's time zone (not the server's)."""
    return datetime.now(zone(tz)).date()


def local_date(moment: datetime, tz: str | ZoneInfo | None = None) -> date:
    """The local date of a stored UTC moment."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(tz)).date()


def utc_bounds(period: Period, tz: str | ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """The UTC moments [start, end) covering the period's local dates.

    ``start`` is local midnight at the start of ``period.start`` and ``end`` is
    local midnight at the start of the day after ``period.end``, both converted
    to UTC: filter with ``start <= moment < end``. In Europe/London a summer
    (BST) date starts at 23:00 UTC the day before; a winter (GMT) date at 00:00 UTC.
    """
    local = zone(tz)
    lo = datetime.combine(period.start, time.min, tzinfo=local)
    hi = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=local)
    return lo.astimezone(UTC), hi.astimezone(UTC)
