"""MARAC figures on a throwaway SQLite database built by running the migrations.

    python -m benchmarks.marac [--cases N] [--meetings M] [--repeat R] [--posts P]

Loads a realistic volume (default 20,000 MARAC cases and 2,000 meetings) with bulk
SQLAlchemy Core inserts into the mapped tables, so every personal value still goes
through the encrypted column types and the blind indexes are the real ones. Each case
has a victim and a perpetrator (some victims are repeats, some cases have a child), a
referral (most with a DASH), and is listed on one meeting (about 10 a meeting); one
target meeting has 40 cases listed, with research from the agencies; actions from the
earlier meetings, some overdue.

Then prints a table (median, p95 and min over several runs; nothing is asserted):
- agenda HTML for the 40-case meeting: ``agenda.build`` alone, then GET
  /marac/meetings/<id>/agenda through the Flask test client as a signed-in coordinator;
- agenda PDF for the same meeting, and HTML + PDF together (target < 1 s);
- the coordinator's overdue actions, the MARAC case list and a case page;
- a referral form submitted by an IDVA (new victim, escalation criterion).

Each row shows the SQL statements the request ran (a ``before_cursor_execute``
listener), and the statements repeated within one request are listed after the
table, so an N+1 query shows up as a large count.
"""

from __future__ import annotations

import argparse
import bisect
import contextvars
import os
import platform
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient

from benchmarks.core import GIVEN, SURNAMES, make_app, migrate, summary
from casework.core.crypto import new_row_uid
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
    ReferenceCounter,
    User,
)
from casework.core.models.people import phone_index, surname_dob_index
from casework.core.types import _Encrypted, bind_value
from casework.extensions import db
from casework.marac import agenda, dash
from casework.marac.models import DashAssessment, Referral, ResearchResponse
from tests.helpers import Factory, csrf_token, login

