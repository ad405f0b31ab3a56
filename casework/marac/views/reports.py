"""MARAC statutory return: aggregated counts only, for coordinators and analysts."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, render_template, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from ...core import audit
from ...core.access import require
from ...core.forms import choices
from ..reports import quarter_of, quarterly_return


class QuarterForm(FlaskForm):
    class Meta:
        csrf = False

    year = IntegerField("Year", validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    quarter = SelectField(
        "Quarter",
        choices=choices(
            {"1": "January to March", "2": "April to June", "3": "July to September", "4": "October to December"}
        ),
    )


def _period(form: QuarterForm) -> tuple[date, date]:
    month = 3 * (int(form.quarter.data) - 1) + 1
    return quarter_of(date(form.year.data, month, 1))


@require("marac.reports.view")
def report_quarterly():
    today = date.today()
    args = request.args or MultiDict({"year": str(today.year), "quarter": str((today.month - 1) // 3 + 1)})
    form = QuarterForm(args)
    if not form.validate():
        return render_template("marac/report.html", form=form, report=None), 400
    start, end = _period(form)
    report = quarterly_return(start, end)
    audit.record(
        "report.generated",
        object_type="report",
        object_id="marac_quarterly",
        details={"start": start.isoformat(), "end": end.isoformat()},
    )
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["measure", "value"])
        writer.writerows(report.rows())
        writer.writerows((f"Referrals from {name}", count) for name, count in sorted(report.by_agency.items()))
        return Response(
            out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="marac-return-{start:%Y}-Q{form.quarter.data}.csv"'},
        )
    return render_template("marac/report.html", form=form, report=report)
