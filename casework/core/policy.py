"""Object-level access policy: who may see which case, person, meeting and action (DESIGN §5).

Checked again by every service that loads an object, never only by templates.
The capabilities named here are built from a case's (or meeting's) kind:
``{kind}.case.view``, ``{kind}.case.view_all``, ``{kind}.case.edit`` and
``{kind}.actions.view_all``; a module grants them to its roles when it registers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context

from ..extensions import db
from . import modules
from .models import (
    Action,
    AgendaItem,
    Case,
    CaseAgency,
    CaseMember,
    CaseParticipant,
    Meeting,
    MeetingAgency,
    Person,
    User,
)
from .permissions import AccessDenied


def case_kinds_viewable(user: User) -> tuple[list[str], list[str]]:
    """(kinds the user sees in full, kinds the user sees within agency scope)."""
    kinds = modules.case_kinds()
    full = [k for k in kinds if user.can(f"{k}.case.view_all")]
    scoped = [k for k in kinds if user.can(f"{k}.case.view") and k not in full]
    return full, scoped


def can_view_case(user: User, case: Case) -> bool:
    if not user.is_authenticated or not user.can(f"{case.kind}.case.view"):
        return False
    if case.is_restricted:
        return user.id in case.member_ids
    if user.can(f"{case.kind}.case.view_all"):
        return True
    if user.agency_id in case.agency_ids:
        return True
    return bool(db.session.scalar(sa.select(_listed_for_agency(case.id, user.agency_id))))


def _listed_for_agency(case_id, agency_id: int) -> sa.Exists:
    """The case is on a meeting's agenda (not removed) and the agency is on that meeting's
    distribution list. Worked out live, so taking an agency off the list, or the case off
    the agenda, takes the access away again."""
    return per_row_exists(
        sa.select(AgendaItem.id).where(
            AgendaItem.case_id == case_id,
            AgendaItem.removed_reason.is_(None),
            MeetingAgency.meeting_id == AgendaItem.meeting_id,
            MeetingAgency.agency_id == agency_id,
        )
    )


def per_row_exists(query: sa.Select) -> sa.Exists:
    """EXISTS checked row by row with an index probe, never by hashing the whole subquery.

    Visibility is an OR of routes (lead agency, linked agency, listed at a meeting). In an
    OR, PostgreSQL may turn each EXISTS into a "hashed SubPlan": it reads every row the
    subquery could match (all 100,000 links of an agency involved in most cases) to
    answer for the 26 cases a page shows. A subquery with an OFFSET cannot be rewritten
    that way (PostgreSQL's ``simplify_EXISTS_query``), so each case costs one probe of a
    primary key or index, and a list page stops reading as soon as it is full. SQLite
    checks correlated EXISTS row by row in any case; the OFFSET changes nothing there.
    """
    return query.offset(0).exists()


def can_edit_case(user: User, case: Case) -> bool:
    """View access plus the kind's edit capability, through a route other than a meeting:
    a case open to the user's agency only because it is listed at a meeting it attends is
    open for research, not for changing (as :func:`visible_case_clause` with
    ``via_meetings=False`` leaves it out)."""
    if not can_view_case(user, case) or not user.can(f"{case.kind}.case.edit"):
        return False
    if case.is_restricted or user.can(f"{case.kind}.case.view_all"):
        return True  # a named member of a restricted case; or every case of the kind
    return user.agency_id in case.agency_ids


def ensure_can_view_case(user: User, case: Case) -> None:
    """Services call this before acting on a case they were handed (404 if not visible)."""
    if not can_view_case(user, case):
        raise AccessDenied("case", case.id)


def ensure_can_edit_case(user: User, case: Case) -> None:
    ensure_can_view_case(user, case)
    if not can_edit_case(user, case):
        raise AccessDenied("case", case.id, hide=False)


def visible_case_clause(user: User, *, via_meetings: bool = True) -> sa.ColumnElement[bool]:
    """SQL condition matching exactly the cases ``can_view_case`` allows.

    ``via_meetings=False`` leaves out access that comes only from a meeting's agenda:
    that access is for researching the listed case, not for acting on the people in it.
    Built once per request for a user (a page such as "My work" asks several times;
    roles cannot change within a request), never cached across requests.
    """
    if not has_request_context():
        return _visible_case_clause(user, via_meetings)
    cache = g.setdefault("_visible_case_clauses", {})
    key = (user.id, via_meetings)
    if key not in cache:
        cache[key] = _visible_case_clause(user, via_meetings)
    return cache[key]


def _visible_case_clause(user: User, via_meetings: bool) -> sa.ColumnElement[bool]:
    full, scoped = case_kinds_viewable(user)
    if not full and not scoped:
        return sa.false()
    is_member = per_row_exists(
        sa.select(CaseMember.user_id).where(CaseMember.case_id == Case.id, CaseMember.user_id == user.id)
    )
    open_routes = []
    if full:
        open_routes.append(Case.kind.in_(full))
    if scoped:
        routes = [
            Case.lead_agency_id == user.agency_id,
            per_row_exists(
                sa.select(CaseAgency.case_id).where(
                    CaseAgency.case_id == Case.id, CaseAgency.agency_id == user.agency_id
                )
            ),
        ]
        if via_meetings:
            routes.append(_listed_for_agency(Case.id, user.agency_id))
        open_routes.append(sa.and_(Case.kind.in_(scoped), sa.or_(*routes)))
    return sa.or_(
        sa.and_(Case.is_restricted.is_(False), sa.or_(*open_routes)),
        sa.and_(Case.is_restricted.is_(True), Case.kind.in_(full + scoped), is_member),
    )


# --- people --------------------------------------------------------------------------------


def visible_person_clause(user: User, *, via_meetings: bool = True) -> sa.ColumnElement[bool]:
    """People the user may see: those in a case the user can see, and records in no case
    yet that the user's agency made for casework the user works in (a record an IOM
    officer makes is not visible to the same agency's MARAC representative, and the
    other way round). ``via_meetings=False``: the people the user may act on (edit,
    refer, link), which a meeting listing alone does not give."""
    if not user.can("people.view"):
        return sa.false()
    in_visible_case = per_row_exists(
        sa.select(CaseParticipant.id).where(
            CaseParticipant.person_id == Person.id,
            CaseParticipant.case_id == Case.id,
            visible_case_clause(user, via_meetings=via_meetings),
        )
    )
    return sa.or_(in_visible_case, _own_unlinked(user))


def working_kinds(user: User) -> list[str]:
    """The case kinds (modules) the user works in."""
    return [k for k in modules.case_kinds() if user.can(f"{k}.case.view")]


def _own_unlinked(user: User) -> sa.ColumnElement[bool]:
    in_any_case = per_row_exists(sa.select(CaseParticipant.id).where(CaseParticipant.person_id == Person.id))
    return sa.and_(
        Person.created_by_agency_id == user.agency_id,
        Person.created_for_kind.in_(working_kinds(user)),
        sa.not_(in_any_case),
    )


def can_view_person(user: User, person: Person) -> bool:
    if not user.is_authenticated:
        return False
    clause = visible_person_clause(user)
    return bool(db.session.scalar(sa.select(sa.exists().where(Person.id == person.id, clause))))


def can_act_on_person(user: User, person: Person) -> bool:
    """Edit a person, refer them or link them into a new case: not on meeting access alone."""
    if not user.is_authenticated:
        return False
    clause = visible_person_clause(user, via_meetings=False)
    return bool(db.session.scalar(sa.select(sa.exists().where(Person.id == person.id, clause))))


def person_access(user: User, person: Person) -> tuple[bool, bool]:
    """(may view, may act on) the person, as :func:`can_view_person` and
    :func:`can_act_on_person` answer, in one query: a person's page needs both."""
    if not user.is_authenticated:
        return False, False
    view, act = db.session.execute(
        sa.select(
            sa.exists().where(Person.id == person.id, visible_person_clause(user)),
            sa.exists().where(Person.id == person.id, visible_person_clause(user, via_meetings=False)),
        )
    ).one()
    return bool(view), bool(act)


