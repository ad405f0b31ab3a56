"""Migrations build exactly the models' schema, and go down and up again cleanly."""

from __future__ import annotations

import hashlib
import itertools
import json
import os

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casework.extensions import db
from tests.conftest import _admin_engine, _is_pg, _pg_url_for, make_app

_n = itertools.count()


@pytest.fixture
def empty_database_url(tmp_path):
    if _is_pg():
        name = f"casework_mig_{os.getpid()}_{next(_n)}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield _pg_url_for(name)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _triggers(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        else:
            rows = conn.execute(
                sa.text("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
            ).all()
    return sorted((name, sql) for name, sql in rows)


def _schema(engine) -> dict:
    inspector = sa.inspect(engine)
    out = {}
    for table in sorted(inspector.get_table_names()):
        out[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in inspector.get_columns(table)
            ],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(
                (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in inspector.get_indexes(table)
            ),
            "uniques": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)),
        }
    out["__triggers__"] = _triggers(engine)
    return out


def test_upgrade_matches_models_and_round_trips(empty_database_url, keyring_json):
    app = make_app(empty_database_url, keyring_json)
    with app.app_context():
        engine = db.engine
        assert sa.inspect(engine).get_table_names() == []

        flask_migrate.upgrade()
        assert _diff(engine) == []
        first = _schema(engine)
        assert {"person", "audit_event", "audit_person", "user", "case", "alembic_version"} <= set(first)
        trigger_names = {name for name, _ in first["__triggers__"]}
        if engine.dialect.name == "sqlite":
            assert {"audit_event_no_update", "audit_event_no_delete", "audit_person_no_update"} <= trigger_names
        else:
            assert {"audit_event_no_change", "audit_event_no_truncate", "audit_person_no_change"} <= trigger_names

        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        assert _triggers(engine) == []
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 0

        flask_migrate.upgrade()
        assert _diff(engine) == []
        assert _schema(engine) == first
        engine.dispose()


def test_migrated_schema_accepts_the_app(empty_database_url, keyring_json):
    """A freshly migrated database (not the shared template) serves a request end to end."""
    app = make_app(empty_database_url, keyring_json)
    with app.app_context():
        flask_migrate.upgrade()
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 200 and resp.get_json()["database"] == "ok"
        runner = app.test_cli_runner()
        result = runner.invoke(args=["audit", "head"])
        assert result.exit_code == 0 and result.output.strip() == "0:" + "0" * 64
        result = runner.invoke(args=["audit", "verify"])
        assert result.exit_code == 0 and "0 events verified" in result.output
        # The verification is itself recorded: the chain's first event.
        result = runner.invoke(args=["audit", "head"])
        assert result.exit_code == 0 and result.output.strip().startswith("1:")
        db.session.remove()
        db.engine.dispose()


def _legacy_rows(n: int) -> None:
    """Audit rows as the release before 0010 wrote them: bare SHA-256 links, no key id."""
    from casework.core import audit
    from casework.core.types import utcnow

    prev = audit.GENESIS_HASH
    for seq in range(1, n + 1):
        at = utcnow()
        data = {"seq": seq, "at": audit._format_at(at), "action": "auth.login", "result": "allowed"}
        data |= {k: None for k in audit._MIRRORED if k not in data}
        data |= {"person_ids": [], "details": {}}
        payload = audit.canonical(data)
        row_hash = hashlib.sha256((prev + payload).encode()).hexdigest()
        values = {k: data[k] for k in audit._MIRRORED} | {"at": at, "payload": payload}
        db.session.execute(sa.insert(audit.AuditEvent.__table__).values(prev_hash=prev, row_hash=row_hash, **values))
        prev = row_hash
    db.session.commit()


def _sha256_chain_intact() -> bool:
    rows = db.session.execute(sa.text("SELECT prev_hash, row_hash, payload FROM audit_event ORDER BY seq")).all()
    prev = "0" * 64
    for row in rows:
        if row.prev_hash != prev or row.row_hash != hashlib.sha256((prev + row.payload).encode()).hexdigest():
            return False
        prev = row.row_hash
    return True


