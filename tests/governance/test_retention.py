"""Retention: review list, legal hold, two-person destruction, tombstone, dry run."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.core import audit
from casework.core.models import Case, Person, PersonSearchToken
from casework.core.periods import add_months
from casework.extensions import db
from casework.governance import retention
from casework.governance.models import Destruction
from casework.marac.models import Referral

from ..helpers import audit_events, marker, page_token, signed_in
from ..marac.conftest import make_referral, marac  # noqa: F401 (fixture)


def _closed_case(marac, years_ago: int, *, victim, **kw):  # noqa: F811
    ref = make_referral(marac.idva, victim, incidents_12_months=3, **kw)
    case = db.session.get(Case, ref.case_id)
    case.status, case.closed_on = "closed", add_months(date.today(), -12 * years_ago)
    db.session.commit()
    return case, victim, ref


def test_destruction_needs_two_people_respects_hold_and_leaves_a_tombstone(app, factory, marac):  # noqa: F811
    secret = marker("DESTROY")
    victim = factory.person(marac.idva, given_names="Gone", surname=f"Person{secret}", phone="07700 900999")
    old, _, ref = _closed_case(marac, 7, victim=victim, summary=f"About {secret}")
    recent, _, _ = _closed_case(marac, 2, victim=factory.person(marac.idva))
    dpo1, dpo2 = factory.user("dpo"), factory.user("dpo")
    c1, c2 = signed_in(app, dpo1), signed_in(app, dpo2)

    page = c1.get("/governance/retention")
    assert page.status_code == 200 and old.reference in page.text and recent.reference not in page.text

    # A legal hold blocks the proposal.
    token = page_token(c1, "/governance/retention")
    resp = c1.post(
        "/governance/retention/hold",
        data={
            "hold-csrf_token": token,
            "hold-case_reference": old.reference,
            "hold-reason": "Domestic homicide review",
        },
    )
    assert resp.status_code == 302
    resp = c1.post(f"/governance/retention/cases/{old.id}/propose", data={"csrf_token": token})
    assert resp.status_code == 409 and not db.session.scalar(sa.select(Destruction))
    ((hold, _case),) = retention.open_holds()
    c1.post(f"/governance/retention/holds/{hold.id}/lift", data={"csrf_token": token})

    assert c1.post(f"/governance/retention/cases/{old.id}/propose", data={"csrf_token": token}).status_code == 302
    proposal = db.session.scalar(sa.select(Destruction))
    # The proposer cannot approve their own proposal.
    resp = c1.post(
        f"/governance/retention/proposals/{proposal.id}/approve",
        data={"csrf_token": token, "version_id": proposal.version_id},
    )
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Destruction, proposal.id).status == "proposed"
    token2 = page_token(c2, "/governance/retention")
    resp = c2.post(
        f"/governance/retention/proposals/{proposal.id}/approve",
        data={"csrf_token": token2, "version_id": proposal.version_id},
    )
    assert resp.status_code == 302

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0 and f"{old.reference}  would be destroyed" in dry.output
    db.session.expire_all()
    assert db.session.get(Person, victim.id).surname == f"Person{secret}"

    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0 and f"{old.reference}  destroyed" in result.output
    db.session.expire_all()
    person = db.session.get(Person, victim.id)
    assert person.given_names is None and person.surname is None and person.phone is None
    assert person.bi_surname_dob is None and person.bi_phone is None
    assert not db.session.scalar(sa.select(PersonSearchToken).where(PersonSearchToken.person_id == victim.id))
    raw = db.session.execute(
        sa.text("SELECT summary, referrer_name FROM marac_referral WHERE id = :id"), {"id": ref.id}
    ).one()
    assert raw.summary is None
    assert db.session.get(Referral, ref.id).referrer_name == ""
    # Anonymous statistics survive; the tombstone is in the chain and the chain verifies.
    done = db.session.get(Destruction, proposal.id)
    assert done.status == "destroyed" and done.summary["case_kind"] == "marac"
    assert done.summary["records"]["marac_referral"] == 1 and done.summary["people_wiped"] >= 1
    (tomb,) = audit_events("governance.retention.destroy")
    assert tomb.object_id == str(old.id) and victim.id in tomb.data["person_ids"]
    assert secret not in tomb.payload
    assert audit.verify().ok
    # The destroyed case leaves the review list; the recent one was never on it.
    assert old.id not in [r.case.id for r in retention.past_retention()]


def test_retention_rule_changes_the_review_list(app, factory, marac):  # noqa: F811
    case, _, _ = _closed_case(marac, 3, victim=factory.person(marac.idva))
    dpo = factory.user("dpo")
    assert case.reference not in [r.case.reference for r in retention.past_retention()]
    client = signed_in(app, dpo)
    token = page_token(client, "/governance/retention")
    resp = client.post(
        "/governance/retention/rule", data={"rule-csrf_token": token, "rule-case_kind": "marac", "rule-years": "0"}
    )
    assert resp.status_code == 400 and "from 1 to 100" in resp.text
    resp = client.post(
        "/governance/retention/rule", data={"rule-csrf_token": token, "rule-case_kind": "marac", "rule-years": "2"}
    )
    assert resp.status_code == 302
    assert case.reference in [r.case.reference for r in retention.past_retention()]


def test_only_dpo_reaches_retention(app, factory, marac):  # noqa: F811
    case, _, _ = _closed_case(marac, 7, victim=factory.person(marac.idva))
    for role in ("analyst", "marac_coordinator", "admin", "idva"):
        client = signed_in(app, factory.user(role))
        resp = client.get("/governance/retention")
        assert resp.status_code == 403 and case.reference not in resp.text
        token = page_token(client)
        assert (
            client.post(f"/governance/retention/cases/{case.id}/propose", data={"csrf_token": token}).status_code == 403
        )
    assert not db.session.scalar(sa.select(Destruction))


def test_destruction_wipes_the_external_references_of_imported_records(app, factory, marac):  # noqa: F811
    from casework.core.imports import ImportBatch, ImportRecord, reference_index

    secret = marker("EXTREF")
    victim = factory.person(marac.idva)
    old, _, _ = _closed_case(marac, 7, victim=victim)
    batch = ImportBatch(kind="marac-referrals", file_format="csv", file_sha256="0" * 64, rows=1, created=1, skipped=0)
    db.session.add(batch)
    db.session.flush()
    for object_type, object_id in (("case", old.id), ("person", victim.id)):
        db.session.add(
            ImportRecord(
                kind=f"test-{object_type}",
                ref_index=reference_index(f"test-{object_type}", secret, agency_id=None),
                external_ref=f"{secret}-{object_type}",
                object_type=object_type,
                object_id=object_id,
                batch_id=batch.id,
            )
        )
    db.session.commit()

    summary, wiped = retention.destroy_case(old)
    db.session.commit()
    db.session.expire_all()

    assert victim.id in wiped and summary["records"]["import_record"] == 2
    records = db.session.scalars(sa.select(ImportRecord).where(ImportRecord.batch_id == batch.id)).all()
    assert [r.external_ref for r in records] == ["", ""]
    # The keyed index stays, so importing the old spreadsheet again skips these rows.
    assert {r.ref_index for r in records} == {
        reference_index(f"test-{t}", secret, agency_id=None) for t in ("case", "person")
    }
