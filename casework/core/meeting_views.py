"""Form handling shared by every module's meeting page: scheduling, the page's forms,
minutes, attendance and actions agreed.

Each module's meeting page renders these core forms (``core/work_forms.py``); building
and submitting them is the same everywhere, so it is done once here and the module
passes what differs: the meeting kind, its chairs, labels, templates, where to go next
and how to show the page again with the errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from . import actions, audit, cases, meetings, modules
from .directory import agency_pairs
from .forms import choices
from .models import AgendaItem, Case, Meeting, User
from .policy import can_open_meeting, can_view_case, load_meeting
from .services import get_or_404
from .views import act_and_redirect, submit
from .work_forms import ActionForm, AttendanceForm, MeetingForm, MinutesForm

RecordAction = Callable[..., object]
Render = Callable[[int], object]
Success = str | Callable[[object], str]
RedirectTo = str | Callable[[object], str]


# --- the forms on the meeting list and meeting page --------------------------------------


def schedule_choices(form: MeetingForm, *, chairs: Iterable[User], agencies: Iterable[tuple[int, str]]) -> MeetingForm:
    """Offer ``chairs`` (users who may run these meetings) and ``agencies`` ((id, name)) on a schedule form."""
    form.chair_user_id.choices = choices([(str(u.id), u.display_name) for u in chairs], blank="Choose")
    form.agency_ids.choices = choices([(str(i), n) for i, n in agencies])
    return form


def attendance_choices(form: AttendanceForm, meeting: Meeting, agencies: Iterable[tuple[int, str]]) -> AttendanceForm:
    """Offer the agencies on the meeting's distribution list (named from ``agencies``), or "Other"."""
    names = dict(agencies)
    form.agency_id.choices = choices(
        [(str(a), names.get(a, str(a))) for a in sorted(meeting.agency_ids)], blank="Other"
    )
    return form


def meeting_forms(
    meeting: Meeting | None,
    given: Mapping[str, FlaskForm],
    *,
    chairs: Iterable[User],
    agencies: Iterable[tuple[int, str]],
    action_blank: str = "Choose",
) -> dict[str, FlaskForm]:
    """The schedule form and, for a meeting, its action and attendance forms.

    A form in ``given`` (one just submitted, with its errors) is used as it is; the others
    are blank. ``action_blank`` is the first option of the action's agency select.
    """
    agencies = list(agencies)
    schedule = given.get("schedule") or MeetingForm(formdata=None, prefix="schedule")
    out: dict[str, FlaskForm] = {"schedule": schedule_choices(schedule, chairs=chairs, agencies=agencies)}
    if meeting is not None:
        action = given.get("action") or ActionForm(formdata=None, prefix="action")
        action.assigned_agency_id.choices = choices([(str(i), n) for i, n in agencies], blank=action_blank)
        out["action"] = action
        attendance = given.get("attendance") or AttendanceForm(formdata=None, prefix="attendance")
        out["attendance"] = attendance_choices(attendance, meeting, agencies)
    return out


def meeting_page(
    meeting: Meeting,
    forms: dict[str, FlaskForm],
    *,
    template: str,
    event: str,
    purpose: str,
    manage: str,
    status: int = 200,
    context: Callable[[list[int]], Mapping[str, Any]] | None = None,
) -> tuple[str, int]:
    """A meeting's page: its agenda, forms and the actions agreed, the view audited as ``event``.

    ``manage`` is the capability that shows the organiser's forms; ``context`` adds what
    the module's template needs from the listed case ids.
    """
    items = meetings.active_items(meeting)
    # A restricted case on the agenda shows only its reference to those not named on it:
    # its actions, choices and people are left out for them, and so is the module's context.
    visible = {i.case_id for i in items if can_view_case(current_user, i.case)}
    case_ids = [i.case_id for i in items if i.case_id in visible]
    audit.record(
        event,
        object_type="meeting",
        object_id=meeting.id,
        person_ids=cases.person_ids_of_cases(case_ids),
        purpose=purpose,
    )
    extra = context(case_ids) if context is not None else {}
    if "action" in forms:
        forms["action"].case_choices = choices(
            [(str(i.case_id), i.case.reference) for i in items if i.case_id in visible], blank="Choose"
        )
    agreed = [a for case_id in case_ids for a in actions.actions_for_item(meeting.id, case_id)]
    return (
        render_template(
            template,
            meeting=meeting,
            items=items,
            visible=visible,
            forms=forms,
            manage=current_user.can(manage),
            actions=agreed,
            **extra,
        ),
        status,
    )


