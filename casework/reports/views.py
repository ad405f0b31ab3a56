"""The reports hub and one page per report: figures, chart, comparison and downloads."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from ..core import audit, modules, periods, reporting
from ..core.access import require
from ..core.exports import FORMATS, tabular_response
from ..core.report_forms import PeriodForm, period_args
from . import bp

# The query value asking for the figures as published (small counts suppressed).
PUBLISHED = "published"


def _mine() -> list[tuple[modules.Module, modules.Report]]:
    return [(m, r) for m, r in modules.reports() if current_user.can(r.capability)]


def _deny(object_id: str) -> None:
    audit.record_denial("access.denied", object_type="endpoint", object_id=object_id)
    abort(403)


@bp.route("/")
@require("reports.view")
def index():
    mine = _mine()
    return render_template("reports/index.html", reports=mine)


@bp.route("/<module_name>/<key>")
@require("reports.view")
def show(module_name: str, key: str):
    found = modules.report(module_name, key)
    if found is None:
        abort(404)
    module, report = found
    if not current_user.can(report.capability):
        _deny(request.endpoint)
    fmt = request.args.get("format")
    if fmt is not None and fmt not in FORMATS:
        abort(400)
    # One rule for screen and downloads (reporting.sees_exact); someone who sees exact
    # figures may ask for them as published, exactly as everyone else sees them.
    may_see_exact = reporting.sees_exact(current_user, module.case_kind)
    published = request.args.get("figures") == PUBLISHED
    exact = may_see_exact and not published
    form = PeriodForm.from_args(request.args, kinds=report.period_kinds, whole_months=not exact)
    page = {
        "module": module,
        "report": report,
        "form": form,
        "exact": exact,
        "may_see_exact": may_see_exact,
        "threshold": current_app.config["SMALL_NUMBER_THRESHOLD"],
        "withheld": reporting.WITHHELD,
        "published": published,
    }
    if not form.validate():
        return render_template("reports/report.html", **page, rows=None), 400
    period = form.period()
    try:
        earlier = periods.previous(period)
    except periods.PeriodError:
        earlier = None
    # Both periods in one call: a report may work them out in one pass over the data.
    built = report.build([period] if earlier is None else [period, earlier])
    figures, before = built[0], (built[1] if earlier is not None else None)
    rows = reporting.compare(figures, before, None if exact else page["threshold"])
    object_id = f"{module.name}_{report.key}"
    details = {
        "kind": period.kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "figures": "exact" if exact else PUBLISHED,
    }
    if fmt:
        audit.record(
            f"{module.name}.report.export",
            object_type="report",
            object_id=object_id,
            details={**details, "format": fmt},
        )
        return tabular_response(
            reporting.export_headers(),
            reporting.export_rows(period, earlier, rows),
            reporting.stem(f"{module.name}-{report.key}", period) + ("-exact" if exact else ""),
            fmt,
            sheet_title=report.title,
        )
    audit.record(f"{module.name}.report.generate", object_type="report", object_id=object_id, details=details)
    own_args = form.query_args() | ({"figures": PUBLISHED} if published else {})
    return render_template(
        "reports/report.html",
        **page,
        period=period,
        earlier=earlier,
        rows=rows,
        groups=reporting.groups(rows),
        chart=reporting.chart(rows, period, earlier, reporting.format_value),
        fmt_value=reporting.format_value,
        fmt_change=reporting.format_change,
        period_args=own_args,
        exact_args=form.query_args(),
        published_args=form.query_args() | {"figures": PUBLISHED},
        earlier_args=(period_args(earlier) | ({"figures": PUBLISHED} if published else {})) if earlier else None,
    )
