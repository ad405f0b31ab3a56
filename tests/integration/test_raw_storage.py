"""The raw database never holds plaintext personal data (DESIGN §3).

A unique marker goes into every encrypted field, through the services and the
web pages; then the raw storage is searched for it: the SQLite file and its WAL
byte for byte, or every column of every PostgreSQL table dumped as text.
Controls prove the search does find plaintext where plaintext is stored.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from casework.core import cases
from casework.core.models import (
    Action,
    ActionUpdate,
    AgendaItem,
    ChangeEvent,
    Meeting,
    Person,
    Plan,
    PlanItem,
    PlanReview,
)
from casework.core.types import utcnow
from casework.extensions import db
from casework.people.services import create_person
from tests.helpers import csrf_token, login, marker, post_form

DOB_MARKER = date(1911, 11, 19)


def _sqlite_raw(path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal"):
        f = Path(str(path) + suffix)
        if f.exists():
            data += f.read_bytes()
    return data


def _postgres_raw() -> bytes:
    """Every column of every table as text; binary columns escaped so ASCII stays visible."""
    chunks: list[str] = []
    conn = db.session.connection()
    columns = conn.execute(
        sa.text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        )
    ).all()
    assert columns
    for table, column, data_type in columns:
        expr = f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
        for (value,) in conn.execute(sa.text(f'SELECT {expr} FROM "{table}"')):
            if value is not None:
                chunks.append(value)
    return "\n".join(chunks).encode()


def _raw_storage(sqlite_path: Path | None) -> bytes:
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        assert sqlite_path is not None
        return _sqlite_raw(sqlite_path)
    assert db.engine.dialect.name == "postgresql"
    return _postgres_raw()


def test_marker_never_reaches_raw_storage(app, factory, client, sqlite_path):
    m = marker()
    phone_digits = "07" + m[-9:].translate(str.maketrans("ABCDEF", "123456"))  # a unique 11-digit number
    control_text = marker("ZQXCONTROLTEXT")
    control_blob = marker("ZQXCB")[:16]

    agency = factory.agency("idva_service", name=f"IDVA {control_text}")  # stored in plain text on purpose
    user = factory.user("idva", agency=agency)
    fields = {
        "given_names": f"{m}given",
        "surname": f"{m}surname",
        "aliases": [f"{m}alias1", f"{m}alias2"],
        "dob": DOB_MARKER,
        "address": f"1 {m}address Street",
        "postcode": f"{m}postcode",
        "phone": phone_digits,
        "email": f"{m.lower()}@example.org",
        "notes": f"{m}notes",
        "gender": f"{m}gender",
        "ethnicity": f"{m}ethnicity",
        "disability": f"{m}disability",
        "sexuality": f"{m}sexuality",
        "is_lgbt": f"{m}lgbt",
    }
    person = create_person(user, fields)
    control_person = create_person(user, {"surname": "Control"})
    db.session.flush()
    db.session.execute(sa.update(Person).where(Person.id == control_person.id).values(bi_phone=control_blob.encode()))
    case = cases.open_case(
        kind="marac",
        status="submitted",
        opened_on=date.today(),
        lead_agency_id=agency.id,
        created_by=user,
        lead_user_id=user.id,
    )
    cases.add_participant(
        case, person.id, "victim", relationship_to_victim=f"{m}relationship", details={"school": f"{m}school"}
    )
    meeting = Meeting(kind="marac", starts_at=utcnow() + timedelta(days=3), venue="Room 1", chair_user_id=user.id)
    meeting.items = [
        AgendaItem(case_id=case.id, position=1, reason="new", minutes=f"{m}minutes", removed_reason=f"{m}removed")
    ]
    case.closure_reason = f"{m}closure"
    action = Action(
        case_id=case.id,
        assigned_agency_id=agency.id,
        description=f"{m}action",
        due_on=date.today() + timedelta(days=7),
    )
    action.updates = [ActionUpdate(user_id=user.id, note=f"{m}update")]
    plan = Plan(case_id=case.id, kind="safety", title=f"{m}plantitle", owner_user_id=user.id)
    plan.items = [PlanItem(area=f"{m}area", intervention=f"{m}intervention")]
    plan.reviews = [PlanReview(reviewer_id=user.id, summary=f"{m}review")]
    db.session.add_all([meeting, action, plan])
    db.session.commit()
    person_id = person.id

    # Through the web: sign in, search, view, edit, and a failed sign-in naming the marker.
    login(client, user)
    resp = post_form(client, "/people/", {"name": f"{m}SURNAME", "dob": DOB_MARKER.isoformat()})
    assert resp.status_code == 200 and f"/people/{person_id}" in resp.text
    resp = client.get(f"/people/{person_id}")
    assert resp.status_code == 200 and f"{m}address" in resp.text  # the page does show it, decrypted
    page = client.get(f"/people/{person_id}/edit")
    form = {
        **{k: v for k, v in fields.items() if isinstance(v, str)},
        "aliases": f"{m}alias1\n{m}alias3",
        "dob": DOB_MARKER.isoformat(),
        "postcode": "NR1 1AA",
        "notes": f"{m}notes-edited",
        "gender": "female",
        "ethnicity": "",
        "disability": "yes",
        "is_lgbt": "",
        "sexuality": "",
        "version_id": str(db.session.get(Person, person_id).version_id),
        "csrf_token": csrf_token(page.text),
    }
    resp = client.post(f"/people/{person_id}/edit", data=form)
    assert resp.status_code == 302, resp.text
    anon = app.test_client()
    resp = post_form(anon, "/login", {"email": f"{m.lower()}@example.org", "password": f"{m}password"})
    assert resp.status_code == 200

    db.session.expire_all()
    edited = db.session.get(Person, person_id)
    assert edited.notes == f"{m}notes-edited"
    assert edited.aliases == [f"{m}alias1", f"{m}alias3"]
    # The audit chain and the change history did record these events (ids and field names only).
    audit_rows = db.session.execute(sa.text("SELECT count(*) FROM audit_person WHERE person_id = :p"), {"p": person_id})
    assert audit_rows.scalar_one() >= 4  # create, search, view, edit view, update
    changes = db.session.scalars(
        sa.select(ChangeEvent).where(ChangeEvent.object_type == "person", ChangeEvent.object_id == person_id)
    ).all()
    assert {c.action for c in changes} == {"created", "updated"}

    raw = _raw_storage(sqlite_path).lower()
    # Controls: plaintext columns are found, so a leak would be too.
    assert control_text.lower().encode() in raw
    assert control_blob.lower().encode() in raw
    # The marker, in any case, appears nowhere: not in data, audit payloads or change history.
    assert m.lower().encode() not in raw
    assert phone_digits.encode() not in raw
    assert DOB_MARKER.isoformat().encode() not in raw
