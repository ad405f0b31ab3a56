"""The audit chain: what is recorded, that it verifies, and that it cannot be edited (DESIGN §4)."""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import sqlalchemy as sa

from casework.core import audit, crypto
from casework.core.access import AccessDenied, authenticated
from casework.core.models import Agency, AuditEvent, AuditPerson, User
from casework.extensions import db
from tests.conftest import make_app
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
    created = _one(_actions_since(start), "people.person.create")
    assert (created.actor_user_id, created.actor_agency_id, created.object_id) == (user.id, user.agency_id, str(pid))
    assert created.data["person_ids"] == [pid]
    assert created.purpose == "casework"  # no purpose named: an event about people still has one

    start = _head()
    assert client.get(f"/people/{pid}").status_code == 200
    view = _one(_actions_since(start), "people.person.view")
    assert (view.object_type, view.object_id, view.purpose, view.result) == ("person", str(pid), "casework", "allowed")
    assert view.data["person_ids"] == [pid]
    assert view.ip == "127.0.0.1" and view.request_id

    start = _head()
    resp = post_form(client, "/people/", {"name": "AUDITED", "dob": "1985-04-03"})
    assert resp.status_code == 200 and f"/people/{pid}" in resp.text
    search = _one(_actions_since(start), "people.person.search")
    assert search.data["person_ids"] == [pid]
    assert search.purpose == "casework"

    start = _head()
    resp = post_form(client, "/people/", {"name": "Nobody", "dob": "1985-04-03"})
    assert resp.status_code == 200
    assert [e.action for e in _actions_since(start) if e.action == "people.person.search"] == []

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
    update = _one(_actions_since(start), "people.person.update")
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
    assert [e for e in _actions_since(start) if e.action == "people.person.view"] == []


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
    post_form(client, "/people/", {"name": person_marker, "dob": "1990-02-02"})
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
    _tamper([(sql, params)])


def _tamper(statements: list[tuple[str, dict]], *, replica: bool = False) -> None:
    """Run statements on audit_event with its append-only triggers out of the way: dropped
    and recreated on SQLite; on PostgreSQL disabled, or skipped as a replica would."""
    conn = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        triggers = conn.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")
        ).all()
        assert {name for name, _ in triggers} == {"audit_event_no_update", "audit_event_no_delete"}
        for name, _ in triggers:
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
        for sql, params in statements:
            conn.execute(sa.text(sql), params)
        for _, create in triggers:
            conn.execute(sa.text(create))
    elif replica:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for sql, params in statements:
            conn.execute(sa.text(sql), params)
    else:
        conn.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        for sql, params in statements:
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
    """Recomputing the altered row's own link, even with the audit key, is not enough:
    the next row's link breaks."""
    _some_history(app, factory)
    target = 2
    ev = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.seq == target))
    data = json.loads(ev.payload)
    data["object_id"] = "999"
    payload = audit.canonical(data)
    key = audit.audit_key(crypto.keyring(), ev.key_id)
    _bypass_triggers_and(
        "UPDATE audit_event SET payload = :p, object_id = '999', row_hash = :h WHERE seq = :seq",
        {"p": payload, "h": audit.chain_hash(ev.prev_hash, payload, key), "seq": target},
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


# --- the keyed chain ------------------------------------------------------------------------


def _rows() -> list:
    db.session.expire_all()
    return db.session.execute(
        sa.text("SELECT seq, payload, prev_hash, row_hash, key_id FROM audit_event ORDER BY seq")
    ).all()


def _rehash_without_key(from_seq: int, *, keep_through: int | None = None, key: bytes | None = None) -> None:
    """What someone with the database but not the key ring can do: drop the rows after
    ``keep_through``, then re-chain every row from ``from_seq`` as the chain was before it
    was keyed (bare SHA-256, no key id) or under a key of their own."""
    rows = _rows()
    keep_through = keep_through or rows[-1].seq
    prev = rows[from_seq - 2].row_hash if from_seq > 1 else audit.GENESIS_HASH
    statements: list[tuple[str, dict]] = [("DELETE FROM audit_event WHERE seq > :s", {"s": keep_through})]
    for row in rows[from_seq - 1 : keep_through]:
        data = json.loads(row.payload)
        if key is None:
            data.pop("key_id", None)
        payload = audit.canonical(data)
        row_hash = audit.chain_hash(prev, payload, key)
        statements.append(
            (
                "UPDATE audit_event SET payload = :p, key_id = :k, prev_hash = :prev, row_hash = :h WHERE seq = :seq",
                {"p": payload, "k": row.key_id if key else None, "prev": prev, "h": row_hash, "seq": row.seq},
            )
        )
        prev = row_hash
    _tamper(statements, replica=True)


def test_links_are_hmacs_under_the_audit_key(app, factory):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    _some_history(app, factory)
    ring = crypto.keyring()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"casework:audit").derive(ring.keys[ring.index])
    assert audit.audit_key(ring, ring.index) == key
    rows = _rows()
    assert len(rows) >= 5
    for row in rows:
        assert row.key_id == ring.index and json.loads(row.payload)["key_id"] == ring.index
        message = (row.prev_hash + row.payload).encode()
        assert row.row_hash == hmac.new(key, message, hashlib.sha256).hexdigest()
        assert row.row_hash != hashlib.sha256(message).hexdigest()
    raw = "\n".join(str(v) for r in db.session.execute(sa.select(AuditEvent.__table__)).all() for v in r)
    assert key.hex() not in raw and ring.keys[ring.index].hex() not in raw


