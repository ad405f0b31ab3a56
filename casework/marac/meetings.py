"""MARAC rules on the shared meeting mechanism (``core/meetings.py``): cut-off, listing, research.

Meetings are held every 2-4 weeks and hear about 16 cases on average
(SafeLives). A referral is listed on the first meeting whose cut-off it
meets; the cut-off is a configurable number of working days before the
meeting (MARAC_CUTOFF_WORKING_DAYS; weekends skipped, bank holidays not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, contains_eager, defaultload

from ..core import audit, cases
from ..core import meetings as core_meetings
from ..core.models import AgendaItem, Case, Meeting, MeetingAgency, User
from ..core.periods import local_date
from ..core.policy import visible_case_clause
from ..core.services import ServiceError, check_version
from ..core.types import utcnow
from ..extensions import db
from . import notifications
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


@dataclass(frozen=True)
class MeetingChoice:
    """A scheduled meeting offered when a referral is accepted."""

    meeting: Meeting
    cutoff: date
    meets_cutoff: bool


def meeting_choices(referral: Referral) -> list[MeetingChoice]:
    """Scheduled MARAC meetings still to come, soonest first, each saying whether the referral
    meets its cut-off (a meeting whose cut-off has passed takes it only as an urgent listing)."""
    out = []
    for meeting in core_meetings.upcoming_meetings("marac"):
        cutoff = cutoff_date(meeting)
        out.append(MeetingChoice(meeting, cutoff, cutoff >= referral.referral_date))
    return out


def list_accepted(user: User, referral: Referral, meeting: Meeting) -> AgendaItem:
    """List a just-accepted referral on the meeting the coordinator chose: with its own
    reason (new, repeat, transfer in) if it meets the cut-off, as urgent if it does not."""
    if meeting.kind != "marac" or meeting.status != "scheduled" or meeting.starts_at < utcnow():
        raise ServiceError("Select a meeting still to come, or 'List later'", "meeting_id")
    urgent = cutoff_date(meeting) < referral.referral_date
    return notifications.case_listed(
        core_meetings.list_case(
            user, meeting, referral.case, reason=None if urgent else listing_reason(referral), urgent=urgent
        )
    )


def auto_list(user: User, referral: Referral) -> AgendaItem | None:
    """List an accepted referral on the next meeting whose cut-off it meets, if one is scheduled."""
    meeting = next_meeting_for(referral.referral_date)
    if meeting is None:
        return None
    return notifications.case_listed(
        core_meetings.list_case(user, meeting, referral.case, reason=listing_reason(referral))
    )


# --- research ---------------------------------------------------------------------

# A response is one of these, never both: "information held" carries the text, "no trace" none.
RESEARCH_ANSWERS = {
    "information_held": "Information held",
    "no_trace": "No trace: my agency holds no information on these people",
}


def has_research_text(findings: str | None, risks: str | None, withheld: str | None) -> bool:
    return any((t or "").strip() for t in (findings, risks, withheld))


def record_research(
    user: User,
    item: AgendaItem,
    *,
    no_trace: bool,
    findings: str | None,
    risks: str | None,
    withheld: str | None,
    version: int | None = None,
    clear_text: bool = False,
) -> ResearchResponse:
    """An agency's research for one listed case; only agencies on the distribution list respond.

    "No trace" and "information held" exclude each other. A "no trace" response holds no
    text, so nothing an agency wrote can sit unseen behind the flag; text submitted with
    "no trace" is removed only when the user has confirmed it (``clear_text``), never silently.
    """
    if user.agency_id not in item.meeting.agency_ids:
        raise ServiceError("Your agency is not on this meeting's distribution list")
    if item.removed_reason is not None or item.meeting.status == "cancelled":
        raise ServiceError("This case is no longer on the agenda")
    text = has_research_text(findings, risks, withheld)
    if no_trace and text and not clear_text:
        raise ServiceError(
            "You chose 'No trace' and entered information: confirm the text should be removed, "
            "or choose 'Information held'",
            "held",
        )
    if not no_trace and not text:
        raise ServiceError("Enter the information your agency holds, or choose 'No trace'", "findings")
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
    response.withheld = None if no_trace else withheld
    db.session.flush()
    audit.record(
        "marac.research.record",
        object_type="case",
        object_id=item.case_id,
        person_ids=cases.person_ids_of(item.case),
        purpose="marac_meeting",
        details={"meeting_id": item.meeting_id, "no_trace": no_trace, "text_cleared": bool(no_trace and text)},
    )
    return response


def research_outstanding(user: User, *, limit: int = 10, now: datetime | None = None) -> list[AgendaItem]:
    """The chase list: cases on scheduled meetings still to come, whose distribution list
    includes the user's agency, that the agency has not researched yet (soonest meeting first).
    Only cases the user may open are listed (a restricted case shows to its named members)."""
    if user.agency_id is None or not user.can("marac.research.record"):
        return []
    # Aliases: the visibility clause has its own AgendaItem / MeetingAgency subquery, which
    # must not correlate with the rows listed here.
    item, link = aliased(AgendaItem), aliased(MeetingAgency)
    answered = sa.exists().where(
        ResearchResponse.agenda_item_id == item.id, ResearchResponse.agency_id == user.agency_id
    )
    return list(
        db.session.scalars(
            sa.select(item)
            .join(Meeting, Meeting.id == item.meeting_id)
            .join(link, sa.and_(link.meeting_id == Meeting.id, link.agency_id == user.agency_id))
            .join(Case, Case.id == item.case_id)
            .where(
                Meeting.kind == "marac",
                Meeting.status == "scheduled",
                Meeting.starts_at >= (now or utcnow()),
                item.removed_reason.is_(None),
                ~answered,
                visible_case_clause(user),
            )
            .options(
                contains_eager(item.meeting).load_only(Meeting.starts_at),
                defaultload(item.meeting).lazyload(Meeting.agency_links),  # not shown on the list
                cases.without_access_links(contains_eager(item.case).load_only(Case.reference)),
            )
            .order_by(Meeting.starts_at, item.position, item.id)
            .limit(limit)
        )
    )


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