def can_see_contact_details(user: User, person: Person) -> bool:
    """Phone, e-mail and other contact details (and so editing them): what the disclosure
    policy allows this user for every kind of case the person is in (core/disclosure.py)."""
    from .disclosure import disclosure

    return disclosure(user, person).contact


# --- meetings -------------------------------------------------------------------------------


def _meeting_case_kind(meeting: Meeting) -> str | None:
    module = modules.for_meeting_kind(meeting.kind)
    return module.case_kind if module else None


def can_open_meeting(user: User, meeting: Meeting) -> bool:
    """The module's roles who see all of its cases, and agencies on the distribution list."""
    kind = _meeting_case_kind(meeting)
    if kind is None or not user.can(f"{kind}.case.view"):
        return False
    return user.can(f"{kind}.case.view_all") or user.agency_id in meeting.agency_ids


def can_manage_meeting(user: User, meeting: Meeting) -> bool:
    kind = _meeting_case_kind(meeting)
    return kind is not None and user.can(f"{kind}.meeting.manage")


def load_meeting(user: User, meeting_id: Any, *, kind: str | None = None, manage: bool = False) -> Meeting:
    """A meeting the user may open (404 otherwise); ``manage``: one they may also change."""
    from .services import get_or_404

    meeting = get_or_404(Meeting, meeting_id)
    if (kind is not None and meeting.kind != kind) or not can_open_meeting(user, meeting):
        raise AccessDenied("meeting", meeting.id)
    if manage and not can_manage_meeting(user, meeting):
        raise AccessDenied("meeting", meeting.id, hide=False)
    return meeting


# --- actions -------------------------------------------------------------------------------


def visible_action_clause(user: User, kind: str) -> sa.ColumnElement[bool]:
    """Actions of ``kind``'s cases the user may see (the query must join ``Case``).

    Holders of ``{kind}.actions.view_all`` see the actions on every case they can see.
    Everyone else sees their own agency's actions. Owning an action does not open its
    case: the agency sees the action (to do it and report back), not the case record.
    A restricted case's actions go only to the users named on it.
    """
    if not user.can(f"{kind}.case.view"):
        return sa.false()
    if user.can(f"{kind}.actions.view_all"):
        return sa.and_(Case.kind == kind, visible_case_clause(user))
    is_member = sa.exists().where(CaseMember.case_id == Case.id, CaseMember.user_id == user.id)
    return sa.and_(
        Case.kind == kind,
        Action.assigned_agency_id == user.agency_id,
        sa.or_(Case.is_restricted.is_(False), is_member),
    )


def actionable_kinds(user: User) -> list[str]:
    return [k for k in modules.case_kinds() if user.can(f"{k}.case.view")]


def any_visible_action_clause(user: User) -> sa.ColumnElement[bool]:
    kinds = actionable_kinds(user)
    if not kinds:
        return sa.false()
    return sa.or_(*(visible_action_clause(user, k) for k in kinds))


def visible_case_ids(user: User, case_ids) -> set[int]:
    """Which of these cases the user may open, in one query (for links on list pages)."""
    ids = {int(i) for i in case_ids}
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(Case.id).where(Case.id.in_(ids), visible_case_clause(user))))
