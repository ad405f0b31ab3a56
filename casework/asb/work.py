"""What ASB adds to "My work": missed contacts with victims on the cases the user leads and
victims' risk re-assessments falling due (support plan reviews the user owns are already
listed by core from the shared Plan)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import contains_eager

from ..core.cases import without_access_links
from ..core.models import Case, User
from ..core.modules import WorkItem, WorkSection
from ..core.policy import visible_case_clause
from ..extensions import db
from . import support
from .models import Victim

REASSESS_HORIZON_DAYS = 7


def my_work(user: User, today: date) -> list[WorkSection]:
    if not user.can("asb.case.edit"):
        return []
    missed = support.missed_contacts_page(user, 1, 10, today=today, lead_user_id=user.id).items
    sections = [
        WorkSection(
            title="ASB victims due a contact",
            items=[
                WorkItem(
                    label=a.case.reference,
                    url=url_for("asb.case_view", case_id=a.case_id),
                    due_on=a.next_contact_due_on,
                    overdue=True,
                    detail=f"{(a.risk_band or 'no').capitalize()} risk, contact every {a.contact_every_days} days",
                )
                for a in missed
            ],
            empty="No contacts with victims are overdue.",
            more_url=url_for("asb.team"),
            case_ids=[a.case_id for a in missed],
        )
    ]
    due = list(
        db.session.scalars(
            sa.select(Victim)
            .join(Case, Case.id == Victim.case_id)
            .where(
                Victim.reassess_due_on <= today + timedelta(days=REASSESS_HORIZON_DAYS),
                Case.lead_user_id == user.id,
                Case.closed_on.is_(None),
                visible_case_clause(user),
            )
            .options(without_access_links(contains_eager(Victim.case)))
            .order_by(Victim.reassess_due_on)
            .limit(10)
        )
    )
    sections.append(
        WorkSection(
            title="ASB risk re-assessments due",
            items=[
                WorkItem(
                    label=v.case.reference,
                    url=url_for("asb.risk", case_id=v.case_id),
                    due_on=v.reassess_due_on,
                    overdue=v.reassess_due_on < today,
                    detail=f"last assessed {(v.risk_band or '').lower()}",
                )
                for v in due
            ],
            empty="No risk re-assessments are due this week.",
            case_ids=[v.case_id for v in due],
        )
    )
    return sections


# ASB Case Review: overdue deadlines (casework/asb/case_review/work.py) follow the sections above.
_sections_before_case_review = my_work


def my_work(user: User, today: date) -> list[WorkSection]:
    from .case_review.work import sections

    return _sections_before_case_review(user, today) + sections(user, today)
