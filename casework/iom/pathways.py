"""The resettlement pathways (domain-notes §4, "Seven pathways").

Accommodation and support; education, training and employment; health; drugs and
alcohol; finance, benefits and debt; children and families; attitudes, thinking
and behaviour; the two women's pathways can be switched on. Each pathway has a need
level (none / low / medium / high), a RAG status, an owner agency and a review date,
with its history; interventions and referrals are items on the offender's pathway
plan (the shared Plan mechanism, ``core/plans.py``, plan kind ``pathway``).

Details of sensitive pathways (health, drugs and alcohol, the women's pathways) are
recorded and shown only to roles holding ``iom.pathway.sensitive``; the need level
and RAG, which the cohort figures count, are visible to every IOM role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload

from ..core import audit, cases, plans
from ..core.models import Agency, Plan, PlanItem, User
from ..core.services import FieldErrors, ServiceError, check_version
from ..extensions import db
from .common import editable, prepared
from .models import NEED_LEVELS, RAG, Offender, Pathway, PathwayChange, PathwayNeed

SENSITIVE = "iom.pathway.sensitive"


@prepared
def _enabled_query() -> sa.Select:
    return sa.select(Pathway).where(Pathway.is_enabled.is_(True)).order_by(Pathway.sort_order)


def enabled_pathways() -> list[Pathway]:
    return list(db.session.scalars(_enabled_query()))


@prepared
def _all_query() -> sa.Select:
    return sa.select(Pathway).order_by(Pathway.sort_order)


def all_pathways() -> list[Pathway]:
    """Every pathway, enabled or not, in the partnership's order (a page that needs both the
    labels of old history and the enabled list reads them once)."""
    return list(db.session.scalars(_all_query()))


def may_see_details(user: User, pathway: Pathway) -> bool:
    return not pathway.sensitive or user.can(SENSITIVE)


@dataclass
class PathwayRow:
    pathway: Pathway
    need: PathwayNeed | None
    details_visible: bool
    items: list[PlanItem]


def pathway_plan(offender: Offender) -> Plan | None:
    return db.session.scalar(
        sa.select(Plan).where(Plan.case_id == offender.case_id, Plan.kind == "pathway", Plan.is_active.is_(True))
    )


@prepared
def _needs_query() -> sa.Select:
    return (
        sa.select(PathwayNeed)
        .where(PathwayNeed.case_id == sa.bindparam("case_id"))
        # The rows show the pathway from the pathway list, not from the need.
        .options(joinedload(PathwayNeed.owner_agency), lazyload(PathwayNeed.pathway))
    )


@prepared
def _plan_query() -> sa.Select:
    """The active pathway plan with its items and their agencies, in one statement."""
    return (
        sa.select(Plan)
        .where(Plan.case_id == sa.bindparam("case_id"), Plan.kind == "pathway", Plan.is_active.is_(True))
        .options(joinedload(Plan.items).joinedload(PlanItem.owner_agency))
    )


def overview(user: User, offender: Offender, *, pathways: list[Pathway] | None = None) -> list[PathwayRow]:
    """Every enabled pathway with its current need and interventions, details withheld by role.

    ``pathways``: every pathway (``all_pathways``) when the page has read them already."""
    params = {"case_id": offender.case_id}
    needs = {n.pathway_code: n for n in db.session.scalars(_needs_query(), params)}
    active = db.session.scalars(_plan_query(), params).unique().all()
    plan = active[0] if active else None
    items: dict[str, list[PlanItem]] = {}
    for item in plan.items if plan else []:
        items.setdefault(item.area, []).append(item)
    enabled = enabled_pathways() if pathways is None else [p for p in pathways if p.is_enabled]
    rows = []
    for pathway in enabled:
        visible = may_see_details(user, pathway)
        rows.append(
            PathwayRow(pathway, needs.get(pathway.code), visible, items.get(pathway.code, []) if visible else [])
        )
    return rows


def assess(
    user: User,
    offender: Offender,
    *,
    pathway_code: str | None,
    need: str | None,
    rag: str | None,
    owner_agency_id: int | None,
    review_due_on: date | None,
    details: str | None,
    version: int | None,
) -> PathwayNeed:
    """Set a pathway's need, RAG, owner and review date (history kept when need or RAG change)."""
    editable(user, offender)
    pathway = db.session.get(Pathway, pathway_code or "")
    if pathway is None or not pathway.is_enabled:
        raise ServiceError("Select the pathway", "pathway_code")
    errors: list[tuple[str | None, str]] = []
    if need not in NEED_LEVELS:
        errors.append(("need", "Select the level of need"))
    if rag not in RAG:
        errors.append(("rag", "Select the RAG status"))
    if owner_agency_id is not None:
        agency = db.session.get(Agency, owner_agency_id)
        if agency is None or not agency.is_active:
            errors.append(("owner_agency_id", "Choose the agency that owns this pathway"))
    if review_due_on is None:
        errors.append(("review_due_on", "Enter the review date"))
    elif review_due_on < date.today():
        errors.append(("review_due_on", "The review date must be today or in the future"))
    details = (details or "").strip() or None
    if details and not may_see_details(user, pathway):
        errors.append(("details", "Your role cannot record details for this pathway"))
    if errors:
        raise FieldErrors(errors)
    current = db.session.scalar(
        sa.select(PathwayNeed).where(PathwayNeed.case_id == offender.case_id, PathwayNeed.pathway_code == pathway.code)
    )
    today = date.today()
    if current is None:
        current = PathwayNeed(case_id=offender.case_id, pathway_code=pathway.code, need=need, rag=rag)
        db.session.add(current)
        changed = True
    else:
        check_version(current, version)
        changed = (current.need, current.rag) != (need, rag)
        current.need, current.rag = need, rag
    current.owner_agency_id = owner_agency_id
    if owner_agency_id is not None:
        cases.add_agency(offender.case, owner_agency_id)  # the owning agency's IOM staff see the record
    current.review_due_on = review_due_on
    current.assessed_on = today
    current.assessed_by_id = user.id
    if may_see_details(user, pathway):
        current.details = details
    if changed:
        db.session.add(
            PathwayChange(
                case_id=offender.case_id,
                pathway_code=pathway.code,
                need=need,
                rag=rag,
                changed_on=today,
                user_id=user.id,
            )
        )
    db.session.flush()
    audit.record(
        "iom.pathway.assess",
        object_type="case",
        object_id=offender.case_id,
        details={"pathway": pathway.code, "need": need},
    )
    return current


