"""MARAC meeting pages: schedule, agenda building, research, agenda/minutes output, running the meeting."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ...core import actions, audit, cases, directory, meeting_views
from ...core import meetings as core_meetings
from ...core.access import require
from ...core.exports import pdf_response
from ...core.forms import choices, page_arg
from ...core.localtime import to_local
from ...core.models import AgendaItem, Meeting
from ...core.periods import local_date
from ...core.policy import can_open_meeting, load_meeting
from ...core.services import get_or_404
from ...core.types import utcnow
from ...core.views import act_and_redirect, confirmation_page, confirmed, submit
from ...core.work_forms import (
    ActionForm,
    AttendanceForm,
    CancelMeetingForm,
    DistributionForm,
    ListCaseForm,
    MarkHeldForm,
    MeetingEditForm,
    MeetingForm,
    MinutesForm,
    MoveItemForm,
    RemoveItemForm,
    ReorderForm,
)
from ...extensions import db
from .. import agenda, meetings, queries
from .. import notifications as marac_notifications
from ..forms import ResearchForm
from ..models import RISK_LEVELS, ResearchResponse


def _managed(meeting_id: int) -> Meeting:
    return load_meeting(current_user, meeting_id, kind="marac", manage=True)


def _item(item_id: int, *, manage: bool = False) -> AgendaItem:
    item = get_or_404(AgendaItem, item_id)
    load_meeting(current_user, item.meeting_id, kind="marac", manage=manage)
    return item


def _chair_choices():
    return choices([(u.id, u.display_name) for u in queries.coordinators_and_chairs()], blank="Choose")


def _meeting_caption(meeting: Meeting) -> str:
    return f"MARAC meeting, {local_date(meeting.starts_at):%-d %B %Y}"


@require("marac.case.view")
def meeting_list():
    page = core_meetings.meetings_page("marac", page_arg(), 25)
    visible = [m for m in page.items if can_open_meeting(current_user, m)]
    return render_template(
        "marac/meetings.html",
        page=page,
        meetings=visible,
        counts=core_meetings.item_counts([m.id for m in visible]),
        cutoff=meetings.cutoff_date,
    )


@require("marac.meeting.manage")
def meeting_new():
    form = MeetingForm()
    form.chair_user_id.choices = _chair_choices()
    form.agency_ids.choices = directory.agency_choices()
    if request.method == "GET":
        form.agency_ids.data = [a.id for a in queries.active_agencies()]
        form.chair_user_id.data = current_user.id
        return render_template("marac/meeting_form.html", form=form)
    return meeting_views.submit_schedule(
        form,
        kind="marac",
        success=lambda m: f"Meeting scheduled. Cut-off for referrals: {meetings.cutoff_date(m):%A %d %B %Y}.",
        redirect_to=lambda m: url_for("marac.meeting_view", meeting_id=m.id),
        render=lambda status: (render_template("marac/meeting_form.html", form=form), status),
    )


def _meeting_page(meeting: Meeting, status: int = 200, **forms):
    manage = current_user.can("marac.meeting.manage")
    list_form = forms.get("list_form") or ListCaseForm()
    list_form.case_id.choices = choices(
        [
            (r.case_id, f"{r.case.reference} (referred {r.referral_date:%d %b %Y})")
            for r in queries.listable_cases(current_user)
        ],
        blank="Choose a case",
    )
    move_form = MoveItemForm()
    move_form.meeting_id.choices = choices(
        [(m.id, f"{to_local(m.starts_at):%d %b %Y}") for m in queries.upcoming_meetings() if m.id != meeting.id],
        blank="Choose",
    )
    attendance_form = forms.get("attendance_form") or AttendanceForm()
    cancel_form = forms.get("cancel_form") or CancelMeetingForm(version_id=meeting.version_id)
    attendance_form.agency_id.choices = choices(
        [(lk.agency.id, lk.agency.name) for lk in meeting.agency_links], blank="Other"
    )
    dist_form = forms.get("dist_form") or DistributionForm(version_id=meeting.version_id)
    dist_form.agency_ids.choices = directory.agency_choices()
    if dist_form.agency_ids.data is None:
        dist_form.agency_ids.data = sorted(meeting.agency_ids)
    doc = agenda.view_meeting(current_user, meeting)
    return render_template(
        "marac/meeting.html",
        meeting=meeting,
        doc=doc,
        manage=manage,
        cutoff=meetings.cutoff_date(meeting),
        list_form=list_form,
        move_form=move_form,
        remove_form=RemoveItemForm(),
        cancel_form=cancel_form,
        held_form=MarkHeldForm(version_id=meeting.version_id),
        started=meeting.starts_at <= utcnow(),
        reorder_form=ReorderForm(),
        attendance_form=attendance_form,
        dist_form=dist_form,
        my_agency_listed=current_user.agency_id in meeting.agency_ids,
    ), status


@require("marac.case.view")
def meeting_view(meeting_id: int):
    return _meeting_page(load_meeting(current_user, meeting_id, kind="marac"))


@require("marac.meeting.manage")
def meeting_distribution(meeting_id: int):
    meeting = _managed(meeting_id)
    form = DistributionForm()
    form.agency_ids.choices = directory.agency_choices()
    return submit(
        form,
        lambda: core_meetings.update_distribution(
            current_user, meeting, set(form.agency_ids.data), form.submitted_version()
        ),
        success="Distribution list saved.",
        redirect_to=url_for("marac.meeting_view", meeting_id=meeting.id),
        render=lambda status: _meeting_page(meeting, status, dist_form=form),
    )


@require("marac.meeting.manage")
def meeting_list_case(meeting_id: int):
    meeting = _managed(meeting_id)
    form = ListCaseForm()
    form.case_id.choices = choices(
        [(r.case_id, r.case.reference) for r in queries.listable_cases(current_user)], blank="Choose a case"
    )

    def act():
        case = cases.load_case(current_user, form.case_id.data, kind="marac", log=False)
        return marac_notifications.case_listed(
            core_meetings.list_case(current_user, meeting, case, urgent=form.urgent.data)
        )

    return submit(
        form,
        act,
        success=lambda item: f"{item.case.reference} added to the agenda.",
        redirect_to=url_for("marac.meeting_view", meeting_id=meeting.id),
        render=lambda status: _meeting_page(meeting, status, list_form=form),
    )


@require("marac.meeting.manage")
def item_reorder(item_id: int):
    item = _item(item_id, manage=True)
    form = ReorderForm()
    if not form.validate_on_submit():
        abort(400)
    return act_and_redirect(
        lambda: core_meetings.move_item(current_user, item, -1 if form.direction.data == "up" else 1),
        success=f"{item.case.reference} moved {form.direction.data}.",
        redirect_to=url_for("marac.meeting_view", meeting_id=item.meeting_id, _anchor=f"item-{item.id}"),
    )


@require("marac.meeting.manage")
def item_remove(item_id: int):
    item = _item(item_id, manage=True)
    form = RemoveItemForm()
    target = url_for("marac.meeting_view", meeting_id=item.meeting_id)
    if not form.validate_on_submit():
        flash("Give a reason for removing the case.", "error")
        return redirect(target)
    if not confirmed():
        return confirmation_page(
            question=f"Are you sure you want to remove {item.case.reference} from the agenda?",
            caption=_meeting_caption(item.meeting),
            details=[("Reason for removing", form.reason.data)],
            warning="The case comes off this meeting's agenda. This cannot be undone: "
            "to hear it, list it on a meeting again.",
            action=url_for("marac.item_remove", item_id=item.id),
            cancel_url=target,
            confirm_label="Yes, remove the case",
        )
    return act_and_redirect(
        lambda: core_meetings.remove_item(current_user, item, form.reason.data),
        success=f"{item.case.reference} removed from the agenda.",
        redirect_to=target,
    )


@require("marac.meeting.manage")
def item_move(item_id: int):
    item = _item(item_id, manage=True)
    form = MoveItemForm()
    form.meeting_id.choices = choices([(m.id, str(m.id)) for m in queries.upcoming_meetings()], blank="Choose")
    back = url_for("marac.meeting_view", meeting_id=item.meeting_id)
    if not form.validate_on_submit():
        flash("Choose the meeting to move the case to.", "error")
        return redirect(back)
    target = _managed(form.meeting_id.data)
    return act_and_redirect(
        lambda: core_meetings.move_to_meeting(current_user, item, target),
        success=f"{item.case.reference} moved to the meeting on {to_local(target.starts_at):%d %B %Y}.",
        redirect_to=url_for("marac.meeting_view", meeting_id=target.id),
        failure_redirect_to=back,
    )


# --- agenda and minutes output ----------------------------------------------------------------


@require("marac.case.view")
def agenda_html(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind="marac")
    doc = agenda.build(current_user, meeting)
    agenda.record_share(current_user, doc, "marac.agenda.generate")
    return render_template("marac/agenda.html", doc=doc, statement=agenda.CONFIDENTIALITY_STATEMENT)


@require("marac.case.view")
def agenda_pdf(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind="marac")
    doc = agenda.build(current_user, meeting)
    data = agenda.agenda_pdf(doc)
    agenda.record_share(current_user, doc, "marac.agenda.download")
    return pdf_response(data, f"marac-agenda-{to_local(meeting.starts_at):%Y-%m-%d}.pdf")


@require("marac.agenda.generate")
def agenda_circulate(meeting_id: int):
    meeting = _managed(meeting_id)
    return act_and_redirect(
        lambda: agenda.circulate(current_user, meeting),
        success=f"Agenda circulated to {len(meeting.agency_links)} agencies. Each can now open it and record research.",
        redirect_to=url_for("marac.meeting_view", meeting_id=meeting.id),
    )


@require("marac.case.view")
def minutes_pdf(meeting_id: int, circulation: bool = False):
    meeting = load_meeting(current_user, meeting_id, kind="marac")
    data, person_ids = agenda.minutes_pdf(current_user, meeting, circulation=circulation)
    audit.record(
        "marac.minutes.download",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=person_ids,
        purpose="marac_meeting",
        lawful_basis=agenda.lawful_basis_for(current_user.agency),
        recipient_agency_id=current_user.agency_id,
        details={"copy": "circulation" if circulation else "full"},
    )
    suffix = "-circulation" if circulation else ""
    return pdf_response(data, f"marac-minutes-{to_local(meeting.starts_at):%Y-%m-%d}{suffix}.pdf")


# --- research -----------------------------------------------------------------------------------


@require("marac.research.record")
def research(item_id: int):
    item = _item(item_id)
    case = cases.load_case(
        current_user, item.case_id, kind="marac", log=request.method == "GET", purpose="marac_meeting"
    )
    existing = db.session.scalar(
        db.select(ResearchResponse).where(
            ResearchResponse.agenda_item_id == item.id, ResearchResponse.agency_id == current_user.agency_id
        )
    )
    form = ResearchForm(obj=existing if request.method == "GET" else None)
    if request.method == "GET" and existing is not None:
        form.version_id.data = str(existing.version_id)
        form.held.data = "no_trace" if existing.no_trace else "information_held"

    def page(status: int = 200, confirm_clear: bool = False):
        return render_template(
            "marac/research.html", form=form, item=item, case=case, existing=existing, confirm_clear=confirm_clear
        ), status

    if request.method == "GET":
        return page()
    no_trace = form.held.data == "no_trace"
    has_text = meetings.has_research_text(form.findings.data, form.risks.data, form.withheld.data)
    if form.validate_on_submit() and no_trace and has_text and form.confirm.data not in ("clear", "keep"):
        # "No trace" with text in the boxes: ask before anything is removed (works without JavaScript).
        form.confirm.data = None
        return page(200, confirm_clear=True)
    if no_trace and has_text and form.confirm.data == "keep":
        no_trace = False
        form.held.data = "information_held"
    return submit(
        form,
        lambda: meetings.record_research(
            current_user,
            item,
            no_trace=no_trace,
            findings=form.findings.data,
            risks=form.risks.data,
            withheld=form.withheld.data,
            version=form.submitted_version(),
            clear_text=form.confirm.data == "clear",
        ),
        success=lambda r: (
            f"Research for {case.reference} saved: " + ("no trace." if r.no_trace else "information held.")
        ),
        redirect_to=url_for("marac.meeting_view", meeting_id=item.meeting_id),
        render=page,
    )


# --- the chair's running order ------------------------------------------------------------------


def _running_order_url(item: AgendaItem) -> str:
    position = agenda.position_of(item)
    if position is None:
        return url_for("marac.meeting_view", meeting_id=item.meeting_id)
    return url_for("marac.running_order", meeting_id=item.meeting_id, position=position)


def _return_to_running_order(item: AgendaItem) -> bool:
    """Whether a minutes or action form came from the running order: only the running
    order of this item's own meeting is accepted as ``next`` (never an outside address)."""
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return False
    return endpoint == "marac.running_order" and args.get("meeting_id") == item.meeting_id


