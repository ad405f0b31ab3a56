"""ASB multi-agency meetings on the shared meetings: schedule, agenda, minutes, attendance, actions."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user
from sqlalchemy.orm import lazyload

from ...core.access import require
from ...core.forms import choices
from ...core.meeting_views import MeetingPages
from ...core.models import Case, User
from ...core.policy import visible_case_clause
from ...core.views import submit
from ...extensions import db
from .. import meetings
from ..forms import ListCaseForm
from ..models import AsbCase


def _chairs() -> list[User]:
    users = db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.display_name))
    return [u for u in users if u.can("asb.meeting.manage")]


def _listing(meeting, given) -> dict:
    """The form that lists an open ASB case the user may see on the meeting."""
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
    return {"listing": listing}


PAGES = MeetingPages(
    kind=meetings.MEETING_KIND,
    case_kind="asb",
    endpoint="asb.meeting_view",
    list_template="asb/meeting_list.html",
    page_template="asb/meeting.html",
    minutes_template="asb/minutes.html",
    chairs=_chairs,
    record_action=meetings.record_action,
    extra_forms=_listing,
    minutes_context=lambda back: {"back": back},
)


@require("asb.case.view")
def meeting_list():
    return PAGES.list_page()


@require("asb.meeting.manage")
def meeting_new():
    return PAGES.schedule()


@require("asb.case.view")
def meeting_view(meeting_id: int):
    return PAGES.view(meeting_id)


@require("asb.meeting.manage")
def meeting_list_case(meeting_id: int):
    meeting = PAGES.managed(meeting_id)
    form = ListCaseForm(prefix="listing")
    _listing(meeting, {"listing": form})
    return submit(
        form,
        lambda: meetings.list_case(current_user, meeting, form.case_id.data),
        success="Case listed",
        redirect_to=PAGES.url(meeting),
        render=lambda status: PAGES.page(meeting, status, listing=form),
    )


@require("asb.meeting.manage")
def meeting_action(meeting_id: int):
    return PAGES.action(meeting_id)


@require("asb.meeting.manage")
def meeting_attendance(meeting_id: int):
    return PAGES.attendance(meeting_id)


@require("asb.meeting.manage")
def meeting_held(meeting_id: int):
    return PAGES.mark_held(meeting_id)


@require("asb.meeting.manage")
def meeting_minutes(item_id: int):
    return PAGES.minutes(item_id)
