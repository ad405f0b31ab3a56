"""IOM figures at two volumes in one run, on throwaway SQLite databases built by the migrations.

    python -m benchmarks.iom [--people N] [--offences M] [--repeat R]

Full volume (default 5,000 people on or formerly on the cohort and 200,000 offences) and
a tenth of it. Rows go in by bulk Core inserts into the mapped tables, so personal values
are really encrypted. Each person has an IOM case, an offender row, one or two spells
(a quarter were deselected, some re-adopted) and about 40 arrests, charges and
convictions over five years. Then, signed in as the IOM manager through the Flask test
client, it times:

- the cohort list page (GET /iom/);
- an offender page with its timeline (GET /iom/cases/<id>);
- the cohort reoffending measure (``measure.measure``) for the last complete quarter and
  for the last twelve months, and the measure page for the quarter.

The two volumes are timed alternately, call by call, so load from other work on the
machine falls on both alike. Prints the medians, the full volume's p95 and the ratio full / tenth (targets: pages under
15 ms median and flat, ratio at most 1.3; the measure for a year under 1 s), and the SQL
statements one call runs at full volume. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextvars
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient

from benchmarks.core import GIVEN, SURNAMES, make_app, migrate, summary, timed
from casework.core.crypto import new_row_uid
from casework.core.models import Case, CaseParticipant, Person, ReferenceCounter, User
from casework.core.periods import custom, previous, quarter_containing
from casework.core.types import _Encrypted, bind_value
from casework.extensions import db
from casework.iom import measure
from casework.iom.models import Offence, OffenceCategory, Offender, PathwayNeed, Spell
from tests.helpers import Factory, login

BATCH = 5000


class IsolatedClient(FlaskClient):
    """Each request in its own context, as in production (see tests/conftest.py)."""

    def open(self, *args, **kwargs):
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


class Rows:
    """Bulk inserts into one mapped table; encrypted values are bound to their row uid first."""

    def __init__(self, model) -> None:
        self.table: sa.Table = model.__table__
        self.rows: list[dict] = []
        self.next_id = (db.session.scalar(sa.select(sa.func.max(self.table.c.id))) or 0) + 1

    def add(self, **values) -> int:
        values.setdefault("id", self.next_id)
        self.next_id = max(self.next_id, values["id"]) + 1
        if "row_uid" in self.table.c:
            uid = values.setdefault("row_uid", new_row_uid())
            for key, value in list(values.items()):
                if value is not None and isinstance(self.table.c[key].type, _Encrypted):
                    values[key] = bind_value(value, uid)
        row = dict.fromkeys(self.table.c.keys())
        row.update(values)
        self.rows.append(row)
        return values["id"]

    def flush(self) -> None:
        for start in range(0, len(self.rows), BATCH):
            db.session.execute(sa.insert(self.table), self.rows[start : start + BATCH])
        self.rows.clear()


def seed(n_people: int, n_offences: int) -> dict:
    rng = random.Random(2026)
    factory = Factory(None)
    police = factory.agency("police", code="POL", name="Bench Police")
    probation = factory.agency("probation", code="PROB", name="Bench Probation")
    officer = factory.user("iom_officer", agency=police)
    manager = factory.user("iom_manager", agency=probation)
    today = date.today()
    now = datetime.now().astimezone()
    categories = list(db.session.scalars(sa.select(OffenceCategory.id)))
    people, cases_, participants, offenders, spells, offences, needs = (
        Rows(Person),
        Rows(Case),
        Rows(CaseParticipant),
        Rows(Offender),
        Rows(Spell),
        Rows(Offence),
        Rows(PathwayNeed),
    )
    per_person = max(n_offences // n_people, 1)
    target_case = None
    for i in range(n_people):
        pid = people.add(
            given_names=rng.choice(GIVEN),
            surname=rng.choice(SURNAMES),
            dob=date(1970, 1, 1) + timedelta(days=rng.randrange(365 * 30)),
            created_by_id=officer.id,
            created_by_agency_id=police.id,
            created_for_kind="iom",
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        start = today - timedelta(days=rng.randint(30, 4 * 365))
        deselected = rng.random() < 0.25
        end = start + timedelta(days=rng.randint(60, 500)) if deselected else None
        if end is not None and end >= today:
            end = None
        on_cohort = end is None
        lead = officer if i % 2 else manager
        cid = cases_.add(
            reference=f"IOM-B-{i:06d}",
            kind="iom",
            status="adopted" if on_cohort else "deselected",
            opened_on=start - timedelta(days=14),
            lead_agency_id=lead.agency_id,
            lead_user_id=lead.id,
            is_restricted=False,
            created_by_id=officer.id,
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        participants.add(case_id=cid, person_id=pid, role="offender")
        offenders.add(
            case_id=cid,
            person_id=pid,
            on_cohort=on_cohort,
            strand=rng.choice(("fixed", "fixed", "flex", "free")),
            category=rng.choice(("ppo", "repeat", "other")),
            tier=rng.choice(("red", "amber", "green")),
            supervision=rng.choice(("licence", "community_order", "unsupervised", "custody")),
            lead_user_id=lead.id,
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        spell_strand = rng.choice(("fixed", "flex", "free"))
        spells.add(
            case_id=cid,
            person_id=pid,
            start_on=start,
            end_on=end,
            strand=spell_strand,
            category="ppo",
            lead_user_id=lead.id,
            lead_agency_id=lead.agency_id,
            deselection_reason="desistance" if end else None,
            exit_plan="Handover" if end else None,
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        for _ in range(per_person):
            offences.add(
                case_id=cid,
                person_id=pid,
                kind=rng.choice(("conviction", "conviction", "arrest", "charge")),
                offence_on=today - timedelta(days=rng.randint(1, 5 * 365)),
                category_id=rng.choice(categories),
                outcome="Fine",
                created_at=now,
                updated_at=now,
            )
        for code in ("accommodation", "drugs_alcohol"):
            needs.add(
                case_id=cid,
                pathway_code=code,
                need=rng.choice(("none", "low", "medium", "high")),
                rag="amber",
                review_due_on=today + timedelta(days=rng.randint(-30, 90)),
                assessed_on=today,
                created_at=now,
                updated_at=now,
                version_id=1,
            )
        if target_case is None and on_cohort:
            target_case = cid
        if len(offences.rows) >= BATCH * 4:
            for rows in (people, cases_, participants, offenders, spells, offences, needs):
                rows.flush()
    for rows in (people, cases_, participants, offenders, spells, offences, needs):
        rows.flush()
    db.session.add(ReferenceCounter(kind="iom", year=today.year, last=0))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return {"manager_id": manager.id, "case_id": target_case}


def statements(app, call: Callable[[], object]) -> int:
    """How many SQL statements one call runs (a request counts its sign-in check and audit row)."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def build(tmp: str, n_people: int, n_offences: int) -> tuple[object, dict[str, Callable[[], object]]]:
    """A seeded database: the app and, by name, the calls to time against it (each in its own app context)."""
    app = make_app(Path(tmp) / f"bench-{n_people}.db")
    app.test_client_class = IsolatedClient
    migrate(app)
    with app.app_context():
        t0 = time.perf_counter()
        world = seed(n_people, n_offences)
        print(
            f"  … {n_people:,} people, {n_offences:,} offences loaded in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        client = app.test_client()
        login(client, db.session.get(User, world["manager_id"]))
        db.session.remove()
    quarter = previous(quarter_containing(date.today()))
    year = custom(date.today() - timedelta(days=364), date.today())

    def in_app(fn: Callable[[], object]) -> Callable[[], object]:
        def call():
            with app.app_context():
                fn()
                db.session.remove()

        return call

    def get(url: str) -> Callable[[], object]:
        def call():
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code)

        return in_app(call)

    return app, {
        "cohort list page": get("/iom/"),
        "offender page with timeline": get(f"/iom/cases/{world['case_id']}"),
        "measure page, quarter": get(f"/iom/measure?start={quarter.start}&end={quarter.end}"),
        "measure, quarter": in_app(lambda: measure.measure(quarter)),
        "measure, year": in_app(lambda: measure.measure(year)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.iom", description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--offences", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="casework-bench-iom-") as tmp:
        _, small = build(tmp, max(args.people // 10, 10), max(args.offences // 10, 10))
        app, large = build(tmp, args.people, args.offences)
        samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in large}
        for name in large:
            small[name](), large[name]()  # warm up
        counts = {name: statements(app, call) for name, call in large.items()}
        # The two volumes alternate, call by call, so a busy machine slows both alike.
        for round_ in range(args.repeat):
            for name in large:
                if name.startswith("measure") and round_ % 3:
                    continue  # the slow measures a third as often
                samples[name][0].extend(timed(small[name], 1))
                samples[name][1].extend(timed(large[name], 1))
    head = f"{'measure':32} {'tenth median':>13} {'full median':>12} {'full p95':>9} {'ratio':>6} {'SQL':>4}"
    print(head)
    print("-" * len(head))
    for name, (low, high) in samples.items():
        s_med = summary(low, 1e3)[0]
        l_med, l_p95, _ = summary(high, 1e3)
        print(f"{name:32} {s_med:10.2f} ms {l_med:9.2f} ms {l_p95:6.1f} ms {l_med / s_med:6.2f} {counts[name]:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
