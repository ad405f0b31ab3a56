"""What IOM adds to "My work": pathway reviews overdue, releases from custody coming up, and
(for the panel chair) nominations waiting for a decision."""

from __future__ import annotations

from datetime import date

from flask import url_for

from ..core.models import User
from ..core.modules import WorkItem, WorkSection
from . import cohort, nominations, pathways

RELEASE_DAYS = 28


def my_work(user: User, today: date) -> list[WorkSection]:
    if not user.can("iom.case.view"):
        return []
    sections = []
    if user.can("iom.case.edit"):
        overdue = pathways.overdue_reviews(user, today)
        sections.append(
            WorkSection(
                title="IOM pathway reviews overdue",
                items=[
                    WorkItem(
                        label=need.case.reference,
                        url=url_for("iom.case_view", case_id=need.case_id),
                        due_on=need.review_due_on,
                        overdue=True,
                        detail=need.pathway.label,
                    )
                    for need in overdue
                ],
                empty="No pathway reviews are overdue.",
                case_ids=sorted({n.case_id for n in overdue}),
            )
        )
    releases = cohort.releases_due(user, today, days=RELEASE_DAYS)
    sections.append(
        WorkSection(
            title=f"IOM releases from custody in the next {RELEASE_DAYS} days",
            items=[
                WorkItem(
                    label=o.case.reference,
                    url=url_for("iom.case_view", case_id=o.case_id),
                    detail=f"expected release {o.expected_release_on:%-d %b %Y}",
                )
                for o in releases
            ],
            empty="No releases are expected in the next four weeks.",
            case_ids=[o.case_id for o in releases],
        )
    )
    if user.can("iom.cohort.manage"):
        waiting = nominations.open_nominations(user, limit=10)
        sections.append(
            WorkSection(
                title="IOM nominations waiting for the panel",
                items=[
                    WorkItem(
                        label=n.case.reference,
                        url=url_for("iom.case_view", case_id=n.case_id),
                        detail=f"nominated {n.nominated_on:%-d %b %Y}, score {n.score}",
                    )
                    for n in waiting
                ],
                empty="No nominations are waiting.",
                more_url=url_for("iom.nomination_list"),
                case_ids=[n.case_id for n in waiting],
            )
        )
    return sections
