"""MARAC action tracking pages."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...core import actions, audit, cases, directory, exports
from ...core.access import require
from ...core.forms import choices, page_arg
from ...core.policy import visible_case_ids
from ...core.views import submit
from ...core.work_forms import ActionFilterForm, ActionUpdateForm
from .. import NOT_DONE_REASONS


@require("marac.case.view")
def action_list():
    form = ActionFilterForm(request.args)
    form.agency_id.choices = directory.agency_choices("Any")
    form.meeting_id.choices = choices([], blank="Any")
    flt = actions.ActionFilter()
    if form.validate():
        flt = actions.ActionFilter(
            meeting_id=form.meeting_id.data,
            agency_id=form.agency_id.data,
            status=form.status.data,
            overdue_only=form.overdue.data,
        )
    try:
        fmt = exports.requested_format(request.args)
    except ValueError:
        abort(400)
    filters = {k: v for k, v in request.args.items() if k not in ("page", "format") and v}
    if fmt:
        return _action_list_download(flt, fmt, filters)
    page = actions.actions_page(current_user, "marac", flt, page_arg())
    audit.record(
        "marac.action.list",
        object_type="action",
        person_ids=cases.person_ids_of_cases(a.case_id for a in page.items),
        details={"ids": [a.id for a in page.items]},
    )
    return render_template(
        "marac/actions.html",
        page=page,
        form=form,
        today=date.today(),
        filters=filters,
        see_all=current_user.can("marac.actions.view_all"),
        linkable=visible_case_ids(current_user, {a.case_id for a in page.items}),
    )


def _action_list_download(flt: actions.ActionFilter, fmt: str, filters: dict):
    """The action list as filtered, as CSV or XLSX, with the list's columns; audited."""
    today = date.today()
    try:
        items = actions.actions_export(current_user, "marac", flt, exports.row_limit(), today)
    except exports.TooManyRows as exc:
        flash(exc.message, "error")
        return redirect(url_for("marac.action_list", **filters))
    audit.record(
        "marac.action.export",
        object_type="action",
        person_ids=cases.person_ids_of_cases({a.case_id for a in items}),
        details={"format": fmt, "rows": len(items)},
    )
    return exports.tabular_response(
        actions.EXPORT_HEADERS,
        [actions.export_row(a, today) for a in items],
        f"marac-actions-{today.isoformat()}",
        fmt,
        sheet_title="MARAC actions",
    )


@require("marac.actions.update")
def action_view(action_id: int):
    action = actions.load_action(current_user, action_id, "marac")
    form = ActionUpdateForm().set_reasons(NOT_DONE_REASONS)

    def page(status: int = 200):
        return render_template(
            "marac/action.html",
            action=action,
            form=form,
            today=date.today(),
            reasons=NOT_DONE_REASONS,
            linkable=visible_case_ids(current_user, {action.case_id}),
        ), status

    if request.method == "GET":
        audit.record(
            "marac.action.view",
            object_type="action",
            object_id=action.id,
            person_ids=cases.person_ids_of(action.case),
            details={"case_id": action.case_id},
        )
        form.status.data = action.status
        form.not_done_reason.data = action.not_done_reason
        form.version_id.data = str(action.version_id)
        return page()
    return submit(
        form,
        lambda: actions.update_action(
            current_user,
            action,
            status=form.status.data,
            note=form.note.data,
            not_done_reason=form.not_done_reason.data,
            version=form.submitted_version(),
        ),
        success="Action updated.",
        redirect_to=url_for("marac.action_list"),
        render=page,
    )
