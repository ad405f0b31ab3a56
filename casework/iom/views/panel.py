"""IOM panel pages on the shared meetings: schedule, agenda, decisions, actions, attendance, minutes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, render_template, request, url_for
from flask_login import current_user

from ...core import actions as core_actions
from ...core import audit, cases, meeting_views, modules
from ...core import meetings as core_meetings
from ...core.access import require
from ...core.forms import choices
from ...core.localtime import to_local
from ...core.models import AgendaItem
from ...core.policy import can_open_meeting, can_view_case, load_meeting
from ...core.services import get_or_404
from ...core.views import act_and_redirect, submit
from ...core.work_forms import ActionForm, AttendanceForm, MeetingForm, MinutesForm
from ...extensions import db
from .. import cohort, panel, panel_docs
from ..models import Nomination
from .common import _agencies, _agency_pairs, _people_of, _strand_labels

# --- panel meetings ----------------------------------------------------------------------


def _panel_forms(meeting=None, **given):

    schedule_form = given.get("schedule") or MeetingForm(formdata=None, prefix="schedule")
    schedule_form.chair_user_id.choices = choices(
        [(str(u.id), u.display_name) for u in cohort.lead_officers() if u.can("iom.meeting.manage")], blank="Choose"
    )
    schedule_form.agency_ids.choices = [(a, n) for a, n in _agency_pairs()]
    out = {"schedule": schedule_form}
    if meeting is not None:
        action_form = given.get("action") or ActionForm(formdata=None, prefix="action")
        action_form.assigned_agency_id.choices = _agencies("Choose the agency")
        out["action"] = action_form
        attendance = given.get("attendance") or AttendanceForm(formdata=None, prefix="attendance")
        _attendance_choices(attendance, meeting)
        out["attendance"] = attendance
    return out


@require("iom.case.view")
def panel_list():

    meetings = [m for m in core_meetings.upcoming_meetings(panel.MEETING_KIND) if can_open_meeting(current_user, m)]
    return render_template("iom/panel_list.html", meetings=meetings, forms=_panel_forms())


@require("iom.meeting.manage")
def panel_new():
    form = MeetingForm(prefix="schedule")
    forms = _panel_forms(schedule=form)
    return submit(
        form,
        lambda: core_meetings.schedule(
            current_user,
            kind=panel.MEETING_KIND,
            starts_at=form.starts_at(),
            venue=form.venue.data,
            chair_user_id=form.chair_user_id.data,
            agency_ids=form.agency_ids.data,
        ),
        success="Panel scheduled",
        redirect_to=lambda m: url_for("iom.panel_view", meeting_id=m.id),
        render=lambda status: (render_template("iom/panel_list.html", meetings=[], forms=forms), status),
    )


def _panel_page(meeting, status: int = 200, **given):

    items = core_meetings.active_items(meeting)
    # A restricted record on the agenda shows its reference only to those not named on it.
    visible = {i.case_id for i in items if can_view_case(current_user, i.case)}
    case_ids = sorted(visible)
    audit.record(
        "iom.meeting.view",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=_people_of(case_ids),
        purpose="iom_panel",
    )
    nominations_by_case = (
        {
            n.case_id: n
            for n in db.session.scalars(
                sa.select(Nomination).where(Nomination.case_id.in_(case_ids), Nomination.status == "open")
            )
        }
        if case_ids
        else {}
    )
    forms = _panel_forms(meeting, **given)
    if "action" in forms:
        forms["action"].case_choices = choices(
            [(str(i.case_id), i.case.reference) for i in items if i.case_id in visible], blank="Choose"
        )
    meeting_actions = [
        a for i in items if i.case_id in visible for a in core_actions.actions_for_item(meeting.id, i.case_id)
    ]
    return (
        render_template(
            "iom/panel.html",
            meeting=meeting,
            items=items,
            visible=visible,
            nominations=nominations_by_case,
            forms=forms,
            manage=current_user.can("iom.meeting.manage"),
            actions=meeting_actions,
            strands=dict(_strand_labels()),
        ),
        status,
    )


@require("iom.case.view")
def panel_view(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND)
    return _panel_page(meeting)


@require("iom.meeting.manage")
def panel_build(meeting_id: int):

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    return act_and_redirect(
        lambda: panel.build_agenda(current_user, meeting),
        success="Agenda built: nominations to decide and offenders due for review are listed",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
    )


@require("iom.meeting.manage")
def panel_action(meeting_id: int):

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    form = ActionForm(prefix="action")
    _panel_forms(meeting, action=form)
    return meeting_views.submit_action(
        meeting,
        form,
        panel.record_action,
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
        render=lambda status: _panel_page(meeting, status, action=form),
    )


@require("iom.meeting.manage")
def panel_attendance(meeting_id: int):

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    form = AttendanceForm(prefix="attendance")
    _attendance_choices(form, meeting)
    return meeting_views.submit_attendance(
        meeting,
        form,
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
        render=lambda status: _panel_page(meeting, status, attendance=form),
    )


def _attendance_choices(form, meeting) -> None:
    names = dict(_agency_pairs())
    form.agency_id.choices = choices(
        [(str(a), names.get(a, str(a))) for a in sorted(meeting.agency_ids)], blank="Other"
    )


@require("iom.meeting.manage")
def panel_held(meeting_id: int):

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    return act_and_redirect(
        lambda: core_meetings.mark_held(current_user, meeting, request.form.get("version_id", type=int)),
        success="Panel marked as held",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
    )


@require("iom.meeting.manage")
def panel_minutes(item_id: int):

    item = get_or_404(AgendaItem, item_id)
    meeting = load_meeting(current_user, item.meeting_id, kind=panel.MEETING_KIND, manage=True)
    case = cases.load_case(current_user, item.case_id, kind="iom", log=False)

    outcomes = modules.meeting_rules(meeting.kind).outcomes
    if request.method == "GET":
        form = MinutesForm(formdata=None, obj=item, version_id=item.version_id).set_outcomes(outcomes)
        cases.record_view(case, "iom_panel")
        return render_template("iom/minutes.html", form=form, item=item, meeting=meeting)
    form = MinutesForm().set_outcomes(outcomes)
    return submit(
        form,
        lambda: core_meetings.record_minutes(
            current_user, item, minutes=form.minutes.data, outcome=form.outcome.data, version=form.submitted_version()
        ),
        success=f"Minutes recorded for {case.reference}",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
        render=lambda status: (render_template("iom/minutes.html", form=form, item=item, meeting=meeting), status),
    )


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@require("iom.case.view")
def panel_agenda_pdf(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND)
    papers = panel_docs.build(current_user, meeting)
    data = panel_docs.agenda_pdf(papers)
    audit.record(
        "iom.agenda.download",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=papers.person_ids,
        purpose="iom_panel",
        recipient_agency_id=current_user.agency_id,
    )
    return _pdf(data, f"iom-panel-agenda-{to_local(meeting.starts_at):%Y-%m-%d}.pdf")


@require("iom.case.view")
def panel_minutes_pdf(meeting_id: int, circulation: bool = False):
    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND)
    papers = panel_docs.build(current_user, meeting, initials_only=circulation)
    data = panel_docs.minutes_pdf(papers, circulation=circulation)
    audit.record(
        "iom.minutes.download",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=papers.person_ids,
        purpose="iom_panel",
        recipient_agency_id=current_user.agency_id,
        details={"copy": "circulation" if circulation else "full"},
    )
    suffix = "-circulation" if circulation else ""
    return _pdf(data, f"iom-panel-minutes-{to_local(meeting.starts_at):%Y-%m-%d}{suffix}.pdf")
