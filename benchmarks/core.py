"""Core figures on a throwaway SQLite database built by running the migrations.

    python -m benchmarks.core [--people N] [--audit N] [--logins N]

Prints a table; nothing is asserted (DESIGN §7 targets are for a person to compare):
- field encryption: AES-256-GCM encrypt and decrypt of one short value (µs);
- blind index: surname + date of birth HMAC (µs);
- audit append: ``audit.record`` plus its own commit, median (ms; target < 2 ms);
- person lookup by the surname+DOB blind index among N people, with decryption of
  the candidates to confirm the match, median (ms); also through the people search
  service (access filter + audit row);
- sign-in round trip through the Flask test client (password with production argon2
  parameters, then TOTP), median (ms).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pyotp
import sqlalchemy as sa

from casework import create_app
from casework.core import audit, crypto
from casework.core.crypto import new_keyring
from casework.core.models import Person, User
from casework.core.models.people import surname_dob_index
from casework.core.types import utcnow
from casework.extensions import db
from config import BaseConfig

PASSWORD = "benchmark passphrase with several words 7"
SURNAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
    "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
    "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
    "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
    "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
]  # fmt: skip
GIVEN = ["Alex", "Sam", "Jo", "Chris", "Jamie", "Kim", "Lee", "Robin", "Charlie", "Ashley", "Morgan", "Taylor"]


# --- helpers ---------------------------------------------------------------------


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of each call."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def summary(samples: list[float], scale: float) -> tuple[float, float, float]:
    """(median, p95, min) scaled."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * scale, p95 * scale, ordered[0] * scale


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, str]] = []

    def add(self, name: str, samples: list[float], unit: str, note: str = "") -> None:
        scale = {"µs": 1e6, "ms": 1e3}[unit]
        med, p95, low = summary(samples, scale)
        self.rows.append((name, f"{med:,.2f}", f"{p95:,.2f}", f"{low:,.2f}", unit, f"n={len(samples)} {note}".strip()))
        print(f"  … {name}: {med:,.2f} {unit}", file=sys.stderr, flush=True)

    def print(self) -> None:
        head = ("measure", "median", "p95", "min", "unit", "notes")
        widths = [max(len(str(r[i])) for r in [head, *self.rows]) for i in range(len(head))]
        left = {0, 4, 5}

        def line(cells) -> str:
            return "  ".join(
                c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        print(line(head))
        print("  ".join("-" * w for w in widths))
        for row in self.rows:
            print(line(row))


def make_app(db_path: Path, **overrides):
    return create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "KEYRING_JSON": json.dumps(new_keyring().to_dict()),
            **overrides,
        },
    )


def migrate(app) -> None:
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade()


def seed_user(app) -> tuple[int, str, str]:
    """An agency and an IDVA user with production-strength password hash; (id, email, secret)."""
    from casework.admin import services as admin

    with app.app_context():
        agency = admin.create_agency({"code": "BENCH", "name": "Bench IDVA", "kind": "idva_service", "is_active": True})
        db.session.flush()
        user = admin.create_user(
            email="perf@example.org",
            display_name="Bench User",
            agency_id=agency.id,
            roles={"idva"},
            password=PASSWORD,
        )
        user.totp_secret = pyotp.random_base32(length=32)
        user.totp_enrolled_at = utcnow()
        db.session.commit()
        return user.id, user.email, user.totp_secret


# --- measures -----------------------------------------------------------------------


def bench_crypto(app, table: Table, n: int = 20_000) -> None:
    value = b"Thistlewood-Okonkwo"
    with app.app_context():
        crypto.keyring()  # load once, as a running app has
        blobs = [crypto.encrypt(value, "person.surname") for _ in range(200)]
        table.add("encrypt one field (AES-256-GCM)", timed(lambda: crypto.encrypt(value, "person.surname"), n), "µs")
        blob = blobs[0]
        table.add("decrypt one field", timed(lambda: crypto.decrypt(blob, "person.surname"), n), "µs")
        table.add(
            "encrypt + decrypt one field",
            timed(lambda: crypto.decrypt(crypto.encrypt(value, "person.surname"), "person.surname"), n),
            "µs",
        )
        dob = date(1984, 2, 29)
        table.add("blind index surname+DOB", timed(lambda: surname_dob_index("Thistlewood", dob), n), "µs")


def bench_audit(app, table: Table, n: int) -> None:
    with app.app_context():
        for _ in range(20):  # warm up
            audit.record("bench.warmup", object_type="person", object_id=1, person_ids=[1])
            db.session.commit()

        def append() -> None:
            audit.record("bench.append", object_type="person", object_id=42, person_ids=[42], purpose="casework")
            db.session.commit()

        table.add("audit append (record + commit)", timed(append, n), "ms", "target < 2 ms")
        result = audit.verify()
        assert result.ok, result


