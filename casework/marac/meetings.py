"""MARAC rules on the shared meeting mechanism (``core/meetings.py``): cut-off, listing, research.

Meetings are held every 2-4 weeks and hear about 16 cases on average
(SafeLives). A referral is listed on the first meeting whose cut-off it
meets; the cut-off is a configurable number of working days before the
meeting (MARAC_CUTOFF_WORKING_DAYS; weekends skipped, bank holidays not).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from ..core import audit, cases
from ..core import meetings as core_meetings
from ..core.models import AgendaItem, Case, Meeting, User
from ..core.periods import local_date
from ..core.services import ServiceError, check_version
from ..extensions import db
from .models import Referral, ResearchResponse

OUTCOMES = {
    "actions_agreed": "Actions agreed",
    "no_further_action": "No further action",
    "deferred": "Deferred to next meeting",
    "transferred": "Transferred to another MARAC",
}
LISTING_REASONS = {"new": "New referral", "repeat": "Repeat", "urgent": "Urgent", "transfer_in": "Transfer in"}
# A case may be listed once its referral is accepted, and again after it has been heard.
LISTABLE_STATUSES = ("accepted", "listed", "heard")


def subtract_working_days(day: date, n: int) -> date:
    while n > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def cutoff_date(meeting: Meeting) -> date:
    return subtract_working_days(local_date(meeting.starts_at), current_app.config["MARAC_CUTOFF_WORKING_DAYS"])


def _referral(case: Case) -> Referral | None:
    return db.session.scalar(sa.select(Referral).where(Referral.case_id == case.id))


class MaracMeetingRules:
    """What MARAC adds to a meeting: referral checks, cut-off and case statuses."""

    outcomes = OUTCOMES
    listing_reasons = LISTING_REASONS

    def cutoff(self, meeting: Meeting) -> date | None:
        return cutoff_date(meeting)

    def check_listing(self, meeting: Meeting, case: Case, *, urgent: bool) -> None:
        referral = _referral(case)
        if referral is None or case.status not in LISTABLE_STATUSES:
            raise ServiceError("Only accepted referrals can be listed", "case_id")
        if not urgent and cutoff_date(meeting) < referral.referral_date:
            raise ServiceError(
                "This referral missed the meeting's cut-off: list it as urgent or on a later meeting", "case_id"
            )

    def listing_reason(self, case: Case) -> str:
        referral = _referral(case)
        return listing_reason(referral) if referral is not None else "new"

    def on_listed(self, case: Case) -> None:
        cases.set_status(case, "listed")

    def on_unlisted(self, case: Case) -> None:
        if case.status == "listed" and case.is_open:
            cases.set_status(case, "accepted")

    def on_heard(self, case: Case) -> None:
        if case.status == "listed":
            cases.set_status(case, "heard")


def listing_reason(referral: Referral) -> str:
    if referral.transfer_in:
        return "transfer_in"
    if referral.is_repeat:
        return "repeat"
    return "new"


def next_meeting_for(ready_on: date) -> Meeting | None:
    """The first scheduled MARAC meeting whose cut-off is on or after ``ready_on``."""
    for meeting in core_meetings.upcoming_meetings("marac"):
        if cutoff_date(meeting) >= ready_on:
            return meeting
    return None


def auto_list(user: User, referral: Referral) -> AgendaItem | None:
    """List an accepted referral on the next meeting whose cut-off it meets, if one is scheduled."""
    meeting = next_meeting_for(referral.referral_date)
    if meeting is None:
        return None
    return core_meetings.list_case(user, meeting, referral.case, reason=listing_reason(referral))


# --- research ---------------------------------------------------------------------


def record_research(
    user: User,
    item: AgendaItem,
    *,
    no_trace: bool,
    findings: str | None,
    risks: str | None,
    withheld: str | None,
    version: int | None = None,
) -> ResearchResponse:
    """An agency's research for one listed case; only agencies on the distribution list respond."""
    if user.agency_id not in item.meeting.agency_ids:
        raise ServiceError("Your agency is not on this meeting's distribution list")
    if item.removed_reason is not None or item.meeting.status == "cancelled":
        raise ServiceError("This case is no longer on the agenda")
    if not no_trace and not (findings or risks):
        raise ServiceError("Record your findings, or choose 'No trace'", "findings")
    response = db.session.scalar(
        sa.select(ResearchResponse).where(
            ResearchResponse.agenda_item_id == item.id, ResearchResponse.agency_id == user.agency_id
        )
    )
    if response is None:
        response = ResearchResponse(agenda_item_id=item.id, agency_id=user.agency_id)
        db.session.add(response)
    else:
        check_version(response, version)  # a colleague may have saved this agency's research meanwhile
    response.user_id = user.id
    response.no_trace = no_trace
    response.findings = None if no_trace else findings
    response.risks = None if no_trace else risks
    response.withheld = withheld
    db.session.flush()
    audit.record(
        "marac.research.record",
        object_type="case",
        object_id=item.case_id,
        person_ids=cases.person_ids_of(item.case),
        purpose="marac_meeting",
        details={"meeting_id": item.meeting_id, "no_trace": no_trace},
    )
    return response


def research_matrix(meeting: Meeting) -> dict[int, dict[int, ResearchResponse]]:
    """{agenda item id: {agency id: response}} for the whole meeting in one query."""
    rows = db.session.scalars(
        sa.select(ResearchResponse)
        .join(AgendaItem, AgendaItem.id == ResearchResponse.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting.id)
    )
    out: dict[int, dict[int, ResearchResponse]] = {}
    for r in rows:
        out.setdefault(r.agenda_item_id, {})[r.agency_id] = r
    return out
