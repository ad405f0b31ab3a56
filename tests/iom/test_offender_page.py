"""The offender page works its figures from what it has already read: the same answers as the
services that read for themselves (measure, selection score, last deselection reason), the
timeline's history in one statement, the offending record as plain rows with the row binding
still checked, and the lead officers for choices in one statement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core.periods import calendar_quarter, custom
from casework.core.types import UNREADABLE_TEXT, is_unreadable
from casework.extensions import db
from casework.iom import cohort, measure, nominations, offending, pathways
from casework.iom.models import Offence, TierChange
from tests.helpers import signed_in

from .conftest import adopt, deselect, nominate, offence, on_cohort


def _raw(table: str, column: str, row_id: int) -> bytes:
    value = db.session.execute(sa.text(f'SELECT "{column}" FROM "{table}" WHERE id = :i'), {"i": row_id}).scalar_one()
    return bytes(value)


def _write_raw(table: str, column: str, row_id: int, blob: bytes) -> None:
    db.session.execute(sa.text(f'UPDATE "{table}" SET "{column}" = :v WHERE id = :i'), {"v": blob, "i": row_id})
    db.session.commit()
    db.session.expunge_all()


@pytest.fixture
def readopted(team, factory):
    """An offender on the cohort from 1 Oct 2024, deselected 15 Apr 2025 and re-adopted on
    1 Jun 2025 (flex, repeat), with convictions, arrests and neighbourhood crime either side."""
    person, o = on_cohort(team, factory, date(2024, 10, 1), nominated=date(2024, 9, 20))
    for day, code in (
        (date(2023, 9, 30), "shoplifting"),
        (date(2023, 11, 1), "burglary_dwelling"),
        (date(2024, 2, 1), "robbery"),
        (date(2024, 9, 30), "shoplifting"),
        (date(2025, 4, 10), "vehicle_theft"),
        (date(2025, 5, 20), "shoplifting"),
        (date(2025, 6, 1), "burglary_dwelling"),
        (date(2025, 7, 1), "shoplifting"),
    ):
        offence(team, o, day, code)
    offence(team, o, date(2025, 4, 12), "robbery", kind="arrest")
    offence(team, o, date(2024, 3, 3), "shoplifting", kind="arrest")
    offence(team, o, date(2025, 6, 2), "drugs", kind="charge")
    deselect(team, o, date(2025, 4, 15))
    adopt(team, nominate(team, person, date(2025, 5, 20)), date(2025, 6, 1), strand="flex", category="repeat")
    return o


PERIODS = [
    calendar_quarter(2024, 3),
    calendar_quarter(2024, 4),
    calendar_quarter(2025, 1),
    calendar_quarter(2025, 2),
    calendar_quarter(2025, 3),
    custom(date(2024, 6, 1), date(2025, 8, 31)),
    calendar_quarter(2023, 1),  # before any spell
]
VARIANTS = [
    {},
    {"count": "arrest"},
    {"neighbourhood_only": True},
    {"strand": "flex"},
    {"strand": "fixed", "category": "ppo"},
    {"category": "repeat", "neighbourhood_only": True},
]


def test_measure_from_the_page_is_the_measure(team, readopted):
    spells = nominations.spells(readopted)
    record = offending.offences_for(readopted)
    checked = 0
    for period in PERIODS:
        for variant in VARIANTS:
            read = measure.offender_measure(readopted, period, **variant)
            given = measure.offender_measure(readopted, period, spells=spells, offences=record, **variant)
            assert given == read, (period, variant)
            checked += read is not None
    assert checked > 10  # most combinations have the offender on the cohort


def test_measure_reads_for_itself_when_the_spells_are_someone_elses(team, factory, readopted):
    _, other = on_cohort(team, factory, date(2024, 1, 1))
    period = calendar_quarter(2025, 2)
    given = measure.offender_measure(
        readopted, period, spells=nominations.spells(other), offences=offending.offences_for(readopted)
    )
    assert given == measure.offender_measure(readopted, period)
    with pytest.raises(ValueError):
        measure.offender_measure(readopted, period, spells=[], offences=[], count="charge")


def test_selection_score_from_the_record_is_the_score(team, readopted):
    record = offending.offences_for(readopted)
    for on in (date(2023, 1, 1), date(2024, 2, 1), date(2024, 10, 1), date(2025, 5, 20), date.today()):
        assert offending.selection_score(readopted.person_id, on, offences=record) == offending.selection_score(
            readopted.person_id, on
        )


def test_last_deselection_reason_from_the_spells(team, factory, readopted):
    assert nominations.last_deselection_reason(readopted, nominations.spells(readopted)) == "desistance"
    deselect(team, readopted, date.today(), reason="deceased")
    spells = nominations.spells(readopted)
    assert nominations.last_deselection_reason(readopted, spells) == "deceased"
    assert nominations.last_deselection_reason(readopted) == "deceased"
    _, fresh = on_cohort(team, factory, date(2025, 1, 1))
    assert nominations.last_deselection_reason(fresh, nominations.spells(fresh)) is None


def test_timeline_history_reads_tier_supervision_and_pathway_changes(team, factory):
    _, o = on_cohort(team, factory, date(2025, 1, 1))
    cohort.set_tier(team.manager, o, tier="red", reason="Rising risk", on=date(2025, 2, 1), version=o.version_id)
    cohort.set_supervision(
        team.manager,
        o,
        status="custody",
        from_on=date(2025, 3, 1),
        expected_release_on=date(2025, 9, 30),
        note="Remanded",
        version=o.version_id,
    )
    pathways.assess(
        team.manager,
        o,
        pathway_code="accommodation",
        need="high",
        rag="red",
        owner_agency_id=None,
        review_due_on=date.today() + timedelta(days=30),
        details=None,
        version=None,
    )
    db.session.commit()
    entries = [(e.kind, e.text) for e in cohort.timeline(o) if e.kind in ("Tier", "Supervision", "Pathway")]
    assert ("Tier", "Tier Red: Rising risk") in entries
    assert ("Supervision", "In custody, expected release 30 Sep 2025") in entries
    assert ("Pathway", "Accommodation and support: need high") in entries

    # A reason copied in from another tier change reads as unreadable, as an ORM load does.
    _, other = on_cohort(team, factory, date(2025, 1, 1))
    cohort.set_tier(
        team.manager, other, tier="green", reason="Other's reason", on=date(2025, 2, 2), version=other.version_id
    )
    db.session.commit()
    mine = db.session.scalar(sa.select(TierChange.id).where(TierChange.case_id == o.case_id, TierChange.tier == "red"))
    theirs = db.session.scalar(
        sa.select(TierChange.id).where(TierChange.case_id == other.case_id, TierChange.tier == "green")
    )
    _write_raw("iom_tier_change", "reason", mine, _raw("iom_tier_change", "reason", theirs))
    assert is_unreadable(db.session.get(TierChange, mine).reason)
    o = db.session.merge(o)
    texts = [e.text for e in cohort.timeline(o) if e.kind == "Tier"]
    assert f"Tier Red: {UNREADABLE_TEXT}" in texts
    assert not any("Rising risk" in t or "Other's reason" in t for t in texts)


def test_offending_record_rows_check_the_row_binding_and_withhold_notes(team, factory):
    _, o = on_cohort(team, factory, date(2025, 1, 1))
    first = offending.record_offence(
        team.officer,
        o,
        {"kind": "conviction", "offence_on": date(2025, 2, 1), "category_id": 1, "outcome": "Fine", "notes": "Note A"},
    )
    second = offending.record_offence(
        team.officer,
        o,
        {"kind": "arrest", "offence_on": date(2025, 3, 1), "category_id": 1, "outcome": "NFA", "notes": "Note B"},
    )
    db.session.commit()
    first_id, second_id = first.id, second.id
    rows = offending.offences_for(o)
    assert [(r.id, r.kind, r.outcome, r.notes) for r in rows] == [
        (second_id, "arrest", "NFA", "Note B"),
        (first_id, "conviction", "Fine", "Note A"),
    ]
    assert rows[0].category.label == db.session.get(Offence, second_id).category.label
    assert [r.notes for r in offending.offences_for(o, with_notes=False)] == [None, None]
    assert len(offending.offences_for(o, limit=1)) == 1

    _write_raw("iom_offence", "outcome", first_id, _raw("iom_offence", "outcome", second_id))
    o = db.session.merge(o)
    by_id = {r.id: r for r in offending.offences_for(o)}
    assert is_unreadable(by_id[first_id].outcome) and by_id[first_id].notes == "Note A"
    assert by_id[second_id].outcome == "NFA"
    assert is_unreadable(db.session.get(Offence, first_id).outcome)  # as the ORM reads it


def test_lead_officer_names_are_the_lead_officers(team, factory):
    from casework.core.models import Agency

    closed = factory.agency("probation", code="GONE", name="Closed Probation")
    factory.user("iom_officer", agency=closed)
    db.session.get(Agency, closed.id).is_active = False
    factory.user("iom_partner", agency=team.health)
    factory.user("iom_officer", agency=team.police).is_active = False
    factory.user("marac_coordinator")
    db.session.commit()
    expected = [(u.id, u.display_name, u.agency.name) for u in cohort.lead_officers()]
    assert cohort.lead_officer_names() == expected
    assert len(expected) >= 4  # officer, manager, partner and the new partner


def test_offender_page_shows_what_it_worked_out(app, team, factory, readopted):
    client = signed_in(app, team.manager)
    body = client.get(f"/iom/cases/{readopted.case_id}").text
    score = offending.selection_score(readopted.person_id, date.today())
    assert f"<dd>{score.total} <span" in body
    assert "Spell on the cohort began (flex)" in body and "Deselected" in body
    assert "Desistance" in body


def test_users_read_for_their_names_keep_their_row_binding(team, factory):
    """Spells, contacts and the cohort list read a user's name only; anything read from that user
    later in the same session is still checked against (and readable through) its row uid."""
    from casework.core.models import User
    from casework.iom import contacts

    _, o = on_cohort(team, factory, date(2025, 1, 1))
    contacts.log_contact(
        team.officer, o, contact_on=date(2025, 2, 1), contact_type="phone", outcome="engaged", notes=None
    )
    db.session.commit()
    secret, officer_id, manager_id = team.officer.totp_secret, team.officer.id, team.manager.id
    assert secret
    readers = (
        lambda: nominations.spells(o)[0].lead_user,
        lambda: contacts.contacts_for(o)[0].officer,
        lambda: cohort.cohort_page(db.session.get(User, manager_id), cohort.CohortFilter(), 1).items[0].lead_user,
    )
    for read in readers:
        db.session.expunge_all()
        o = db.session.merge(o)
        user = read()
        assert user.id == officer_id and "totp_secret" not in sa.inspect(user).dict  # the name only
        assert user.totp_secret == secret and db.session.get(User, officer_id) is user
