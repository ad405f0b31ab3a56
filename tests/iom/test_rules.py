"""Selection score matrix, panel decisions and bad input, worked by hand (issue 10 §2-4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core.policy import AccessDenied
from casework.core.services import ConflictError, FieldErrors, ServiceError
from casework.extensions import db
from casework.iom import cohort, nominations, offending
from casework.iom.common import load_offender
from casework.iom.models import ScoreBand, ScoreFactor, Spell

from .conftest import adopt, category, deselect, nominate, offence, offender_of, on_cohort


def test_selection_score_by_hand(team, factory):
    person = factory.person(team.officer)
    nominate(team, person, date(2025, 6, 1))
    offender = offender_of(person)
    offence(team, offender, date(2025, 4, 20), "robbery")  # gravity 8
    offence(team, offender, date(2024, 11, 1), "shoplifting")  # gravity 2
    offence(team, offender, date(2023, 1, 1), "burglary_dwelling")  # outside the 24-month look-back
    offence(team, offender, date(2025, 6, 10), "violence_injury", kind="arrest")  # arrests do not score
    score = offending.selection_score(person.id, date(2025, 6, 15))
    by = {f.code: f for f in score.factors}
    # Recency: 20 Apr to 15 Jun = 1 whole month -> band 0-2 = 5 points x weight 3 = 15.
    assert (by["recency"].value, by["recency"].points, by["recency"].weighted) == (1, 5, 15)
    # Frequency: 2 convictions since 15 Jun 2023 -> band 1-2 = 1 point x 2 = 2.
    assert (by["frequency"].value, by["frequency"].points, by["frequency"].weighted) == (2, 1, 2)
    # Gravity: highest 8 -> band 7+ = 5 points x 1 = 5.
    assert (by["gravity"].value, by["gravity"].points, by["gravity"].weighted) == (8, 5, 5)
    assert score.total == 22
    # The open nomination follows the record (scored on its nomination date, 1 June 2025).
    nomination = nominations.open_nomination(offender)
    assert nomination.score == 22 and nomination.score_breakdown["total"] == 22


def test_selection_score_with_no_convictions_and_old_ones(team, factory):
    person = factory.person(team.officer)
    nominate(team, person, date(2025, 6, 1))
    assert offending.selection_score(person.id, date(2025, 6, 15)).total == 0
    offence(team, offender_of(person), date(2020, 1, 1), "robbery")
    score = offending.selection_score(person.id, date(2025, 6, 15))
    by = {f.code: f for f in score.factors}
    # 65 months ago: recency band 24+ = 0; nothing in the look-back: frequency 0, gravity none.
    assert (by["recency"].value, by["frequency"].value, by["gravity"].value) == (65, 0, None)
    assert score.total == 0


def test_weights_and_bands_are_data(team, factory):
    person = factory.person(team.officer)
    nominate(team, person, date(2025, 6, 1))
    offence(team, offender_of(person), date(2025, 6, 1), "shoplifting")
    before = offending.selection_score(person.id, date(2025, 6, 15)).total  # 5x3 + 1x2 + 1x1 = 18
    assert before == 18
    db.session.get(ScoreFactor, "recency").weight = 10
    db.session.execute(sa.update(ScoreBand).where(ScoreBand.factor_code == "gravity").values(points=0))
    db.session.commit()
    assert offending.selection_score(person.id, date(2025, 6, 15)).total == 5 * 10 + 1 * 2


def test_adoption_without_date_or_lead_officer_is_refused(team, factory):
    person = factory.person(team.officer)
    nomination = nominate(team, person, date(2025, 1, 1))
    with pytest.raises(FieldErrors) as exc:
        nominations.decide(
            team.manager,
            nomination,
            adopt=True,
            decision=nominations.Adoption(None, "fixed", "ppo", None, "red"),
            version=nomination.version_id,
        )
    fields = dict(exc.value.errors)
    assert fields["decided_on"] == "Enter the date of the panel decision"
    assert fields["lead_user_id"] == "Choose the lead officer"


def test_rejection_needs_a_reason_and_is_kept(team, factory):
    person = factory.person(team.officer)
    nomination = nominate(team, person, date(2025, 1, 1))
    with pytest.raises(FieldErrors) as exc:
        nominations.decide(
            team.manager,
            nomination,
            adopt=False,
            decision=nominations.Adoption(date(2025, 1, 5), None, None, None, None, reason=" "),
            version=nomination.version_id,
        )
    assert dict(exc.value.errors)["reason"] == "Enter the reason the panel did not adopt"
    nominations.decide(
        team.manager,
        nomination,
        adopt=False,
        decision=nominations.Adoption(date(2025, 1, 5), None, None, None, None, reason="Score too low"),
        version=nomination.version_id,
    )
    db.session.commit()
    assert nomination.status == "rejected" and offender_of(person).case.status == "not_adopted"
    # A later nomination is allowed.
    assert nominate(team, person, date(2025, 3, 1)).status == "open"


def test_deselection_before_adoption_is_refused(team, factory):
    person = factory.person(team.officer)
    nominate(team, person, date(2025, 1, 1))
    with pytest.raises(ServiceError, match="has not been adopted"):
        deselect(team, offender_of(person), date(2025, 2, 1))
    db.session.rollback()
    _, offender = on_cohort(team, factory, date(2025, 3, 1))
    with pytest.raises(FieldErrors) as exc:
        deselect(team, offender, date(2025, 2, 28))
    assert "cannot be before adoption on 1 March 2025" in dict(exc.value.errors)["on"]


def test_deselection_needs_reason_and_exit_plan(team, factory):
    _, offender = on_cohort(team, factory, date(2025, 3, 1))
    with pytest.raises(FieldErrors) as exc:
        nominations.deselect(
            team.manager, offender, on=None, reason=None, note=None, exit_plan="", version=offender.version_id
        )
    assert set(dict(exc.value.errors)) == {"on", "reason", "exit_plan"}


def test_readoption_keeps_every_spell_and_refuses_overlap(team, factory):
    person, offender = on_cohort(team, factory, date(2024, 1, 1))
    deselect(team, offender, date(2024, 6, 30))
    nomination = nominate(team, person, date(2024, 6, 30))
    with pytest.raises(ServiceError, match="overlap an earlier spell"):
        adopt(team, nomination, date(2024, 6, 30))
    db.session.rollback()
    adopt(team, nominations.open_nomination(offender), date(2024, 9, 1))
    spells = nominations.spells(offender)
    assert [(s.start_on, s.end_on) for s in spells] == [(date(2024, 1, 1), date(2024, 6, 30)), (date(2024, 9, 1), None)]
    assert offender.on_cohort and offender.case.status == "adopted"


def test_future_offence_is_refused(team, factory):
    _, offender = on_cohort(team, factory, date(2025, 1, 1))
    with pytest.raises(ServiceError, match="offence date must be today or in the past"):
        offending.record_offence(
            team.officer,
            offender,
            {
                "kind": "conviction",
                "offence_on": date.today() + timedelta(days=1),
                "category_id": category("robbery").id,
            },
        )


def test_duplicate_nominations_are_refused(team, factory):
    person, offender = on_cohort(team, factory, date(2025, 1, 1))
    with pytest.raises(ServiceError, match="already on the IOM cohort"):
        nominate(team, person, date(2025, 2, 1))
    db.session.rollback()
    waiting = factory.person(team.officer)
    nominate(team, waiting, date(2025, 2, 1))
    with pytest.raises(ServiceError, match="already has a nomination waiting"):
        nominate(team, waiting, date(2025, 2, 2))


def test_nomination_form_errors_together(team, factory):
    person = factory.person(team.officer)
    with pytest.raises(FieldErrors) as exc:
        nominations.nominate(
            team.officer, person, {"reasons": "", "proposed_strand": "x", "category": "y", "ogrs": "140", "rsr": "a"}
        )
    assert set(dict(exc.value.errors)) == {"reasons", "proposed_strand", "category", "ogrs", "rsr"}
    for odd in ("nan", "Infinity", "-0.5", "1e400", "sNaN"):
        with pytest.raises(FieldErrors) as exc:
            nominations.nominate(
                team.officer, person, {"reasons": "r", "proposed_strand": "fixed", "category": "ppo", "rsr": odd}
            )
        assert dict(exc.value.errors) == {"rsr": "RSR must be a number from 0 to 100"}
    with pytest.raises(FieldErrors) as exc:
        nominations.nominate(
            team.officer,
            person,
            {"reasons": "r", "proposed_strand": "fixed", "category": "ppo", "ogrs": "50.5", "rsr": "1.234"},
        )
    assert dict(exc.value.errors) == {
        "ogrs": "OGRS must be a whole number from 0 to 100",
        "rsr": "RSR can have at most two decimal places",
    }


def test_concurrent_tier_change_conflicts(team, factory):
    _, offender = on_cohort(team, factory, date(2025, 1, 1))
    stale = offender.version_id
    cohort.set_tier(team.officer, offender, tier="red", reason="Arrested twice", on=date.today(), version=stale)
    db.session.commit()
    with pytest.raises(ConflictError):
        cohort.set_tier(team.manager, offender, tier="green", reason="Engaging", on=date.today(), version=stale)


def test_custody_needs_an_expected_release_date(team, factory):
    _, offender = on_cohort(team, factory, date(2025, 1, 1))
    with pytest.raises(FieldErrors) as exc:
        cohort.set_supervision(
            team.officer,
            offender,
            status="custody",
            from_on=date.today(),
            expected_release_on=None,
            note=None,
            version=offender.version_id,
        )
    assert dict(exc.value.errors) == {"expected_release_on": "Enter the expected release date"}
    cohort.set_supervision(
        team.officer,
        offender,
        status="custody",
        from_on=date.today(),
        expected_release_on=date.today() + timedelta(days=10),
        note=None,
        version=offender.version_id,
    )
    db.session.commit()
    assert [o.id for o in cohort.releases_due(team.manager, date.today())] == [offender.id]


def test_other_roles_cannot_load_iom_records(team, factory):
    _, offender = on_cohort(team, factory, date(2025, 1, 1))
    for user in (team.marac_rep, team.idva):
        with pytest.raises(AccessDenied):
            load_offender(user, offender.case_id)
    assert load_offender(team.manager, offender.case_id).id == offender.id


def test_partner_cannot_record_offending_or_notes(team, factory):
    _, offender = on_cohort(team, factory, date(2025, 1, 1))
    offender.case.agency_links  # noqa: B018 - loaded for the partner's agency below
    from casework.core import cases

    cases.add_agency(offender.case, team.health.id)
    db.session.commit()
    with pytest.raises(ServiceError, match="Only police and probation"):
        offending.record_offence(
            team.partner, offender, {"kind": "arrest", "offence_on": date(2025, 1, 2), "category_id": 1}
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Spell)) == 1
