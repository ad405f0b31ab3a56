"""Aggregate reports on the reports hub: figures, period comparison, disclosure and charts.

A module's report (``modules.Report``) builds a list of :class:`Figure` for a period;
everything else is done here, the same way for every report:

* **who sees exact figures** (:func:`sees_exact`, the one rule): a user holding the
  ``<case kind>.case.view_all`` capability of the report's module sees exact figures, on
  screen and in every download. They already see every case the figures count (a MARAC
  coordinator, who must send SafeLives the exact return; an IOM manager), so an exact count
  tells them nothing new. Everyone else (an analyst, who sees aggregates only; an ASB
  officer, who sees only their agency's cases) sees the figures with disclosure control,
  on screen and in every download alike. A user who sees exact figures can also ask for
  the figures as published (``figures=published``), exactly what everyone else sees, to
  share outside the partnership.
* **comparison**: each figure beside the same figure for the period before
  (quarter on quarter, year on year: ``periods.previous``). The **percentage change**
  is worked out from the two counts, (this − before) / before × 100 to one decimal;
  it is undefined when the earlier count is 0 (shown as "no earlier figure"), and it
  is given for counts only (a rate or a percentage is compared by its own values).
* **disclosure control** (:func:`protect`), for each period separately:

  - a count from 1 to ``SMALL_NUMBER_THRESHOLD`` − 1 becomes "<5"
    (``exports.suppress_small``); so does a figure whose ``basis`` (the count of people
    it rests on) is one;
  - a total (``total_of``) with a hidden figure among its parts is shown as "5 or more"
    when it is a count (it is at least the threshold, or it would be "<5" itself), else
    "withheld": the total less the other parts would give the hidden one away. A total
    broken down two ways (IOM offenders by category and by strand) keeps the first
    breakdown with a hidden part and withholds the others whole, since the other
    breakdown would add up to the total again;
  - a figure worked out from others (``derived_from``: a percentage, a rate, a
    difference) is "withheld" when any of them is hidden, since it could be worked back;
  - these rules repeat until nothing more is hidden (a total hidden makes the
    percentage of it hidden, and so on);
  - the change between two periods is given only when both values are shown as numbers.

  So no published figure, nor any sum, difference or ratio of them, gives away a count
  that is suppressed. Modules declare what each figure is made of; core names no module.
* **periods**: whoever sees figures with disclosure control (on screen, in a download,
  or as published) may choose custom dates only as whole months (from the 1st of a month to
  the last day of a month), so two overlapping custom periods cannot be differenced
  to isolate a few days. Quarters and years are whole months already.
* **chart**: the figures marked ``chart`` as horizontal bars, this period beside the
  period before, drawn on the server as SVG (no script, no inline style: the page's
  Content Security Policy allows neither). A hidden figure is drawn as no bar.
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

# What a reader without exact figures sees in place of a figure that could give a
# suppressed count away (GOV.UK statistics: say that a figure is withheld, not why in code).
WITHHELD = "withheld"


def exact_capability(case_kind: str) -> str:
    """The capability that shows a module's report figures exactly: seeing every case of its kind."""
    return f"{case_kind}.case.view_all"


def sees_exact(user, case_kind: str) -> bool:
    """Whether ``user`` sees exact figures in the reports of the module of ``case_kind``
    (the rule in the module docstring), on screen and in downloads alike."""
    return bool(user.can(exact_capability(case_kind)))


@dataclass(frozen=True)
class Figure:
    """One figure of a report.

    ``unit``: count, percent, rate (per 10,000) or number (a derived quantity such as
    a weighted baseline). ``basis`` is the count of people a derived figure rests on, so
    it is suppressed when that count is small. ``group`` names the table the figure is
    shown in ("" for the main one); ``chart`` puts it on the bar chart.

    What the figure is made of, for disclosure control (:func:`protect`):

    * ``total_of``: the breakdowns this figure is the total of, each a group name (every
      figure of the group) or a tuple of figures' full labels ("group: label"). List two
      breakdowns only when they cut across each other (by category and by strand); a
      coarser breakdown nested in a finer one is declared by its own subtotals
      (police referrals are the total of the police agencies).
    * ``derived_from``: group names or full labels of the figures this one is worked out
      from (the counts of a percentage or a rate, the two sides of a difference).
    """

    label: str
    value: int | float | Decimal | None
    unit: str = "count"
    basis: int | None = None
    group: str = ""
    chart: bool = False
    total_of: tuple[str | tuple[str, ...], ...] = ()
    derived_from: tuple[str, ...] = ()

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
    """Each figure with its earlier value and the percentage change (counts only), each
    period disclosed by :func:`protect`, the change computed from the values as disclosed,
    so a hidden figure never yields a change."""
    now = protect(figures, threshold)
    then = protect(earlier, threshold) if earlier is not None else {}
    rows = []
    for figure in figures:
        compared = figure.key in then
        if compared:
            old_value = then[figure.key]
        elif earlier is not None and figure.unit == "count":
            old_value = 0  # a count the period before does not have at all was 0 then
        else:
            old_value = None
        value = now[figure.key]
        change = percent_change(value, old_value) if figure.unit == "count" else None
        rows.append(Row(figure, value, old_value, change, compared))
    return rows


def protect(figures: Sequence[Figure], threshold: int | None) -> dict[tuple[str, str], Value]:
    """Each figure of one period as it may be shown (see the module docstring): exact when
    ``threshold`` is None; else small counts suppressed, and every total and derived figure
    that could give a suppressed count away hidden too, repeated until nothing changes."""
    shown = {f.key: disclose(f, threshold) for f in figures}
    if threshold is None:
        return shown
    in_group: dict[str, list[tuple[str, str]]] = {}
    by_label: dict[str, tuple[str, str]] = {}
    for f in figures:
        if f.group:
            in_group.setdefault(f.group, []).append(f.key)
        by_label[f.full_label] = f.key

    def members(ref: str | tuple[str, ...]) -> list[tuple[str, str]]:
        names = (ref,) if isinstance(ref, str) else ref
        out = []
        for name in names:
            if name in in_group:
                out += in_group[name]
            elif name in by_label:
                out.append(by_label[name])
        return out

    def hidden(key: tuple[str, str]) -> bool:
        return isinstance(shown[key], str)

    def hide(figure: Figure) -> bool:
        if hidden(figure.key):
            return False
        value = shown[figure.key]
        counted = figure.unit == "count" and figure.basis is None and _number(value) and value >= threshold
        shown[figure.key] = f"{threshold} or more" if counted else WITHHELD
        return True

    small = {f.key for f in figures if hidden(f.key)}
    changed = True
    while changed:
        changed = False
        for f in figures:
            if f.total_of and f.key not in small:
                breakdowns = [members(b) for b in f.total_of]
                with_hidden = [b for b in breakdowns if any(hidden(k) for k in b)]
                if with_hidden:
                    changed |= hide(f)
                    kept = with_hidden[0]
                    for b in breakdowns:
                        if b is not kept:
                            for key in b:
                                if not hidden(key):
                                    shown[key] = WITHHELD
                                    changed = True
            if f.derived_from and any(hidden(k) for ref in f.derived_from for k in members(ref)):
                changed |= hide(f)
    return shown


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
