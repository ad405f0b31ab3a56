"""Governance figures: the access log viewer on a large audit table, and a subject access pack.

    python -m benchmarks.governance [--events N] [--records R]

A throwaway SQLite database built by the migrations. ``N`` audit events (default
1,000,000) go in by bulk inserts, 90 seconds apart (about 2.9 years), from 300 users in
20 agencies, each about one of 100,000 people, one in four with a lawful basis and
one in five to a recipient agency (the chain links are placeholders: the viewer never
checks them). Then it times one page (50 rows) of the log for each filter, alone and
with a date range: old and recent, a week and a month. Last, a person with ``R``
records (default 50: case actions, each with another person's name in the text) and
the time to assemble and redact their subject access pack, and to build its ZIP.
Prints a table; nothing is asserted (target: every log page under 50 ms).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from benchmarks.core import Table, make_app, migrate, timed
from casework.extensions import db

START = datetime(2024, 1, 1)
ACTIONS = ["people.person.view", "marac.case.view", "marac.agenda.share", "iom.case.view", "auth.login"]


def fill_audit(n: int) -> None:
    rnd = random.Random(7)
    conn = db.session.connection()
    batch, people = [], []
    for i in range(1, n + 1):
        batch.append(
            {
                "seq": i,
                "at": START + timedelta(seconds=90 * i),
                "actor_user_id": rnd.randint(1, 300),
                "actor_agency_id": rnd.randint(1, 20),
                "action": rnd.choice(ACTIONS),
                "object_type": "person",
                "object_id": str(i),
                "purpose": "casework",
                "lawful_basis": rnd.choice([None, None, None, "cda1998_s115"]),
                "recipient_agency_id": rnd.choice([None, None, None, None, rnd.randint(1, 20)]),
                "result": "allowed",
                "payload": "{}",
                "prev_hash": "0" * 64,
                "row_hash": "0" * 64,
                "key_id": "bench",
            }
        )
        people.append({"event_seq": i, "person_id": rnd.randint(1, 100_000)})
        if len(batch) == 20_000:
            conn.execute(sa.text(_INSERT), batch)
            conn.execute(
                sa.text("INSERT INTO audit_person (event_seq, person_id) VALUES (:event_seq, :person_id)"), people
            )
            batch, people = [], []
    if batch:
        conn.execute(sa.text(_INSERT), batch)
        conn.execute(sa.text("INSERT INTO audit_person (event_seq, person_id) VALUES (:event_seq, :person_id)"), people)
    conn.exec_driver_sql("ANALYZE")
    db.session.commit()


_INSERT = (
    "INSERT INTO audit_event (seq, at, actor_user_id, actor_agency_id, action, object_type, object_id, purpose, "
    "lawful_basis, recipient_agency_id, result, payload, prev_hash, row_hash, key_id) VALUES (:seq, :at, "
    ":actor_user_id, :actor_agency_id, :action, :object_type, :object_id, :purpose, :lawful_basis, "
    ":recipient_agency_id, :result, :payload, :prev_hash, :row_hash, :key_id)"
)


def bench_viewer(table: Table, n: int, repeat: int = 15) -> None:
    from casework.governance import services as s

    last = (START + timedelta(seconds=90 * n)).date()
    old_week = (date(2024, 3, 4), date(2024, 3, 10))
    recent_month = (last - timedelta(days=30), last)
    cases = {
        "no filter": {},
        "person": {"person_id": 4242},
        "user": {"actor_user_id": 17},
        "agency": {"actor_agency_id": 7},
        "action": {"action": "auth.login"},
        "recipient": {"recipient_agency_id": 3},
        "lawful basis": {"lawful_basis": "cda1998_s115"},
    }
    for name, base in cases.items():
        for label, span in (("", None), (" + old week", old_week), (" + recent month", recent_month)):
            f = s.AuditFilter(**base)
            if span:
                f.date_from, f.date_to = span
            table.add(f"log page: {name}{label}", timed(lambda f=f: s.events_page(f, 1), repeat), "ms")
            db.session.rollback()


def bench_pack(table: Table, records: int) -> None:
    from casework.admin import services as admin
    from casework.core import cases
    from casework.core.models import Action
    from casework.governance import sar
    from casework.people.services import create_person

    agency = admin.create_agency({"code": "BG", "name": "Bench", "kind": "idva_service", "is_active": True})
    db.session.flush()
    user = admin.create_user(
        email="gov@example.org",
        display_name="Bench DPO",
        agency_id=agency.id,
        roles={"idva", "dpo"},
        password="lantern quietly orbiting 7 marbles",
    )
    db.session.flush()
    subject = create_person(user, {"given_names": "Sam", "surname": "Subject", "dob": date(1990, 1, 1)})
    other = create_person(user, {"given_names": "Olly", "surname": "Other", "dob": date(1991, 1, 1)})
    from casework.core import modules

    case = cases.open_case(
        kind="marac",
        status=next(iter(modules.for_case_kind("marac").case_statuses)),
        opened_on=date.today(),
        lead_agency_id=agency.id,
        lead_user_id=user.id,
        created_by=user,
    )
    cases.add_participant(case, subject.id, "victim")
    cases.add_participant(case, other.id, "perpetrator")
    for i in range(records - 2):
        db.session.add(
            Action(
                case_id=case.id,
                assigned_agency_id=agency.id,
                description=f"Action {i}: safety visit; Olly Other not to attend",
                due_on=date.today(),
                status="open",
            )
        )
    req = sar.log_request(user, subject, {"received_on": date.today(), "requester": "Self", "route": "uk_gdpr"})
    db.session.commit()
    pack = sar.assemble(req)
    table.add(f"SAR pack: assemble + redact ({len(pack.items)} records)", timed(lambda: sar.assemble(req), 10), "ms")
    table.add("SAR pack: PDF + JSON ZIP", timed(lambda: sar.zip_pack(pack), 5), "ms")
    db.session.rollback()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp) / "gov.db")
        migrate(app)
        table = Table()
        with app.app_context():
            fill_audit(args.events)
            bench_viewer(table, args.events)
            bench_pack(table, args.records)
            db.session.remove()
            db.engine.dispose()
        print(f"Governance: {args.events:,} audit events; pack of {args.records} records")
        table.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