def _running_order_page(meeting: Meeting, position: int, status: int = 200, minutes_form=None, action_form=None):
    page = agenda.running_order(current_user, meeting, position)
    if page is None:
        abort(404)
    minutes_form = minutes_form or MinutesForm(formdata=None, obj=page.item, version_id=page.item.version_id)
    minutes_form.set_outcomes(meetings.OUTCOMES)
    action_form = action_form or ActionForm(formdata=None)
    action_form.assigned_agency_id.choices = directory.agency_choices("Choose")
    return render_template(
        "marac/running_order.html",
        page=page,
        row=page.row,
        meeting=meeting,
        minutes_form=minutes_form,
        action_form=action_form,
        outcomes=meetings.OUTCOMES,
        listing_reasons=meetings.LISTING_REASONS,
        risk_levels=RISK_LEVELS,
        here=url_for("marac.running_order", meeting_id=meeting.id, position=position),
    ), status


@require("marac.meeting.manage")
def running_order_start(meeting_id: int):
    meeting = _managed(meeting_id)
    return redirect(url_for("marac.running_order", meeting_id=meeting.id, position=1))


@require("marac.meeting.manage")
def running_order(meeting_id: int, position: int):
    return _running_order_page(_managed(meeting_id), position)


def _render_for(item: AgendaItem, **forms):
    """Where a refused minutes or action form is shown again: the page it came from."""
    if _return_to_running_order(item):
        position = agenda.position_of(item)
        if position is not None:
            return lambda status: _running_order_page(item.meeting, position, status, **forms)
    return lambda status: _minutes_page(item, status, **forms)


