"""ASB multi-agency meetings on the shared meetings: schedule, agenda, minutes, attendance, actions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import lazyload

from ...core import actions as core_actions
from ...core import audit, cases, meeting_views, modules
from ...core import meetings as core_meetings
from ...core.access import require
from ...core.cases import person_ids_of_cases
from ...core.forms import choices
from ...core.models import Agency, AgendaItem, Case, User
from ...core.policy import can_open_meeting, can_view_case, load_meeting, visible_case_clause
from ...core.services import get_or_404
from ...core.views import act_and_redirect, submit
from ...core.work_forms import ActionForm, AttendanceForm, MeetingForm, MinutesForm
from ...extensions import db
from .. import meetings
from ..forms import ListCaseForm
from ..models import AsbCase


def _agency_pairs():
    return db.session.execute(
        sa.select(Agency.id, Agency.name).where(Agency.is_active.is_(True)).order_by(Agency.name)
    ).all()


def _forms(meeting=None, **given):
    schedule = given.get("schedule") or MeetingForm(formdata=None, prefix="schedule")
    chairs = db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.display_name)).all()
    schedule.chair_user_id.choices = choices(
        [(str(u.id), u.display_name) for u in chairs if u.can("asb.meeting.manage")], blank="Choose"
    )
    schedule.agency_ids.choices = choices([(str(i), n) for i, n in _agency_pairs()])
    out = {"schedule": schedule}
    if meeting is not None:
        action = given.get("action") or ActionForm(formdata=None, prefix="action")
        action.assigned_agency_id.choices = choices([(str(i), n) for i, n in _agency_pairs()], blank="Choose")
        out["action"] = action
        attendance = given.get("attendance") or AttendanceForm(formdata=None, prefix="attendance")
        names = dict(_agency_pairs())
        attendance.agency_id.choices = choices(
            [(str(a), names.get(a, str(a))) for a in sorted(meeting.agency_ids)], blank="Other"
        )
        out["attendance"] = attendance
        listing = given.get("listing") or ListCaseForm(formdata=None, prefix="listing")
        rows = db.session.scalars(
            sa.select(Case)
            .join(AsbCase, AsbCase.case_id == Case.id)
            .where(Case.closed_on.is_(None), visible_case_clause(current_user, via_meetings=False))
            .options(lazyload(Case.agency_links), lazyload(Case.member_links))
            .order_by(Case.opened_on.desc())
            .limit(200)
        ).all()
        listing.case_id.choices = choices([(str(c.id), c.reference) for c in rows], blank="Choose a case")
        out["listing"] = listing
    return out


@require("asb.case.view")
def meeting_list():
    items = [m for m in core_meetings.upcoming_meetings(meetings.MEETING_KIND) if can_open_meeting(current_user, m)]
    return render_template("asb/meeting_list.html", meetings=items, forms=_forms())


@require("asb.meeting.manage")
def meeting_new():
    form = MeetingForm(prefix="schedule")
    forms = _forms(schedule=form)
    return submit(
        form,
        lambda: core_meetings.schedule(
            current_user,
            kind=meetings.MEETING_KIND,
            starts_at=form.starts_at(),
            venue=form.venue.data,
            chair_user_id=form.chair_user_id.data,
            agency_ids=form.agency_ids.data,
        ),
        success="Meeting scheduled",
        redirect_to=lambda m: url_for("asb.meeting_view", meeting_id=m.id),
        render=lambda status: (render_template("asb/meeting_list.html", meetings=[], forms=forms), status),
    )


def _page(meeting, status: int = 200, **given):
    items = core_meetings.active_items(meeting)
    # A restricted case on the agenda shows its reference only to those not named on it.
    visible = {i.case_id for i in items if can_view_case(current_user, i.case)}
    audit.record(
        "asb.meeting.view",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=person_ids_of_cases(sorted(visible)),
        purpose=meetings.PURPOSE,
    )
    forms = _forms(meeting, **given)
    forms["action"].case_choices = choices(
        [(str(i.case_id), i.case.reference) for i in items if i.case_id in visible], blank="Choose"
    )
    agreed = [a for i in items if i.case_id in visible for a in core_actions.actions_for_item(meeting.id, i.case_id)]
    return (
        render_template(
            "asb/meeting.html",
            meeting=meeting,
            items=items,
            visible=visible,
            forms=forms,
            manage=current_user.can("asb.meeting.manage"),
            actions=agreed,
        ),
        status,
    )


@require("asb.case.view")
def meeting_view(meeting_id: int):
    return _page(load_meeting(current_user, meeting_id, kind=meetings.MEETING_KIND))


@require("asb.meeting.manage")
def meeting_list_case(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=meetings.MEETING_KIND, manage=True)
    form = ListCaseForm(prefix="listing")
    _forms(meeting, listing=form)
    return submit(
        form,
        lambda: meetings.list_case(current_user, meeting, form.case_id.data),
        success="Case listed",
        redirect_to=url_for("asb.meeting_view", meeting_id=meeting.id),
        render=lambda status: _page(meeting, status, listing=form),
    )


@require("asb.meeting.manage")
def meeting_action(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=meetings.MEETING_KIND, manage=True)
    form = ActionForm(prefix="action")
    _forms(meeting, action=form)
    return meeting_views.submit_action(
        meeting,
        form,
        meetings.record_action,
        redirect_to=url_for("asb.meeting_view", meeting_id=meeting.id),
        render=lambda status: _page(meeting, status, action=form),
    )


@require("asb.meeting.manage")
def meeting_attendance(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=meetings.MEETING_KIND, manage=True)
    form = AttendanceForm(prefix="attendance")
    _forms(meeting, attendance=form)
    return meeting_views.submit_attendance(
        meeting,
        form,
        redirect_to=url_for("asb.meeting_view", meeting_id=meeting.id),
        render=lambda status: _page(meeting, status, attendance=form),
    )


@require("asb.meeting.manage")
def meeting_held(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=meetings.MEETING_KIND, manage=True)
    return act_and_redirect(
        lambda: core_meetings.mark_held(current_user, meeting, request.form.get("version_id", type=int)),
        success="Meeting marked as held",
        redirect_to=url_for("asb.meeting_view", meeting_id=meeting.id),
    )


@require("asb.meeting.manage")
def meeting_minutes(item_id: int):
    item = get_or_404(AgendaItem, item_id)
    meeting = load_meeting(current_user, item.meeting_id, kind=meetings.MEETING_KIND, manage=True)
    case = cases.load_case(current_user, item.case_id, kind="asb", log=False)
    outcomes = modules.meeting_rules(meeting.kind).outcomes
    back = url_for("asb.meeting_view", meeting_id=meeting.id)
    if request.method == "GET":
        form = MinutesForm(formdata=None, obj=item, version_id=item.version_id).set_outcomes(outcomes)
        cases.record_view(case, meetings.PURPOSE)
        return render_template("asb/minutes.html", form=form, item=item, meeting=meeting, back=back)
    form = MinutesForm().set_outcomes(outcomes)
    return submit(
        form,
        lambda: core_meetings.record_minutes(
            current_user, item, minutes=form.minutes.data, outcome=form.outcome.data, version=form.submitted_version()
        ),
        success=f"Minutes recorded for {case.reference}",
        redirect_to=back,
        render=lambda status: (
            render_template("asb/minutes.html", form=form, item=item, meeting=meeting, back=back),
            status,
        ),
    )