def test_tail_deleted_and_rehashed_with_sha256_fails(app, factory):
    """The attack the keyed chain exists for: drop the triggers, delete the last events,
    rehash from an earlier row with SHA-256 so every link looks right."""
    _some_history(app, factory)
    last = _rows()[-1].seq
    assert _verify(app).exit_code == 0
    _rehash_without_key(3, keep_through=last - 2)
    rows = _rows()
    assert rows[-1].seq == last - 2 and all(r.key_id is None for r in rows[2:])
    # The forged links are self-consistent: a bare SHA-256 check of the chain would pass.
    prev = audit.GENESIS_HASH
    for r in rows[2:]:
        prev = rows[r.seq - 2].row_hash
        assert r.prev_hash == prev and r.row_hash == audit.chain_hash(prev, r.payload)
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN at seq 3: row hashed without the audit key after the chain was keyed" in result.output


def test_whole_chain_rehashed_with_sha256_fails(app, factory):
    _some_history(app, factory)
    _rehash_without_key(1, keep_through=_rows()[-1].seq - 1)
    assert all(r.key_id is None for r in _rows())
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN at seq 1: SHA-256 rows that no keyed row vouches for" in result.output


def test_chain_rehashed_under_a_key_of_the_attackers_own_fails(app, factory):
    _some_history(app, factory)
    _rehash_without_key(2, keep_through=_rows()[-1].seq - 1, key=b"k" * 32)
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN at seq 2: row_hash does not match the payload" in result.output


def test_rotation_keeps_the_chain_verifiable(app, factory):
    """A new encryption key leaves the audit key alone; a new index key chains new rows
    under it while older rows verify under the key they name, for as long as it is kept."""
    user = factory.user("idva")
    first_ring = crypto.keyring()
    factory.person(user, surname="Before")

    def use(ring: crypto.Keyring) -> None:
        app.config["KEYRING_JSON"] = json.dumps(ring.to_dict())
        app.extensions.pop("casework.keyring", None)

    use(crypto.add_key(first_ring))
    factory.person(user, surname="NewCurrent")
    assert {r.key_id for r in _rows()} == {first_ring.index}
    use(crypto.add_key(crypto.keyring(), make_index=True))
    factory.person(user, surname="NewIndex")
    ids = [r.key_id for r in _rows()]
    assert ids[0] == first_ring.index and ids[-1] == crypto.keyring().index != first_ring.index
    assert _verify(app).exit_code == 0

    ring = crypto.keyring()
    use(crypto.Keyring({k: v for k, v in ring.keys.items() if k != first_ring.index}, ring.current, ring.index))
    result = _verify(app)
    assert result.exit_code == 1 and f"audit key '{first_ring.index}' is not in the key ring" in result.output