def _after_save(item: AgendaItem, anchor: str) -> str:
    if _return_to_running_order(item):
        return _running_order_url(item) + f"#{anchor}"
    return url_for("marac.minutes", item_id=item.id)


# --- running the meeting ----------------------------------------------------------------------


@require("marac.minutes.record")
def attendance_add(meeting_id: int):
    meeting = _managed(meeting_id)
    form = AttendanceForm()
    form.agency_id.choices = choices([(lk.agency.id, lk.agency.name) for lk in meeting.agency_links], blank="Other")
    return meeting_views.submit_attendance(
        meeting,
        form,
        success="Attendance recorded.",
        redirect_to=url_for("marac.meeting_view", meeting_id=meeting.id, _anchor="attendance"),
        render=lambda status: _meeting_page(meeting, status, attendance_form=form),
    )


def _minutes_page(item: AgendaItem, status: int = 200, minutes_form=None, action_form=None):
    cases.record_view(item.case, "marac_meeting")
    minutes_form = minutes_form or MinutesForm(obj=item, version_id=item.version_id)
    minutes_form.set_outcomes(meetings.OUTCOMES)
    action_form = action_form or ActionForm()
    action_form.assigned_agency_id.choices = directory.agency_choices("Choose")
    item_actions = actions.actions_for_item(item.meeting_id, item.case_id)
    research = meetings.research_matrix(item.meeting).get(item.id, {})
    return render_template(
        "marac/minutes.html",
        item=item,
        minutes_form=minutes_form,
        action_form=action_form,
        actions=item_actions,
        research=sorted(research.values(), key=lambda r: r.agency.name),
    ), status


