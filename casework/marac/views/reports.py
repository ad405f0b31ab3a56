"""The MARAC quarterly return now lives on the reports hub; the old address leads there."""

from __future__ import annotations

from flask import redirect, request, url_for

from ...core.access import require


@require("marac.reports.view")
def report_quarterly():
    """Old links and bookmarks keep working, with their period and format."""
    return redirect(url_for("reports.show", module_name="marac", key="quarterly", **request.args.to_dict()))
