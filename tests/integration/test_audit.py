"""The audit chain: what is recorded, that it verifies, and that it cannot be edited (DESIGN §4)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from casework.core import audit, crypto
from casework.core.access import AccessDenied, authenticated
from casework.core.models import Agency, AuditEvent, User
from casework.extensions import db
from tests.helpers import (
    PASSWORD,
    approve_only_request,
    audit_events,
    csrf_token,
    login,
    marker,
    page_token,
    post_form,
    signed_in,
)


def _actions_since(seq: int) -> list[AuditEvent]:
    return [e for e in audit_events() if e.seq > seq]


def _head() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.seq), 0)))


def _one(events: list[AuditEvent], action: str) -> AuditEvent:
    found = [e for e in events if e.action == action]
    assert len(found) == 1, (action, [e.action for e in events])
    return found[0]


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


# --- what is recorded -------------------------------------------------------------------


def test_person_events_are_recorded_with_ids(app, factory, client):
    user = factory.user("idva")
    login(client, user)

    start = _head()
    resp = post_form(client, "/people/new", {"given_names": "Nora", "surname": "Audited", "dob": "1985-04-03"})
    assert resp.status_code == 302
    pid = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    created = _one(_actions_since(start), "person.create")
    assert (created.actor_user_id, created.actor_agency_id, created.object_id) == (user.id, user.agency_id, str(pid))
    assert created.data["person_ids"] == [pid]

    start = _head()
    assert client.get(f"/people/{pid}").status_code == 200
    view = _one(_actions_since(start), "person.view")
    assert (view.object_type, view.object_id, view.purpose, view.result) == ("person", str(pid), "casework", "allowed")
    assert view.data["person_ids"] == [pid]
    assert view.ip == "127.0.0.1" and view.request_id

    start = _head()
    resp = post_form(client, "/people/", {"surname": "AUDITED", "dob": "1985-04-03"})
    assert resp.status_code == 200 and f"/people/{pid}" in resp.text
    search = _one(_actions_since(start), "person.search")
    assert search.data["person_ids"] == [pid]

    start = _head()
    resp = post_form(client, "/people/", {"surname": "Nobody", "dob": "1985-04-03"})
    assert resp.status_code == 200
    assert [e.action for e in _actions_since(start) if e.action == "person.search"] == []

    start = _head()
    page = client.get(f"/people/{pid}/edit")
    version = db.session.execute(sa.text("SELECT version_id FROM person WHERE id = :i"), {"i": pid}).scalar_one()
    resp = client.post(
        f"/people/{pid}/edit",
        data={
            "csrf_token": csrf_token(page.text),
            "version_id": str(version),
            "given_names": "Nora",
            "surname": "Audited",
            "dob": "1985-04-03",
            "notes": "Changed",
        },
    )
    assert resp.status_code == 302
    update = _one(_actions_since(start), "person.update")
    assert update.data["details"] == {"fields": ["notes"]}
    assert update.data["person_ids"] == [pid]


def test_login_logout_and_failed_login_are_recorded(app, factory, client):
    user = factory.user("idva")
    start = _head()
    resp = post_form(client, "/login", {"email": user.email, "password": "wrong password entirely"})
    assert resp.status_code == 200
    failed = _one(_actions_since(start), "auth.login_failed")
    assert (failed.result, failed.object_id, failed.actor_user_id) == ("denied", str(user.id), None)
    assert failed.data["details"]["stage"] == "password"

    start = _head()
    post_form(client, "/login", {"email": "nobody@example.org", "password": "whatever it is"})
    unknown = _one(_actions_since(start), "auth.login_failed")
    assert unknown.object_id is None and unknown.result == "denied"

    start = _head()
    login(client, user)
    event = _one(_actions_since(start), "auth.login")
    assert (event.actor_user_id, event.object_id, event.result) == (user.id, str(user.id), "allowed")

    start = _head()
    resp = client.post("/logout", data={"csrf_token": page_token(client)})
    assert resp.status_code == 302
    event = _one(_actions_since(start), "auth.logout")
    assert (event.actor_user_id, event.object_id) == (user.id, str(user.id))


def test_admin_events_are_recorded(app, factory):
    admin = factory.user("admin")
    target = factory.user("marac_rep")
    client = signed_in(app, admin)

    def edit(**overrides):
        page = client.get(f"/admin/users/{target.id}")
        db.session.expire_all()
        fresh = db.session.get(User, target.id)
        data = {
            "csrf_token": csrf_token(page.text),
            "version_id": str(fresh.version_id),
            "display_name": fresh.display_name,
            "agency_id": str(fresh.agency_id),
            "roles": sorted(fresh.roles),
            "is_active": "y",
        }
        data.update(overrides)
        return client.post(f"/admin/users/{target.id}", data=data)

    approver = factory.user("admin")
    approver_client = signed_in(app, approver)

    start = _head()
    assert edit(roles=["marac_rep", "idva"]).status_code == 302
    event = _one(_actions_since(start), "admin.request_made")
    assert (event.actor_user_id, event.object_type) == (admin.id, "admin_request")
    assert event.data["details"] == {"kind": "grant_roles", "target_user_id": target.id, "roles": ["idva"]}
    request_id = int(event.object_id)
    start = _head()
    approve_only_request(approver_client, target.id)
    event = _one(_actions_since(start), "admin.roles_changed")
    assert (event.actor_user_id, event.object_id) == (approver.id, str(target.id))
    assert event.data["details"] == {
        "added": ["idva"],
        "removed": [],
        "request_id": request_id,
        "requested_by_id": admin.id,
    }
    event = _one(_actions_since(start), "admin.request_approved")
    assert (event.actor_user_id, event.object_id) == (approver.id, str(request_id))

    start = _head()
    resp = client.post(f"/admin/users/{target.id}/reset-mfa", data={"csrf_token": page_token(client)})
    assert resp.status_code == 302
    assert _one(_actions_since(start), "admin.request_made").data["details"]["kind"] == "reset_mfa"
    start = _head()
    approve_only_request(approver_client, target.id)
    assert _one(_actions_since(start), "admin.mfa_reset").object_id == str(target.id)

    start = _head()
    assert edit(is_active="").status_code == 302
    event = _one(_actions_since(start), "admin.user_deactivated")
    assert event.object_id == str(target.id) and event.actor_user_id == admin.id


def test_key_rotation_is_recorded(app, factory):
    factory.person(factory.user("idva"))
    app.config["KEYRING_JSON"] = json.dumps(crypto.add_key(crypto.keyring()).to_dict())
    app.extensions.pop("casework.keyring")
    start = _head()
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    event = _one(_actions_since(start), "keys.rotated")
    assert event.data["details"]["values_reencrypted"] >= 3


def test_denial_is_recorded(app, factory):
    analyst = factory.user("analyst")
    client = signed_in(app, analyst)
    start = _head()
    resp = client.get("/admin/users")
    assert resp.status_code == 403
    event = _one(_actions_since(start), "access.denied")
    assert (event.result, event.actor_user_id, event.object_type, event.object_id) == (
        "denied",
        analyst.id,
        "endpoint",
        "admin.users",
    )


def test_denial_is_recorded_although_the_request_is_rolled_back(app, factory):
    """A view that changed data and was then denied: the change is gone, the denial stays."""
    code = marker("AG")[:12]

    @authenticated
    def create_then_deny():
        db.session.add(Agency(code=code, name="Should vanish", kind="other", is_active=True))
        db.session.flush()
        audit.record("test.should_vanish")
        raise AccessDenied("agency", 4242)

    app.add_url_rule("/test-deny", "test_deny", create_then_deny)
    user = factory.user("idva")
    client = signed_in(app, user)
    start = _head()
    resp = client.get("/test-deny")
    assert resp.status_code == 404
    events = _actions_since(start)
    assert [e.action for e in events] == ["access.denied"]
    assert (events[0].object_type, events[0].object_id, events[0].result) == ("agency", "4242", "denied")
    assert db.session.scalar(sa.select(Agency).where(Agency.code == code)) is None
    assert _verify(app).exit_code == 0


def test_object_denial_is_recorded(app, factory):
    owner = factory.user("idva")
    pid = factory.person(owner, surname="Hidden").id
    outsider = factory.user("marac_rep", agency=factory.agency("housing"))
    client = signed_in(app, outsider)
    start = _head()
    resp = client.get(f"/people/{pid}")
    assert resp.status_code == 404
    assert "Hidden" not in resp.text and "HIDDEN" not in resp.text
    event = _one(_actions_since(start), "access.denied")
    assert (event.object_type, event.object_id, event.actor_user_id) == ("person", str(pid), outsider.id)
    assert [e for e in _actions_since(start) if e.action == "person.view"] == []


def test_audit_rows_hold_ids_only(app, factory):
    name_marker, agency_marker, person_marker = marker("ZQXUSER"), marker("ZQXAGENCY"), marker("ZQXPERSON")
    agency = factory.agency("idva_service", name=agency_marker)
    user = factory.user("idva", agency=agency, email=f"{name_marker.lower()}@example.org")
    db.session.execute(sa.update(User).where(User.id == user.id).values(display_name=name_marker))
    db.session.commit()
    client = app.test_client()
    post_form(client, "/login", {"email": user.email, "password": "not the password at all"})
    login(client, user)
    resp = post_form(client, "/people/new", {"surname": person_marker, "dob": "1990-02-02", "phone": "07700 900321"})
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    client.get(f"/people/{pid}")
    post_form(client, "/people/", {"surname": person_marker, "dob": "1990-02-02"})
    post_form(client, "/people/", {"phone": "07700 900321"})
    db.session.commit()

    rows = db.session.execute(sa.select(AuditEvent.__table__)).all()
    assert len(rows) >= 6
    text = "\n".join(str(value) for row in rows for value in row).lower()
    for forbidden in (name_marker, agency_marker, person_marker, user.email, "07700", "1990-02-02"):
        assert forbidden.lower() not in text, forbidden
    assert f'"person_ids":[{pid}]' in text  # ids are what it holds


# --- the chain ----------------------------------------------------------------------------


def _some_history(app, factory) -> None:
    user = factory.user("idva")
    for n in range(4):
        factory.person(user, surname=f"Chain{n}")
    client = signed_in(app, user)
    client.get("/people/1")


def test_verify_passes_on_an_intact_chain(app, factory):
    _some_history(app, factory)
    count = len(audit_events())
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"{count} events verified" in result.output
    assert audit.verify().ok


def _bypass_triggers_and(sql: str, params: dict) -> None:
    """Change audit_event as an attacker with direct database access would."""
    conn = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        triggers = conn.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")
        ).all()
        assert {name for name, _ in triggers} == {"audit_event_no_update", "audit_event_no_delete"}
        for name, _ in triggers:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
        conn.execute(sa.text(sql), params)
        for _, create in triggers:
            conn.execute(sa.text(create))
    else:
        conn.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        conn.execute(sa.text(sql), params)
        conn.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    db.session.commit()


TAMPERING = [
    ("UPDATE audit_event SET action = 'person.nothing' WHERE seq = :seq", "column action differs"),
    ("UPDATE audit_event SET actor_user_id = 999 WHERE seq = :seq", "column actor_user_id differs"),
    ("UPDATE audit_event SET result = 'allowed' WHERE seq = :seq", "column result differs"),
    (
        'UPDATE audit_event SET payload = replace(payload, \'"result":"denied"\', \'"result":"allowed"\') '
        "WHERE seq = :seq",
        "row_hash does not match",
    ),
]


def test_verify_names_exactly_the_altered_row(app, factory):
    user = factory.user("idva")
    post_form(app.test_client(), "/login", {"email": user.email, "password": "a wrong password!"})
    _some_history(app, factory)
    target = _one(audit_events(), "auth.login_failed").seq
    assert 1 < target < _head()
    assert _verify(app).exit_code == 0
    original = db.session.execute(
        sa.text("SELECT action, actor_user_id, result, payload FROM audit_event WHERE seq = :seq"), {"seq": target}
    ).one()

    for sql, reason in TAMPERING:
        _bypass_triggers_and(sql, {"seq": target})
        result = _verify(app)
        assert result.exit_code != 0, sql
        assert f"BROKEN at seq {target}:" in result.output, (sql, result.output)
        assert reason in result.output, (sql, result.output)
        check = audit.verify()
        assert (check.ok, check.first_bad_seq, check.checked) == (False, target, target - 1)
        # Put the row back as it was: the chain verifies again.
        _bypass_triggers_and(
            "UPDATE audit_event SET action = :a, actor_user_id = :u, result = :r, payload = :p WHERE seq = :seq",
            {"a": original.action, "u": original.actor_user_id, "r": original.result, "p": original.payload}
            | {"seq": target},
        )
        assert _verify(app).exit_code == 0, sql


def test_verify_detects_a_rehashed_row_at_the_next_link(app, factory):
    """Recomputing the altered row's own hash is not enough: the next row's link breaks."""
    _some_history(app, factory)
    target = 2
    ev = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.seq == target))
    data = json.loads(ev.payload)
    data["object_id"] = "999"
    payload = audit.canonical(data)
    _bypass_triggers_and(
        "UPDATE audit_event SET payload = :p, object_id = '999', row_hash = :h WHERE seq = :seq",
        {"p": payload, "h": audit.chain_hash(ev.prev_hash, payload), "seq": target},
    )
    result = _verify(app)
    assert result.exit_code != 0
    assert f"BROKEN at seq {target + 1}:" in result.output
    assert "prev_hash" in result.output


def test_verify_detects_a_deleted_row(app, factory):
    _some_history(app, factory)
    _bypass_triggers_and("DELETE FROM audit_event WHERE seq = :seq", {"seq": 3})
    result = _verify(app)
    assert result.exit_code != 0
    assert "BROKEN at seq 4:" in result.output and "missing" in result.output


def test_plain_update_delete_and_truncate_are_rejected(app, factory):
    """PostgreSQL: TRUNCATE (which skips row triggers) has its own trigger. SQLite has no
    TRUNCATE; its equivalent is an unqualified DELETE, whose fast path triggers disable."""
    user = factory.user("idva")
    factory.person(user)
    truncate = "TRUNCATE {} CASCADE" if db.engine.dialect.name == "postgresql" else "DELETE FROM {}"
    statements = [
        "UPDATE audit_event SET action = 'x'",
        "UPDATE audit_event SET result = 'allowed' WHERE seq = 1",
        "UPDATE audit_event SET row_hash = prev_hash WHERE seq = 2",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE seq = 1",
        "UPDATE audit_person SET person_id = 999",
        "DELETE FROM audit_person",
        truncate.format("audit_event"),
        truncate.format("audit_person"),
    ]
    events = sa.text("SELECT seq, action, result, prev_hash, row_hash, payload FROM audit_event ORDER BY seq")
    people = sa.text("SELECT event_seq, person_id FROM audit_person ORDER BY event_seq, person_id")
    before, people_before = db.session.execute(events).all(), db.session.execute(people).all()
    assert len(before) >= 3 and people_before
    db.session.commit()
    for sql in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text(sql))
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(events).all() == before, sql
        assert db.session.execute(people).all() == people_before, sql
    assert _verify(app).exit_code == 0


def test_seq_is_unique_and_contiguous(app, factory):
    user = factory.user("idva")
    for n in range(5):
        factory.person(user, surname=f"Seq{n}", dob=date(1990, 1, n + 1))
    seqs = [e.seq for e in audit_events()]
    assert seqs == list(range(1, len(seqs) + 1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.insert(AuditEvent).values(
                seq=1, at=audit_events()[0].at, action="x", result="allowed", payload="{}", prev_hash="0", row_hash="0"
            )
        )
        db.session.flush()
    db.session.rollback()


def test_password_is_never_in_audit(app, factory, client):
    user = factory.user("idva")
    post_form(client, "/login", {"email": user.email, "password": PASSWORD + "x"})
    login(client, user)
    text = "\n".join(e.payload for e in audit_events())
    assert PASSWORD not in text
