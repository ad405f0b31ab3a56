"""The scan's recipient rules for plan reviews, releases from custody, pathway reviews and contacts."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core.models import Plan
from casework.extensions import db
from casework.iom import nominations
from casework.iom.models import Contact, Offender, PathwayNeed
from casework.notifications import service

from .conftest import rows
from .test_rules import _referral


def test_safety_plan_review_goes_to_the_plan_owner(app, factory, marac):
    ref = _referral(marac, factory, by=marac.idva)
    db.session.add(
        Plan(
            case_id=ref.case_id,
            kind="safety",
            title="Safety plan",
            review_due_on=date.today() + timedelta(days=3),
            owner_user_id=marac.idva.id,
        )
    )
    db.session.commit()
    service.scan(date.today())
    db.session.commit()
    assert [(n.user_id, n.object_id) for n in rows("marac.safety_plan_review")] == [(marac.idva.id, ref.case_id)]
    assert service.scan(date.today()) == 0


def _offender(app, factory):
    officer = factory.user("iom_officer")
    manager = factory.user("iom_manager")
    person = factory.person(officer)
    with app.test_request_context():
        nomination = nominations.nominate(
            officer,
            person,
            {"nominated_on": date.today(), "reasons": "Prolific", "proposed_strand": "fixed", "category": "ppo"},
        )
    db.session.commit()
    offender = db.session.scalar(sa.select(Offender).where(Offender.case_id == nomination.case_id))
    offender.on_cohort = True
    offender.lead_user_id = officer.id
    db.session.commit()
    return officer, manager, offender


def test_release_from_custody_goes_to_the_lead_officer(app, factory):
    officer, _, offender = _offender(app, factory)
    offender.supervision = "custody"
    offender.expected_release_on = date.today() + timedelta(days=10)
    db.session.commit()
    service.scan(date.today())
    db.session.commit()
    assert [n.user_id for n in rows("iom.release_due")] == [officer.id]
    assert service.scan(date.today()) == 0


def test_pathway_review_goes_to_the_owning_agency(app, factory):
    officer, _, offender = _offender(app, factory)
    housing = factory.agency("housing")
    partner = factory.user("iom_partner", agency=housing)
    db.session.add(
        PathwayNeed(
            case_id=offender.case_id,
            pathway_code="accommodation",
            need="high",
            rag="red",
            owner_agency_id=housing.id,
            review_due_on=date.today() - timedelta(days=1),
            assessed_on=date.today() - timedelta(days=40),
        )
    )
    db.session.commit()
    service.scan(date.today())
    db.session.commit()
    assert [n.user_id for n in rows("iom.pathway_review_due")] == [partner.id]


def test_contact_overdue_goes_to_the_lead_officer_once_per_last_contact(app, factory):
    officer, _, offender = _offender(app, factory)
    db.session.add(
        Contact(
            case_id=offender.case_id,
            contact_on=date.today() - timedelta(days=20),
            contact_type="office",
            outcome="engaged",
            agency_id=officer.agency_id,
        )
    )
    db.session.commit()
    service.scan(date.today())
    db.session.commit()
    assert [n.user_id for n in rows("iom.contact_overdue")] == [officer.id]
    assert service.scan(date.today() + timedelta(days=1)) == 0
    # A contact today: nothing is overdue any more.
    db.session.add(
        Contact(
            case_id=offender.case_id,
            contact_on=date.today(),
            contact_type="phone",
            outcome="engaged",
            agency_id=officer.agency_id,
        )
    )
    db.session.commit()
    assert service.scan(date.today() + timedelta(days=2)) == 0


def test_asb_reminders_from_the_demo_data(app):
    """Support plan reviews and a missed weekly contact for a high-risk victim come with the demo;
    the Case Review's threshold decision, weeks later, is past its deadline."""
    from casework.asb.case_review.models import CaseReview
    from casework.demo import seed

    seed(None)
    assert rows("asb.support_plan_review") and rows("asb.contact_missed")
    later = date.today() + timedelta(days=40)
    assert service.scan(later) > 0
    db.session.commit()
    review = db.session.scalar(sa.select(CaseReview))
    overdue = rows("asb.case_review_overdue", object_id=review.id)
    assert review.spoc_user_id in {n.user_id for n in overdue}
    assert all(n.case_id == review.case_id for n in overdue)
    assert service.scan(later) == 0
