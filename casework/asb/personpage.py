"""What ASB adds to a person's page: the ASB cases the user may open (with the repeat flag and
risk band), and "Log an ASB incident" for staff who may act on the person."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import url_for

from ..core.models import Case, CaseParticipant, Person, User
from ..core.modules import PersonAction, PersonSection, WorkItem
from ..core.policy import visible_case_clause
from ..extensions import db
from . import repeats


def person_sections(user: User, person: Person, may_act: bool) -> list[PersonSection]:
    if not user.can("asb.case.view"):
        return []
    rows = db.session.execute(
        sa.select(Case, CaseParticipant.role)
        .join(CaseParticipant, CaseParticipant.case_id == Case.id)
        .where(CaseParticipant.person_id == person.id, Case.kind == "asb", visible_case_clause(user))
        .order_by(Case.opened_on.desc())
        .limit(20)
    ).all()
    items = []
    victim = repeats.victim_of(person.id) if rows else None
    for case, role in rows:
        detail = role.capitalize()
        if role == "victim" and victim is not None:
            if repeats.is_repeat(victim, date.today()):
                detail += ", repeat victim"
            if victim.risk_band:
                detail += f", {victim.risk_band} risk"
        items.append(WorkItem(label=case.reference, url=url_for("asb.case_view", case_id=case.id), detail=detail))
    actions = []
    if may_act and user.can("asb.incident.record"):
        actions.append(PersonAction("Log an ASB incident", url_for("asb.incident_new", person_id=person.id)))
    return [PersonSection(title="ASB", items=items, empty="No ASB case you can see.", actions=actions)]