def insert_people(app, n: int, agency_id: int, user_id: int, target: tuple[str, date]) -> None:
    """Bulk Core inserts of values encrypted up front, blind indexes computed in Python."""
    columns = ("given_names", "surname", "dob", "bi_surname_dob", "created_by_id", "created_by_agency_id")
    raw = sa.table(
        "person",
        *(sa.column(c, sa.LargeBinary) for c in columns[:4]),
        sa.column("created_by_id", sa.Integer),
        sa.column("created_by_agency_id", sa.Integer),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
        sa.column("version_id", sa.Integer),
        sa.column("row_uid", sa.String),
    )
    rng = random.Random(20250101)
    now = datetime.now().replace(microsecond=0)
    with app.app_context():
        ring = crypto.keyring()
        batch: list[dict] = []
        for i in range(n):
            if i == n // 2:
                given, surname, dob = "Target", *target
            else:
                given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
                dob = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
            uid = crypto.new_row_uid()  # values are bound to their row, as the ORM does on flush
            batch.append(
                {
                    "row_uid": uid,
                    "given_names": crypto.encrypt(given.encode(), "person.given_names", ring, row_uid=uid),
                    "surname": crypto.encrypt(surname.encode(), "person.surname", ring, row_uid=uid),
                    "dob": crypto.encrypt(dob.isoformat().encode(), "person.dob", ring, row_uid=uid),
                    "bi_surname_dob": surname_dob_index(surname, dob),
                    "created_by_id": user_id,
                    "created_by_agency_id": agency_id,
                    "created_at": now,
                    "updated_at": now,
                    "version_id": 1,
                }
            )
            if len(batch) == 5000:
                db.session.execute(sa.insert(raw), batch)
                batch.clear()
        if batch:
            db.session.execute(sa.insert(raw), batch)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def bench_lookup(app, table: Table, n_people: int, user_id: int, repeat: int = 300) -> None:
    from casework.core.crypto import normalise_text
    from casework.people import services as people

    target = ("O'Donnell-Ferreira", date(1979, 6, 17))
    with app.app_context():
        agency_id = db.session.get(User, user_id).agency_id
    start = time.perf_counter()
    insert_people(app, n_people, agency_id, user_id, target)
    build = time.perf_counter() - start
    print(f"  … inserted {n_people:,} people in {build:.1f} s", file=sys.stderr, flush=True)

    # Common surname + DOB pairs give several candidates; the target has one.
    probes = [target]
    rng = random.Random(7)
    with app.app_context():
        sample = db.session.scalars(sa.select(Person).order_by(sa.func.random()).limit(repeat - 1)).all()
        probes += [(p.surname, p.dob) for p in sample]
        rng.shuffle(probes)
        db.session.rollback()

        found = 0

        def lookup(surname: str, dob: date) -> list[Person]:
            index = surname_dob_index(surname, dob)
            rows = db.session.scalars(sa.select(Person).where(Person.bi_surname_dob == index).limit(50)).all()
            key = normalise_text(surname)
            return [p for p in rows if p.dob == dob and p.surname and normalise_text(p.surname) == key]

        samples = []
        for surname, dob in probes:
            t0 = time.perf_counter()
            matches = lookup(surname, dob)
            samples.append(time.perf_counter() - t0)
            found += bool(matches)
            db.session.expunge_all()  # no identity-map shortcuts between probes
        assert found == len(probes), (found, len(probes))
        table.add(f"person lookup, blind index + decrypt ({n_people:,} people)", samples, "ms")

        user = db.session.get(User, user_id)
        samples = []
        for surname, dob in probes[:100]:
            t0 = time.perf_counter()
            people.search(user, surname=surname, dob=dob, phone=None)
            db.session.commit()
            samples.append(time.perf_counter() - t0)
            db.session.expunge_all()
            user = db.session.get(User, user_id)
        table.add("person search service (access filter + audit)", samples, "ms")


def bench_login(app, table: Table, email: str, user_id: int, secret: str, n: int) -> None:
    token_re = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

    def reset_replay() -> None:
        with app.app_context():
            db.session.execute(sa.update(User).where(User.id == user_id).values(totp_last_step=None))
            db.session.commit()

    def login_once() -> float:
        client = app.test_client()
        t0 = time.perf_counter()
        page = client.get("/login")
        resp = client.post(
            "/login", data={"csrf_token": token_re.search(page.text).group(1), "email": email, "password": PASSWORD}
        )
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/code"), resp.status_code
        page = client.get("/login/code")
        code = pyotp.TOTP(secret).now()
        resp = client.post("/login/code", data={"csrf_token": token_re.search(page.text).group(1), "code": code})
        assert resp.status_code == 302, resp.status_code
        return time.perf_counter() - t0

    samples = []
    for i in range(n + 1):
        reset_replay()
        elapsed = login_once()
        if i:  # the first includes one-off start-up work
            samples.append(elapsed)
    cfg = app.config
    note = (
        f"argon2id t={cfg['ARGON2_TIME_COST']} m={cfg['ARGON2_MEMORY_COST'] // 1024} MiB p={cfg['ARGON2_PARALLELISM']}"
    )
    table.add("sign-in round trip (4 requests, password + TOTP)", samples, "ms", note)


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.core", description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000, help="people in the lookup table (default 100000)")
    parser.add_argument("--audit", type=int, default=500, help="audit appends to time (default 500)")
    parser.add_argument("--logins", type=int, default=10, help="sign-ins to time (default 10)")
    args = parser.parse_args(argv)
    if args.people < 1 or args.audit < 1 or args.logins < 1:
        parser.error("counts must be positive")

    started = time.perf_counter()
    table = Table()
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        db_path = Path(tmp) / "bench.db"
        # Production password hashing: the testing config's cheap argon2 would flatter sign-in.
        app = make_app(
            db_path,
            ARGON2_TIME_COST=BaseConfig.ARGON2_TIME_COST,
            ARGON2_MEMORY_COST=BaseConfig.ARGON2_MEMORY_COST,
            ARGON2_PARALLELISM=BaseConfig.ARGON2_PARALLELISM,
        )
        print("Building the benchmark database (migrations)…", file=sys.stderr, flush=True)
        migrate(app)
        user_id, email, secret = seed_user(app)

        bench_crypto(app, table)
        bench_audit(app, table, args.audit)
        bench_lookup(app, table, args.people, user_id)
        bench_login(app, table, email, user_id, secret, args.logins)
        with app.app_context():
            db.engine.dispose()
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6

    print()
    print(
        f"casework core benchmark: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version} (WAL), "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {args.people:,} people, database {size_mb:.0f} MB"
    )
    print()
    table.print()
    print()
    print(f"Total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
