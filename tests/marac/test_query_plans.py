"""The busiest pages find their cases through indexes, never by reading the whole case table.

Each page is requested as its users would request it; every statement it ran that
reads ``case`` is then explained by the database itself. On PostgreSQL sequential
scans are switched off for the EXPLAIN (``enable_seqscan = off``), so a plan that
still reads ``case`` sequentially, or reads a whole index of it with no condition, is
one no index can serve: at 100,000 cases that is the scan (and, with the cost it is
given, the JIT compilation) that made these pages grow with the table. On SQLite,
``EXPLAIN QUERY PLAN`` must report no ``SCAN case`` (of the table or of a whole index)
for the same statements, only ``SEARCH``.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from casework.core import meetings as core_meetings
from casework.extensions import db
from casework.marac import referrals
from tests.helpers import signed_in

from .conftest import make_referral, record_dash, schedule

# With sequential scans off, PostgreSQL may read a whole index instead: as bad.
FULL_INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
CASE_TABLE = re.compile(r'"case"')  # always quoted: CASE is a keyword


@contextmanager
def captured_statements():
    statements: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def _pg_seq_scans_on_case(conn, statement: str, parameters) -> list[str]:
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found: list[str] = []

    def walk(node: dict) -> None:
        if node.get("Relation Name") == "case":
            kind = node.get("Node Type")
            if kind == "Seq Scan" or (kind in FULL_INDEX_SCANS and "Index Cond" not in node):
                found.append(f"{kind} on case without a condition (filter: {node.get('Filter', '')[:200]})")
        if str(node.get("Subplan Name", "")).startswith("hashed"):
            found.append(f"{node['Subplan Name']}: reads every row its subquery could match")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def _sqlite_full_scans_on_case(conn, statement: str, parameters) -> list[str]:
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return [row[3] for row in rows if re.match(r'SCAN "?case"?\b', row[3])]


def full_scans_of_case(statements) -> dict[str, list[str]]:
    """{statement: [the plan lines that read every row of ``case``]} for the SELECTs given."""
    bad: dict[str, list[str]] = {}
    explain = _pg_seq_scans_on_case if db.engine.dialect.name == "postgresql" else _sqlite_full_scans_on_case
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT") or not CASE_TABLE.search(statement):
            continue
        with db.engine.connect() as conn, conn.begin():
            found = explain(conn, statement, parameters)
        if found:
            bad[statement[:400]] = found
    return bad


@pytest.fixture
def busy(app, marac, factory):
    """Cases in every state the pages show: submitted, accepted, listed, one restricted."""
    meeting = schedule(marac.coordinator, days_ahead=10, agencies=[marac.housing, marac.police])
    victims = []
    for n in range(6):
        victim = factory.person(marac.idva, surname=f"Plan{n}")
        victims.append(victim)
        assessment = record_dash(marac.idva, victim, 15)
        ref = make_referral(marac.idva, victim, dash_assessment=assessment)
        if n % 2:
            referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
            if n % 3 == 1:
                core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
            db.session.commit()
    _history(marac)
    return victims


def _history(marac, n: int = 20_000) -> None:
    """Years of closed cases, every one linked to housing and listed at a meeting housing
    is invited to: at this size a plan that hashes a whole route of visibility (all of an
    agency's links) or reads every case is the plan the planner picks, as in production.
    Plain rows (no personal data), inserted in bulk, then ANALYZE."""
    from datetime import date, timedelta

    from casework.core.crypto import new_row_uid
    from casework.core.models import (
        Action,
        AgendaItem,
        Case,
        CaseAgency,
        CaseParticipant,
        Meeting,
        MeetingAgency,
        Person,
    )
    from casework.core.types import bind_value, utcnow

    now, today = utcnow(), date.today()
    cases = [
        {
            "reference": f"HIST-{i:06d}",
            "kind": "marac",
            "status": "closed",
            "opened_on": today - timedelta(days=400 + i % 1500),
            "closed_on": today - timedelta(days=300 + i % 1500),
            "lead_agency_id": marac.police.id,
            "is_restricted": False,
            "created_at": now,
            "updated_at": now,
            "version_id": 1,
            "row_uid": new_row_uid(),
        }
        for i in range(n)
    ]
    # Years of past meetings in one held meeting housing was invited to.
    uid = new_row_uid()
    past = db.session.execute(
        sa.insert(Meeting).returning(Meeting.id),
        [
            {
                "kind": "marac",
                "starts_at": now - timedelta(days=400),
                "venue": bind_value("Town Hall", uid),
                "status": "held",
                "created_at": now,
                "updated_at": now,
                "version_id": 1,
                "row_uid": uid,
            }
        ],
    ).scalar_one()
    db.session.execute(sa.insert(MeetingAgency), [{"meeting_id": past, "agency_id": marac.housing.id}])
    db.session.execute(sa.insert(Case), cases)
    ids = db.session.scalars(sa.select(Case.id).where(Case.reference.like("HIST-%"))).all()
    db.session.execute(sa.insert(CaseAgency), [{"case_id": i, "agency_id": marac.housing.id} for i in ids])
    items = [
        {
            "meeting_id": past,
            "case_id": case_id,
            "position": 1000 + k,
            "reason": "new",
            "created_at": now,
            "updated_at": now,
            "version_id": 1,
            "row_uid": new_row_uid(),
        }
        for k, case_id in enumerate(ids)
    ]
    db.session.execute(sa.insert(AgendaItem), items)
    people = [{"created_at": now, "updated_at": now, "version_id": 1, "row_uid": new_row_uid()} for _ in ids]
    person_ids = db.session.scalars(sa.insert(Person).returning(Person.id), people).all()
    db.session.execute(
        sa.insert(CaseParticipant),
        [
            {"case_id": c, "person_id": p, "role": "victim", "row_uid": new_row_uid()}
            for c, p in zip(ids, person_ids, strict=True)
        ],
    )
    done = []
    for case_id in ids[::10]:  # years of completed actions
        uid = new_row_uid()
        done.append(
            {
                "case_id": case_id,
                "assigned_agency_id": marac.housing.id,
                "description": bind_value("Completed action", uid),
                "due_on": today - timedelta(days=365),
                "status": "done",
                "created_at": now,
                "updated_at": now,
                "version_id": 1,
                "row_uid": uid,
            }
        )
    db.session.execute(sa.insert(Action), done)
    db.session.commit()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


PAGES = [
    ("coordinator", "/marac/cases"),
    ("coordinator", "/marac/cases?status=submitted"),
    ("coordinator", "/marac/"),
    ("coordinator", "/"),
    ("coordinator", "/marac/actions"),
    ("housing_rep", "/marac/cases"),
    ("housing_rep", "/marac/"),
    ("housing_rep", "/"),
    ("housing_rep", "/marac/actions"),
    ("idva", "/marac/cases"),
    ("idva", "/people/"),
    ("idva", "/people/{victim}"),
]


def test_pages_read_cases_through_indexes(app, marac, busy):
    """One history for all the pages (filling it is the slow part)."""
    failures = {}
    for who, url in PAGES:
        client = signed_in(app, getattr(marac, who))
        url = url.format(victim=busy[1].id)
        with captured_statements() as statements:
            resp = client.get(url)
        assert resp.status_code == 200, url
        assert any(CASE_TABLE.search(s) for s, _ in statements), f"{url} read no cases: nothing was checked"
        if bad := full_scans_of_case(statements):
            failures[f"{who} {url}"] = bad
    report = "\n".join(
        f"{page}: {sorted({line for lines in bad.values() for line in lines})}" for page, bad in failures.items()
    )
    assert failures == {}, report


def test_the_check_catches_a_full_scan(app, marac, busy):
    """The checker itself: a filter no index serves is reported (so a pass above means something)."""
    from casework.core.models import Case

    with captured_statements() as statements:
        db.session.execute(sa.select(Case.id).where(Case.is_restricted.is_(True))).all()
    db.session.commit()  # SQLite: the session's transaction holds the write lock
    assert full_scans_of_case(statements) != {}
