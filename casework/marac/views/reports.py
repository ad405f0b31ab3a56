"""MARAC statutory return: aggregated counts only, for coordinators and analysts."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from ...core import audit, periods
from ...core.access import require
from ...core.exports import FORMATS, suppress_small, tabular_response
from ...core.report_forms import PeriodForm, period_args
from ..reports import Measure, QuarterlyReturn, quarterly_return

REPORT_KINDS = (periods.CALENDAR_QUARTER, periods.FINANCIAL_YEAR, periods.CALENDAR_YEAR, periods.CUSTOM)
EXPORT_HEADERS = ("Period start", "Period end", "Measure", "Value", "Unit")
UNIT_NAMES = {"count": "count", "percent": "percent", "rate": "per 10,000"}


def export_rows(report: QuarterlyReturn, threshold: int) -> list[tuple]:
    """One measure a row, one value a cell: a number, empty, or "<5" where a small count
    is suppressed (every export is for publication)."""
    return [
        (report.start, report.end, m.label, disclosed(m, threshold), UNIT_NAMES[m.unit])
        for m in report.measures() + report.agency_measures()
    ]


def disclosed(m: Measure, threshold: int):
    return suppress_small(m.value, threshold, basis=m.basis)


def _filename_stem(period: periods.Period) -> str:
    if period.kind == periods.CALENDAR_QUARTER:
        return f"marac-return-{period.start:%Y}-Q{(period.start.month - 1) // 3 + 1}"
    if period.kind == periods.FINANCIAL_YEAR:
        return f"marac-return-fy-{period.start:%Y}-{period.end:%y}"
    if period.kind == periods.CALENDAR_YEAR:
        return f"marac-return-{period.start:%Y}"
    return f"marac-return-{period.start.isoformat()}-to-{period.end.isoformat()}"


@require("marac.reports.view")
def report_quarterly():
    fmt = request.args.get("format")
    if fmt is not None and fmt not in FORMATS:
        abort(400)
    form = PeriodForm.from_args(request.args, kinds=REPORT_KINDS)
    if not form.validate():
        return render_template("marac/report.html", form=form, report=None), 400
    period = form.period()
    report = quarterly_return(period)
    threshold = current_app.config["SMALL_NUMBER_THRESHOLD"]
    # Coordinators see the exact figures on screen; everyone else, and every download, sees
    # small counts suppressed.
    exact = current_user.can("marac.case.view_all")
    details = {"kind": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat()}
    if fmt:
        audit.record(
            "marac.report.export",
            object_type="report",
            object_id="marac_quarterly",
            details={**details, "format": fmt},
        )
        return tabular_response(
            EXPORT_HEADERS, export_rows(report, threshold), _filename_stem(period), fmt, sheet_title="MARAC return"
        )
    audit.record("marac.report.generate", object_type="report", object_id="marac_quarterly", details=details)
    try:
        earlier = quarterly_return(periods.previous(period))
    except periods.PeriodError:
        earlier = None
    return render_template(
        "marac/report.html",
        form=form,
        report=report,
        earlier=earlier,
        comparison=comparison(report, earlier),
        period_args=form.query_args(),
        earlier_args=period_args(earlier.period) if earlier else None,
        shown=(lambda m: m.value) if exact else (lambda m: disclosed(m, threshold)),
        shown_count=(lambda n: n) if exact else (lambda n: suppress_small(n, threshold)),
        exact=exact,
        threshold=threshold,
    )


def comparison(report: QuarterlyReturn, earlier: QuarterlyReturn | None) -> list[tuple[Measure, Measure | None]]:
    """Each measure beside the same measure for the period before (quarter on quarter, year on year)."""
    before = {m.label: m for m in earlier.measures()} if earlier else {}
    return [(m, before.get(m.label)) for m in report.measures()]
