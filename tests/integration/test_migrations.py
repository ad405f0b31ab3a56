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
