"""List pages run a fixed number of SQL statements however many rows they show (no N+1)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import audit
from casework.core.models import Action
from casework.extensions import db
from tests.helpers import signed_in


@contextmanager
def count_statements():
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def _statements_for(client, url: str) -> int:
    client.get(url)  # warm up: first-request work is not what is measured
    with count_statements() as statements:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(statements)


def test_people_list(app, factory):
    user = factory.user("idva")
    client = signed_in(app, user)
    other_agency = factory.agency("police")
    # One person in a case already, so both counts include the disclosure policy's look-ups.
    factory.case(user, agencies=[other_agency], people=[(factory.person(user, surname="Few"), "victim")])
    few = _statements_for(client, "/people/")
    for n in range(20):
        person = factory.person(user, surname=f"Many{n}", phone=f"07700 9001{n:02d}")
        if n % 3 == 0:
            factory.case(user, agencies=[other_agency], people=[(person, "victim")])
    resp = client.get("/people/")
    assert resp.text.count("/people/") >= 21
    assert _statements_for(client, "/people/") == few


def test_admin_users_list(app, factory):
    admin = factory.user("admin")
    client = signed_in(app, admin)
    few = _statements_for(client, "/admin/users")
    for n in range(25):
        factory.user("idva", "marac_rep") if n % 2 else factory.user("dpo")
    resp = client.get("/admin/users")
    assert resp.text.count("/admin/users/") >= 26
    assert _statements_for(client, "/admin/users") == few


def test_audit_log(app, factory):
    dpo = factory.user("dpo")
    client = signed_in(app, dpo)
    few = _statements_for(client, "/governance/audit")
    # Many events from many different users and agencies, some shared with agencies.
    for n in range(15):
        user = factory.user("idva")
        person = factory.person(user, surname=f"Audit{n}")
        audit.record(
            "marac.case.share",
            object_type="person",
            object_id=person.id,
            person_ids=[person.id],
            recipient_agency_id=user.agency_id,
            lawful_basis="cda1998_s115",
            actor_user_id=user.id,
            actor_agency_id=user.agency_id,
        )
    db.session.commit()
    resp = client.get("/governance/audit")
    assert resp.text.count("marac.case.share") >= 10  # a full page of 50, from many actors
    assert _statements_for(client, "/governance/audit") == few


def test_home_my_work(app, factory):
    user = factory.user("idva")
    case = factory.case(user)
    client = signed_in(app, user)
    db.session.add(Action(case_id=case.id, assigned_agency_id=user.agency_id, description="First", due_on=date.today()))
    db.session.commit()
    few = _statements_for(client, "/")
    for n in range(15):
        other_case = factory.case(user)
        colleague = factory.user("idva", agency=user.agency)
        db.session.add(
            Action(
                case_id=other_case.id,
                assigned_agency_id=user.agency_id,
                assigned_user_id=user.id if n % 2 else None,
                description=f"Task {n}",
                due_on=date.today() + timedelta(days=n - 5),
                created_by_id=colleague.id,
            )
        )
    db.session.commit()
    resp = client.get("/")
    assert resp.text.count("Task ") == 15
    assert _statements_for(client, "/") == few
