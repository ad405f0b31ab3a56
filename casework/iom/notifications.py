"""What IOM tells people, through the core notification mechanism (casework/notifications).

A nomination is notified to the panel's managers when it is made; releases from custody,
pathway reviews and overdue contacts come from :func:`scan`, run daily by ``flask notify
scan`` (domain-notes §4: release planning and regular contact are the heart of IOM).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from ..core.models import Case, User
from ..core.modules import NotificationKind, Reminder
from ..extensions import db
from ..notifications import notify
from ..notifications.service import not_reminded
from .models import Contact, Offender, PathwayNeed

KINDS = (
    NotificationKind(
        "iom.nomination",
        "An IOM nomination is waiting for the next panel",
        "role",
        one="An IOM nomination is waiting for the next panel",
        many="{n} IOM nominations are waiting for the next panel",
        endpoint="iom.case_view",
        id_arg="case_id",
    ),
    NotificationKind(
        "iom.release_due",
        "An offender you lead is due for release from custody",
        "user",
        one="An IOM cohort member you lead is due for release from custody soon",
        many="{n} IOM cohort members you lead are due for release from custody soon",
        endpoint="iom.case_view",
        id_arg="case_id",
        urgent=True,
    ),
    NotificationKind(
        "iom.pathway_review_due",
        "An IOM pathway review is due",
        "agency",
        one="An IOM pathway review for {agency} is due",
        many="{n} IOM pathway reviews for {agency} are due",
        endpoint="iom.case_view",
        id_arg="case_id",
    ),
    NotificationKind(
        "iom.contact_overdue",
        "Contact with an offender you lead is overdue",
        "user",
        one="Contact with an IOM cohort member you lead is overdue",
        many="Contact with {n} IOM cohort members you lead is overdue",
        endpoint="iom.case_view",
        id_arg="case_id",
    ),
)


def nominated(user: User, case: Case) -> None:
    """The panel's managers (``iom.cohort.manage``) decide on nominations."""
    notify(
        "iom.nomination", object_id=case.id, case_id=case.id, capability="iom.cohort.manage", exclude_user_id=user.id
    )


def scan(today: date) -> list[Reminder]:
    config = current_app.config
    return [
        *_releases(today, int(config.get("IOM_RELEASE_NOTICE_DAYS", 14))),
        *_pathway_reviews(today, int(config.get("IOM_PATHWAY_REVIEW_NOTICE_DAYS", 7))),
        *_contacts(today, int(config.get("IOM_CONTACT_OVERDUE_DAYS", 14))),
    ]


def _lead():
    return sa.func.coalesce(Offender.lead_user_id, Case.lead_user_id)


def _releases(today: date, days: int) -> list[Reminder]:
    """Offenders in custody expected out within ``days`` days: the lead officer, once per date."""
    occasion = sa.literal("r") + sa.cast(Offender.expected_release_on, sa.String)
    rows = db.session.execute(
        sa.select(Offender.case_id, _lead(), occasion)
        .join(Case, Case.id == Offender.case_id)
        .where(
            Offender.supervision == "custody",
            Offender.expected_release_on.between(today, today + timedelta(days=days)),
            Case.closed_on.is_(None),
            not_reminded("iom.release_due", Offender.case_id, occasion),
        )
    ).all()
    return [Reminder("iom.release_due", r[0], r[0], r[2], user_ids=(r[1],)) for r in rows if r[1]]


def _pathway_reviews(today: date, days: int) -> list[Reminder]:
    """Pathway needs due for review within ``days`` days (or past): the owning agency's IOM
    workers, else the lead officer; once per need and review date."""
    occasion = (
        sa.literal("n")
        + sa.cast(PathwayNeed.id, sa.String)
        + sa.literal(":")
        + sa.cast(PathwayNeed.review_due_on, sa.String)
    )
    rows = db.session.execute(
        sa.select(PathwayNeed.case_id, PathwayNeed.owner_agency_id, _lead(), occasion)
        .join(Case, Case.id == PathwayNeed.case_id)
        .join(Offender, Offender.case_id == PathwayNeed.case_id)
        .where(
            Case.closed_on.is_(None),
            Offender.on_cohort.is_(True),
            PathwayNeed.review_due_on <= today + timedelta(days=days),
            not_reminded("iom.pathway_review_due", PathwayNeed.case_id, occasion),
        )
    ).all()
    return [
        Reminder(
            "iom.pathway_review_due",
            r[0],
            r[0],
            r[3],
            user_ids=() if r[1] else ((r[2],) if r[2] else ()),
            agency_ids=(r[1],) if r[1] else (),
            capability="iom.case.edit",
        )
        for r in rows
    ]


def _contacts(today: date, days: int) -> list[Reminder]:
    """Cohort members with no contact (a missed appointment is not one) for ``days`` days: the
    lead officer, once per last contact date."""
    last = (
        sa.select(Contact.case_id, sa.func.max(Contact.contact_on).label("last_on"))
        .where(Contact.contact_type != "missed")
        .group_by(Contact.case_id)
        .subquery()
    )
    occasion = sa.literal("c") + sa.func.coalesce(sa.cast(last.c.last_on, sa.String), sa.literal("none"))
    rows = db.session.execute(
        sa.select(Offender.case_id, _lead(), occasion)
        .join(Case, Case.id == Offender.case_id)
        .outerjoin(last, last.c.case_id == Offender.case_id)
        .where(
            Offender.on_cohort.is_(True),
            Case.closed_on.is_(None),
            sa.or_(last.c.last_on.is_(None), last.c.last_on < today - timedelta(days=days)),
            not_reminded("iom.contact_overdue", Offender.case_id, occasion),
        )
    ).all()
    return [Reminder("iom.contact_overdue", r[0], r[0], r[2], user_ids=(r[1],)) for r in rows if r[1]]