# --- anchoring the head outside the database -------------------------------------------------

HEAD_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _head_line(app) -> str:
    result = app.test_cli_runner().invoke(args=["audit", "head"])
    assert result.exit_code == 0, result.output
    assert HEAD_RE.match(result.output.strip()), result.output
    return result.output.strip()


def test_head_is_the_last_row_and_verifies_as_expected_head(app, factory):
    _some_history(app, factory)
    head = _head_line(app)
    last = _rows()[-1]
    assert head == f"{last.seq}:{last.row_hash}"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify", "--expect-head", head])
    assert result.exit_code == 0
    assert f"Audit chain intact: {last.seq} events verified; expected head {last.seq} matches." in result.output
    factory.person(factory.user("idva"), surname="Later")  # the chain grows past the anchor
    assert runner.invoke(args=["audit", "verify", "--expect-head", head]).exit_code == 0


def test_truncated_tail_fails_against_a_recorded_head(app, factory):
    _some_history(app, factory)
    head = _head_line(app)
    seq = int(head.split(":")[0])
    _bypass_triggers_and("DELETE FROM audit_event WHERE seq >= :s", {"s": seq - 1})
    # A plain walk cannot tell a truncated chain from a short one (and records its own result,
    # so the chain now ends one event later, at seq - 1) ...
    assert _verify(app).exit_code == 0
    # ... the head kept outside the database can.
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--expect-head", head])
    assert result.exit_code == 1
    assert f"BROKEN at seq {seq}: chain ends at seq {seq - 1}, before the expected head {seq}" in result.output


def test_rewritten_chain_fails_against_a_recorded_head_even_with_the_key(app, factory):
    """Someone holding the key ring who rewrites a row and re-chains everything after it
    produces a chain that verifies on its own, but not against the anchored head."""
    _some_history(app, factory)
    head = _head_line(app)
    ring = crypto.keyring()
    rows = _rows()
    prev = rows[0].row_hash
    statements = []
    for row in rows[1:]:
        data = json.loads(row.payload)
        if row.seq == 2:
            data["object_id"] = "999"
        payload = audit.canonical(data)
        row_hash = audit.chain_hash(prev, payload, audit.audit_key(ring, row.key_id))
        statements.append(
            (
                "UPDATE audit_event SET payload = :p, object_id = :o, prev_hash = :prev, row_hash = :h WHERE seq = :s",
                {"p": payload, "o": data["object_id"], "prev": prev, "h": row_hash, "s": row.seq},
            )
        )
        prev = row_hash
    _tamper(statements)
    assert _verify(app).exit_code == 0
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--expect-head", head])
    assert result.exit_code == 1
    assert f"BROKEN at seq {head.split(':')[0]}: row differs from the expected head (rewritten)" in result.output


def test_head_refuses_a_broken_chain_and_verify_refuses_a_malformed_head(app, factory):
    _some_history(app, factory)
    runner = app.test_cli_runner()
    for bad in ("12", "x:" + "a" * 64, "3:" + "a" * 63, "3:" + "G" * 64):
        result = runner.invoke(args=["audit", "verify", "--expect-head", bad])
        assert result.exit_code == 2 and "SEQ:HASH" in result.output, bad
    _bypass_triggers_and("DELETE FROM audit_event WHERE seq = 2", {})
    result = runner.invoke(args=["audit", "head"])
    assert result.exit_code == 1
    assert "BROKEN at seq 3" in result.output and not HEAD_RE.search(result.output)


