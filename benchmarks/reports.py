"""Report pages timed at two database sizes, with the ratio between them.

    python -m benchmarks.reports [--sizes 10000,100000] [--repeat R] [--rebuild] [--max-age-days D]

Uses the MARAC benchmark databases (benchmarks/marac.py: built once, cached in
benchmarks/results/cache/, each run on a throwaway copy). Signed in as the MARAC
coordinator or an analyst, it times through the Flask test client (median and p95; nothing is asserted):

- the MARAC quarterly return on the reports hub for the calendar year holding the busiest
  quarter: the page (which also works out the year before, for the comparison and chart)
  as the coordinator and as an analyst, and the CSV and XLSX downloads;
- the same for a single quarter;
- the IOM report page for that year (no IOM data in these databases: the fixed cost);
- the MARAC action list downloaded as CSV, overdue actions only (a list download).

For each it prints the SQL statements run and the values decrypted in one request, by
column: the return counts everything it can in SQL and decrypts only the victims'
demographic columns (gender, ethnicity, disability, LGBT+, date of birth), once for
each referral heard in the period, streamed. The hearings in the period are printed
beside them, so decryptions can be checked against what is necessary.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from contextlib import contextmanager

import sqlalchemy as sa

from benchmarks.core import summary
from benchmarks.marac import (
    IsolatedClient,
    SQLiteStore,
    StatementLog,
    World,
    describe,
    get_ok,
    migration_head,
    size_label,
    timed_request,
)
from casework import create_app
from casework.core import crypto
from casework.core.models import User
from casework.extensions import db
from tests.helpers import Factory, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DecryptionCount:
    """Counts values decrypted (``crypto.open_value``), by column, while a capture is open."""

    def __init__(self) -> None:
        self.counts: Counter[str] | None = None
        self._original = crypto.open_value

    def __enter__(self) -> DecryptionCount:
        original = self._original

        def counting(blob, aad, *args, **kwargs):
            if self.counts is not None:
                self.counts[aad] += 1
            return original(blob, aad, *args, **kwargs)

        crypto.open_value = counting
        return self

    def __exit__(self, *exc) -> None:
        crypto.open_value = self._original

    @contextmanager
    def capture(self):
        self.counts = Counter()
        try:
            yield self.counts
        finally:
            self.counts = None


def hearings_in(year: int) -> int:
    from casework.core import periods
    from casework.core.models import AgendaItem, Meeting

    lo, hi = periods.utc_bounds(periods.calendar_year(year))
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AgendaItem)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(
                Meeting.kind == "marac",
                Meeting.status == "held",
                Meeting.starts_at >= lo,
                Meeting.starts_at < hi,
                AgendaItem.removed_reason.is_(None),
                AgendaItem.outcome.is_not(None),
            )
        )
        or 0
    )


def run_size(store, args) -> dict:
    meta, built = store.ensure(args.rebuild, args.max_age_days)
    world = World(**meta["world"])
    if world.quarter is None:
        raise SystemExit(f"{store.size}: no full quarter in the data")
    year, quarter, _ = world.quarter
    out: dict = {"size": store.size, "data": describe(world.counts), "rows": {}}
    log = StatementLog()
    with store.working_copy() as uri, DecryptionCount() as decrypted:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri, "KEYRING_JSON": meta["keyring"]})
        app.test_client_class = IsolatedClient
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", log)
            out["hearings"] = {"year": hearings_in(year), "year before": hearings_in(year - 1)}
            coordinator = db.session.get(User, world.coordinator_id)
            clients = {"coordinator": app.test_client(), "analyst": app.test_client()}
            login(clients["coordinator"], coordinator)
            login(clients["analyst"], Factory(app).user("analyst", agency=coordinator.agency))
            y = f"kind=calendar_year&year={year}"
            q = f"kind=calendar_quarter&year={year}&quarter={quarter}"
            cases = [
                ("MARAC year page (+ year before)", f"/reports/marac/quarterly?{y}", "text/html", "coordinator"),
                ("MARAC year page, analyst", f"/reports/marac/quarterly?{y}", "text/html", "analyst"),
                ("MARAC year CSV (+ year before)", f"/reports/marac/quarterly?{y}&format=csv", "text/csv", "analyst"),
                ("MARAC year XLSX (+ year before)", f"/reports/marac/quarterly?{y}&format=xlsx", XLSX, "analyst"),
                ("MARAC quarter page (+ quarter before)", f"/reports/marac/quarterly?{q}", "text/html", "analyst"),
                ("IOM year page (+ year before)", f"/reports/iom/reoffending?{y}", "text/html", "analyst"),
                ("MARAC overdue actions CSV", "/marac/actions?overdue=y&format=csv", "text/csv", "coordinator"),
            ]
            for name, url, mimetype, who in cases:
                client = clients[who]
                get_ok(client, url, mimetype)  # warm
                samples = []
                statements: list[str] = []
                runs: list[Counter[str]] = []
                for _ in range(args.repeat):
                    with decrypted.capture() as counts:
                        runs.append(counts)
                        elapsed, statements, _resp = timed_request(
                            log, lambda url=url, m=mimetype, c=client: get_ok(c, url, m)
                        )
                    samples.append(elapsed)
                med, p95 = summary(samples, 1e3)[:2]
                out["rows"][name] = (med, p95, len(statements), dict(runs[-1]))
                print(f"  … {size_label(store.size)} {name}: {med:,.1f} ms", file=sys.stderr, flush=True)
            sa.event.remove(db.engine, "before_cursor_execute", log)
            db.session.remove()
            db.engine.dispose()
    out["year"] = year
    out["built"] = "built now" if built else f"cached, built {meta['built_on']}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reports", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="MARAC cases, two sizes (default 10000,100000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each request (default 5)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached databases")
    parser.add_argument("--max-age-days", type=int, default=7, help="rebuild a cached database older than this")
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if len(sizes) != 2 or args.repeat < 1:
        parser.error("--sizes: exactly two sizes; --repeat ≥ 1")
    head = migration_head()
    started = time.perf_counter()
    small, large = (run_size(SQLiteStore(n, head), args) for n in sizes)
    print()
    print(
        f"casework reports benchmark, SQLite, Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {args.repeat} timed runs each"
    )
    for run in (small, large):
        print(
            f"  {size_label(run['size'])}: {run['data']} ({run['built']}); hearings in {run['year']}: "
            f"{run['hearings']['year']:,}, in {run['year'] - 1}: {run['hearings']['year before']:,}"
        )
    print()
    head_row = f"{'request':40} {'size':>6} {'median ms':>10} {'p95 ms':>9} {'SQL':>5} {'decrypted':>10}  ratio"
    print(head_row)
    print("-" * len(head_row))
    for name in small["rows"]:
        base = small["rows"][name][0]
        for run in (small, large):
            med, p95, sql, counts = run["rows"][name]
            ratio = f"{med / base:5.2f}×" if run is large and base else ""
            n = sum(counts.values())
            print(f"{name:40} {size_label(run['size']):>6} {med:10.1f} {p95:9.1f} {sql:5d} {n:10,d}  {ratio}")
    print()
    print("Values decrypted in one request, by column (largest size):")
    for name, (_, _, _, counts) in large["rows"].items():
        shown = ", ".join(f"{aad} {n:,}" for aad, n in sorted(counts.items())) or "none"
        print(f"  {name}: {shown}")
    print(f"(total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
