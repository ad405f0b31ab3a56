"""Migrations build exactly the models' schema, and go down and up again cleanly."""

from __future__ import annotations

import itertools
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
        result = runner.invoke(args=["audit", "verify"])
        assert result.exit_code == 0 and "0 events verified" in result.output
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

        flask_migrate.downgrade(revision="-1")
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