TARGET_CASES = 40
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
class Row:
    name: str
    samples: list[float]
    statements: int | None = None
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    repeated: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def add(self, name: str, samples: list[float], statements: list[str] | None = None, note: str = "") -> None:
        self.rows.append(Row(name, samples, len(statements) if statements is not None else None, note))
        if statements:
            self.repeated[name] = top_repeated(statements)
        med = summary(samples, 1e3)[0]
        sql = f", {len(statements)} SQL" if statements is not None else ""
        print(f"  … {name}: {med:,.1f} ms{sql}", file=sys.stderr, flush=True)

    def print(self) -> None:
        head = ("measure", "median", "p95", "min", "unit", "SQL/req", "notes")
        lines = [head]
        for r in self.rows:
            med, p95, low = summary(r.samples, 1e3)
            sql = "" if r.statements is None else str(r.statements)
            lines.append(
                (r.name, f"{med:,.1f}", f"{p95:,.1f}", f"{low:,.1f}", "ms", sql, f"n={len(r.samples)} {r.note}".strip())
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        left = {0, 4, 6}

        def fmt(cells) -> str:
            return "  ".join(
                c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        print(fmt(head))
        print("  ".join("-" * w for w in widths))
        for line in lines[1:]:
            print(fmt(line))

    def print_repeated(self, threshold: int = 5) -> None:
        shown = {name: rows for name, rows in self.repeated.items() if rows and rows[0][0] >= threshold}
        if not shown:
            print("No statement ran more than once per request.")
            return
        print(f"Statements run {threshold} or more times in one request (same SQL, different parameters):")
        for name, rows in shown.items():
            print(f"  {name}")
            for count, sql in rows:
                if count >= threshold:
                    print(f"    {count:5d} × {sql}")


def _shape(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql).strip()
    sql = re.sub(r"\((?:\?, )*\?\)", "(…)", sql)
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
    coordinator_id: int
    referrer_id: int
    target_meeting_id: int
    case_page_id: int
    post_victim_ids: list[int]
    counts: dict[str, int]


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
        return people.add(
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
    return World(
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


# --- measures -------------------------------------------------------------------------


def bench_agenda(app, report: Report, log: StatementLog, world: World, client, repeat: int) -> None:
    meeting_id = world.target_meeting_id
    html_url = f"/marac/meetings/{meeting_id}/agenda"
    pdf_url = f"/marac/meetings/{meeting_id}/agenda.pdf"

    # The service alone, in a fresh session each time (no identity-map help between runs).
    samples, statements, pdf_samples, pdf_cases_samples = [], [], [], []
    doc = None
    for i in range(repeat + 1):
        db.session.remove()
        user = db.session.get(User, world.coordinator_id)
        meeting = db.session.get(Meeting, meeting_id)
        elapsed, statements, doc = timed_request(log, lambda u=user, m=meeting: agenda.build(u, m))
        start = time.perf_counter()
        agenda.agenda_pdf(doc)
        pdf_elapsed = time.perf_counter() - start
        start = time.perf_counter()
        agenda.agenda_pdf(replace(doc, outstanding=[]))
        pdf_cases_elapsed = time.perf_counter() - start
        if i:
            samples.append(elapsed)
            pdf_samples.append(pdf_elapsed)
            pdf_cases_samples.append(pdf_cases_elapsed)
    rows = len(doc.rows)
    report.add(
        "agenda.build (service only)",
        samples,
        statements,
        f"{rows} cases, {len(doc.outstanding)} outstanding actions",
    )
    report.add("agenda_pdf(doc) (fpdf2 only)", pdf_samples, None, "from a built AgendaDoc")
    report.add(
        "agenda_pdf(doc), cases table only",
        pdf_cases_samples,
        None,
        f"the same without the {len(doc.outstanding)} outstanding actions",
    )
    db.session.remove()

    def get(url: str, mimetype: str):
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
        assert resp.mimetype == mimetype, resp.mimetype
        return resp

    for _ in range(2):  # warm up: template compilation, font loading
        get(html_url, "text/html")
        get(pdf_url, "application/pdf")
    html, pdf, both = [], [], []
    html_sql = pdf_sql = []
    size = 0
    for _ in range(repeat):
        t_html, html_sql, resp = timed_request(log, lambda: get(html_url, "text/html"))
        assert resp.text.count("MARAC-") >= rows, "agenda rows missing"
        t_pdf, pdf_sql, resp = timed_request(log, lambda: get(pdf_url, "application/pdf"))
        size = len(resp.data)
        html.append(t_html)
        pdf.append(t_pdf)
        both.append(t_html + t_pdf)
    report.add(f"(1) GET agenda HTML ({rows} cases)", html, html_sql, "build + template + audit")
    report.add("(2) GET agenda PDF", pdf, pdf_sql, f"{size / 1024:.0f} KiB")
    report.add("(3) agenda HTML + PDF", both, None, "target < 1 s together")


def bench_pages(report: Report, log: StatementLog, world: World, client, repeat: int) -> None:
    pages = [
        ("(4) GET /marac/actions?overdue=y", "/marac/actions?overdue=y", "coordinator, 50 a page"),
        ("(5) GET /marac/cases", "/marac/cases", "open cases, 25 a page"),
        ("(6) GET /marac/cases/<id>", f"/marac/cases/{world.case_page_id}", "a repeat case on the target"),
    ]
    for name, url, note in pages:

        def get(url=url):
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
            return resp

        get()
        get()
        samples, statements = [], []
        for _ in range(repeat):
            elapsed, statements, _resp = timed_request(log, get)
            samples.append(elapsed)
        report.add(name, samples, statements, note)


def bench_referral(report: Report, log: StatementLog, world: World, client, posts: int) -> None:
    today = date.today().isoformat()
    first = world.post_victim_ids[0]
    token = csrf_token(client.get(f"/marac/referrals/new/{first}").text)
    samples, statements = [], []
    for i, victim_id in enumerate(world.post_victim_ids):
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
    report.add("(7) POST referral form", samples, statements, "IDVA, new victim + perpetrator, escalation")


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.marac", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="MARAC cases to load (default 20000)")
    parser.add_argument("--meetings", type=int, default=2_000, help="MARAC meetings to load (default 2000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each page (default 15)")
    parser.add_argument("--posts", type=int, default=15, help="referral forms to submit (default 15)")
    args = parser.parse_args(argv)
    if args.cases < TARGET_CASES + 5 or args.meetings < 4 or args.repeat < 1 or args.posts < 1:
        parser.error(f"need at least {TARGET_CASES + 5} cases, 4 meetings and positive repeat/posts counts")

    started = time.perf_counter()
    report = Report()
    log = StatementLog()
    with tempfile.TemporaryDirectory(prefix="casework-bench-marac-") as tmp:
        db_path = Path(tmp) / "bench.db"
        app = make_app(db_path)  # testing config: cheap argon2, fresh key ring
        app.test_client_class = IsolatedClient
        print("Building the benchmark database (migrations)…", file=sys.stderr, flush=True)
        migrate(app)
        with app.app_context():
            t0 = time.perf_counter()
            world = seed(app, args.cases, args.meetings, args.posts)
            load_s = time.perf_counter() - t0
            counts = ", ".join(f"{v:,} {k}" for k, v in world.counts.items())
            print(f"  … loaded in {load_s:.1f} s: {counts}", file=sys.stderr, flush=True)
            sa.event.listen(db.engine, "before_cursor_execute", log)

            coordinator = db.session.get(User, world.coordinator_id)
            coord_client = app.test_client()
            login(coord_client, coordinator)
            idva_client = app.test_client()
            login(idva_client, db.session.get(User, world.referrer_id))

            bench_agenda(app, report, log, world, coord_client, args.repeat)
            bench_pages(report, log, world, coord_client, args.repeat)
            bench_referral(report, log, world, idva_client, args.posts)

            sa.event.remove(db.engine, "before_cursor_execute", log)
            db.session.remove()
            db.engine.dispose()
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6

    print()
    print(
        f"casework MARAC benchmark: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version} (WAL), "
        f"{platform.machine()}, {os.cpu_count()} CPUs, database {size_mb:.0f} MB, loaded in {load_s:.0f} s"
    )
    print(f"Data: {counts}")
    print()
    report.print()
    print()
    report.print_repeated()
    print()
    print(f"Total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
