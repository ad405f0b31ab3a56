"""What the ASB Case Review adds to "My work": reviews with a deadline past (acknowledgement,
threshold decision, review meeting or appeal), so no statutory timescale passes unseen."""

from __future__ import annotations

from datetime import date

from flask import url_for

from ...core.models import User
from ...core.modules import WorkItem, WorkSection
from . import services


def sections(user: User, today: date) -> list[WorkSection]:
    if not user.can("asb.case.edit"):
        return []
    overdue = services.overdue_for(user, today)
    return [
        WorkSection(
            title="ASB Case Review deadlines overdue",
            items=[
                WorkItem(
                    label=review.case.reference,
                    url=url_for("asb.case_review_view", review_id=review.id),
                    due_on=deadline.due_on,
                    overdue=True,
                    detail=f"{deadline.label}: {deadline.countdown.lower()}",
                )
                for review, deadline in overdue
            ],
            empty="No ASB Case Review deadline has passed.",
            more_url=url_for("asb.case_review_list"),
            case_ids=sorted({review.case_id for review, _ in overdue}),
        )
    ]
