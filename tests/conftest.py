"""Test fixtures: one migrated template database per run, a fresh copy per test.

``TEST_DATABASE_URL`` picks the engine: unset means a temporary SQLite file;
``postgresql+psycopg://postgres@127.0.0.1:5432/test`` runs the same suite on
PostgreSQL (each test gets a database cloned from a migrated template). The
schema is always built by running the migrations, never ``create_all``.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from casework import create_app
from casework.core.crypto import new_keyring
from casework.extensions import db

from .helpers import Factory

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
_counter = itertools.count()


def _is_pg() -> bool:
    return PG_URL.startswith("postgresql")


def _admin_engine():
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _pg_url_for(dbname: str) -> str:
    return make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def keyring_json() -> str:
    return json.dumps(new_keyring().to_dict())


def make_app(db_uri: str, keyring: str, **overrides):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": db_uri, "KEYRING_JSON": keyring, **overrides})


def migrate_to_head(app) -> None:
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory, keyring_json):
    """A database migrated to head, copied for each test."""
    if _is_pg():
        name = f"casework_tpl_{os.getpid()}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        migrate_to_head(make_app(_pg_url_for(name), keyring_json))
        yield name
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate_to_head(make_app(f"sqlite:///{path}", keyring_json))
        yield path


@pytest.fixture
def database_url(template_db, tmp_path):
    """A fresh database for one test, cloned from the migrated template."""
    if _is_pg():
        name = f"casework_t_{os.getpid()}_{next(_counter)}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        yield _pg_url_for(name)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(template_db, path)
        yield f"sqlite:///{path}"


class IsolatedClient(FlaskClient):
    """Each request runs in an empty context, as in production: its own app context,
    ``g`` and database session, even though the test holds an app context open."""

    def open(self, *args, **kwargs):
        # End the test's own transaction first: on SQLite it holds the write lock.
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(database_url, keyring_json):
    app = make_app(database_url, keyring_json)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(app) -> Factory:
    return Factory(app)


@pytest.fixture
def sqlite_path(database_url) -> Path | None:
    if database_url.startswith("sqlite:///"):
        return Path(database_url.removeprefix("sqlite:///"))
    return None
