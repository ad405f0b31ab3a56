"""Local time: moments are stored in UTC and entered and shown in the partnership's time zone.

The zone is setting ``TIMEZONE`` (default Europe/London, see :func:`periods.zone`).
A meeting entered at 10:00 during British Summer Time is stored as 09:00 UTC and
shown as 10:00 on every page and in every PDF.

Clock changes: on the spring-forward day a local time in the gap (01:30 in
Europe/London) never happens, and :func:`to_utc` refuses it with a message for
the person who typed it; on the autumn day a time in the overlap (01:30 happens
twice) is taken as its first occurrence, before the clocks go back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from .periods import zone

DATE_TIME = "%-d %b %Y %H:%M"


class NonexistentTime(ValueError):
    """A local time skipped when the clocks go forward; the message can be shown to the user."""


def to_local(moment: datetime, tz=None) -> datetime:
    """A stored moment (aware, or naive UTC) in the partnership's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(tz))


def to_utc(day: date, clock: time, tz=None) -> datetime:
    """The UTC moment of a local date and time (an overlap time is its first occurrence)."""
    local = zone(tz)
    wall = datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=local)
    moment = wall.astimezone(UTC)
    if moment.astimezone(local).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise NonexistentTime(
            f"The clocks go forward on {day.day} {day:%B %Y}, so {clock:%H:%M} does not exist that day: "
            "enter a time before or after the change"
        )
    return moment


def format_local(moment: datetime | None, fmt: str = DATE_TIME, tz=None) -> str:
    """Jinja filter ``local``: a stored moment as local time, for example "1 Dec 2026 10:00"."""
    if moment is None:
        return "—"
    return to_local(moment, tz).strftime(fmt)
