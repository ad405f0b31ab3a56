"""Aggregate reports on the reports hub: figures, period comparison, disclosure and charts.

A module's report (``modules.Report``) builds a list of :class:`Figure` for a period;
everything else is done here, the same way for every report:

* **comparison**: each figure beside the same figure for the period before
  (quarter on quarter, year on year: ``periods.previous``). The **percentage change**
  is worked out from the two counts, (this − before) / before × 100 to one decimal;
  it is undefined when the earlier count is 0 (shown as "no earlier figure"), and it
  is given for counts only (a rate or a percentage is compared by its own values).
* **disclosure control**: counts from 1 to ``SMALL_NUMBER_THRESHOLD`` − 1 become
  "<5" (``exports.suppress_small``) in every download and, for users without the
  report's exact capability, on screen. A figure derived from a suppressed count is
  suppressed with it, and so is the change between two periods when either side is.
  A total of a group of counts (``total_of``) is shown as "5 or more" when a count
  in its group is suppressed, so the suppressed count cannot be worked out as the
  total less the others.
* **chart**: the figures marked ``chart`` as horizontal bars, this period beside the
  period before, drawn on the server as SVG (no script, no inline style: the page's
  Content Security Policy allows neither). A suppressed figure is drawn as no bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .exports import suppress_small
from .periods import Period

UNIT_NAMES = {"count": "count", "percent": "percent", "rate": "per 10,000", "number": "number"}

Value = int | float | Decimal | str | None


@dataclass(frozen=True)
class Figure:
    """One figure of a report.

    ``unit``: count, percent, rate (per 10,000) or number (a derived quantity such as
    a weighted baseline). ``basis`` is the count of people a derived figure rests on, so
    it is suppressed when that count is small. ``group`` names the table the figure is
    shown in ("" for the main one); ``chart`` puts it on the bar chart. ``total_of`` names
    the groups (or the labels of figures) whose counts this figure adds up.
    """

    label: str
    value: int | float | Decimal | None
    unit: str = "count"
    basis: int | None = None
    group: str = ""
    chart: bool = False
    total_of: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.label)

    @property
    def full_label(self) -> str:
        return f"{self.group}: {self.label}" if self.group else self.label


def disclose(figure: Figure | None, threshold: int | None) -> Value:
    """The figure as it may be shown: exact when ``threshold`` is None, else small counts suppressed."""
    if figure is None:
        return None
    if threshold is None:
        return figure.value
    return suppress_small(figure.value, threshold, basis=figure.basis)


def percent_change(now: Value, before: Value) -> Decimal | None:
    """(now − before) / before × 100 to one decimal; None when either is missing or not a
    number (suppressed) or ``before`` is 0 (no earlier figure to compare with)."""
    if not _number(now) or not _number(before) or before == 0:
        return None
    change = (Decimal(str(now)) - Decimal(str(before))) * 100 / Decimal(str(before))
    return change.quantize(Decimal("0.1"))


def _number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@dataclass(frozen=True)
class Row:
    """A figure beside the one for the period before, as disclosed to the reader."""

    figure: Figure
    value: Value
    before: Value
    change: Decimal | None
    compared: bool  # the period before has this figure at all


def compare(figures: Sequence[Figure], earlier: Sequence[Figure] | None, threshold: int | None) -> list[Row]:
    """Each figure with its earlier value and the percentage change (counts only), both
    computed from the values as disclosed, so a suppressed count never yields a change."""
    before = {f.key: f for f in earlier} if earlier is not None else {}
    rows = []
    for figure in figures:
        old = before.get(figure.key)
        value = disclose(figure, threshold)
        old_value = disclose(old, threshold) if old is not None else (0 if earlier is not None else None)
        if old is None and earlier is not None and figure.unit != "count":
            old_value = None
        change = percent_change(value, old_value) if figure.unit == "count" else None
        rows.append(Row(figure, value, old_value, change, old is not None))
    return _protect_totals(rows, threshold)


def _protect_totals(rows: list[Row], threshold: int | None) -> list[Row]:
    """A total with a suppressed count among its parts becomes "5 or more" (it is at least
    the threshold, or it would be suppressed itself), in each period separately: the total
    less the other counts would give the suppressed one away."""
    if threshold is None:
        return rows
    hidden_now = {k for r in rows if isinstance(r.value, str) for k in (r.figure.group, r.figure.label)}
    hidden_before = {k for r in rows if isinstance(r.before, str) for k in (r.figure.group, r.figure.label)}
    out = []
    for r in rows:
        parts = set(r.figure.total_of)
        now, before = bool(parts & hidden_now), bool(parts & hidden_before)
        if now or before:
            r = Row(
                r.figure,
                f"{threshold} or more" if now and _number(r.value) else r.value,
                f"{threshold} or more" if before and _number(r.before) else r.before,
                None,
                r.compared,
            )
        out.append(r)
    return out


def groups(rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """Rows by table, in the order the report gave them."""
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row.figure.group, []).append(row)
    return list(out.items())


def export_headers() -> tuple[str, ...]:
    return (
        "Period start",
        "Period end",
        "Measure",
        "Value",
        "Unit",
        "Period before",
        "Value in the period before",
        "Change (%)",
    )


def export_rows(period: Period, earlier: Period | None, rows: Sequence[Row]) -> list[tuple]:
    """One figure a row, one value a cell (a number, empty, or "<5")."""
    label = earlier.label if earlier else ""
    return [
        (
            period.start,
            period.end,
            r.figure.full_label,
            r.value,
            UNIT_NAMES.get(r.figure.unit, r.figure.unit),
            label,
            r.before,
            r.change,
        )
        for r in rows
    ]


# --- the chart ---------------------------------------------------------------------------

CHART_WIDTH = 640
LABEL_WIDTH = 250
BAR_HEIGHT = 12
ROW_GAP = 10


@dataclass(frozen=True)
class Bar:
    y: int
    width: int
    text: str


@dataclass(frozen=True)
class ChartRow:
    label: str
    y: int
    now: Bar
    before: Bar | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    rows: list[ChartRow]
    period_label: str
    earlier_label: str | None


def chart(rows: Sequence[Row], period: Period, earlier: Period | None, fmt: Callable[[Value], str]) -> Chart | None:
    """Bar geometry for the figures marked ``chart`` (None when there are none). Bars are
    scaled to the largest number shown; a suppressed or missing value has no bar."""
    wanted = [r for r in rows if r.figure.chart]
    if not wanted:
        return None
    numbers = [v for r in wanted for v in (r.value, r.before) if _number(v)]
    top = max([float(v) for v in numbers] + [1.0])
    span = CHART_WIDTH - LABEL_WIDTH - 60
    pair = 2 if earlier is not None else 1
    step = pair * BAR_HEIGHT + ROW_GAP

    def bar(value: Value, y: int) -> Bar:
        width = round(span * float(value) / top) if _number(value) else 0
        return Bar(y, max(width, 0), fmt(value))

    out = []
    for i, r in enumerate(wanted):
        y = 30 + i * step
        out.append(
            ChartRow(
                r.figure.full_label, y, bar(r.value, y), bar(r.before, y + BAR_HEIGHT) if earlier is not None else None
            )
        )
    return Chart(
        CHART_WIDTH,
        30 + len(wanted) * step + 10,
        LABEL_WIDTH,
        BAR_HEIGHT,
        out,
        period.label,
        earlier.label if earlier else None,
    )


def format_value(value: Value, unit: str = "count") -> str:
    """A figure as text for the page: "no data" when it cannot be worked out."""
    if value is None:
        return "no data"
    if isinstance(value, str):
        return value
    if unit == "percent":
        return f"{value}%"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_change(change: Decimal | None) -> str:
    if change is None:
        return "–"
    sign = "+" if change > 0 else ""
    return f"{sign}{change}%"


def stem(prefix: str, period: Period) -> str:
    """A download's file name for a period: ``prefix-2025-Q1``, ``prefix-fy-2024-25``…"""
    if period.kind == "calendar_quarter":
        return f"{prefix}-{period.start:%Y}-Q{(period.start.month - 1) // 3 + 1}"
    if period.kind == "financial_year":
        return f"{prefix}-fy-{period.start:%Y}-{period.end:%y}"
    if period.kind == "calendar_year":
        return f"{prefix}-{period.start:%Y}"
    return f"{prefix}-{_iso(period.start)}-to-{_iso(period.end)}"


def _iso(day: date) -> str:
    return day.isoformat()
