"""IOM panel pages on the shared meetings: schedule, agenda, decisions, actions, attendance, minutes."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from ...core import audit
from ...core.access import require
from ...core.exports import pdf_response
from ...core.localtime import to_local
from ...core.meeting_views import MeetingPages
from ...core.policy import load_meeting
from ...core.views import act_and_redirect
from ...extensions import db
from .. import cohort, panel, panel_docs
from ..models import Nomination
from .common import _strand_labels

# --- panel meetings ----------------------------------------------------------------------


def _chairs():
    return [u for u in cohort.lead_officers() if u.can("iom.meeting.manage")]


def _open_nominations(case_ids: list[int]) -> dict:
    """The page's extra context: each listed case's open nomination, and the strand labels."""
    nominations = (
        {
            n.case_id: n
            for n in db.session.scalars(
                sa.select(Nomination).where(Nomination.case_id.in_(case_ids), Nomination.status == "open")
            )
        }
        if case_ids
        else {}
    )
    return {"nominations": nominations, "strands": dict(_strand_labels())}


PAGES = MeetingPages(
    kind=panel.MEETING_KIND,
    case_kind="iom",
    endpoint="iom.panel_view",
    list_template="iom/panel_list.html",
    page_template="iom/panel.html",
    minutes_template="iom/minutes.html",
    chairs=_chairs,
    record_action=panel.record_action,
    scheduled="Panel scheduled",
    held="Panel marked as held",
    action_blank="Choose the agency",
    context=_open_nominations,
)


@require("iom.case.view")
def panel_list():
    return PAGES.list_page()


@require("iom.meeting.manage")
def panel_new():
    return PAGES.schedule()


@require("iom.case.view")
def panel_view(meeting_id: int):
    return PAGES.view(meeting_id)


@require("iom.meeting.manage")
def panel_build(meeting_id: int):
    meeting = PAGES.managed(meeting_id)
    return act_and_redirect(
        lambda: panel.build_agenda(current_user, meeting),
        success="Agenda built: nominations to decide and offenders due for review are listed",
        redirect_to=PAGES.url(meeting),
    )


@require("iom.meeting.manage")
def panel_action(meeting_id: int):
    return PAGES.action(meeting_id)


@require("iom.meeting.manage")
def panel_attendance(meeting_id: int):
    return PAGES.attendance(meeting_id)


@require("iom.meeting.manage")
def panel_held(meeting_id: int):
    return PAGES.mark_held(meeting_id)


@require("iom.meeting.manage")
def panel_minutes(item_id: int):
    return PAGES.minutes(item_id)


def _record_download(event: str, meeting, papers, **extra) -> None:
    """A panel paper downloaded: shared with the user's agency, naming the people in it."""
    audit.record(
        event,
        object_type="meeting",
        object_id=meeting.id,
        person_ids=papers.person_ids,
        purpose="iom_panel",
        recipient_agency_id=current_user.agency_id,
        **extra,
    )


@require("iom.case.view")
def panel_agenda_pdf(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND)
    papers = panel_docs.build(current_user, meeting)
    data = panel_docs.agenda_pdf(papers)
    _record_download("iom.agenda.download", meeting, papers)
    return pdf_response(data, f"iom-panel-agenda-{to_local(meeting.starts_at):%Y-%m-%d}.pdf")


@require("iom.case.view")
def panel_minutes_pdf(meeting_id: int, circulation: bool = False):
    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND)
    papers = panel_docs.build(current_user, meeting, initials_only=circulation)
    data = panel_docs.minutes_pdf(papers, circulation=circulation)
    _record_download(
        "iom.minutes.download", meeting, papers, details={"copy": "circulation" if circulation else "full"}
    )
    suffix = "-circulation" if circulation else ""
    return pdf_response(data, f"iom-panel-minutes-{to_local(meeting.starts_at):%Y-%m-%d}{suffix}.pdf")
