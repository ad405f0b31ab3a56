"""MARAC pages timed at two database sizes (10,000 and 100,000 cases) in one process.

    python -m benchmarks.marac [--sizes 10000,100000] [--repeat R] [--posts P]
                               [--databases sqlite,postgresql] [--rebuild] [--max-age-days D]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python -m benchmarks.marac

Databases are built once and kept:
- SQLite: ``benchmarks/results/cache/marac-<size>-s<seed version>-<migration head>.db``
  (benchmarks/results/ is not committed);
- PostgreSQL, with ``BENCH_DATABASE_URL`` (any existing database on the server: it is
  only used to create and drop others): database ``casework_bench_<size>`` on that server.
A database is rebuilt when ``SEED_VERSION`` below or the Alembic head has changed, when it
is older than ``--max-age-days`` (its dates are relative to the day it was built), or with
``--rebuild``. The build record (seed version, head, build day, the ids the run needs and
the generated encryption key ring, so the encrypted columns can be read again) is kept in
the database itself, in table ``bench_marac_meta``, written last, so an interrupted build
is never used. Synthetic data only. Each run works on a throwaway copy (a file copy; on
PostgreSQL ``CREATE DATABASE … TEMPLATE``), so the referral forms it submits never change
the cached data. Building 100,000 cases takes a minute or two; a cached run does not.

Without ``--databases`` it runs SQLite, then PostgreSQL too when ``BENCH_DATABASE_URL`` is
set, printing one table for each. Sizes run one after the other, one app each (engines
disposed between).

The data: bulk SQLAlchemy Core inserts into the mapped tables, so every personal value
still goes through the encrypted column types and the blind indexes are the real ones.
Referral dates spread over four years; each case has a victim and a perpetrator (some
victims are repeats, some cases have a child), a referral (most with a DASH), and is
listed on one meeting (about 10 a meeting, so 1 meeting per 10 cases); every meeting
in the past is held, its items heard with an outcome, so at 100,000 cases a quarter holds
about 6,000 hearings. One target meeting in about two weeks has 40 cases listed, with
research from the agencies; actions from the earlier meetings, some overdue.

Timed through the Flask test client, each request in its own app context and session,
signed in as the MARAC coordinator unless noted (median, p95; nothing is asserted; the
``target`` column compares with the requirement):
- case list as coordinator and as a police MARAC representative (agency-scoped), case
  page, MARAC dashboard, a victim's person page, 'My work' (home) for the coordinator and
  for an IDVA, overdue actions: target median ≤ 15 ms at the largest size, and at most
  1.3 × the smallest size's;
- the 40-case agenda: ``agenda.build`` and ``agenda_pdf`` alone, then GET HTML, GET PDF,
  and the two together (target < 1 s);
- the quarterly return downloaded as CSV for the busiest full quarter (target < 1 s; a
  third as many timed runs), with its peak memory growth measured by tracemalloc in one
  extra, untimed request (target < 20 MiB);
- the referral form submitted by an IDVA (new victim, escalation criterion).

Each row shows the SQL statements one request ran (a ``before_cursor_execute``
listener), and the statements repeated within one request are listed after the
table, so an N+1 query shows up as a large count.

``seed(app, n_cases, n_meetings, n_posts)`` loads the same data into any migrated
database and returns the :class:`World` of ids, for other benchmarks to reuse.
"""

from __future__ import annotations

import argparse
import bisect
import contextvars
import gc
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient

from benchmarks.core import GIVEN, SURNAMES, migrate, summary
from casework import create_app
from casework.core.crypto import new_keyring, new_row_uid
from casework.core.models import (
    Action,
    AgendaItem,
    Case,
    CaseAgency,
    CaseMember,
    CaseParticipant,
    Meeting,
    MeetingAgency,
    Person,
    PersonSearchToken,
    ReferenceCounter,
    User,
)
from casework.core.models.people import phone_index, surname_dob_index
from casework.core.search import person_tokens
from casework.core.types import _Encrypted, bind_value
from casework.extensions import db
from casework.marac import agenda, dash
from casework.marac.models import DashAssessment, Referral, ResearchResponse
from tests.helpers import Factory, csrf_token, login

TARGET_CASES = 40
# Bump when seed() changes what it loads: every cached database is then rebuilt.
SEED_VERSION = 3  # 3: people's search tokens
POST_VICTIMS = 40  # victims loaded for the referral form (each run submits on a fresh copy)
ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "benchmarks" / "results" / "cache"
META = sa.Table(
    "bench_marac_meta", sa.MetaData(), sa.Column("name", sa.String(40), primary_key=True), sa.Column("value", sa.Text)
)
PAGE_TARGET_MS = 15.0  # median at the largest size
SEARCH_TARGET_MS = 50.0  # people search and the running order (issue: MARAC ready for live use)
PAGE_TARGET_RATIO = 1.3  # largest / smallest size, medians
AGENDA_TARGET_MS = 1000.0  # HTML + PDF for the 40-case meeting
QUARTERLY_TARGET_MS = 1000.0
QUARTERLY_TARGET_MIB = 20.0  # peak memory growth
BATCH = 5000
HISTORY_DAYS = 4 * 365
FUTURE_DAYS = 60
VENUES = ["Civic Centre, Committee Room 2", "Police HQ, Conference Room", "Town Hall, Room 4", "Online (Teams)"]
RELATIONSHIPS = ["Partner", "Ex-partner", "Husband", "Wife", "Boyfriend", "Son", "Brother", "Father"]
ACTIONS = [
    "Flag the address for an urgent police response",
    "Refer to the sanctuary scheme for target hardening",
    "Share the safety plan with the GP surgery",
    "Complete a child and family assessment",
    "Offer a management transfer to another property",
    "Check bail conditions and inform the IDVA",
    "Attempt contact with the victim through a safe route",
    "Review the perpetrator's licence conditions",
]
FINDINGS = [
    "Three call-outs in the last six months; the perpetrator was arrested once and released on bail.",
    "Known to the service since 2021; missed the last two appointments.",
    "Tenancy in the victim's sole name; rent arrears noted.",
    "Children on a child in need plan; school reports concerns about attendance.",
]


