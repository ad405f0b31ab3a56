"""IOM free text never reaches the raw database as plaintext (DESIGN §3)."""

from __future__ import annotations

from datetime import date, timedelta

from casework.extensions import db
from casework.iom import cohort, contacts, nominations, offending, pathways
from tests.helpers import marker
from tests.integration.test_raw_storage import _raw_storage

from .conftest import adopt, category, nominate, offender_of


def test_iom_markers_never_reach_raw_storage(app, team, factory, sqlite_path):
    m = marker("IOMRAW")
    person = factory.person(team.officer)
    nomination = nominate(team, person, date(2025, 1, 1), reasons=f"reasons {m}")
    offender = offender_of(person)
    offending.record_offence(
        team.officer,
        offender,
        {
            "kind": "conviction",
            "offence_on": date(2024, 12, 1),
            "category_id": category("robbery").id,
            "outcome": f"outcome {m}",
            "source_ref": f"ref {m}",
            "notes": f"notes {m}",
        },
    )
    db.session.commit()
    adopt(team, nominations.open_nomination(offender) or nomination, date(2025, 1, 5))
    contacts.log_contact(
        team.officer, offender, contact_on=date.today(), contact_type="phone", outcome="engaged", notes=f"c {m}"
    )
    cohort.set_tier(
        team.officer, offender, tier="green", reason=f"tier {m}", on=date.today(), version=offender.version_id
    )
    cohort.set_supervision(
        team.officer,
        offender,
        status="licence",
        from_on=date.today(),
        expected_release_on=None,
        note=f"sup {m}",
        version=offender.version_id,
    )
    pathways.assess(
        team.manager,
        offender,
        pathway_code="health",
        need="high",
        rag="red",
        owner_agency_id=None,
        review_due_on=date.today() + timedelta(days=5),
        details=f"health {m}",
        version=None,
    )
    pathways.add_intervention(
        team.manager, offender, pathway_code="health", intervention=f"gp {m}", owner_agency_id=None, due_on=None
    )
    nominations.deselect(
        team.manager,
        offender,
        on=date.today(),
        reason="other",
        note=f"why {m}",
        exit_plan=f"plan {m}",
        version=offender.version_id,
    )
    db.session.commit()
    raw = _raw_storage(sqlite_path)
    assert m.encode() not in raw
    # The control: the same text is readable through the models.
    assert offending.offences_for(offender)[0].notes == f"notes {m}"