# --- submissions ---------------------------------------------------------------------------


def submit_schedule(form: MeetingForm, *, kind: str, success: Success, redirect_to: RedirectTo, render: Render):
    """Schedule a meeting of ``kind``: the form's local date and time are stored as UTC."""
    return submit(
        form,
        lambda: meetings.schedule(
            current_user,
            kind=kind,
            starts_at=form.starts_at(),
            venue=form.venue.data,
            chair_user_id=form.chair_user_id.data,
            agency_ids=form.agency_ids.data,
        ),
        success=success,
        redirect_to=redirect_to,
        render=render,
    )


def submit_minutes(item: AgendaItem, form: MinutesForm, *, success: Success, redirect_to: RedirectTo, render: Render):
    """Record the discussion and outcome of one agenda item (version-checked)."""
    return submit(
        form,
        lambda: meetings.record_minutes(
            current_user, item, minutes=form.minutes.data, outcome=form.outcome.data, version=form.submitted_version()
        ),
        success=success,
        redirect_to=redirect_to,
        render=render,
    )


def minutes_page(
    item: AgendaItem,
    meeting: Meeting,
    case: Case,
    *,
    template: str,
    purpose: str,
    redirect_to: str,
    **context: Any,
):
    """The minutes form of one agenda item: shown (the case record view audited under
    ``purpose``) on GET, recorded on POST."""
    outcomes = modules.meeting_rules(meeting.kind).outcomes
    if request.method == "GET":
        form = MinutesForm(formdata=None, obj=item, version_id=item.version_id).set_outcomes(outcomes)
        cases.record_view(case, purpose)
        return render_template(template, form=form, item=item, meeting=meeting, **context)
    form = MinutesForm().set_outcomes(outcomes)
    return submit_minutes(
        item,
        form,
        success=f"Minutes recorded for {case.reference}",
        redirect_to=redirect_to,
        render=lambda status: (render_template(template, form=form, item=item, meeting=meeting, **context), status),
    )


def mark_held(meeting: Meeting, *, success: str, redirect_to: str):
    """Mark the meeting as held (version-checked from the posted ``version_id``)."""
    return act_and_redirect(
        lambda: meetings.mark_held(current_user, meeting, request.form.get("version_id", type=int)),
        success=success,
        redirect_to=redirect_to,
    )


