"""ASB records in a subject access pack: the victim's account, and the alleged perpetrator's view
of the same incident without the victim's name or the location."""

from __future__ import annotations

from datetime import date, timedelta

from casework.governance import sar as sar_services
from casework.governance.models import SubjectAccessRequest

from ..asb.conftest import log, team  # noqa: F401 (fixture)


def _request(person, dpo) -> SubjectAccessRequest:
    return sar_services.log_request(
        dpo,
        person,
        {"received_on": date.today(), "requester": "Self", "route": "uk_gdpr", "identity_checked": False},
    )


def test_asb_incident_in_victim_and_perpetrator_packs(app, factory, team):  # noqa: F811
    dpo = factory.user("dpo")
    victim = factory.person(team.officer, given_names="Val", surname="Neighbour")
    accused = factory.person(team.officer, given_names="Noel", surname="Noisy")
    log(
        team.officer,
        victim,
        date.today() - timedelta(days=3),
        description="Noel Noisy played music; Val Neighbour could not sleep",
        location="12 Acacia Avenue",
        perpetrator_unknown=False,
        perpetrator_ids=[accused.id],
    )
    victim_pack = sar_services.assemble(_request(victim, dpo))
    incident = dict(
        next(i for i in victim_pack.items if i.record.module == "asb" and i.record.kind == "incident").fields
    )
    assert incident["Location"] == "12 Acacia Avenue"
    assert "Noel" not in incident["What happened"] and "Val Neighbour" in incident["What happened"]
    assert any(i.record.kind == "case" and i.record.module == "asb" for i in victim_pack.items)

    accused_pack = sar_services.assemble(_request(accused, dpo))
    incident = dict(
        next(i for i in accused_pack.items if i.record.module == "asb" and i.record.kind == "incident").fields
    )
    assert incident["Location"] == sar_services.REDACTED_FIELD
    assert "Val" not in incident["What happened"] and "Noel Noisy" in incident["What happened"]
    assert incident["Your part"] == "Recorded as responsible"
