"""What IOM adds to a person's page: their IOM record, if the user may open it, and
"Nominate to IOM" for IOM staff who may act on the person."""

from __future__ import annotations

from flask import url_for

from ..core.models import Case, Person, User
from ..core.modules import PersonAction, PersonSection, WorkItem
from ..core.policy import can_view_case
from ..extensions import db
from . import CASE_STATUSES
from .nominations import last_deselection_reason, offender_of_person, open_nomination


def person_sections(user: User, person: Person, may_act: bool) -> list[PersonSection]:
    if not user.can("iom.case.view"):
        return []
    offender = offender_of_person(person.id)
    items = []
    if offender is not None:
        case = db.session.get(Case, offender.case_id)
        if case is not None and can_view_case(user, case):
            items.append(
                WorkItem(
                    label=case.reference,
                    url=url_for("iom.case_view", case_id=case.id),
                    detail=CASE_STATUSES.get(case.status, case.status),
                )
            )
    already = offender is not None and (
        offender.on_cohort
        or open_nomination(offender) is not None
        or (not offender.case.is_open and last_deselection_reason(offender) == "deceased")
    )
    actions = []
    if may_act and user.can("iom.nominate") and not already:
        actions.append(PersonAction("Nominate to IOM", url_for("iom.nominate", person_id=person.id), True))
    return [PersonSection(title="IOM", items=items, empty="No IOM record you can see.", actions=actions)]
