"""Form handling shared by every module's meeting page: attendance and actions agreed.

Each module's meeting page renders these core forms (``core/work_forms.py``); the
submission is the same everywhere, so it is handled once here and the module passes
where to go next and how to show the page again with the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import request
from flask_login import current_user

from . import meetings
from .views import submit

RecordAction = Callable[..., object]


def submit_attendance(
    meeting, form, *, redirect_to: str, render: Callable[[int], object], success: str = "Attendance recorded"
):
    """Record who attended (agency or other, status, confidentiality acknowledged, information sent)."""
    return submit(
        form,
        lambda: meetings.record_attendance(
            current_user,
            meeting,
            agency_id=form.agency_id.data,
            name=form.name.data,
            status=form.status.data,
            confidentiality_ack=bool(form.confidentiality_ack.data),
            information_sent=bool(form.information_sent.data),
        ),
        success=success,
        redirect_to=redirect_to,
        render=render,
    )


def submit_action(
    meeting,
    form,
    record: RecordAction,
    *,
    redirect_to: str,
    render: Callable[[int], object],
):
    """Record an action agreed at the meeting for one listed case through the module's ``record``
    service (which applies its own rules), owned by an agency with a due date."""
    case_id = request.form.get(f"{form._prefix}case_id", type=int)
    due_on: date | None = form.due_on.data
    return submit(
        form,
        lambda: record(
            current_user,
            meeting,
            case_id=case_id,
            agency_id=form.assigned_agency_id.data,
            description=form.description.data,
            due_on=due_on,
        ),
        success="Action recorded",
        redirect_to=redirect_to,
        render=render,
    )