# --- chaining at commit -----------------------------------------------------------------------


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_events_are_chained_only_at_commit(app, factory):
    """Until commit an event is only queued: nothing is written and the chain head is free."""
    user = factory.user("idva")
    db.session.commit()
    before = _count()
    event = audit.record("test.queued", object_type="person", object_id=7, person_ids=[7], actor_user_id=user.id)
    db.session.flush()
    assert event.seq is None and _count() == before
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as other:  # another request can take the head lock meanwhile
            assert other.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": audit._PG_LOCK_KEY}).scalar()
            other.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": audit._PG_LOCK_KEY})
    assert audit.LOCKED_AT_INFO_KEY not in db.session.info
    db.session.commit()
    assert event.seq == before + 1 and event.key_id == crypto.keyring().index
    assert db.session.scalars(sa.select(AuditPerson.person_id).where(AuditPerson.event_seq == event.seq)).all() == [7]
    assert audit.verify().ok


def test_rolled_back_events_are_never_written(app, factory):
    before = _count()
    audit.record("test.outer")
    with db.session.begin_nested():
        audit.record("test.kept_savepoint")
    savepoint = db.session.begin_nested()
    audit.record("test.dropped_savepoint")
    inner = db.session.begin_nested()
    audit.record("test.dropped_inner")
    inner.commit()
    savepoint.rollback()
    db.session.commit()
    assert [e.action for e in audit_events()[before:]] == ["test.outer", "test.kept_savepoint"]

    audit.record("test.dropped_transaction")
    db.session.rollback()
    db.session.commit()
    assert _count() == before + 2
    assert audit.verify().ok


def _check_concurrent_chain(start: int, expected: int) -> None:
    events = audit_events()
    assert [e.seq for e in events] == list(range(1, start + expected + 1))
    result = audit.verify()
    assert result.ok and result.checked == start + expected, result
    people = db.session.execute(sa.select(AuditPerson.event_seq, AuditPerson.person_id)).all()
    by_seq = {e.seq: e for e in events}
    for seq, person_id in people:
        assert by_seq[seq].data["person_ids"] == [person_id]


def _append(worker: int, commits: int) -> None:
    for n in range(commits):
        audit.record("test.concurrent", object_type="worker", object_id=worker, person_ids=[worker * 1000 + n])
        time.sleep(0.001)  # the rest of a request's work, done without the chain head lock
        if n % 2:
            audit.record("test.concurrent_second", object_type="worker", object_id=worker)
        db.session.commit()


def test_concurrent_threads_never_fork_the_chain(app):
    start = _count()
    db.session.commit()

    def run(worker: int) -> None:
        with app.app_context():
            _append(worker, 25)
            db.session.remove()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(run, w) for w in range(1, 5)]:
            future.result()
    _check_concurrent_chain(start, 4 * (25 + 12))


def _process_worker(database_url: str, keyring_json: str, worker: int, commits: int, barrier) -> None:
    app = make_app(database_url, keyring_json)
    with app.app_context():
        barrier.wait(timeout=60)
        _append(worker, commits)
        db.session.remove()
        db.engine.dispose()


def test_concurrent_processes_never_fork_or_skip_the_chain(app, database_url, keyring_json):
    """Four OS processes, each with its own engine, committing 50 times at once."""
    start = _count()
    db.session.commit()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    procs = [
        ctx.Process(target=_process_worker, args=(database_url, keyring_json, w, 50, barrier)) for w in range(1, 5)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    _check_concurrent_chain(start, 4 * (50 + 25))


def test_every_event_about_people_has_a_purpose(app, factory):
    user = factory.user("idva")
    person = factory.person(user)
    audit.record("test.with_people", object_type="person", person_ids=[person.id], actor_user_id=user.id)
    audit.record(
        "test.named", object_type="person", person_ids=[person.id], purpose="subject_access", actor_user_id=user.id
    )
    audit.record("test.no_people", object_type="agency", actor_user_id=user.id)
    db.session.commit()
    purposes = {e.action: e.purpose for e in audit_events() if e.action.startswith("test.")}
    assert purposes == {"test.with_people": "casework", "test.named": "subject_access", "test.no_people": None}
