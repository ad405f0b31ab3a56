"""ASB Case Review demo data for ``make run``: one application in progress on the demo ASB
case with the most recent complaints, received a week ago, acknowledged, with the threshold
decision still to make (so its deadlines count down)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ...core import workdays
from ...core.models import Case
from ...extensions import db
from ..models import Incident
from . import services


def seed(context) -> None:
    officer = context.users.get("asb@example.org")
    if officer is None:
        return
    today = date.today()
    received = workdays.add_working_days(today, -5)
    since = services.months_before(received, 6)
    case_id = db.session.scalar(
        sa.select(Incident.case_id)
        .join(Case, Case.id == Incident.case_id)
        .where(
            Case.kind == "asb",
            Case.closed_on.is_(None),
            Incident.deleted_at.is_(None),
            Incident.reported_on.between(since, received),
        )
        .group_by(Incident.case_id)
        .order_by(sa.func.count().desc(), Incident.case_id)
        .limit(1)
    )
    if case_id is None:
        return
    case = db.session.get(Case, case_id)
    complaints = [i for i in services.case_incidents(case) if since <= i.reported_on <= received]
    victims = case.participants_in("victim")
    victim = victims[0].person if victims else None
    review = services.record_application(
        officer,
        case,
        received_on=received,
        applicant_kind="victim",
        applicant_name=victim.full_name if victim else "Demo applicant",
        applicant_contact="By phone, weekday evenings",
        victim_person_id=victim.id if victim else None,
        consent_given=False,
        consent_on=None,
        involvement="attend",
        spoc_user_id=officer.id,
        summary="Reported the noise many times; nothing has changed.",
        incident_ids=[i.id for i in complaints],
        today=today,
    )
    services.acknowledge(
        officer, review, acknowledged_on=workdays.add_working_days(received, 1), version=review.version_id, today=today
    )