@require("marac.minutes.record")
def minutes(item_id: int):
    item = _item(item_id, manage=True)
    cases.load_case(current_user, item.case_id, kind="marac", log=False)
    if request.method == "GET":
        return _minutes_page(item)
    form = MinutesForm().set_outcomes(meetings.OUTCOMES)
    return meeting_views.submit_minutes(
        item,
        form,
        success="Minutes saved.",
        redirect_to=lambda _: _after_save(item, "minutes-section"),
        render=_render_for(item, minutes_form=form),
    )


@require("marac.minutes.record")
def action_add(item_id: int):
    item = _item(item_id, manage=True)
    case = cases.load_case(current_user, item.case_id, kind="marac", log=False)
    form = ActionForm()
    form.assigned_agency_id.choices = directory.agency_choices("Choose")

    return submit(
        form,
        lambda: actions.create_action(
            current_user,
            case,
            meeting=item.meeting,
            agency_id=form.assigned_agency_id.data,
            description=form.description.data,
            due_on=form.due_on.data,
        ),
        success="Action recorded.",
        redirect_to=lambda _: _after_save(item, "actions-section"),
        render=_render_for(item, action_form=form),
    )


@require("marac.minutes.record")
def meeting_held(meeting_id: int):
    meeting = _managed(meeting_id)
    form = MarkHeldForm()
    back = url_for("marac.meeting_view", meeting_id=meeting.id)
    if not form.validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            question="Are you sure you want to mark the meeting as held?",
            caption=_meeting_caption(meeting),
            warning="Cases with an outcome recorded count as heard in the quarterly return. This cannot be undone.",
            action=url_for("marac.meeting_held", meeting_id=meeting.id),
            cancel_url=back,
            confirm_label="Yes, mark as held",
        )
    return act_and_redirect(
        lambda: core_meetings.mark_held(current_user, meeting, form.submitted_version()),
        success="Meeting marked as held.",
        redirect_to=back,
    )


