"""The reoffending measure page and its CSV export."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ...core import audit, periods
from ...core.access import require
from ...core.exports import suppress_small, tabular_response
from ...core.models import Case
from ...core.periods import quarter_containing
from ...core.report_forms import PERIOD_KEYS, PeriodForm, period_args
from ...extensions import db
from .. import measure
from ..forms import (
    MeasureForm,
)
from ..models import CATEGORIES
from .common import _strand_labels, _strands

# --- the measure ---------------------------------------------------------------------------


# The periods the measure is reported for: a calendar quarter, an April-March financial year
# (as the partnership reports), or any dates.
PERIOD_KINDS = (periods.CALENDAR_QUARTER, periods.FINANCIAL_YEAR, periods.CUSTOM)


def _check_period(period_form: PeriodForm) -> bool:
    """The measure looks back, not forward: a period starting after today is refused (a custom
    period's length is capped by ``core.periods.custom``)."""
    period = period_form.period()
    target = period_form.start if period.kind == periods.CUSTOM else period_form.year
    if period.start > periods.local_today():
        target.errors = ["The period must start today or earlier: there is nothing to measure yet"]
        return False
    return True


def _measure_request():
    """The period and filters from the query string. With no period, the last complete quarter.
    A bad period or filter is an error on the form (the page answers 400), never a guess."""
    args = request.args
    if not any(args.get(key) for key in PERIOD_KEYS):
        args = MultiDict(args)
        for key, value in period_args(periods.previous(quarter_containing(periods.local_today()))).items():
            args[key] = value
    period_form = PeriodForm.from_args(args, kinds=PERIOD_KINDS)
    form = MeasureForm(request.args)
    form.strand.choices = _strands("Any")
    valid = period_form.validate()
    valid = form.validate() and valid
    if valid:
        valid = _check_period(period_form)
    if not valid:
        return form, period_form, None, None
    period = period_form.period()
    result = measure.measure(
        period,
        count=form.count.data if form.count.data in measure.COUNTS else "conviction",
        neighbourhood_only=bool(form.neighbourhood_only.data),
        strand=form.strand.data,
        category=form.category.data,
    )
    return form, period_form, period, result


MEASURE_ROWS = 100


@require("iom.measure.view")
def measure_view():
    form, period_form, period, result = _measure_request()
    fmt = request.args.get("format")
    if fmt is not None and fmt not in ("csv", "xlsx"):
        abort(400)
    if result is None:
        return render_template("iom/measure.html", form=form, period_form=period_form, result=None), 400
    details = {"period": period.as_dict(), "count": result.count, "neighbourhood_only": result.neighbourhood_only}
    if fmt:
        rows = measure.visible_rows(current_user, result.offenders)
        audit.record(
            "iom.measure.export",
            object_type="report",
            purpose="iom_performance",
            person_ids=[o.person_id for o in rows],
            details=details,
        )
        return tabular_response(*_measure_table(result, rows), f"iom-measure-{period.start}-{period.end}", fmt)
    # The page shows the first rows; the download has every row the user may see.
    rows = measure.visible_rows(current_user, result.offenders, limit=MEASURE_ROWS)
    audit.record(
        "iom.measure.view",
        object_type="report",
        purpose="iom_performance",
        person_ids=[o.person_id for o in rows],
        details=details,
    )
    filters = {k: v for k, v in request.args.items() if k not in (*PERIOD_KEYS, "format")}
    return render_template(
        "iom/measure.html",
        form=form,
        period_form=period_form,
        period=period,
        result=result,
        rows=rows,
        download_args={**filters, **period_form.query_args()},
        strands=dict(_strand_labels()),
        categories=CATEGORIES,
        references=_references([o.case_id for o in rows]),
        row_limit=MEASURE_ROWS,
        shown_count=_shown_count(),
    )


def _shown_count():
    """Counts of people as shown: exact for those who see every IOM case, small numbers suppressed
    for everyone else (an analyst's aggregate view), by the reports' rule (``reporting.sees_exact``)."""
    from flask import current_app

    from ...core.reporting import sees_exact

    if sees_exact(current_user, "iom"):
        return lambda n, basis=None: n
    threshold = current_app.config["SMALL_NUMBER_THRESHOLD"]
    return lambda n, basis=None: suppress_small(n, threshold, basis=basis)


def _references(case_ids):

    if not case_ids:
        return {}
    return dict(db.session.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all())


def _measure_table(result, rows):
    two = measure.two_places
    headers = [
        "Row",
        "Strand",
        "Category",
        "Months on cohort",
        "Baseline",
        "Actual",
        "Difference",
        "% impact",
        "Baseline cost",
        "Actual cost",
        "Cost avoided",
    ]
    out = [
        [
            "Cohort",
            result.strand or "All",
            result.category or "All",
            two(result.months),
            two(result.baseline),
            result.actual,
            two(result.difference),
            result.impact if result.impact is not None else "undefined (baseline 0)",
            two(result.baseline_cost),
            two(result.actual_cost),
            two(result.cost_avoided),
        ]
    ]
    refs = _references([o.case_id for o in rows])
    for o in rows:
        out.append(
            [
                refs.get(o.case_id, ""),
                o.strand,
                o.category,
                two(o.months),
                two(o.baseline),
                o.actual,
                two(o.difference),
                o.impact if o.impact is not None else "undefined (baseline 0)",
                two(o.baseline_cost),
                two(o.actual_cost),
                two(o.baseline_cost - o.actual_cost),
            ]
        )
    return headers, out
