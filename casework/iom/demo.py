"""IOM demo data for ``make run``: a small cohort with a year of offending and a non-trivial measure.

Eight offenders: most adopted 9 to 15 months ago with a heavier record in the year
before adoption than since; one joined last quarter, one was deselected last quarter,
one is in custody with release coming up, and one nomination waits for the panel.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from ..core.localtime import to_utc
from ..demo import DemoContext
from ..extensions import db
from ..people.services import create_person
from . import cohort, contacts, nominations, offending, pathways
from .models import OffenceCategory, PathwayNeed

PEOPLE = [
    ("Liam", "Archer", "fixed", "ppo", 420, 14),
    ("Kyle", "Benson", "fixed", "ppo", 380, 11),
    ("Dean", "Carver", "flex", "repeat", 330, 8),
    ("Tyler", "Dawes", "fixed", "repeat", 300, 9),
    ("Jade", "Ellison", "free", "other", 280, 6),
    ("Reece", "Fowler", "fixed", "ppo", 60, 10),  # joined recently
    ("Connor", "Gale", "flex", "repeat", 400, 7),  # deselected last quarter
    ("Shane", "Hollis", "fixed", "ppo", None, 9),  # nominated, waiting for the panel
]


def seed(context: DemoContext) -> None:
    users = context.users
    officer, manager = users["iom@example.org"], users["iommanager@example.org"]
    rng = random.Random(10)
    today = date.today()
    categories = {c.code: c for c in db.session.scalars(sa.select(OffenceCategory))}
    nc_codes = ["burglary_dwelling", "robbery", "vehicle_theft", "theft_person", "burglary_other"]
    other_codes = ["shoplifting", "other_theft", "criminal_damage", "violence_no_injury", "drugs"]
    for i, (given, surname, strand, category, adopted_days_ago, prior) in enumerate(PEOPLE):
        person = create_person(
            officer,
            {"given_names": given, "surname": surname, "dob": date(1985 + i, 1 + i, 3 + i), "gender": "male"},
            kind="iom",
        )
        start = today - timedelta(days=adopted_days_ago or 20)
        nomination = nominations.nominate(
            officer,
            person,
            {
                "nominated_on": start - timedelta(days=14),
                "reasons": "Persistent acquisitive offending linked to drug use",
                "proposed_strand": strand,
                "category": category,
                "ogrs": str(60 + i * 3),
            },
        )
        offender = nominations.offender_of_person(person.id)

        def add(kind: str, on: date, code: str, offender=offender) -> None:
            offending.record_offence(
                officer, offender, {"kind": kind, "offence_on": on, "category_id": categories[code].id}
            )

        # The year before adoption: a heavy record, mostly neighbourhood crime.
        for _ in range(prior):
            on = start - timedelta(days=rng.randint(1, 360))
            code = rng.choice(nc_codes if rng.random() < 0.7 else other_codes)
            add("arrest", on - timedelta(days=rng.randint(20, 60)), code)
            add("conviction", on, code)
        if adopted_days_ago is None:
            continue
        nominations.decide(
            manager,
            nomination,
            adopt=True,
            decision=nominations.Adoption(
                decided_on=start,
                strand=strand,
                category=category,
                lead_user_id=officer.id if i % 2 == 0 else manager.id,
                tier=("red", "amber", "green")[i % 3],
            ),
            version=nomination.version_id,
        )
        # Since adoption: less offending.
        for _ in range(max(prior // 4, 1)):
            on = start + timedelta(days=rng.randint(1, max(adopted_days_ago - 1, 1)))
            code = rng.choice(other_codes if rng.random() < 0.6 else nc_codes)
            add("arrest", on - timedelta(days=3), code)
            add("conviction", on, code)
        for code, need in (("accommodation", "high"), ("drugs_alcohol", "medium"), ("ete", "low")):
            pathways.assess(
                manager,
                offender,
                pathway_code=code,
                need=need if rng.random() < 0.7 else "medium",
                rag="amber",
                owner_agency_id=context.agencies["HLTH"].id if code == "drugs_alcohol" else None,
                review_due_on=today + timedelta(days=rng.randint(7, 60)),
                details="Referred to the local service" if code == "drugs_alcohol" else None,
                version=None,
            )
        contacts.log_contact(
            officer,
            offender,
            contact_on=today - timedelta(days=rng.randint(1, 20)),
            contact_type="home_visit",
            outcome="engaged",
            notes="Seen at home; engaging with the drug service",
        )
        if surname == "Gale":
            nominations.deselect(
                manager,
                offender,
                on=today - timedelta(days=45),
                reason="desistance",
                note=None,
                exit_plan="Stays under probation supervision; IOM review in six months",
                version=offender.version_id,
            )
        if surname == "Dawes":
            cohort.set_supervision(
                officer,
                offender,
                status="custody",
                from_on=today - timedelta(days=50),
                expected_release_on=today + timedelta(days=12),
                note=None,
                version=offender.version_id,
            )
        if surname == "Archer":
            # A review that fell due last week, so "My work" has something to show.
            need = db.session.scalar(
                sa.select(PathwayNeed).where(
                    PathwayNeed.case_id == offender.case_id, PathwayNeed.pathway_code == "accommodation"
                )
            )
            need.review_due_on = today - timedelta(days=7)
    # Next week's panel, its agenda built: the nomination to decide and the offenders due for review.
    from datetime import time

    from ..core import meetings as core_meetings
    from ..demo import next_weekday
    from . import panel

    meeting = core_meetings.schedule(
        manager,
        kind=panel.MEETING_KIND,
        starts_at=to_utc(next_weekday(today + timedelta(days=7)), time(14, 0)),
        venue="Probation office, Meeting Room 1",
        chair_user_id=manager.id,
        agency_ids=[context.agencies[c].id for c in ("POL", "PROB", "HLTH")],
    )
    panel.build_agenda(manager, meeting)
    db.session.flush()
