"""Notification figures: the daily scan, building daily summaries, and sending mails.

    python -m benchmarks.notify [--cases 20000] [--actions 50000] [--mails 1000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_notify python -m benchmarks.notify

A throwaway SQLite database by default; with ``BENCH_DATABASE_URL`` an existing, empty
PostgreSQL database (migrated here). Cases and open MARAC actions are inserted in bulk
(their deadlines spread from 60 days ago to 60 days ahead, across 12 agencies of 3
representatives each), then it prints, with nothing asserted:
- ``notify scan``: the first scan (every overdue and due-soon action found, recipients
  resolved, notifications written) and a second scan the same day (nothing new);
- building mails: the daily summaries for every waiting notification, grouped in SQL;
- sending ``--mails`` queued mails to a real SMTP server on loopback (a sink in a thread).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from casework import create_app
from casework.core.crypto import new_keyring, new_row_uid
from casework.core.models import Action, Agency, Case, User, UserRole
from casework.core.types import bind_value, utcnow
from casework.extensions import db
from casework.notifications import mail, service
from casework.notifications.models import Notification, NotificationMail
from tests.notifications.conftest import SMTPSink


def _app(uri: str):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri, "KEYRING_JSON": json.dumps(new_keyring().to_dict())})


def _populate(n_cases: int, n_actions: int) -> None:
    now = utcnow()
    today = date.today()
    agencies = [
        {"code": f"B{i}", "name": f"Agency {i}", "kind": "housing", "is_active": True, "version_id": 1}
        for i in range(12)
    ]
    db.session.execute(sa.insert(Agency), [{**a, "created_at": now, "updated_at": now} for a in agencies])
    agency_ids = list(db.session.scalars(sa.select(Agency.id).order_by(Agency.id)))
    users = [
        {
            "email": f"rep{a}-{k}@example.org",
            "display_name": f"Rep {a}-{k}",
            "agency_id": a,
            "password_hash": "x",
            "row_uid": new_row_uid(),
            "version_id": 1,
            "created_at": now,
            "updated_at": now,
            "password_changed_at": now,
        }
        for a in agency_ids
        for k in range(3)
    ]
    db.session.execute(sa.insert(User), users)
    db.session.execute(
        sa.insert(UserRole), [{"user_id": uid, "role": "marac_rep"} for uid in db.session.scalars(sa.select(User.id))]
    )
    rng = random.Random(12)
    db.session.execute(
        sa.insert(Case),
        [
            {
                "reference": f"MARAC-B-{i:06d}",
                "kind": "marac",
                "status": "heard",
                "opened_on": today - timedelta(days=rng.randint(0, 700)),
                "lead_agency_id": rng.choice(agency_ids),
                "is_restricted": False,
                "row_uid": new_row_uid(),
                "version_id": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n_cases)
        ],
    )
    case_ids = list(db.session.scalars(sa.select(Case.id)))
    for start in range(0, n_actions, 5000):
        db.session.execute(
            sa.insert(Action),
            [
                {
                    "case_id": rng.choice(case_ids),
                    "assigned_agency_id": rng.choice(agency_ids),
                    "description": bind_value("Benchmark action", uid),
                    "due_on": today + timedelta(days=rng.randint(-60, 60)),
                    "status": "open",
                    "row_uid": uid,
                    "version_id": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for uid in (new_row_uid() for _ in range(min(5000, n_actions - start)))
            ],
        )
    db.session.commit()


def _analyze() -> None:
    """Fresh planner statistics after bulk loading, as autovacuum would gather soon after: without
    them PostgreSQL takes the 20,000 just-inserted cases for one row and loops over them."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def _timed(label: str, fn):
    start = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label:58} {elapsed:8.2f} s   {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--actions", type=int, default=50_000)
    parser.add_argument("--mails", type=int, default=1_000)
    args = parser.parse_args(argv)
    uri = os.environ.get("BENCH_DATABASE_URL")
    tmp = None
    if not uri:
        tmp = tempfile.TemporaryDirectory()
        uri = f"sqlite:///{Path(tmp.name) / 'notify.db'}"
    app = _app(uri)
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade()
        print(f"notifications on {db.engine.dialect.name}: {args.cases:,} cases, {args.actions:,} open actions")
        _timed("populate (bulk inserts)", lambda: _populate(args.cases, args.actions))
        _analyze()
        today = date.today()

        def scan():
            n = service.scan(today)
            db.session.commit()
            return f"{n:,} notifications written"

        _timed("notify scan, first of the day", scan)
        _analyze()
        _timed("notify scan, again the same day (idempotent)", scan)
        app.config["NOTIFY_DIGEST_HOUR"] = 0
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
        _timed(
            f"build daily summaries for {waiting:,} notifications",
            lambda: f"{mail.build_mails():,} mails",
        )
        db.session.execute(sa.update(Notification).values(mail_id=None))
        db.session.execute(sa.delete(NotificationMail))
        now = utcnow()
        db.session.execute(
            sa.insert(NotificationMail),
            [
                {
                    "to_address": f"person{i}@example.org",
                    "subject": "casework: your daily summary (3 new)",
                    "body": "- 3 MARAC actions for Agency 1 are overdue\n",
                    "mode": "digest",
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for i in range(args.mails)
            ],
        )
        db.session.commit()
        with SMTPSink() as sink:
            app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=sink.port, MAIL_SMTP_STARTTLS=False)

            def send():
                result = mail.send_pending()
                return f"{result.sent:,} sent, {len(sink.received):,} received by the SMTP sink"

            _timed(f"notify send: {args.mails:,} queued mails to a local SMTP server", send)
        db.session.remove()
        db.engine.dispose()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
