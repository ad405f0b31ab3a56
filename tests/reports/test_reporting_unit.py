"""Comparison, percentage change, disclosure and the chart, on figures built by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from casework.core import periods
from casework.core.reporting import Figure, chart, compare, export_rows, format_change, format_value, percent_change


def test_percent_change_from_the_counts():
    assert percent_change(3, 1) == Decimal("200.0")
    assert percent_change(0, 1) == Decimal("-100.0")
    assert percent_change(2, 3) == Decimal("-33.3")
    assert percent_change(5, 5) == Decimal("0.0")
    # No earlier count to compare with, or a suppressed one: no change is given.
    assert percent_change(4, 0) is None
    assert percent_change(7, "<5") is None and percent_change("<5", 7) is None
    assert percent_change(None, 3) is None
    assert format_change(Decimal("200.0")) == "+200.0%" and format_change(None) == "–"


def test_compare_suppresses_small_counts_and_the_change_resting_on_them():
    now = [
        Figure("Cases", 12, chart=True),
        Figure("Repeats", 3),
        Figure("Rate", 25.0, "percent", basis=3),
        Figure("New agency", 6, group="By agency"),
    ]
    before = [Figure("Cases", 8, chart=True), Figure("Repeats", 6), Figure("Rate", 75.0, "percent", basis=6)]
    rows = {r.figure.full_label: r for r in compare(now, before, 5)}
    assert (rows["Cases"].value, rows["Cases"].before, rows["Cases"].change) == (12, 8, Decimal("50.0"))
    assert (rows["Repeats"].value, rows["Repeats"].before, rows["Repeats"].change) == ("<5", 6, None)
    # A percentage is suppressed with its count, and never given a percentage change.
    assert (rows["Rate"].value, rows["Rate"].before, rows["Rate"].change) == ("<5", 75.0, None)
    # A count the earlier period does not have at all was 0 then.
    assert (rows["By agency: New agency"].before, rows["By agency: New agency"].change) == (0, None)
    exact = {r.figure.label: r for r in compare(now, before, None)}
    assert exact["Repeats"].value == 3 and exact["Repeats"].change == Decimal("-50.0")


def test_no_earlier_period_and_no_data():
    rows = compare([Figure("Rate", None, "percent"), Figure("Cases", 0)], None, 5)
    assert [(r.value, r.before, r.change) for r in rows] == [(None, None, None), (0, None, None)]
    assert format_value(None, "percent") == "no data" and format_value(0) == "0"
    assert format_value(Decimal("12.50"), "percent") == "12.50%" and format_value(12345) == "12,345"


def test_export_rows_one_value_a_cell():
    q = periods.calendar_quarter(2025, 1)
    rows = compare([Figure("Cases", 12), Figure("Homes", 3, group="By agency")], [Figure("Cases", 6)], 5)
    out = export_rows(q, periods.previous(q), rows)
    assert out[0] == (
        date(2025, 1, 1),
        date(2025, 3, 31),
        "Cases",
        12,
        "count",
        "October to December 2024",
        6,
        Decimal("100.0"),
    )
    assert out[1][2:5] == ("By agency: Homes", "<5", "count") and out[1][6:] == (0, None)


def test_chart_scales_bars_and_draws_no_bar_for_a_suppressed_count():
    q = periods.calendar_quarter(2025, 1)
    rows = compare(
        [Figure("A", 20, chart=True), Figure("B", 2, chart=True), Figure("C", 9)], [Figure("A", 10, chart=True)], 5
    )
    drawn = chart(rows, q, periods.previous(q), format_value)
    assert [r.label for r in drawn.rows] == ["A", "B"]
    a, b = drawn.rows
    assert a.now.width == 2 * a.before.width > 0 and a.now.text == "20"
    assert b.now.width == 0 and b.now.text == "<5" and b.before.width == 0
    assert chart(compare([Figure("C", 1)], None, 5), q, None, format_value) is None
