"""Read-side queries for MARAC pages: lists filtered and paginated in SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, load_only

from ..core import directory
from ..core import meetings as core_meetings
from ..core import search as search_tokens
from ..core.cases import without_access_links
from ..core.exports import capped
from ..core.models import Agency, Case, CaseParticipant, Meeting, Person, User
from ..core.pagination import capped_counts, paginate
from ..core.policy import can_open_meeting, visible_case_clause
from ..extensions import db
from ..people.services import person_ids_named
from .models import ContactLog, Referral


# What a list row shows: reference, restriction, status, referral date, criteria, agency
# and the victim's initials. Loading only these columns keeps a page at two decryptions a
# row (the victim's names) instead of every encrypted column of three records.
def _list_row_options():
    return (
        load_only(
            Referral.case_id,
            Referral.victim_id,
            Referral.referral_date,
            Referral.referring_agency_id,
            Referral.crit_visible_high_risk,
            Referral.crit_professional_judgement,
            Referral.crit_escalation,
            Referral.incidents_12_months,
            Referral.crit_repeat,
            Referral.repeat_confirmed,
            Referral.row_uid,
        ),
        without_access_links(
            contains_eager(Referral.case).load_only(
                Case.reference, Case.status, Case.is_restricted, Case.opened_on, Case.closed_on
            )
        ),
        joinedload(Referral.referring_agency).load_only(Agency.name),
        joinedload(Referral.victim).load_only(Person.given_names, Person.surname, Person.row_uid),
    )


def cases_page(user: User, status: str | None, page: int, per_page: int = 25, find: str | None = None):
    """One page of the MARAC cases the user may see, newest first. ``find``: a case reference
    (in full, or the number at its end) or the start of the name of anyone in the case
    (through the people search tokens: nothing is decrypted to filter)."""
    return paginate(cases_query(user, status, find), page, per_page, max_per_page=100)


def cases_export(user: User, status: str | None, find: str | None, limit: int) -> list[Referral]:
    """Every case of the list as filtered (the page's rows and columns), at most ``limit``
    (``exports.TooManyRows`` beyond it)."""
    return capped(db.session.scalars(cases_query(user, status, find).limit(limit + 1)).unique(), limit)


CASE_EXPORT_HEADERS = (
    "Reference",
    "Restricted",
    "Victim",
    "Referred",
    "Referring agency",
    "Criteria",
    "Repeat",
    "Status",
)


def case_export_row(r: Referral) -> tuple:
    """The columns the case list shows: the victim by initials only, as on the page."""
    return (
        r.case.reference,
        r.case.is_restricted,
        r.victim.initials,
        r.referral_date,
        r.referring_agency.name,
        "; ".join(r.criteria),
        r.is_repeat,
        r.status.replace("_", " ").capitalize(),
    )


def cases_query(user: User, status: str | None, find: str | None = None) -> sa.Select:
    """The MARAC cases the user may see, filtered as the case list is, newest first."""
    query = (
        sa.select(Referral)
        .join(Case, Case.id == Referral.case_id)
        .where(Case.kind == "marac", visible_case_clause(user))
        .options(*_list_row_options())
        .order_by(Case.opened_on.desc(), Case.id.desc())
    )
    if find:
        query = query.where(_found(find))
    if status:
        query = query.where(Case.status == status)
    else:
        query = query.where(Case.closed_on.is_(None))
    return query


def _found(text: str) -> sa.ColumnElement[bool]:
    text = text.strip()
    if re.fullmatch(r"[A-Za-z]+-\d{4}-\d+", text):
        return Case.reference == text.upper()
    if text.isdigit():
        return Case.reference.like(f"%-{int(text):04d}")
    words = search_tokens.name_words(text)
    if not words:
        return sa.false()
    named = sa.select(CaseParticipant.case_id).where(CaseParticipant.person_id.in_(person_ids_named(words)))
    return Case.id.in_(named)


@dataclass
class Dashboard:
    awaiting_decision: int
    awaiting_decision_capped: bool
    awaiting_listing: int
    awaiting_listing_capped: bool
    my_cases: list[Referral]
    upcoming: list[Meeting]


def _mine(user: User) -> sa.ColumnElement[bool]:
    """Cases the user is the IDVA or the lead worker for: a union of two indexed lookups
    rather than an OR across two tables, which no index can serve."""
    as_idva = sa.select(Referral.case_id).where(Referral.idva_user_id == user.id)
    as_lead = sa.select(Case.id).where(Case.lead_user_id == user.id)
    return Case.id.in_(sa.union(as_idva, as_lead))


def dashboard(user: User) -> Dashboard:
    visible = sa.and_(Case.kind == "marac", visible_case_clause(user))
    base = sa.select(Case.id).where(visible)
    my_cases = list(
        db.session.scalars(
            sa.select(Referral)
            .join(Case, Case.id == Referral.case_id)
            .where(visible, Case.closed_on.is_(None), _mine(user))
            .options(*_list_row_options())
            .order_by(Case.opened_on.desc(), Case.id.desc())
            .limit(25)
        )
    )
    upcoming = [m for m in core_meetings.upcoming_meetings("marac", limit=10) if can_open_meeting(user, m)]
    (decision, decision_capped), (listing, listing_capped) = capped_counts(
        [base.where(Case.status == "submitted"), base.where(Case.status == "accepted")]
    )
    return Dashboard(
        awaiting_decision=decision,
        awaiting_decision_capped=decision_capped,
        awaiting_listing=listing,
        awaiting_listing_capped=listing_capped,
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
            .options(contains_eager(Referral.case))
            .order_by(Referral.referral_date)
            .limit(200)
        )
    )


def idvas() -> list[User]:
    """Active IDVAs, for choosing one (names only)."""
    return directory.users_with_roles({"idva"}, for_choices=True)


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


def referred_before(victim_id: int) -> bool:
    """Whether this victim has any earlier MARAC referral (a repeat may then be found)."""
    return db.session.scalar(sa.select(sa.exists().where(Referral.victim_id == victim_id))) or False
