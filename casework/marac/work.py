"""What MARAC adds to "My work": the coordinator's referrals awaiting a decision or a meeting,
and every agency's chase list of listed cases it has not researched yet."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import contains_eager, load_only

from ..core.cases import without_access_links
from ..core.localtime import to_local
from ..core.models import Case, User
from ..core.modules import WorkItem, WorkSection
from ..core.policy import visible_case_clause
from ..extensions import db
from . import meetings
from .models import Referral

LIMIT = 10


def _referrals(user: User, status: str) -> list[Referral]:
    return list(
        db.session.scalars(
            sa.select(Referral)
            .join(Case, Case.id == Referral.case_id)
            .where(Case.kind == "marac", Case.status == status, visible_case_clause(user))
            .options(
                load_only(Referral.case_id, Referral.referral_date),
                without_access_links(contains_eager(Referral.case).load_only(Case.reference)),
            )
            .order_by(Case.opened_on, Case.id)  # oldest first (a MARAC case opens on its referral date)
            .limit(LIMIT)
        )
    )


def _url(endpoint: str, **values) -> str:
    """``url_for``, also when "My work" is built outside a request (a script or a test)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind(
        current_app.config.get("SERVER_NAME") or "localhost",
        script_name=current_app.config.get("APPLICATION_ROOT") or "/",
    )
    return adapter.build(endpoint, values)


def research_chase(user: User) -> WorkSection | None:
    """Cases on meetings still to come, whose distribution list includes the user's agency,
    that the agency has not researched: each links to the research form."""
    if not user.can("marac.research.record"):
        return None
    items = meetings.research_outstanding(user, limit=LIMIT)
    return WorkSection(
        title="MARAC research your agency has not done yet",
        items=[
            WorkItem(
                label=item.case.reference,
                url=_url("marac.research", item_id=item.id),
                detail=f"research before the meeting on {to_local(item.meeting.starts_at):%-d %b %Y}",
            )
            for item in items
        ],
        empty="Your agency has researched every case listed on its upcoming meetings.",
        more_url=_url("marac.meeting_list"),
        case_ids=[item.case_id for item in items],
    )


def my_work(user: User, today: date) -> list[WorkSection]:
    sections = []
    chase = research_chase(user)
    if chase is not None:
        sections.append(chase)
    if not user.can("marac.referral.decide"):
        return sections
    for status, title, empty in (
        ("submitted", "MARAC referrals awaiting your decision", "No referrals are waiting for a decision."),
        ("accepted", "Accepted MARAC referrals not yet on a meeting", "Every accepted referral is listed."),
    ):
        rows = _referrals(user, status)
        sections.append(
            WorkSection(
                title=title,
                items=[
                    WorkItem(
                        label=r.case.reference,
                        url=url_for("marac.case_view", case_id=r.case_id),
                        detail=f"referred {r.referral_date:%-d %b %Y}",
                    )
                    for r in rows
                ],
                empty=empty,
                more_url=url_for("marac.case_list", status=status),
                case_ids=[r.case_id for r in rows],
            )
        )
    return sections
