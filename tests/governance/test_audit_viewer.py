"""The DPO's access log viewer: filters, CSV export (itself audited), chain status, access."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import sqlalchemy as sa

from casework.core import audit
from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.governance import services

from ..helpers import audit_events, signed_in


def test_filters_by_agency_basis_person_and_recipient(app, factory):
    police, housing = factory.agency("police"), factory.agency("housing")
    officer = factory.user("marac_coordinator", agency=police)
    audit.record(
        "marac.referral.share",
        actor_user_id=officer.id,
        actor_agency_id=police.id,
        person_ids=[11],
        recipient_agency_id=housing.id,
        lawful_basis="cda1998_s115",
    )
    audit.record("people.person.view", actor_user_id=officer.id, actor_agency_id=housing.id, person_ids=[12])
    db.session.commit()

    def actions(**kw):
        return [e.action for e in db.session.scalars(services.filtered_events(services.AuditFilter(**kw)))]

    assert actions(actor_agency_id=police.id) == ["marac.referral.share"]
    assert actions(lawful_basis="cda1998_s115") == ["marac.referral.share"]
    assert actions(person_id=12) == ["people.person.view"]
    assert actions(recipient_agency_id=housing.id) == ["marac.referral.share"]
    assert actions(actor_agency_id=police.id, lawful_basis="consent") == []
    today = date.today()
    assert len(actions(date_from=today, date_to=today, actor_user_id=officer.id)) == 2
    assert actions(date_from=date(2001, 1, 1), date_to=date(2001, 1, 2), actor_user_id=officer.id) == []


def test_date_range_follows_local_days():
    """A summer (BST) local date starts at 23:00 UTC the day before."""
    lo, hi = services._local_bounds(date(2026, 7, 1), date(2026, 7, 1))
    assert lo == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert hi == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert services._local_bounds(None, date(9999, 12, 31)) == (None, None)


def test_dpo_filters_page_and_exports_csv_which_is_audited(app, factory):
    police = factory.agency("police")
    dpo = factory.user("dpo")
    audit.record("people.person.view", actor_user_id=dpo.id, actor_agency_id=police.id, person_ids=[42])
    audit.record("people.person.view", actor_user_id=dpo.id, actor_agency_id=police.id, person_ids=[43])
    db.session.commit()
    client = signed_in(app, dpo)
    page = client.get(f"/governance/audit?person_id=42&actor_agency_id={police.id}")
    assert page.status_code == 200 and "P000042" in page.text and "P000043" not in page.text
    assert "Download these events as CSV" in page.text
    resp = client.get(f"/governance/audit.csv?person_id=42&actor_agency_id={police.id}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Seq" and len(rows) == 2 and rows[1][8] == "42"
    (export,) = audit_events("governance.audit.export")
    assert export.actor_user_id == dpo.id and export.data["person_ids"] == [42]
    assert export.data["details"]["rows"] == 1
    assert export.data["details"]["filter"] == {"person_id": 42, "actor_agency_id": police.id}
    assert client.get("/governance/audit.csv?date_from=2024-02-30").status_code == 400


def test_paging_has_no_full_count(app, factory):
    for n in range(5):
        audit.record("people.person.view", person_ids=[n + 1])
    db.session.commit()
    page = services.events_page(services.AuditFilter(action="people.person.view"), 1, per_page=2)
    assert len(page.items) == 2 and page.has_next and not page.has_prev
    last = services.events_page(services.AuditFilter(action="people.person.view"), 3, per_page=2)
    assert len(last.items) == 1 and not last.has_next


def test_governance_page_shows_chain_head_and_last_verification(app, factory):
    services.record_verification(audit.verify())
    db.session.commit()
    dpo = factory.user("dpo")
    client = signed_in(app, dpo)
    head = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    resp = client.get("/governance/")
    assert resp.status_code == 200
    assert "Intact" in resp.text and f"{head.seq}:{head.row_hash}" in resp.text


def test_flask_audit_verify_records_its_result(app, factory):
    factory.user("dpo")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    (check,) = audit_events(services.VERIFY_ACTION)
    assert check.data["details"]["ok"] is True and check.data["details"]["checked"] > 0


def test_only_dpo_sees_the_log_and_exports(app, factory):
    police = factory.agency("police")
    secret_agency = factory.agency("housing", name="Zqx Secret Housing")
    audit.record("people.person.view", actor_agency_id=secret_agency.id, person_ids=[777001])
    db.session.commit()
    urls = ["/governance/", "/governance/audit?person_id=777001", "/governance/audit.csv?person_id=777001"]
    for role in ("analyst", "marac_coordinator", "idva", "iom_manager", "admin"):
        client = signed_in(app, factory.user(role, agency=police))
        for url in urls:
            resp = client.get(url)
            assert resp.status_code == 403, (role, url)
            assert "P777001" not in resp.text and "777001" not in resp.text
    assert not audit_events("governance.audit.export")


def test_person_page_shows_who_accessed_to_dpo_only(app, factory):
    from casework.core.models import User

    idva = factory.user("idva")
    person = factory.person(idva, surname="Accessed")
    idva_client = signed_in(app, idva)
    assert "Who has accessed this record" not in idva_client.get(f"/people/{person.id}").text
    # A DPO who also works a casework role sees the block on the person's page.
    both = factory.user("idva", "dpo", agency=idva.agency)
    resp = signed_in(app, both).get(f"/people/{person.id}")
    assert resp.status_code == 200
    assert "Who has accessed this record" in resp.text and idva.display_name in resp.text
    assert db.session.get(User, both.id) is not None


def test_person_filter_takes_a_reference_and_refuses_nonsense(app, factory):
    dpo = factory.user("dpo")
    audit.record("people.person.view", person_ids=[42])
    db.session.commit()
    client = signed_in(app, dpo)
    assert "P000042" in client.get("/governance/audit?person_id=P000042").text
    resp = client.get("/governance/audit?person_id=nonsense")
    assert resp.status_code == 400 and "Enter a person reference" in resp.text
