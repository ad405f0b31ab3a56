"""The reoffending measure page and its CSV export."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from ...core import audit
from ...core.access import require
from ...core.exports import suppress_small, tabular_response
from ...core.models import Case
from ...core.periods import PeriodError, custom, previous, quarter_containing
from ...extensions import db
from .. import measure
from ..forms import (
    MeasureForm,
)
from ..models import CATEGORIES
from .common import _strand_labels, _strands

# --- the measure ---------------------------------------------------------------------------


def _measure_request():
    form = MeasureForm(request.args)
    form.strand.choices = _strands("Any")
    # By default the last complete quarter.
    period = previous(quarter_containing(date.today()))
    error = None
    if form.validate():
        start, end = form.start.data, form.end.data
        if start or end:
            if not (start and end):
                error = "Enter both the start and the end of the period"
            else:
                try:
                    period = custom(start, end)
                except PeriodError as exc:
                    error = str(exc)
    else:
        error = "Check the filters: " + "; ".join(e for errs in form.errors.values() for e in errs)
    if not form.start.data:
        form.start.data, form.end.data = period.start, period.end
    result = measure.measure(
        period,
        count=form.count.data if form.count.data in measure.COUNTS else "conviction",
        neighbourhood_only=bool(form.neighbourhood_only.data),
        strand=form.strand.data,
        category=form.category.data,
    )
    return form, period, result, error


MEASURE_ROWS = 100


@require("iom.measure.view")
def measure_view():
    form, period, result, error = _measure_request()
    fmt = request.args.get("format")
    details = {"period": period.as_dict(), "count": result.count, "neighbourhood_only": result.neighbourhood_only}
    if fmt in ("csv", "xlsx"):
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
    return render_template(
        "iom/measure.html",
        form=form,
        period=period,
        result=result,
        rows=rows,
        error=error,
        strands=dict(_strand_labels()),
        categories=CATEGORIES,
        references=_references([o.case_id for o in rows]),
        row_limit=MEASURE_ROWS,
        shown_count=_shown_count(),
    )


def _shown_count():
    """Counts of people as shown: exact for those who see every IOM case, small numbers suppressed
    for everyone else (an analyst's aggregate view), as the other published figures are."""
    from flask import current_app

    if current_user.can("iom.case.view_all"):
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