def test_keyed_chain_vouches_for_older_rows_and_downgrades(empty_database_url, keyring_json):
    """0010 appends a keyed row vouching for the SHA-256 rows already written; the prefix it
    vouches for can be neither rewritten nor left alone without it. Downgrade re-chains."""
    from casework.core import audit, crypto
    from tests.integration.test_audit import _tamper

    app = make_app(empty_database_url, keyring_json)
    with app.app_context():
        flask_migrate.upgrade(revision="0006_encrypt_more_free_text")
        _legacy_rows(3)
        db.session.remove()
        flask_migrate.upgrade()

        events = db.session.scalars(sa.select(audit.AuditEvent).order_by(audit.AuditEvent.seq)).all()
        assert [e.key_id for e in events] == [None, None, None, crypto.keyring().index]
        assert events[3].action == "audit.chain_keyed" and events[3].data["details"] == {"legacy_rows": 3}
        audit.record("test.after_keying")
        db.session.commit()
        result = audit.verify()
        assert result.ok and result.checked == 5

        # Rewriting an older row and re-chaining the SHA-256 prefix breaks the keyed row's link.
        first = db.session.execute(sa.text("SELECT payload FROM audit_event WHERE seq = 1")).scalar_one()
        forged = first.replace('"result":"allowed"', '"result":"denied"')
        prev = audit.GENESIS_HASH
        statements = []
        for seq in (1, 2, 3):
            payload = (
                forged
                if seq == 1
                else db.session.execute(
                    sa.text("SELECT payload FROM audit_event WHERE seq = :s"), {"s": seq}
                ).scalar_one()
            )
            row_hash = audit.chain_hash(prev, payload)
            statements.append(
                (
                    "UPDATE audit_event SET payload = :p, result = :r, prev_hash = :prev, row_hash = :h WHERE seq = :s",
                    {"p": payload, "r": json.loads(payload)["result"], "prev": prev, "h": row_hash, "s": seq},
                )
            )
            prev = row_hash
        original = db.session.execute(sa.text("SELECT seq, payload, result, prev_hash, row_hash FROM audit_event"))
        original = [dict(r._mapping) for r in original if r.seq <= 3]
        _tamper(statements)
        result = audit.verify()
        assert (result.ok, result.first_bad_seq) == (False, 4) and "prev_hash" in result.reason
        restore = (
            "UPDATE audit_event SET payload = :payload, result = :result, prev_hash = :prev_hash, "
            "row_hash = :row_hash WHERE seq = :seq"
        )
        _tamper([(restore, row) for row in original])
        assert audit.verify().ok
        db.session.remove()

        # Downgrade: the older release can verify only SHA-256, so the keyed rows are re-chained.
        flask_migrate.downgrade(revision="0006_encrypt_more_free_text")
        assert "key_id" not in {c["name"] for c in sa.inspect(db.engine).get_columns("audit_event")}
        assert _sha256_chain_intact()
        db.session.remove()
        flask_migrate.upgrade()
        assert _diff(db.engine) == []
        result = audit.verify()
        assert result.ok and result.checked == 6
        assert audit.verify().head[0] == 6
        switch = db.session.scalar(sa.select(audit.AuditEvent).where(audit.AuditEvent.seq == 6))
        assert switch.action == "audit.chain_keyed" and switch.data["details"] == {"legacy_rows": 5}

        # Deleting the keyed rows leaves SHA-256 rows that nothing vouches for.
        _tamper([("DELETE FROM audit_event WHERE seq >= 6", {})])
        result = audit.verify()
        assert (result.ok, result.first_bad_seq) == (False, 1) and "no keyed row vouches" in result.reason
        db.session.remove()
        db.engine.dispose()