@require("marac.meeting.manage")
def meeting_cancel(meeting_id: int):
    meeting = _managed(meeting_id)
    form = CancelMeetingForm()
    if not confirmed() and form.validate_on_submit():
        return confirmation_page(
            question="Are you sure you want to cancel the meeting?",
            caption=_meeting_caption(meeting),
            details=[("Reason for cancelling", form.reason.data)],
            warning="Every case on the agenda comes off it and waits to be listed on another meeting. "
            "This cannot be undone.",
            action=url_for("marac.meeting_cancel", meeting_id=meeting.id),
            cancel_url=url_for("marac.meeting_view", meeting_id=meeting.id),
            confirm_label="Yes, cancel the meeting",
        )
    return submit(
        form,
        lambda: core_meetings.cancel(current_user, meeting, reason=form.reason.data, version=form.submitted_version()),
        success=lambda n: f"Meeting cancelled. {n} case(s) taken off its agenda are awaiting listing again.",
        redirect_to=url_for("marac.meeting_view", meeting_id=meeting.id),
        render=lambda status: _meeting_page(meeting, status, cancel_form=form),
    )


@require("marac.meeting.manage")
def meeting_edit(meeting_id: int):
    meeting = _managed(meeting_id)
    form = MeetingEditForm()
    form.chair_user_id.choices = _chair_choices()
    if request.method == "GET":
        form.fill_start(meeting.starts_at)
        form.venue.data = meeting.venue
        form.chair_user_id.data = meeting.chair_user_id
        form.version_id.data = str(meeting.version_id)

    def page(status: int = 200):
        return render_template("marac/meeting_edit.html", form=form, meeting=meeting), status

    if request.method == "GET":
        return page()
    return submit(
        form,
        lambda: core_meetings.reschedule(
            current_user,
            meeting,
            starts_at=form.starts_at(),
            venue=form.venue.data,
            chair_user_id=form.chair_user_id.data,
            version=form.submitted_version(),
        ),
        success="Meeting details saved.",
        redirect_to=url_for("marac.meeting_view", meeting_id=meeting.id),
        render=page,
    )
