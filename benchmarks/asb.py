"""ASB figures at two volumes in one run, on throwaway SQLite databases built by the migrations.

    python -m benchmarks.asb [--victims N] [--incidents M] [--repeat R]

Full volume (default 50,000 victims and 200,000 incidents) and a tenth of it. Rows go in
by bulk Core inserts into the mapped tables, so personal values are really encrypted.
Each victim has an ASB case and incidents spread over two years (so about a third are
repeat victims today); one in ten cases has a support plan, half of them past their
review date. The victims' repeat status rows are built from their own incidents, as the
service keeps them. Then, as the ASB officer (whose agency leads every case), it times:

- logging an incident (``incidents.log_incident`` on an existing case, with the repeat
  status refresh and the commit);
- the repeat-victims list page (GET /asb/repeat-victims);
- a victim's case page (GET /asb/cases/<id>);
- the overdue reviews and missed contacts page (GET /asb/team);
- the ASB partnership report for last calendar year (GET /reports/asb/incidents).

The two volumes are timed alternately, call by call, so load from other work on the
machine falls on both alike. Prints the medians, the full volume's p95 and the ratio
full / tenth (targets: under 15 ms median and flat, ratio at most 1.3). Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa

from benchmarks.core import GIVEN, SURNAMES, make_app, migrate, summary, timed
from benchmarks.iom import IsolatedClient, Rows
from casework.asb import incidents, repeats
from casework.asb.models import AsbCase, Incident, IncidentVictim, Victim
from casework.core.models import Case, CaseParticipant, Person, Plan, ReferenceCounter, User
from casework.extensions import db
from tests.helpers import Factory, login

BATCH = 5000


class Links(Rows):
    """Bulk inserts into a table keyed by its columns, not an id (the victims of incidents)."""

    def __init__(self, model) -> None:
        self.table = model.__table__
        self.rows = []
        self.next_id = 0

    def add(self, **values) -> int:
        self.rows.append(values)
        return 0


def seed(n_victims: int, n_incidents: int) -> dict:
    rng = random.Random(2026)
    factory = Factory(None)
    council = factory.agency("council_asb", code="ASB", name="Bench Council ASB")
    officer = factory.user("asb_officer", agency=council)
    today = date.today()
    now = datetime.now(UTC)
    people, cases_, participants, asbs, victims, incident_rows, links, plans = (
        Rows(Person),
        Rows(Case),
        Rows(CaseParticipant),
        Rows(AsbCase),
        Rows(Victim),
        Rows(Incident),
        Links(IncidentVictim),
        Rows(Plan),
    )
    per_victim = max(n_incidents // n_victims, 1)
    target_case = None
    for i in range(n_victims):
        pid = people.add(
            given_names=rng.choice(GIVEN),
            surname=rng.choice(SURNAMES),
            dob=date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 60)),
            address=f"{rng.randint(1, 200)} Bench Street",
            created_by_id=officer.id,
            created_by_agency_id=council.id,
            created_for_kind="asb",
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        days = sorted(today - timedelta(days=rng.randint(0, 730)) for _ in range(per_victim))
        cid = cases_.add(
            reference=f"ASB-B-{i:06d}",
            kind="asb",
            status="open",
            opened_on=days[0],
            lead_agency_id=council.id,
            lead_user_id=officer.id,
            is_restricted=False,
            created_by_id=officer.id,
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        participants.add(case_id=cid, person_id=pid, role="victim")
        band = rng.choice(("standard", "medium", "high"))
        asbs.add(
            case_id=cid,
            victim_person_id=pid,
            is_household=False,
            risk_band=band,
            contact_every_days={"high": 7, "medium": 14}.get(band),
            next_contact_due_on=today + timedelta(days=rng.randint(-10, 14)) if band != "standard" else None,
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        for day in days:
            iid = incident_rows.add(
                case_id=cid,
                occurred_at=datetime.combine(day, clock(0, 5), tzinfo=UTC),
                occurred_on=day,
                reported_on=day,
                category="nuisance",
                type_code="noise",
                description="Loud music late at night",
                location="Bench Street",
                is_hate=False,
                perpetrator_unknown=True,
                recorded_by_id=officer.id,
                recorded_agency_id=council.id,
                created_at=now,
                updated_at=now,
                version_id=1,
            )
            links.add(incident_id=iid, person_id=pid, occurred_on=day, event_key=-iid, live=True)
        status = repeats.status_from_dates(days, 3, 365)
        victims.add(
            person_id=pid,
            case_id=cid,
            incident_count=status.incident_count,
            first_incident_on=status.first_on,
            last_incident_on=status.last_on,
            repeat_since=status.since,
            repeat_until=status.until,
            risk_band=band,
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        if i % 10 == 0:
            plans.add(
                case_id=cid,
                kind="support",
                title="Support plan",
                review_due_on=today + timedelta(days=rng.randint(-40, 40)),
                is_active=True,
                owner_user_id=officer.id,
                created_by_id=officer.id,
                created_at=now,
                updated_at=now,
                version_id=1,
            )
        if target_case is None and status.until and status.until >= today:
            target_case = (cid, pid)
        if len(incident_rows.rows) >= BATCH * 4:
            for rows in (people, cases_, participants, asbs, victims, incident_rows, links, plans):
                rows.flush()
    for rows in (people, cases_, participants, asbs, victims, incident_rows, links, plans):
        rows.flush()
    db.session.add(ReferenceCounter(kind="asb", year=today.year, last=0))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return {"officer_id": officer.id, "case_id": target_case[0], "n_cases": n_victims}


def build(tmp: str, n_victims: int, n_incidents: int) -> dict[str, Callable[[], object]]:
    """A seeded database and, by name, the calls to time against it (each in its own app context)."""
    app = make_app(Path(tmp) / f"bench-asb-{n_victims}.db")
    app.test_client_class = IsolatedClient
    migrate(app)
    with app.app_context():
        t0 = time.perf_counter()
        world = seed(n_victims, n_incidents)
        print(
            f"  … {n_victims:,} victims, {n_incidents:,} incidents loaded in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        client = app.test_client()
        login(client, db.session.get(User, world["officer_id"]))
        db.session.remove()
    rng = random.Random(7)

    def get(url: str) -> Callable[[], object]:
        def call():
            with app.app_context():
                resp = client.get(url)
                assert resp.status_code == 200, (url, resp.status_code)
                db.session.remove()

        return call

    def log_one():
        with app.test_request_context():
            user = db.session.get(User, world["officer_id"])
            asb = db.session.scalar(sa.select(AsbCase).where(AsbCase.case_id == rng.randint(1, world["n_cases"])))
            day = date.today() - timedelta(days=rng.randint(0, 30))
            incidents.log_incident(
                user,
                incidents.IncidentData(
                    occurred_on=day,
                    occurred_time=clock(0, 5),
                    reported_on=day,
                    category="nuisance",
                    type_code="noise",
                    description="Shouting in the street",
                    victim_ids=[asb.victim_person_id],
                    perpetrator_unknown=True,
                ),
                asb=asb,
            )
            db.session.commit()
            db.session.remove()

    return {
        "incident logging": log_one,
        "repeat-victims list page": get("/asb/repeat-victims"),
        "victim's case page": get(f"/asb/cases/{world['case_id']}"),
        "overdue reviews page": get("/asb/team"),
        # The partnership report (issue 13): incidents by category, repeat callers per quarter,
        # victims by risk, overdue reviews, for last calendar year beside the year before.
        "ASB report, a year": get(f"/reports/asb/incidents?kind=calendar_year&year={date.today().year - 1}"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.asb", description=__doc__.split("\n")[0])
    parser.add_argument("--victims", type=int, default=50_000)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="casework-bench-asb-") as tmp:
        small = build(tmp, max(args.victims // 10, 10), max(args.incidents // 10, 10))
        large = build(tmp, args.victims, args.incidents)
        samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in large}
        for name in large:
            small[name](), large[name]()  # warm up
        # The two volumes alternate, call by call, so a busy machine slows both alike.
        for _ in range(args.repeat):
            for name in large:
                samples[name][0].extend(timed(small[name], 1))
                samples[name][1].extend(timed(large[name], 1))
    head = f"{'measure':28} {'tenth median':>13} {'full median':>12} {'full p95':>9} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for name, (low, high) in samples.items():
        s_med = summary(low, 1e3)[0]
        l_med, l_p95, _ = summary(high, 1e3)
        print(f"{name:28} {s_med:10.2f} ms {l_med:9.2f} ms {l_p95:6.1f} ms {l_med / s_med:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
