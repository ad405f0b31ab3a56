"""What MARAC adds to a person's page: their DASH assessments and the next steps."""

from __future__ import annotations

from flask import url_for

from ..core.models import Person, User
from ..core.modules import PersonAction, PersonSection, WorkItem
from . import dash


def person_sections(user: User, person: Person, may_act: bool) -> list[PersonSection]:
    """The person's DASH risk assessments this user may see (``dash.history`` applies the
    visibility rules), and "Record a DASH assessment" / "Refer to MARAC" for users who
    may act on the person."""
    if not user.can("marac.case.view"):
        return []
    actions = []
    if may_act and user.can("marac.dash.record"):
        actions.append(PersonAction("Record a DASH assessment", url_for("marac.dash_new", person_id=person.id)))
    if may_act and user.can("marac.referral.create"):
        actions.append(PersonAction("Refer to MARAC", url_for("marac.referral_new", person_id=person.id), True))
    items = [
        WorkItem(
            label=f"{a.completed_on:%-d %b %Y}: score {a.score}, {a.final_level} risk",
            url=url_for("marac.dash_view", dash_id=a.id),
            detail=f"{a.tool} {a.tool_version}",
        )
        for a in dash.history(user, person.id)
    ]
    return [
        PersonSection(
            title="DASH risk assessments", items=items, empty="No DASH assessments you can see.", actions=actions
        )
    ]
