"""Engine set-up: SQLite (WAL, foreign keys, BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {})
        options["connect_args"] = {**options["connect_args"], "timeout": 15}
    elif uri.startswith("postgresql"):
        # JIT compilation off for the web pool: it pays off only for long analytical
        # scans, and PostgreSQL's cost-based trigger fired on ordinary page queries whose
        # estimate was high (about 200 ms of compiling for a 2 ms query). Every page query
        # here is indexed and bounded; a reporting job that wants JIT can SET jit = on.
        args = dict(options.get("connect_args") or {})
        args["options"] = " ".join(filter(None, [args.get("options"), "-c jit=off"]))
        options["connect_args"] = args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)


def _configure_sqlite(engine: Engine) -> None:
    """SQLAlchemy's documented recipe so pysqlite leaves transactions to us, then
    ``BEGIN IMMEDIATE`` for each: every request may append to the audit chain, and
    taking the write lock up front means no reader ever has to upgrade mid-way."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
