"""Audit chain figures: append time and how long the chain head lock is held.

    python -m benchmarks.audit [--appends N] [--threads T] [--requests R] [--work-ms W]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_audit python -m benchmarks.audit

A throwaway SQLite database by default; with ``BENCH_DATABASE_URL`` an existing
PostgreSQL database (migrated here; use an empty one made for the purpose).
Prints a table; nothing is asserted:
- floor: a one-row INSERT and COMMIT without audit, what the machine's commit
  (WAL flush) costs;
- audit append: ``audit.record`` plus its own commit, median and p95 (ms; target
  < 2 ms on PostgreSQL);
- chain head lock hold: from taking the lock (at commit) to the end of COMMIT
  (ms; target < 5 ms), and the part of it spent chaining before COMMIT;
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
    """For each commit that chained events: seconds from taking the chain head lock to the
    end of chaining (head read, hashes, insert) and to the end of COMMIT."""

    def __init__(self) -> None:
        self.chaining: list[float] = []
        self.held: list[float] = []

    def __call__(self, session) -> None:
        now = time.perf_counter()
        locked_at = session.info.get(audit.LOCKED_AT_INFO_KEY)
        if locked_at is not None:
            self.chaining.append(session.info[audit.CHAINED_AT_INFO_KEY] - locked_at)
            self.held.append(now - locked_at)

    def take(self) -> tuple[list[float], list[float]]:
        out = self.chaining, self.held
        self.chaining, self.held = [], []
        return out


def bench_commit_floor(app, table: Table, n: int) -> None:
    """What one single-row INSERT and COMMIT costs on this database and machine."""
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE bench_commit_floor (x INTEGER)"))
        db.session.commit()

        def insert() -> None:
            db.session.execute(sa.text("INSERT INTO bench_commit_floor VALUES (1)"))
            db.session.commit()

        for _ in range(20):
            insert()
        table.add("floor: one-row INSERT + COMMIT, no audit", timed(insert, n), "ms")
        db.session.execute(sa.text("DROP TABLE bench_commit_floor"))
        db.session.commit()


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
        chaining, held = clock.take()
        table.add("  of which under the lock: chaining", chaining, "ms", "lock, head, hashes, insert")
        table.add("chain head lock hold (lock to end of COMMIT)", held, "ms", "target < 5 ms")


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
    chaining, held = clock.take()
    table.add("  of which under the lock: chaining", chaining, "ms")
    table.add("chain head lock hold under contention", held, "ms", "target < 5 ms")


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
            held = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
            db.session.commit()
            if held:
                # Its rows were chained under another run's throwaway key ring: they would not verify.
                parser.error(f"the benchmark database already holds {held} audit events; give it an empty one")
            event.listen(db.session, "after_commit", clock)
        bench_commit_floor(app, table, args.appends)
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
    state = "intact" if result.ok else f"BROKEN at seq {result.first_bad_seq}: {result.reason}"
    print(f"Chain after the run: {state}; {result.checked} events verified.")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