def test_row_binding_migration_converts_existing_values(empty_database_url, keyring_json):
    """Down one step (format 1, plain referrer fields, no row uids) and up again, with data in every form."""
    from datetime import date

    from casework.core import crypto
    from casework.core.models import Person
    from casework.marac.models import Referral
    from tests.helpers import Factory

    app = make_app(empty_database_url, keyring_json)
    with app.app_context():
        flask_migrate.upgrade()
        factory = Factory(app)
        user = factory.user("idva")
        person = factory.person(user, surname="Migrated", gender="female", aliases=["Mig"])
        case = factory.case(user)
        referral = Referral(
            case_id=case.id,
            victim_id=person.id,
            referral_date=date.today(),
            referring_agency_id=user.agency_id,
            referrer_name="Rita Referrer",
            referrer_phone="07700 900321",
            victim_aware="yes",
            consent="yes",
        )
        db.session.add(referral)
        db.session.commit()
        pid, rid = person.id, referral.id
        db.session.remove()
        db.engine.dispose()

        flask_migrate.downgrade(revision="0010_keyed_audit_chain")
        with db.engine.connect() as conn:
            assert "row_uid" not in {c["name"] for c in sa.inspect(conn).get_columns("person")}
            surname = bytes(conn.execute(sa.text("SELECT surname FROM person WHERE id = :i"), {"i": pid}).scalar_one())
            assert crypto.parse(surname).version == crypto.LEGACY_FORMAT_VERSION
            assert crypto.decrypt(surname, "person.surname") == b"Migrated"
            name, phone = conn.execute(
                sa.text("SELECT referrer_name, referrer_phone FROM marac_referral WHERE id = :i"), {"i": rid}
            ).one()
            assert (name, phone) == ("Rita Referrer", "07700 900321")
        db.engine.dispose()

        flask_migrate.upgrade()
        assert _diff(db.engine) == []
        with db.engine.connect() as conn:
            uid, surname, gender = conn.execute(
                sa.text("SELECT row_uid, surname, gender FROM person WHERE id = :i"), {"i": pid}
            ).one()
            for blob in (surname, gender):
                env = crypto.parse(bytes(blob))
                assert (env.version, env.row_uid) == (crypto.FORMAT_VERSION, uid)
            raw_name = bytes(
                conn.execute(sa.text("SELECT referrer_name FROM marac_referral WHERE id = :i"), {"i": rid}).scalar_one()
            )
            assert b"Rita" not in raw_name
        # Running the conversion again changes nothing: every value is already bound and current.
        before = _person_blobs(db.engine, pid)
        _run_again(db.engine, "0011_row_bound_encryption")
        assert _person_blobs(db.engine, pid) == before
        person = db.session.get(Person, pid)
        assert (person.surname, person.gender, person.aliases) == ("Migrated", "female", ["Mig"])
        referral = db.session.get(Referral, rid)
        assert (referral.referrer_name, referral.referrer_phone, referral.referrer_email) == (
            "Rita Referrer",
            "07700 900321",
            None,
        )
        db.session.remove()
        db.engine.dispose()


def _person_blobs(engine, pid: int) -> tuple:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT row_uid, surname, gender, aliases FROM person WHERE id = :i"), {"i": pid}
        ).one()
    return tuple(v if isinstance(v, str) else bytes(v) for v in row)


def _run_again(engine, revision: str) -> None:
    """Run one migration's upgrade() again on a database already at head."""
    import importlib.util
    from pathlib import Path

    from alembic.operations import Operations

    path = Path(__file__).parents[2] / "migrations" / "versions" / f"{revision}.py"
    spec = importlib.util.spec_from_file_location(revision, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()


def test_import_references_are_reindexed_per_agency(empty_database_url, keyring_json):
    """0025 works each imported reference's index out again with its batch's agency (and back)."""
    from casework.core import crypto
    from casework.core.imports import ImportBatch, ImportRecord, reference_index
    from tests.helpers import Factory

    app = make_app(empty_database_url, keyring_json)
    with app.app_context():
        flask_migrate.upgrade()
        agency = Factory(app).agency("council_asb")
        batch = ImportBatch(
            kind="asb-incidents",
            agency_id=agency.id,
            file_format="csv",
            file_sha256="0" * 64,
            rows=2,
            created=2,
            skipped=0,
        )
        db.session.add(batch)
        db.session.flush()
        for ref in ("1", ""):  # the second was wiped by a destruction: only its index is left
            db.session.add(
                ImportRecord(
                    kind="asb-incidents",
                    ref_index=crypto.blind_index("import.external_ref", "asb-incidents", ref or "wiped"),
                    external_ref=ref,
                    object_type="asb_incident",
                    object_id=1,
                    batch_id=batch.id,
                )
            )
        db.session.commit()
        agency_id = agency.id
        db.session.remove()
        db.engine.dispose()

        def indexes() -> list[bytes]:
            out = [bytes(r.ref_index) for r in db.session.scalars(sa.select(ImportRecord).order_by(ImportRecord.id))]
            db.session.remove()
            db.engine.dispose()
            return out

        flask_migrate.downgrade(revision="0024_import")
        old = crypto.blind_index("import.external_ref", "asb-incidents", "1")
        wiped = crypto.blind_index("import.external_ref", "asb-incidents", "wiped")
        assert indexes() == [old, wiped]
        flask_migrate.upgrade()
        assert indexes() == [reference_index("asb-incidents", "1", agency_id=agency_id), wiped]
