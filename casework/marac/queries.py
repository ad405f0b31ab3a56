"""Read-side queries for MARAC pages: lists filtered and paginated in SQL."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..core import directory
from ..core import meetings as core_meetings
from ..core.models import Agency, Case, Meeting, User
from ..core.policy import can_open_meeting, visible_case_clause
from ..extensions import db
from .models import ContactLog, Referral


def cases_page(user: User, status: str | None, page: int, per_page: int = 25):
    query = (
        sa.select(Referral)
        .join(Case, Case.id == Referral.case_id)
        .where(Case.kind == "marac", visible_case_clause(user))
        .options(joinedload(Referral.case), joinedload(Referral.referring_agency), joinedload(Referral.victim))
        .order_by(Referral.referral_date.desc(), Referral.id.desc())
    )
    if status:
        query = query.where(Case.status == status)
    else:
        query = query.where(Case.closed_on.is_(None))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


@dataclass
class Dashboard:
    awaiting_decision: int
    awaiting_listing: int
    my_cases: list[Referral]
    upcoming: list[Meeting]


def dashboard(user: User) -> Dashboard:
    visible = sa.and_(Case.kind == "marac", visible_case_clause(user))
    base = sa.select(sa.func.count()).select_from(Referral).join(Case, Case.id == Referral.case_id).where(visible)
    my_cases = list(
        db.session.scalars(
            sa.select(Referral)
            .join(Case, Case.id == Referral.case_id)
            .where(
                visible,
                Case.closed_on.is_(None),
                sa.or_(Referral.idva_user_id == user.id, Case.lead_user_id == user.id),
            )
            .options(joinedload(Referral.case), joinedload(Referral.victim))
            .order_by(Referral.referral_date.desc())
            .limit(25)
        )
    )
    upcoming = [m for m in core_meetings.upcoming_meetings("marac", limit=10) if can_open_meeting(user, m)]
    return Dashboard(
        awaiting_decision=db.session.scalar(base.where(Case.status == "submitted")) or 0,
        awaiting_listing=db.session.scalar(base.where(Case.status == "accepted")) or 0,
        my_cases=my_cases,
        upcoming=upcoming,
    )


def listable_cases(user: User) -> list[Referral]:
    """Accepted referrals not yet on a meeting, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Referral)
            .join(Case, Case.id == Referral.case_id)
            .where(Case.status == "accepted", Case.closed_on.is_(None), visible_case_clause(user))
            .options(joinedload(Referral.case))
            .order_by(Referral.referral_date)
            .limit(200)
        )
    )


def idvas() -> list[User]:
    return directory.users_with_roles({"idva"})


def marac_users() -> list[User]:
    """Active users holding a MARAC role, for naming on restricted cases."""
    return directory.users_with_roles({"marac_coordinator", "idva", "marac_rep"})


def coordinators_and_chairs() -> list[User]:
    return directory.users_with_roles({"marac_coordinator"})


def active_agencies() -> list[Agency]:
    return directory.agencies(active_only=True)


def contacts(case_id: int) -> list[ContactLog]:
    return list(
        db.session.scalars(
            sa.select(ContactLog)
            .where(ContactLog.case_id == case_id)
            .order_by(ContactLog.contact_on.desc(), ContactLog.id.desc())
        )
    )


def upcoming_meetings() -> list[Meeting]:
    return core_meetings.upcoming_meetings("marac")