# --- measuring ------------------------------------------------------------------------


class StatementLog:
    """Collects the SQL statements run while a capture is open (before_cursor_execute)."""

    def __init__(self) -> None:
        self.active: list[str] | None = None

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active is not None:
            self.active.append(statement)

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        self.active = []
        try:
            yield self.active
        finally:
            self.active = None


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context and database session, as in production,
    although the benchmark holds an app context open (as tests/conftest.py does)."""

    def open(self, *args, **kwargs):
        db.session.commit()  # on SQLite our own transaction would hold the write lock
        return contextvars.Context().run(super().open, *args, **kwargs)


@dataclass
class Measure:
    samples: list[float]  # seconds
    statements: int | None = None  # SQL statements in one request (the last timed one)
    note: str = ""
    target_ms: float | None = None  # median at the largest size
    target_ratio: float | None = None  # largest size / smallest size, medians


@dataclass
class SizeRun:
    """Every measure taken on one database size."""

    size: int
    measures: dict[str, Measure] = field(default_factory=dict)
    repeated: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        samples: list[float],
        statements: list[str] | None = None,
        note: str = "",
        *,
        target_ms: float | None = None,
        target_ratio: float | None = None,
    ) -> None:
        count = len(statements) if statements is not None else None
        self.measures[name] = Measure(samples, count, note, target_ms, target_ratio)
        if statements:
            self.repeated[name] = top_repeated(statements)
        med = summary(samples, 1e3)[0]
        sql = f", {count} SQL" if count is not None else ""
        print(f"  … {size_label(self.size)} {name}: {med:,.1f} ms{sql}", file=sys.stderr, flush=True)


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else f"{n:,}"


def print_table(runs: list[SizeRun]) -> None:
    """page | median and p95 at each size | SQL at each size | ratio largest/smallest | target."""
    sizes = [size_label(r.size) for r in runs]
    first, last = runs[0], runs[-1]
    head = ["page"]
    head += [f"{s} {what}" for s in sizes for what in ("median", "p95")]
    head += [f"SQL {s}" for s in sizes]
    if len(runs) > 1:
        head.append(f"ratio {sizes[-1]}/{sizes[0]}")
    head.append("target")
    lines = [head]
    for name in last.measures:
        row = [name]
        for run in runs:
            m = run.measures.get(name)
            med, p95, _ = summary(m.samples, 1e3) if m else (None, None, None)
            row += [f"{med:,.1f}", f"{p95:,.1f}"] if m else ["-", "-"]
        for run in runs:
            m = run.measures.get(name)
            row.append("" if m is None or m.statements is None else str(m.statements))
        m_last = last.measures[name]
        med_last = summary(m_last.samples, 1e3)[0]
        ratio = None
        if len(runs) > 1 and name in first.measures:
            ratio = med_last / summary(first.measures[name].samples, 1e3)[0]
            row.append(f"{ratio:.2f}")
        elif len(runs) > 1:
            row.append("-")
        wanted, verdict = [], True
        if m_last.target_ms is not None:
            wanted.append(f"≤{m_last.target_ms:,.0f} ms")
            verdict &= med_last <= m_last.target_ms
        if m_last.target_ratio is not None and ratio is not None:
            wanted.append(f"≤{m_last.target_ratio}×")
            verdict &= ratio <= m_last.target_ratio
        row.append(f"{', '.join(wanted)}: {'ok' if verdict else 'MISSED'}" if wanted else "")
        lines.append(row)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    left = {0, len(head) - 1}

    def fmt(cells) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(fmt(head))
    print("  ".join("-" * w for w in widths))
    for line in lines[1:]:
        print(fmt(line))
    print("Times in ms through the Flask test client (in-process); SQL: statements in one request.")


def print_repeated(run: SizeRun, threshold: int = 5) -> None:
    shown = {name: rows for name, rows in run.repeated.items() if rows and rows[0][0] >= threshold}
    label = size_label(run.size)
    if not shown:
        print(f"{label}: no statement ran {threshold} or more times in one request.")
        return
    print(f"{label}: statements run {threshold} or more times in one request (same SQL, different parameters):")
    for name, rows in shown.items():
        print(f"  {name}")
        for count, sql in rows:
            if count >= threshold:
                print(f"    {count:5d} × {sql}")


def _shape(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql).strip()
    param = r"(?:\?|%\(\w+\)s(?:::[A-Z]+(?: [A-Z]+)*)?)"  # SQLite ? or psycopg %(name)s::TYPE
    sql = re.sub(rf"\((?:{param}, )*{param}\)", "(…)", sql)
    select = re.match(r"SELECT (.*?) FROM (.*)$", sql)
    if select and len(select.group(1)) > 40:
        sql = f"SELECT … FROM {select.group(2)}"
    return sql if len(sql) <= 150 else sql[:147] + "..."


def top_repeated(statements: list[str], n: int = 6) -> list[tuple[int, str]]:
    counts = Counter(_shape(s) for s in statements)
    return [(c, s) for s, c in counts.most_common(n) if c > 1]


def timed_request(log: StatementLog, fn: Callable[[], object]) -> tuple[float, list[str], object]:
    with log.capture() as statements:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    return elapsed, list(statements), result


# --- loading --------------------------------------------------------------------------


@dataclass
class World:
    """The ids a run needs, kept with a cached database (as JSON)."""

    coordinator_id: int
    referrer_id: int  # an IDVA: the referral form and their 'My work'
    target_meeting_id: int
    case_page_id: int
    post_victim_ids: list[int]
    counts: dict[str, int]
    rep_id: int = 0  # the police MARAC representative: agency-scoped case visibility
    person_page_id: int = 0  # the victim of the case page (a repeat victim where there is one)
    quarter: tuple[int, int, int] | None = None  # (year, quarter, hearings): the busiest full quarter


def row_for(table: sa.Table, **values) -> dict:
    """A full row (every column present, so executemany batches agree); unknown keys fail."""
    unknown = set(values) - set(table.c.keys())
    if unknown:
        raise KeyError(f"{table.name}: no column {sorted(unknown)}")
    out = dict.fromkeys(table.c.keys())
    out.update(values)
    return out


class Loader:
    """Rows for one mapped table, inserted by bulk Core executemany in batches.

    Inserting into the mapped ``Table`` runs each column's type: encrypted columns
    encrypt (AES-256-GCM, the real key ring) and UTC datetimes are checked. Ids are
    assigned here, so rows can refer to each other before they are inserted; when
    any table's batch is full, every table is flushed in creation order (parents
    first), so foreign keys hold at each insert.
    """

    def __init__(self, model, group: list[Loader]) -> None:
        self.table: sa.Table = model.__table__
        self.group = group
        group.append(self)
        self.rows: list[dict] = []
        self.total = 0
        pk = list(self.table.primary_key.columns)
        self.next_id = None
        if len(pk) == 1 and pk[0].name == "id":
            self.next_id = (db.session.scalar(sa.select(sa.func.max(pk[0]))) or 0) + 1

    def add(self, **values) -> int | None:
        new_id = None
        if self.next_id is not None and "id" not in values:
            new_id = values["id"] = self.next_id
            self.next_id += 1
        if "row_uid" in self.table.c:
            # Encrypted values are bound to their row's uid, as the ORM does on flush.
            uid = values.setdefault("row_uid", new_row_uid())
            for key, value in values.items():
                if value is not None and isinstance(self.table.c[key].type, _Encrypted):
                    values[key] = bind_value(value, uid)
        self.rows.append(row_for(self.table, **values))
        if len(self.rows) >= BATCH:
            flush_all(self.group)
        return new_id

    def flush(self) -> None:
        if self.rows:
            db.session.execute(sa.insert(self.table), self.rows)
            self.total += len(self.rows)
            self.rows.clear()


def flush_all(group: list[Loader]) -> None:
    for loader in group:
        loader.flush()


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=UTC)


def birthday(rng: random.Random, on: date, low: int, high: int) -> date:
    return on - timedelta(days=rng.randrange(low * 365, high * 365))


def seed(app, n_cases: int, n_meetings: int, n_posts: int) -> World:
    rng = random.Random(20250317)
    today = date.today()
    factory = Factory(app)
    police = factory.agency("police", code="POL", name="Shire Police")
    idva_service = factory.agency("idva_service", code="IDVA", name="Shire IDVA Service")
    housing = factory.agency("housing", code="HOUS", name="Shire Homes")
    health = factory.agency("health", code="HLTH", name="Shire NHS Trust")
    childrens = factory.agency("children_services", code="CHS", name="Shire Children's Services")
    probation = factory.agency("probation", code="PROB", name="Shire Probation")
    csp = factory.agency("other", code="CSP", name="Shire Community Safety Partnership")
    agencies = [police, idva_service, housing, health, childrens, probation, csp]
    coordinator = factory.user("marac_coordinator", agency=csp, email="coordinator@example.org")
    idvas = [factory.user("idva", agency=idva_service) for _ in range(6)]
    reps = {a.id: factory.user("marac_rep", agency=a) for a in (police, housing, health, childrens, probation)}
    referrers = [(police, 55), (idva_service, 20), (health, 10), (childrens, 8), (housing, 7)]
    ref_agencies, ref_weights = zip(*referrers, strict=True)
    checklist_codes = dash.checklist().codes
    now = at(today)

    group: list[Loader] = []  # in foreign-key order
    people = Loader(Person, group)
    search_tokens = Loader(PersonSearchToken, group)
    meetings_ = Loader(Meeting, group)
    meeting_agency = Loader(MeetingAgency, group)
    cases_ = Loader(Case, group)
    case_agency = Loader(CaseAgency, group)
    members = Loader(CaseMember, group)
    participants = Loader(CaseParticipant, group)
    dashes = Loader(DashAssessment, group)
    referrals_ = Loader(Referral, group)
    items = Loader(AgendaItem, group)
    research = Loader(ResearchResponse, group)
    actions_ = Loader(Action, group)

    def person(on: date, creator: User, *, victim: bool = False, child: bool = False) -> int:
        given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
        dob = birthday(rng, on, 0, 16) if child else birthday(rng, on, 18, 70)
        phone = f"07700 9{rng.randrange(100000):05d}" if victim and rng.random() < 0.6 else None
        person_id = people.add(
            given_names=given,
            surname=surname,
            dob=dob,
            gender=("female" if rng.random() < 0.9 else "male") if victim else None,
            ethnicity=rng.choice(["white_british", "white_other", "asian", "black", "mixed"]) if victim else None,
            address=f"{rng.randrange(1, 200)} {rng.choice(SURNAMES)} Road, Shiretown" if victim else None,
            postcode=f"SH{rng.randrange(1, 20)} {rng.randrange(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}",
            phone=phone,
            bi_surname_dob=surname_dob_index(surname, dob),
            bi_phone=phone_index(phone),
            created_by_id=creator.id,
            created_by_agency_id=creator.agency_id,
            created_for_kind="marac",
            created_at=at(on),
            updated_at=at(on),
            version_id=1,
        )
        for token in person_tokens(given, surname, None, dob):
            search_tokens.add(token=token, person_id=person_id)
        return person_id

    # Meetings: most in the past (held), a few scheduled over the next two months.
    n_future = max(3, round(n_meetings * FUTURE_DAYS / (HISTORY_DAYS + FUTURE_DAYS)))
    n_past = max(1, n_meetings - n_future)
    start = today - timedelta(days=HISTORY_DAYS)
    past_days = [start + timedelta(days=int((i + 0.5) * HISTORY_DAYS / n_past)) for i in range(n_past)]
    future_days = [today + timedelta(days=3 + int(k * (FUTURE_DAYS - 3) / n_future)) for k in range(n_future)]
    meeting_ids: list[int] = []
    for i, day in enumerate(past_days + future_days):
        held = day < today
        meeting_id = meetings_.add(
            kind="marac",
            starts_at=at(day, 10 if i % 2 else 13, 0 if i % 2 else 30),
            venue=VENUES[i % len(VENUES)],
            chair_user_id=coordinator.id,
            status="held" if held else "scheduled",
            created_by_id=coordinator.id,
            created_at=at(day - timedelta(days=42)),
            updated_at=at(day),
            version_id=1,
        )
        meeting_ids.append(meeting_id)
        for a in agencies:
            meeting_agency.add(meeting_id=meeting_id, agency_id=a.id)
    target_index = n_past + min(range(n_future), key=lambda k: abs((future_days[k] - today).days - 14))
    target_id = meeting_ids[target_index]
    target_day = future_days[target_index - n_past]

    # Cases in referral-date order; the newest are not yet listed, the 40 before them are on the target.
    n_recent = max(5, n_cases // 200)
    first_target = max(0, n_cases - n_recent - TARGET_CASES)
    first_recent = max(0, n_cases - n_recent)
    ref_counter: Counter[int] = Counter()
    case_dates: list[date] = []
    case_people: list[tuple[int, int]] = []
    case_ids: list[int] = []
    case_refs: list[str] = []
    positions: Counter[int] = Counter()
    heard_items: list[tuple[int, int, date]] = []  # (case id, meeting id, meeting day)
    target_items: list[tuple[int, int]] = []  # (agenda item id, case id)
    repeat_case_ids: list[int] = []
    restricted_ids: set[int] = set()
    victim_of: dict[int, int] = {}  # case id -> victim id
    hearings: Counter[tuple[int, int]] = Counter()  # (year, quarter) -> agenda items heard
    lo = 0
    for i in range(n_cases):
        referral_date = start + timedelta(days=int(i * (HISTORY_DAYS - 1) / max(1, n_cases - 1)))
        agency = rng.choices(ref_agencies, ref_weights)[0]
        referrer = rng.choice(idvas) if agency is idva_service else reps[agency.id]
        while case_dates and case_dates[lo] < referral_date - timedelta(days=365):
            lo += 1
        repeat_of = rng.randrange(lo, i) if i > lo and rng.random() < 0.25 else None
        if repeat_of is not None:
            victim_id, perp_id = case_people[repeat_of]
            if rng.random() < 0.2:
                perp_id = person(referral_date, referrer)
        else:
            victim_id = person(referral_date, referrer, victim=True)
            perp_id = person(referral_date, referrer)
        case_dates.append(referral_date)
        case_people.append((victim_id, perp_id))
        ref_counter[referral_date.year] += 1
        reference = f"MARAC-{referral_date.year}-{ref_counter[referral_date.year]:05d}"
        case_refs.append(reference)

        # Where it was heard, and what became of it.
        meeting_id = meeting_day = None
        if i >= first_recent:
            status, closed_on, closure = rng.choice(["submitted", "accepted"]), None, None
        elif i >= first_target:
            status, closed_on, closure = "listed", None, None
            meeting_id, meeting_day = target_id, target_day
        else:
            k = min(bisect.bisect_left(past_days, referral_date + timedelta(days=3)), n_past - 1)
            meeting_id, meeting_day = meeting_ids[k], past_days[k]
            status, closed_on, closure = "heard", None, None
            if referral_date < today - timedelta(days=365):
                closed_on = min(today - timedelta(days=1), meeting_day + timedelta(days=rng.randrange(30, 300)))
                status, closure = "closed", "Risk reduced; no further MARAC involvement"
                if rng.random() < 0.03:
                    status, closure = "transferred_out", "Transferred to Northshire MARAC"
        restricted = rng.random() < 0.005
        case_id = cases_.add(
            reference=reference,
            kind="marac",
            status=status,
            opened_on=referral_date,
            closed_on=closed_on,
            closure_reason=closure,
            lead_agency_id=agency.id,
            lead_user_id=referrer.id,
            is_restricted=restricted,
            created_by_id=referrer.id,
            created_at=at(referral_date),
            updated_at=at(closed_on or referral_date),
            version_id=1,
        )
        case_ids.append(case_id)
        victim_of[case_id] = victim_id
        shared = {idva_service.id} | ({a.id for a in agencies} if meeting_id else set())
        for agency_id in sorted(shared - {agency.id}):
            case_agency.add(case_id=case_id, agency_id=agency_id)
        if restricted:
            restricted_ids.add(case_id)
            members.add(case_id=case_id, user_id=referrer.id)
        participants.add(case_id=case_id, person_id=victim_id, role="victim")
        participants.add(
            case_id=case_id, person_id=perp_id, role="perpetrator", relationship_to_victim=rng.choice(RELATIONSHIPS)
        )
        if rng.random() < 0.3:
            child_id = person(referral_date, referrer, child=True)
            participants.add(
                case_id=case_id,
                person_id=child_id,
                role="child",
                relationship_to_victim="Daughter" if rng.random() < 0.5 else "Son",
                details={"school": f"{rng.choice(SURNAMES)} Primary School"},
            )

        # The referral, its criteria and (usually) a DASH.
        dash_id, score = None, None
        if rng.random() < 0.75:
            score = rng.randrange(14, 22)
            yes = set(rng.sample(range(len(checklist_codes)), score))
            dash_id = dashes.add(
                person_id=victim_id,
                case_id=case_id,
                tool="SafeLives Dash RIC",
                tool_version="2015",
                completed_on=referral_date - timedelta(days=rng.randrange(0, 4)),
                assessor_id=referrer.id,
                assessor_agency_id=agency.id,
                answers={
                    c: {"answer": "yes" if n in yes else "no", "note": None} for n, c in enumerate(checklist_codes)
                },
                score=score,
                score_level="high",
                final_level="high",
                created_at=at(referral_date),
                updated_at=at(referral_date),
            )
        judgement = dash_id is None and rng.random() < 0.5
        incidents = rng.randrange(3, 9) if dash_id is None and not judgement else rng.choice([None, 1, 2, 4])
        transfer_in = rng.random() < 0.02
        listed_as = "transfer_in" if transfer_in else ("repeat" if repeat_of is not None else "new")
        referrals_.add(
            case_id=case_id,
            victim_id=victim_id,
            referral_date=referral_date,
            incident_date=referral_date - timedelta(days=rng.randrange(0, 10)),
            referring_agency_id=agency.id,
            referrer_id=referrer.id,
            referrer_name=referrer.display_name,
            referrer_email=referrer.email,
            dash_id=dash_id,
            crit_visible_high_risk=dash_id is not None,
            crit_professional_judgement=judgement,
            judgement_reason="Escalating controlling behaviour and threats to kill" if judgement else None,
            crit_escalation=(incidents or 0) >= 3,
            incidents_12_months=incidents,
            crit_repeat=repeat_of is not None,
            repeat_of_case_id=case_ids[repeat_of] if repeat_of is not None else None,
            repeat_confirmed=True if repeat_of is not None and status != "submitted" else None,
            previous_marac_date=case_dates[repeat_of] if repeat_of is not None else None,
            previous_reference=case_refs[repeat_of] if repeat_of is not None else None,
            victim_aware="yes" if rng.random() < 0.8 else "no",
            consent="yes" if rng.random() < 0.7 else "no",
            consent_override_reason="Risk of serious harm outweighs the lack of consent",
            victim_fears="Her partner, and his brother who lives nearby",
            safe_to_call=rng.random() < 0.6,
            safe_contact="Mobile after 6 pm; do not leave messages",
            summary="Assault with strangulation at the home address; children present. Victim fears for her life.",
            transfer_in=transfer_in,
            transfer_from_area="Westshire MARAC" if transfer_in else None,
            transfer_in_date=referral_date if transfer_in else None,
            transfer_out_date=closed_on if status == "transferred_out" else None,
            transfer_out_area="Northshire MARAC" if status == "transferred_out" else None,
            idva_user_id=rng.choice(idvas).id if rng.random() < 0.85 else None,
            created_at=at(referral_date),
            updated_at=at(closed_on or referral_date),
            version_id=1,
        )
        if repeat_of is not None:
            repeat_case_ids.append(case_id)

        if meeting_id is not None:
            positions[meeting_id] += 1
            heard = meeting_id != target_id
            outcome = rng.choices(["actions_agreed", "no_further_action", "deferred"], [80, 15, 5])[0]
            item_id = items.add(
                meeting_id=meeting_id,
                case_id=case_id,
                position=positions[meeting_id],
                reason=listed_as,
                minutes="Risks discussed; agencies agreed the actions below." if heard else None,
                outcome=outcome if heard else None,
                created_at=at(referral_date),
                updated_at=at(meeting_day),
                version_id=1,
            )
            if heard:
                hearings[meeting_day.year, (meeting_day.month - 1) // 3 + 1] += 1
            if heard and outcome == "actions_agreed":
                heard_items.append((case_id, meeting_id, meeting_day))
            if not heard:
                target_items.append((item_id, case_id))

    # Research received for the target meeting: about half the agencies per case so far.
    for item_id, _ in target_items:
        for a in agencies:
            if rng.random() < 0.5:
                research.add(
                    agenda_item_id=item_id,
                    agency_id=a.id,
                    user_id=(reps.get(a.id) or coordinator).id,
                    no_trace=rng.random() < 0.3,
                    findings=rng.choice(FINDINGS),
                    risks="Perpetrator has access to the victim's new address.",
                    created_at=now,
                    updated_at=now,
                    version_id=1,
                )

    # Actions agreed at earlier meetings: most done, recent ones often open, some overdue.
    n_actions = max(50, n_cases // 5)
    for _ in range(n_actions if heard_items else 0):
        case_id, meeting_id, meeting_day = rng.choice(heard_items)
        due = meeting_day + timedelta(days=rng.randrange(14, 57))
        if due < today - timedelta(days=180):
            weights = {"done": 90, "not_done": 4, "cancelled": 3, "open": 3}
        elif due < today:
            weights = {"done": 60, "open": 25, "not_done": 15}
        else:
            weights = {"open": 80, "done": 20}
        status = rng.choices(list(weights), list(weights.values()))[0]
        assigned = rng.choice(agencies[:-1])
        actions_.add(
            case_id=case_id,
            meeting_id=meeting_id,
            assigned_agency_id=assigned.id,
            description=rng.choice(ACTIONS),
            due_on=due,
            status=status,
            not_done_reason=rng.choice(["circumstances_changed", "agency_not_done"]) if status == "not_done" else None,
            completed_at=at(min(due, today)) if status == "done" else None,
            created_by_id=coordinator.id,
            created_at=at(meeting_day),
            updated_at=at(min(due, today)),
            version_id=1,
        )

    # Victims for the referral form: recorded by the IDVA service, not yet in any case.
    idva = idvas[0]
    post_victims = [person(today, idva, victim=True) for _ in range(n_posts + 1)]

    flush_all(group)
    db.session.execute(
        sa.insert(ReferenceCounter), [{"kind": "marac", "year": y, "last": n} for y, n in sorted(ref_counter.items())]
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        reset_sequences()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()

    on_target = [case_id for _, case_id in target_items if case_id not in restricted_ids]
    case_page = next((c for c in repeat_case_ids if c in on_target), on_target[0])
    overdue = db.session.scalar(
        sa.select(sa.func.count()).select_from(Action).where(Action.status == "open", Action.due_on < today)
    )
    outstanding = db.session.scalar(
        sa.select(sa.func.count()).select_from(Action).where(Action.status.in_(("open", "not_done")))
    )
    this_quarter = (today.year, (today.month - 1) // 3 + 1)
    full_quarters = {q: n for q, n in hearings.items() if q < this_quarter}
    busiest = max(full_quarters, key=full_quarters.__getitem__) if full_quarters else None
    return World(
        rep_id=reps[police.id].id,
        person_page_id=victim_of[case_page],
        quarter=(*busiest, full_quarters[busiest]) if busiest else None,
        coordinator_id=coordinator.id,
        referrer_id=idva.id,
        target_meeting_id=target_id,
        case_page_id=case_page,
        post_victim_ids=post_victims,
        counts={
            "people": people.total,
            "cases": cases_.total,
            "case links": case_agency.total,
            "participants": participants.total,
            "DASH": dashes.total,
            "meetings": meetings_.total,
            "agenda items": items.total,
            "on target": len(target_items),
            "research": research.total,
            "actions": actions_.total,
            "outstanding": outstanding,
            "overdue": overdue,
        },
    )


# --- the cached databases -------------------------------------------------------------


def meetings_for(n_cases: int) -> int:
    return max(4, n_cases // 10)


def migration_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return "+".join(sorted(ScriptDirectory.from_config(cfg).get_heads()))


def read_meta(uri: str) -> dict | None:
    """The build record kept in the database, or None when there is none."""
    engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(META.name):
                return None
            value = conn.scalar(sa.select(META.c.value).where(META.c.name == "marac"))
            return json.loads(value) if value else None
    finally:
        engine.dispose()


def stale(meta: dict | None, size: int, head: str, max_age_days: int) -> str | None:
    """Why a cached database cannot be used, or None when it can."""
    if meta is None:
        return "not built"
    if meta.get("seed_version") != SEED_VERSION or meta.get("size") != size:
        return f"seed version {meta.get('seed_version')}, now {SEED_VERSION}"
    if meta.get("head") != head:
        return f"migration {meta.get('head')}, now {head}"
    age = (date.today() - date.fromisoformat(meta["built_on"])).days
    if age > max_age_days:
        return f"built {age} days ago (dates are relative to the build day)"
    return None


def build(uri: str, size: int, head: str) -> dict:
    """Migrate an empty database, load ``size`` cases and record the build in it."""
    keyring = json.dumps(new_keyring().to_dict())
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri, "KEYRING_JSON": keyring})
    print(f"Building {size:,} cases (migrations, then bulk load)…", file=sys.stderr, flush=True)
    migrate(app)
    with app.app_context():
        t0 = time.perf_counter()
        world = seed(app, size, meetings_for(size), POST_VICTIMS)
        meta = {
            "seed_version": SEED_VERSION,
            "size": size,
            "head": head,
            "built_on": date.today().isoformat(),
            "load_s": round(time.perf_counter() - t0, 1),
            # Synthetic data only: the key ring is kept beside it so later runs can read it.
            "keyring": keyring,
            "world": asdict(world),
        }
        META.create(db.session.connection(), checkfirst=True)
        db.session.execute(sa.insert(META), [{"name": "marac", "value": json.dumps(meta)}])
        db.session.commit()
        print(f"  … loaded in {meta['load_s']:.1f} s: {describe(world.counts)}", file=sys.stderr, flush=True)
        db.session.remove()
        db.engine.dispose()
    return meta


def reset_sequences() -> None:
    """PostgreSQL: the loader chose the ids, so move each id sequence past them."""
    quote = db.engine.dialect.identifier_preparer.quote
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and isinstance(table.c.id.type, sa.Integer):
            name = quote(table.name)
            seq = db.session.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name})
            if seq:
                db.session.execute(
                    sa.text(f"SELECT setval(:seq, (SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"),
                    {"seq": seq},
                )
    db.session.commit()


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{v:,} {k}" for k, v in counts.items())


class SQLiteStore:
    """benchmarks/results/cache/marac-<size>-s<seed version>-<migration head>.db; each run
    works on a copy, so the referral forms it submits leave the cached file as built."""

    label = "SQLite"

    def __init__(self, size: int, head: str) -> None:
        self.size, self.head = size, head
        self.path = CACHE_DIR / f"marac-{size}-s{SEED_VERSION}-{head.replace('+', '_')}.db"

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} (WAL)"

    def ensure(self, rebuild: bool, max_age_days: int) -> tuple[dict, bool]:
        meta = None if rebuild or not self.path.exists() else read_meta(f"sqlite:///{self.path}")
        why = "asked to rebuild" if rebuild else stale(meta, self.size, self.head, max_age_days)
        if why is None:
            return meta, False
        print(f"SQLite {self.size:,}: building ({why})", file=sys.stderr, flush=True)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        for old in CACHE_DIR.glob(f"marac-{self.size}-*.db*"):
            old.unlink()
        building = self.path.with_suffix(".building")
        for leftover in CACHE_DIR.glob(building.name + "*"):
            leftover.unlink()
        meta = build(f"sqlite:///{building}", self.size, self.head)
        building.replace(self.path)  # the last connection closed: the WAL is checkpointed
        return meta, True

    @contextmanager
    def working_copy(self) -> Iterator[str]:
        with tempfile.TemporaryDirectory(prefix="casework-bench-marac-") as tmp:
            copy = Path(tmp) / "bench.db"
            shutil.copyfile(self.path, copy)
            yield f"sqlite:///{copy}"

    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6


class PostgresStore:
    """Database casework_bench_<size> on the BENCH_DATABASE_URL server, kept between runs;
    each run works on a copy made from it as a template (dropped afterwards)."""

    label = "PostgreSQL"

    def __init__(self, url: str, size: int, head: str) -> None:
        self.server = sa.make_url(url)
        self.size, self.head = size, head
        self.name = f"casework_bench_{size}"

    def uri(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def admin(self) -> sa.Engine:
        return sa.create_engine(
            self.uri(self.server.database), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )

    def exists(self, conn, name: str) -> bool:
        return bool(conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))

    def version(self) -> str:
        engine = self.admin()
        with engine.connect() as conn:
            version = conn.scalar(sa.text("SHOW server_version"))
        engine.dispose()
        return f"PostgreSQL {version.split()[0]}"

    def ensure(self, rebuild: bool, max_age_days: int) -> tuple[dict, bool]:
        engine = self.admin()
        with engine.connect() as conn:
            present = self.exists(conn, self.name)
        meta = read_meta(self.uri(self.name)) if present and not rebuild else None
        why = "asked to rebuild" if rebuild else stale(meta, self.size, self.head, max_age_days)
        if why is None:
            engine.dispose()
            return meta, False
        print(f"PostgreSQL {self.size:,}: building {self.name} ({why})", file=sys.stderr, flush=True)
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        engine.dispose()
        return build(self.uri(self.name), self.size, self.head), True

    @contextmanager
    def working_copy(self) -> Iterator[str]:
        copy = f"{self.name}_run"
        engine = self.admin()
        with engine.connect() as conn:
            strategy = " STRATEGY FILE_COPY" if int(conn.scalar(sa.text("SHOW server_version_num"))) >= 150000 else ""
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{copy}" TEMPLATE "{self.name}"{strategy}'))
        try:
            yield self.uri(copy)
        finally:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
            engine.dispose()

    def size_mb(self) -> float:
        engine = self.admin()
        with engine.connect() as conn:
            size = conn.scalar(sa.text("SELECT pg_database_size(:n)"), {"n": self.name})
        engine.dispose()
        return size / 1e6


# --- measures -------------------------------------------------------------------------


def get_ok(client, url: str, mimetype: str = "text/html"):
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
    assert resp.mimetype == mimetype, (url, resp.mimetype)
    return resp


def bench_pages(run: SizeRun, log: StatementLog, world: World, clients: dict, repeat: int) -> None:
    """The pages people open all day: target median ≤ 15 ms at the largest size, ≤ 1.3× the smallest."""
    pages = [
        ("case list (coordinator)", "coordinator", "/marac/cases", "open cases, 25 a page"),
        ("case list (police rep)", "rep", "/marac/cases", "agency-scoped visibility"),
        ("case page", "coordinator", f"/marac/cases/{world.case_page_id}", "a repeat case on the target"),
        ("dashboard", "coordinator", "/marac/", ""),
        ("person page (victim)", "coordinator", f"/people/{world.person_page_id}", "the case page's victim"),
        ("My work (coordinator)", "coordinator", "/", ""),
        ("My work (IDVA)", "idva", "/", ""),
        ("actions, overdue", "coordinator", "/marac/actions?overdue=y", "coordinator, 50 a page"),
        (
            "running order (chair)",
            "coordinator",
            f"/marac/meetings/{world.target_meeting_id}/running-order/1",
            "first of the 40 listed cases",
        ),
    ]
    for name, who, url, note in pages:
        client = clients[who]

        def get(client=client, url=url):
            return get_ok(client, url)

        get()
        get()
        gc.collect()
        samples, statements = [], []
        for _ in range(repeat):
            elapsed, statements, _resp = timed_request(log, get)
            samples.append(elapsed)
        if name.startswith("running order"):  # its own target: under 50 ms
            run.add(name, samples, statements, note, target_ms=SEARCH_TARGET_MS, target_ratio=None)
        else:
            run.add(name, samples, statements, note, target_ms=PAGE_TARGET_MS, target_ratio=PAGE_TARGET_RATIO)


def bench_search(run: SizeRun, log: StatementLog, clients: dict, repeat: int) -> None:
    """People search through the blind tokens: a common partial name (many candidates, capped
    at a page), and a partial name with a date of birth. Target: median under 50 ms."""
    client = clients["coordinator"]
    token = csrf_token(get_ok(client, "/people/").text)
    searches = [
        ("people search: 'Sam Smi'", {"name": "Sam Smi"}, "common names: capped at 50, exact first"),
        ("people search: 'Tay' + date of birth", {"name": "Tay", "dob": "1985-06-15"}, "narrowed by date of birth"),
    ]
    for name, fields, note in searches:

        def post(fields=fields):
            resp = client.post("/people/", data={"csrf_token": token, **fields})
            assert resp.status_code == 200, (fields, resp.status_code, resp.text[:300])
            return resp

        post()
        samples, statements = [], []
        for _ in range(repeat):
            elapsed, statements, _resp = timed_request(log, post)
            samples.append(elapsed)
        run.add(name, samples, statements, note, target_ms=SEARCH_TARGET_MS, target_ratio=None)


def bench_agenda(run: SizeRun, log: StatementLog, world: World, client, repeat: int) -> None:
    """The 40-case agenda: HTML and PDF together under 1 s."""
    meeting_id = world.target_meeting_id
    html_url = f"/marac/meetings/{meeting_id}/agenda"
    pdf_url = f"/marac/meetings/{meeting_id}/agenda.pdf"

    # The service alone, in a fresh session each time (no identity-map help between runs).
    samples, statements, pdf_samples = [], [], []
    doc = None
    for i in range(repeat + 1):
        db.session.remove()
        user = db.session.get(User, world.coordinator_id)
        meeting = db.session.get(Meeting, meeting_id)
        elapsed, statements, doc = timed_request(log, lambda u=user, m=meeting: agenda.build(u, m))
        start = time.perf_counter()
        agenda.agenda_pdf(doc)
        if i:
            samples.append(elapsed)
            pdf_samples.append(time.perf_counter() - start)
    rows = len(doc.rows)
    run.add("agenda.build (service only)", samples, statements, f"{len(doc.outstanding)} outstanding actions")
    run.add("agenda_pdf(doc) (fpdf2 only)", pdf_samples, None, "from a built AgendaDoc")
    db.session.remove()

    for _ in range(2):  # warm up: template compilation, font loading
        get_ok(client, html_url)
        get_ok(client, pdf_url, "application/pdf")
    html, pdf, both = [], [], []
    html_sql = pdf_sql = []
    size = 0
    for _ in range(repeat):
        t_html, html_sql, resp = timed_request(log, lambda: get_ok(client, html_url))
        assert resp.text.count("MARAC-") >= rows, "agenda rows missing"
        t_pdf, pdf_sql, resp = timed_request(log, lambda: get_ok(client, pdf_url, "application/pdf"))
        size = len(resp.data)
        html.append(t_html)
        pdf.append(t_pdf)
        both.append(t_html + t_pdf)
    run.add(f"agenda HTML ({rows} cases)", html, html_sql, "build + template + audit")
    run.add("agenda PDF", pdf, pdf_sql, f"{size / 1024:.0f} KiB")
    run.add("agenda HTML + PDF", both, None, target_ms=AGENDA_TARGET_MS)


def bench_quarterly(run: SizeRun, log: StatementLog, world: World, client, repeat: int) -> None:
    """The quarterly return as a CSV download for the busiest quarter: under 1 s, and
    peak memory growth under 20 MiB (tracemalloc, in a separate untimed request)."""
    if world.quarter is None:
        run.notes.append("quarterly return: no full quarter in the data")
        return
    year, quarter, hearings = world.quarter
    url = f"/reports/marac/quarterly?kind=calendar_quarter&year={year}&quarter={quarter}&format=csv"

    def get():
        return get_ok(client, url, "text/csv")

    get()
    samples, statements = [], []
    resp = None
    for _ in range(max(3, repeat // 3)):
        elapsed, statements, resp = timed_request(log, get)
        samples.append(elapsed)
    lines = resp.text.count("\n") - 1
    tracemalloc.start()
    try:
        get()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = peak / 2**20
    run.add(
        "quarterly return CSV",
        samples,
        statements,
        f"{year} Q{quarter}: {hearings:,} hearings, {lines} CSV rows, peak +{growth:.1f} MiB",
        target_ms=QUARTERLY_TARGET_MS,
    )
    verdict = "ok" if growth < QUARTERLY_TARGET_MIB else "MISSED"
    run.notes.append(
        f"quarterly return {year} Q{quarter}: {hearings:,} hearings, {lines} CSV rows; peak memory growth "
        f"{growth:.1f} MiB (tracemalloc; target < {QUARTERLY_TARGET_MIB} MiB: {verdict})"
    )


def bench_referral(run: SizeRun, log: StatementLog, world: World, client, posts: int) -> None:
    today = date.today().isoformat()
    victims = world.post_victim_ids[: posts + 1]
    token = csrf_token(client.get(f"/marac/referrals/new/{victims[0]}").text)
    samples, statements = [], []
    for i, victim_id in enumerate(victims):
        data = {
            "csrf_token": token,
            "referral_date": today,
            "incident_date": today,
            "referrer_name": "Bench IDVA",
            "referrer_phone": "01632 960000",
            "dash_id": "",
            "incidents_12_months": "4",
            "victim_aware": "yes",
            "consent": "yes",
            "safe_to_call": "yes",
            "safe_contact": "Mobile, mornings only",
            "summary": "Third police call-out this year; threats made in front of the children.",
            "victim_fears": "Her ex-partner",
            "gender": "female",
            "perp_given_names": "Bench",
            "perp_surname": f"Perpetrator{i:04d}",
            "perp_dob": "1984-07-12",
            "perp_relationship": "Ex-partner",
        }
        url = f"/marac/referrals/new/{victim_id}"
        elapsed, stmts, resp = timed_request(log, lambda url=url, data=data: client.post(url, data=data))
        assert resp.status_code == 302 and "/marac/cases/" in resp.headers["Location"], (
            resp.status_code,
            resp.text[:500],
        )
        if i:  # the first includes one-off start-up work
            samples.append(elapsed)
            statements = stmts
    run.add("referral POST (IDVA)", samples, statements, "new victim + perpetrator, escalation")


def bench_size(store, args) -> SizeRun:
    """Build or reuse one size, then time every page on a working copy of it."""
    t0 = time.perf_counter()
    meta, built = store.ensure(args.rebuild, args.max_age_days)
    world = World(**meta["world"])
    run = SizeRun(store.size)
    how = f"built in {time.perf_counter() - t0:.0f} s" if built else f"cached, built {meta['built_on']}"
    run.notes.append(f"data ({how}, {store.size_mb():,.0f} MB): {describe(world.counts)}")
    log = StatementLog()
    with store.working_copy() as uri:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri, "KEYRING_JSON": meta["keyring"]})
        app.test_client_class = IsolatedClient
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", log)
            clients = {}
            for who, user_id in (
                ("coordinator", world.coordinator_id),
                ("rep", world.rep_id),
                ("idva", world.referrer_id),
            ):
                clients[who] = app.test_client()
                login(clients[who], db.session.get(User, user_id))
            bench_pages(run, log, world, clients, args.repeat)
            bench_search(run, log, clients, args.repeat)
            bench_agenda(run, log, world, clients["coordinator"], args.repeat)
            bench_quarterly(run, log, world, clients["coordinator"], args.repeat)
            bench_referral(run, log, world, clients["idva"], args.posts)
            sa.event.remove(db.engine, "before_cursor_execute", log)
            db.session.remove()
            db.engine.dispose()
    return run


def bench_database(make_store, sizes: list[int], args) -> None:
    started = time.perf_counter()
    stores = [make_store(size) for size in sizes]
    runs = [bench_size(store, args) for store in stores]
    print()
    print(
        f"casework MARAC benchmark, {stores[0].label}: {stores[0].version()}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {args.repeat} timed runs a page"
    )
    for run in runs:
        for note in run.notes:
            print(f"  {size_label(run.size)} {note}")
    print()
    print_table(runs)
    print()
    for run in runs:
        print_repeated(run)
    print(f"({stores[0].label} total {time.perf_counter() - started:.0f} s)")


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.marac", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="MARAC cases in each database, comma-separated (default 10000,100000)"
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each page (default 15)")
    parser.add_argument(
        "--posts", type=int, default=15, help=f"referral forms to submit (default 15, at most {POST_VICTIMS - 1})"
    )
    parser.add_argument(
        "--databases",
        default=None,
        help="sqlite and/or postgresql (default sqlite, then postgresql when BENCH_DATABASE_URL is set)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached databases even if current")
    parser.add_argument(
        "--max-age-days", type=int, default=7, help="rebuild a cached database older than this (default 7)"
    )
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes: comma-separated whole numbers")
    if not sizes or sizes[0] < TARGET_CASES + 5 or args.repeat < 1 or not 1 <= args.posts < POST_VICTIMS:
        parser.error(f"need sizes of at least {TARGET_CASES + 5} cases, repeat ≥ 1 and 1 ≤ posts < {POST_VICTIMS}")
    url = os.environ.get("BENCH_DATABASE_URL")
    wanted = args.databases or ("sqlite,postgresql" if url else "sqlite")
    databases = [d.strip() for d in wanted.split(",") if d.strip()]
    if set(databases) - {"sqlite", "postgresql"}:
        parser.error("--databases: sqlite and/or postgresql")
    if "postgresql" in databases and not url:
        parser.error("postgresql needs BENCH_DATABASE_URL (postgresql+psycopg://user@host:port/any_database)")

    head = migration_head()
    for name in databases:
        if name == "sqlite":
            bench_database(lambda n: SQLiteStore(n, head), sizes, args)
        else:
            bench_database(lambda n: PostgresStore(url, n, head), sizes, args)
        if name != databases[-1]:
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
