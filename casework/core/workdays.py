"""Working-day arithmetic: weekends and the partnership's bank holidays are skipped.

Statutory and local timescales are often set in working days (for example "acknowledge
within 10 working days"). A working day is Monday to Friday and not a bank holiday of
the partnership's nation. The holidays come from a JSON file in the GOV.UK format
(``{"division": ..., "events": [{"title": ..., "date": "YYYY-MM-DD"}, ...]}``, or the
whole GOV.UK ``bank-holidays.json`` with a ``BANK_HOLIDAYS_DIVISION`` chosen). The
shipped file covers England and Wales (``data/bank_holidays_england_and_wales.json``,
source noted inside); the ``BANK_HOLIDAYS_FILE`` setting points at another list, for
Scotland or Northern Ireland.

Counting rule: the start day itself is never counted, and each later working day counts
one. So Friday plus 1 working day is Monday, and a start on a Saturday or a holiday
plus 1 working day is the next working day. :func:`working_days_between` is the inverse
of :func:`add_working_days` for counts forward: ``working_days_between(d, add_working_days(d, n)) == n``
for every ``n >= 0``.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

DEFAULT_FILE = Path(__file__).parent / "data" / "bank_holidays_england_and_wales.json"
# A count larger than this is a mistake (over 20 years of working days), not a timescale.
MAX_WORKING_DAYS = 5000


class BankHolidayError(ValueError):
    """The bank-holiday file is missing, unreadable or not in the expected format."""


@dataclass(frozen=True)
class Holidays:
    """A sorted list of bank holidays and the years it covers."""

    days: tuple[date, ...]
    division: str = ""

    @property
    def first_year(self) -> int | None:
        return self.days[0].year if self.days else None

    @property
    def last_year(self) -> int | None:
        return self.days[-1].year if self.days else None

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls in a year the list covers (later years may lack holidays)."""
        return bool(self.days) and self.days[0].year <= day.year <= self.days[-1].year

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        i = bisect.bisect_left(self.days, day)
        return i < len(self.days) and self.days[i] == day

    def count_in(self, start: date, end: date) -> int:
        """Holidays falling on a weekday in ``(start, end]``."""
        lo = bisect.bisect_right(self.days, start)
        hi = bisect.bisect_right(self.days, end)
        return sum(1 for d in self.days[lo:hi] if d.weekday() < 5)


NO_HOLIDAYS = Holidays(())


def parse_holidays(document: object, division: str | None = None) -> Holidays:
    """Read a GOV.UK-format document: one division, or the whole file with ``division`` chosen."""
    if not isinstance(document, dict):
        raise BankHolidayError("The bank-holiday file must hold a JSON object.")
    if "events" not in document:
        if not division:
            raise BankHolidayError("The bank-holiday file holds several divisions: set BANK_HOLIDAYS_DIVISION.")
        if division not in document:
            raise BankHolidayError(f"The bank-holiday file has no division {division!r}.")
        document = document[division]
        if not isinstance(document, dict) or "events" not in document:
            raise BankHolidayError(f"Division {division!r} has no events.")
    events = document["events"]
    if not isinstance(events, list):
        raise BankHolidayError("The bank holidays' events must be a list.")
    days: set[date] = set()
    for event in events:
        try:
            days.add(date.fromisoformat(event["date"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise BankHolidayError(f"A bank holiday has no valid date: {event!r}") from exc
    return Holidays(tuple(sorted(days)), str(document.get("division", division or "")))


@lru_cache(maxsize=8)
def _load(path: str, division: str | None, mtime: float) -> Holidays:
    try:
        with open(path, encoding="utf-8") as fh:
            document = json.load(fh)
    except (OSError, ValueError) as exc:
        raise BankHolidayError(f"Cannot read the bank-holiday file {path}: {exc}") from exc
    return parse_holidays(document, division)


def load_holidays(path: str | Path | None = None, division: str | None = None) -> Holidays:
    """The holidays in ``path`` (default: England and Wales, shipped). Cached until the file changes."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise BankHolidayError(f"Cannot read the bank-holiday file {path}: {exc}") from exc
    return _load(str(path), division or None, mtime)


def configured_holidays() -> Holidays:
    """The partnership's holidays: settings ``BANK_HOLIDAYS_FILE`` and ``BANK_HOLIDAYS_DIVISION``."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return load_holidays()
    config = current_app.config
    return load_holidays(config.get("BANK_HOLIDAYS_FILE"), config.get("BANK_HOLIDAYS_DIVISION"))


def _holidays(holidays: Holidays | None) -> Holidays:
    return configured_holidays() if holidays is None else holidays


def is_working_day(day: date, holidays: Holidays | None = None) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < 5 and day not in _holidays(holidays)


def add_working_days(start: date, n: int, holidays: Holidays | None = None) -> date:
    """The day ``n`` working days after ``start`` (before it when ``n`` is negative).

    ``start`` is not counted, so Friday + 1 is Monday; ``n == 0`` returns ``start``.
    """
    if abs(n) > MAX_WORKING_DAYS:
        raise ValueError(f"at most {MAX_WORKING_DAYS} working days")
    hols = _holidays(holidays)
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    day = start
    while remaining:
        day += step
        if day.weekday() < 5 and day not in hols:
            remaining -= 1
    return day


def _weekdays_after(start: date, end: date) -> int:
    """Weekdays (Monday to Friday) in ``(start, end]`` for ``start <= end``, in constant time."""
    days = (end - start).days
    weeks, extra = divmod(days, 7)
    count = weeks * 5
    wd = start.weekday()
    for i in range(1, extra + 1):
        if (wd + i) % 7 < 5:
            count += 1
    return count


def working_days_between(start: date, end: date, holidays: Holidays | None = None) -> int:
    """Working days in ``(start, end]``; negative when ``end`` is before ``start``.

    A countdown: ``working_days_between(today, deadline)`` is the working days left
    (0 on the deadline itself, negative once it has passed).
    """
    if end < start:
        return -working_days_between(end, start, holidays)
    hols = _holidays(holidays)
    return _weekdays_after(start, end) - hols.count_in(start, end)


def next_working_day(day: date, holidays: Holidays | None = None) -> date:
    """``day`` itself when it is a working day, otherwise the next one."""
    hols = _holidays(holidays)
    while not is_working_day(day, hols):
        day += timedelta(days=1)
    return day
