"""What MARAC adds to "My work": the coordinator's referrals awaiting a decision or a meeting."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import contains_eager, load_only

from ..core.models import Case, User
from ..core.modules import WorkItem, WorkSection
from ..core.policy import visible_case_clause
from ..extensions import db
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
                contains_eager(Referral.case).load_only(Case.reference),
            )
            .order_by(Case.opened_on, Case.id)  # oldest first (a MARAC case opens on its referral date)
            .limit(LIMIT)
        )
    )


def my_work(user: User, today: date) -> list[WorkSection]:
    if not user.can("marac.referral.decide"):
        return []
    sections = []
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
