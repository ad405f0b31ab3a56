"""IOM pages run a fixed number of SQL statements however much they show (no N+1)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.helpers import signed_in
from tests.integration.test_query_counts import _statements_for

from .conftest import offence, on_cohort

# Every statement of a request, sign-in check and audit row included. The list: 6 of its own
# (strands, tiers, lead officers, pathways, the page of offenders; nothing per row). The
# offender page: 14 of its own (the offender with the case, nominations, spells, offences,
# contacts, tiers, pathways, tier/supervision/pathway history, needs, the pathway plan, panel
# listings, strands, the scoring matrix); the measure and the score need nothing more.
LIST_STATEMENTS = 12
PAGE_STATEMENTS = 22


def test_cohort_list_and_offender_page_do_not_grow(app, team, factory):
    _, first = on_cohort(team, factory, date(2025, 1, 1))
    offence(team, first, date(2025, 2, 1))
    client = signed_in(app, team.manager)
    few_list = _statements_for(client, "/iom/")
    few_page = _statements_for(client, f"/iom/cases/{first.case_id}")
    assert few_list <= LIST_STATEMENTS
    assert few_page <= PAGE_STATEMENTS
    for n in range(8):
        _, other = on_cohort(team, factory, date(2025, 1, 1 + n))
        offence(team, other, date(2025, 3, 1))
    for n in range(10):
        offence(team, first, date(2024, 1, 1 + n), "robbery")
    assert _statements_for(client, "/iom/") == few_list
    assert _statements_for(client, f"/iom/cases/{first.case_id}") == few_page


PATHWAYS = ["accommodation", "ete", "health", "finance", "drugs_alcohol", "children_families", "attitudes"]


def _grow(team, factory, offender, start: int, n: int) -> None:
    """``n`` more pathways (each owned by its own agency, with an intervention for another),
    contacts by officers of those agencies, offences and tier changes."""
    from casework.extensions import db
    from casework.iom import cohort, contacts, pathways

    for i in range(start, start + n):
        owner = factory.agency("housing", code=f"OWN{i}", name=f"Owner {i}")
        doer = factory.agency("substance_misuse", code=f"DO{i}", name=f"Doer {i}")
        pathways.assess(
            team.manager,
            offender,
            pathway_code=PATHWAYS[i],
            need="high",
            rag="red",
            owner_agency_id=owner.id,
            review_due_on=date.today() + timedelta(days=30),
            details=None,
            version=None,
        )
        pathways.add_intervention(
            team.manager,
            offender,
            pathway_code=PATHWAYS[i],
            intervention=f"Step {i}",
            owner_agency_id=doer.id,
            due_on=None,
        )
        officer = factory.user("iom_officer", agency=doer)
        contacts.log_contact(
            officer, offender, contact_on=date(2025, 2, 1 + i), contact_type="office", outcome="engaged", notes=None
        )
        cohort.set_tier(
            team.manager,
            offender,
            tier=("red", "amber", "green")[i % 3],
            reason=f"Review {i}",
            on=date(2025, 2, 1 + i),
            version=offender.version_id,
        )
        db.session.commit()
        offence(team, offender, date(2024, 3, 1 + i), "robbery")


def test_offender_page_is_flat_in_contacts_offences_pathways_and_spells(app, team, factory):
    from casework.extensions import db
    from casework.iom import nominations

    from .conftest import deselect, nominate

    person, offender = on_cohort(team, factory, date(2023, 1, 1))
    _grow(team, factory, offender, 0, 1)
    client = signed_in(app, team.manager)
    url = f"/iom/cases/{offender.case_id}"
    few = _statements_for(client, url)
    assert few <= PAGE_STATEMENTS  # with a pathway plan and its items too
    _grow(team, factory, offender, 1, 6)
    # Two more spells, each led by an officer of another agency.
    for year in (2023, 2024):
        deselect(team, offender, date(year, 6, 1))
        nomination = nominate(team, person, date(year, 7, 1))
        lead = factory.user("iom_officer", agency=factory.agency("probation", code=f"LP{year}", name=f"Lead {year}"))
        nominations.decide(
            team.manager,
            nomination,
            adopt=True,
            decision=nominations.Adoption(
                decided_on=date(year, 7, 2), strand="flex", category="repeat", lead_user_id=lead.id, tier="green"
            ),
            version=nomination.version_id,
        )
        db.session.commit()
    body = client.get(url).text
    assert body.count("Step ") == 7 and "Lead 2024" in body and "Doer 6" in body and "Owner 6" in body
    assert _statements_for(client, url) == few


def test_offender_page_known_elsewhere_costs_one_statement_more(app, team, factory):
    person, offender = on_cohort(team, factory, date(2025, 1, 1))
    both = factory.user("iom_manager", "marac_coordinator", agency=team.probation)
    client = signed_in(app, both)
    url = f"/iom/cases/{offender.case_id}"
    alone = _statements_for(client, url)
    for _ in range(3):
        factory.case(both, kind="marac", people=[(person, "perpetrator")])
    assert client.get(url).text.count("/marac/cases/") == 3
    assert _statements_for(client, url) == alone + 1
