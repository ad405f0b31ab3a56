"""Audit chain figures: append time and how long the chain head lock is held.

    python -m benchmarks.audit [--appends N] [--threads T] [--requests R] [--work-ms W]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_audit python -m benchmarks.audit

A throwaway SQLite database by default; with ``BENCH_DATABASE_URL`` an existing
PostgreSQL database (migrated here; use an empty one made for the purpose).
Prints a table; nothing is asserted:
- audit append: ``audit.record`` plus its own commit, median and p95 (ms; target
  < 2 ms on PostgreSQL);
- chain head lock hold: from taking the lock (at commit) to the end of COMMIT
  (ms; target < 5 ms);
- concurrent requests: T threads, each running R transactions that record two
  events after a first read (which begins the transaction), then do W ms of
  other work without the chain head lock (standing for rendering a
  page), then commit. Throughput and lock hold under contention. On PostgreSQL the
  requests overlap; on SQLite every transaction holds the database write lock
  from ``BEGIN IMMEDIATE`` to commit, so they run one at a time whatever the audit
  code does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from benchmarks.core import Table, timed
from casework import create_app
from casework.core import audit
from casework.core.audit import AuditEvent
from casework.core.crypto import new_keyring
from casework.extensions import db


def make_app(uri: str):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri, "KEYRING_JSON": json.dumps(new_keyring().to_dict())})


class LockClock:
    """Collects, for each commit that chained events, the seconds from lock to commit end."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def __call__(self, session) -> None:
        locked_at = session.info.get(audit.LOCKED_AT_INFO_KEY)
        if locked_at is not None:
            self.samples.append(time.perf_counter() - locked_at)

    def take(self) -> list[float]:
        out, self.samples = self.samples, []
        return out


def bench_append(app, table: Table, clock: LockClock, n: int) -> None:
    with app.app_context():
        for _ in range(50):  # warm up: connections, key derivation, statement caches
            audit.record("bench.warmup", object_type="person", object_id=1, person_ids=[1])
            db.session.commit()
        clock.take()

        def append() -> None:
            audit.record("bench.append", object_type="person", object_id=42, person_ids=[42], purpose="casework")
            db.session.commit()

        table.add("audit append (record + commit)", timed(append, n), "ms", "target < 2 ms on PostgreSQL")
        table.add("chain head lock hold (lock to end of commit)", clock.take(), "ms", "target < 5 ms")


def bench_concurrent(app, table: Table, clock: LockClock, threads: int, requests: int, work_ms: float) -> None:
    durations: list[float] = []

    def run(worker: int) -> None:
        with app.app_context():
            for n in range(requests):
                t0 = time.perf_counter()
                db.session.execute(sa.select(AuditEvent.seq).where(AuditEvent.seq == n))  # a request reads first
                audit.record("bench.view", object_type="person", object_id=worker, person_ids=[worker])
                audit.record("bench.search", object_type="person", person_ids=[worker, n])
                time.sleep(work_ms / 1000)
                db.session.commit()
                durations.append(time.perf_counter() - t0)
            db.session.remove()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(run, w) for w in range(threads)]:
            future.result()
    elapsed = time.perf_counter() - start
    total = threads * requests
    ideal = threads * 1000 / work_ms
    note = f"{threads} threads, {work_ms:g} ms work each; {total / elapsed:,.0f} tx/s (no-lock bound {ideal:,.0f})"
    table.add("concurrent request (record 2 + work + commit)", durations, "ms", note)
    table.add("chain head lock hold under contention", clock.take(), "ms", "target < 5 ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.audit", description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=500, help="single appends to time (default 500)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent requests (default 8)")
    parser.add_argument("--requests", type=int, default=40, help="transactions per thread (default 40)")
    parser.add_argument("--work-ms", type=float, default=20.0, help="other work per transaction (default 20 ms)")
    args = parser.parse_args(argv)
    if min(args.appends, args.threads, args.requests) < 1 or args.work_ms < 0:
        parser.error("counts must be positive")

    import flask_migrate

    url = os.environ.get("BENCH_DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="casework-bench-audit-") as tmp:
        app = make_app(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        clock = LockClock()
        table = Table()
        with app.app_context():
            print("Migrating the benchmark database…", file=sys.stderr, flush=True)
            flask_migrate.upgrade()
            engine = db.engine.dialect.name
            version = db.session.connection().exec_driver_sql(
                "SELECT version()" if engine == "postgresql" else "SELECT 'SQLite ' || sqlite_version()"
            )
            version = version.scalar_one().split(" on ")[0]
            db.session.commit()
            event.listen(db.session, "after_commit", clock)
        bench_append(app, table, clock, args.appends)
        bench_concurrent(app, table, clock, args.threads, args.requests, args.work_ms)
        with app.app_context():
            result = audit.verify()
            db.session.remove()
            db.engine.dispose()

    print()
    print(f"casework audit benchmark: Python {platform.python_version()}, {version}, {os.cpu_count()} CPUs")
    print()
    table.print()
    print()
    print(f"Chain after the run: {'intact' if result.ok else 'BROKEN'}, {result.checked} events verified.")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