def submit_attendance(
    meeting: Meeting, form: AttendanceForm, *, redirect_to: str, render: Render, success: str = "Attendance recorded"
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
    meeting: Meeting,
    form: ActionForm,
    record: RecordAction,
    *,
    redirect_to: str,
    render: Render,
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


# --- a module's meeting pages ---------------------------------------------------------------


@dataclass(frozen=True)
class MeetingPages:
    """The list, page and forms of one module's meetings on the shared mechanism.

    The module declares what differs (its meeting and case kinds, endpoint, templates,
    chairs, wording and extra forms) and keeps its own views, each declaring its
    capability and calling the method here. The page is audited as
    ``<case kind>.meeting.view`` under the purpose the module registers for its meetings;
    ``<case kind>.meeting.manage`` shows the organiser's forms.
    """

    kind: str  # the meeting kind
    case_kind: str
    endpoint: str  # the meeting page's endpoint, given ``meeting_id``
    list_template: str
    page_template: str
    minutes_template: str
    chairs: Callable[[], Iterable[User]]
    record_action: RecordAction
    scheduled: str = "Meeting scheduled"
    held: str = "Meeting marked as held"
    action_blank: str = "Choose"
    # Forms the module adds to a meeting's page, given the meeting and the submitted forms.
    extra_forms: Callable[[Meeting, Mapping[str, FlaskForm]], dict[str, FlaskForm]] | None = None
    # What the page's template needs besides the core context, from the listed case ids.
    context: Callable[[list[int]], Mapping[str, Any]] | None = None
    minutes_context: Callable[[str], Mapping[str, Any]] = field(default=lambda back: {})

    @property
    def manage(self) -> str:
        """The capability of the meetings' organisers (it shows their forms)."""
        return f"{self.case_kind}.meeting.manage"

    @property
    def purpose(self) -> str:
        """The audit purpose the module registers for its meetings."""
        module = modules.for_meeting_kind(self.kind)
        if module is None or module.meeting_purpose is None:
            raise LookupError(f"no module registers a purpose for {self.kind!r} meetings")
        return module.meeting_purpose

    def url(self, meeting: Meeting) -> str:
        return url_for(self.endpoint, meeting_id=meeting.id)

    def managed(self, meeting_id: int) -> Meeting:
        return load_meeting(current_user, meeting_id, kind=self.kind, manage=True)

    def forms(self, meeting: Meeting | None = None, **given: FlaskForm) -> dict[str, FlaskForm]:
        out = meeting_forms(
            meeting, given, chairs=self.chairs(), agencies=agency_pairs(), action_blank=self.action_blank
        )
        if meeting is not None and self.extra_forms is not None:
            out.update(self.extra_forms(meeting, given))
        return out

    def page(self, meeting: Meeting, status: int = 200, **given: FlaskForm) -> tuple[str, int]:
        return meeting_page(
            meeting,
            self.forms(meeting, **given),
            template=self.page_template,
            event=f"{self.case_kind}.meeting.view",
            purpose=self.purpose,
            manage=self.manage,
            status=status,
            context=self.context,
        )

    def list_page(self) -> str:
        """The upcoming meetings the user may open, with the schedule form."""
        items = [m for m in meetings.upcoming_meetings(self.kind) if can_open_meeting(current_user, m)]
        return render_template(self.list_template, meetings=items, forms=self.forms())

    def view(self, meeting_id: int) -> tuple[str, int]:
        return self.page(load_meeting(current_user, meeting_id, kind=self.kind))

    def schedule(self):
        form = MeetingForm(prefix="schedule")
        forms = self.forms(schedule=form)
        return submit_schedule(
            form,
            kind=self.kind,
            success=self.scheduled,
            redirect_to=lambda m: self.url(m),
            render=lambda status: (render_template(self.list_template, meetings=[], forms=forms), status),
        )

    def action(self, meeting_id: int):
        meeting = self.managed(meeting_id)
        form = ActionForm(prefix="action")
        self.forms(meeting, action=form)
        return submit_action(
            meeting,
            form,
            self.record_action,
            redirect_to=self.url(meeting),
            render=lambda status: self.page(meeting, status, action=form),
        )

    def attendance(self, meeting_id: int):
        meeting = self.managed(meeting_id)
        form = attendance_choices(AttendanceForm(prefix="attendance"), meeting, agency_pairs())
        return submit_attendance(
            meeting,
            form,
            redirect_to=self.url(meeting),
            render=lambda status: self.page(meeting, status, attendance=form),
        )

    def mark_held(self, meeting_id: int):
        meeting = self.managed(meeting_id)
        return mark_held(meeting, success=self.held, redirect_to=self.url(meeting))

    def minutes(self, item_id: int):
        item = get_or_404(AgendaItem, item_id)
        meeting = load_meeting(current_user, item.meeting_id, kind=self.kind, manage=True)
        case = cases.load_case(current_user, item.case_id, kind=self.case_kind, log=False)
        back = self.url(meeting)
        return minutes_page(
            item,
            meeting,
            case,
            template=self.minutes_template,
            purpose=self.purpose,
            redirect_to=back,
            **self.minutes_context(back),
        )