def add_intervention(
    user: User,
    offender: Offender,
    *,
    pathway_code: str | None,
    intervention: str | None,
    owner_agency_id: int | None,
    due_on: date | None,
) -> PlanItem:
    """An intervention or referral on a pathway: an item on the offender's pathway plan."""
    editable(user, offender)
    pathway = db.session.get(Pathway, pathway_code or "")
    if pathway is None or not pathway.is_enabled:
        raise ServiceError("Select the pathway", "pathway_code")
    if not may_see_details(user, pathway):
        raise ServiceError("Your role cannot record interventions on this pathway", "pathway_code")
    if not (intervention or "").strip():
        raise ServiceError("Describe the intervention or referral", "intervention")
    if owner_agency_id is not None:
        cases.add_agency(offender.case, owner_agency_id)
    plan = pathway_plan(offender)
    if plan is None:
        plan = plans.create_plan(user, offender.case, kind="pathway", title="Pathway plan", review_due_on=None)
    return plans.add_item(
        user, plan, area=pathway.code, intervention=intervention.strip(), owner_agency_id=owner_agency_id, due_on=due_on
    )


def overdue_reviews(user: User, today: date, limit: int = 20) -> list[PathwayNeed]:
    """Pathway reviews past their date: for the IOM manager any, for others those on cases they lead
    or on pathways their agency owns."""
    from sqlalchemy.orm import contains_eager

    from ..core.models import Case
    from ..core.policy import visible_case_clause

    query = (
        sa.select(PathwayNeed)
        .join(Case, Case.id == PathwayNeed.case_id)
        .where(PathwayNeed.review_due_on < today, Case.closed_on.is_(None), visible_case_clause(user))
        .options(contains_eager(PathwayNeed.case))
        .order_by(PathwayNeed.review_due_on, PathwayNeed.id)
        .limit(limit)
    )
    if not user.can("iom.cohort.manage"):
        # The lead officer's cases, and the pathways the user's agency owns.
        query = query.where(sa.or_(Case.lead_user_id == user.id, PathwayNeed.owner_agency_id == user.agency_id))
    return list(db.session.scalars(query))
