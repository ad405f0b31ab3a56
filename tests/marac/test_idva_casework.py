"""IDVA casework through the case page: allocation, contact log, safety plan and its reviews."""

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core.models import Plan, PlanItem
from casework.extensions import db
from casework.marac.models import ContactLog
from tests.helpers import audit_events, csrf_token, login

from .conftest import make_referral


def _post(client, case_url, url, data):
    page = client.get(case_url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_token(page.text), **data})


def test_idva_casework_cycle(app, factory, marac):
    ref = make_referral(marac.police_rep, factory.person(marac.police_rep), incidents_12_months=4)
    case_url = f"/marac/cases/{ref.case_id}"
    coord, idva = app.test_client(), app.test_client()
    login(coord, marac.coordinator)
    login(idva, marac.idva)

    resp = _post(
        coord, case_url, f"{case_url}/allocate", {"idva_user_id": str(marac.idva.id), "version_id": str(ref.version_id)}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert ref.idva_user_id == marac.idva.id

    resp = _post(
        idva,
        case_url,
        f"{case_url}/contacts",
        {
            "contact_on": date.today().isoformat(),
            "method": "phone",
            "outcome": "spoke",
            "notes": "Agreed safe times ZQXNOTE",
        },
    )
    assert resp.status_code == 302
    assert "ZQXNOTE" in idva.get(case_url).text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactLog)) == 1
    future = _post(
        idva,
        case_url,
        f"{case_url}/contacts",
        {"contact_on": (date.today() + timedelta(days=2)).isoformat(), "method": "phone", "outcome": "spoke"},
    )
    assert future.status_code == 400 and "There is a problem" in future.text
    # The contact log is IDVA casework: the coordinator does not see its notes.
    assert "ZQXNOTE" not in coord.get(case_url).text

    review_due = date.today() + timedelta(days=3)
    resp = _post(idva, case_url, f"{case_url}/plan", {"title": "Safety plan", "review_due_on": review_due.isoformat()})
    assert resp.status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.case_id == ref.case_id))
    resp = _post(
        idva,
        case_url,
        f"/marac/plans/{plan.id}/items",
        {"area": "Home security", "intervention": "Locks", "owner_agency_id": str(marac.housing.id)},
    )
    assert resp.status_code == 302
    item = db.session.scalar(sa.select(PlanItem).where(PlanItem.plan_id == plan.id))
    resp = _post(
        idva, case_url, f"/marac/plan-items/{item.id}/status", {"status": "done", "version_id": str(item.version_id)}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(PlanItem, item.id).status == "done"

    # The review shows on "My work" while due, and a review moves the date on.
    home = idva.get("/")
    assert "Plan reviews due" in home.text and ref.case.reference in home.text
    resp = _post(
        idva,
        case_url,
        f"/marac/plans/{plan.id}/review",
        {
            "summary": "Reviewed with victim",
            "next_review_on": (date.today() + timedelta(days=42)).isoformat(),
            "version_id": str(db.session.get(Plan, plan.id).version_id),
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).review_due_on == date.today() + timedelta(days=42)
    assert ref.case.reference not in idva.get("/").text.split("Plan reviews due")[1].split("Upcoming meetings")[0]
    assert {"marac.contact.create", "marac.plan.create", "marac.plan.add_item", "marac.plan.review"} <= {
        e.action for e in audit_events()
    }


def test_overdue_review_is_flagged(app, factory, marac):
    from casework.core import plans

    ref = make_referral(marac.idva, factory.person(marac.idva), incidents_12_months=4)
    plan = plans.create_plan(marac.idva, ref.case, kind="safety", title="Safety plan", review_due_on=date.today())
    plan.review_due_on = date.today() - timedelta(days=1)
    db.session.commit()
    client = app.test_client()
    login(client, marac.idva)
    section = client.get("/").text.split("Plan reviews due")[1].split("Upcoming meetings")[0]
    assert ref.case.reference in section and "Overdue" in section
