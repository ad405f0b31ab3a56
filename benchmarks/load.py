"""Load figures: gunicorn and PostgreSQL on loopback, 50 signed-in users working at once.

    python -m benchmarks.load [--users 50] [--cases 10000] [--duration 120] [--workers 2,4] [--wait-quiet S]
    BENCH_ADMIN_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python -m benchmarks.load

Creates a PostgreSQL database (``--database``, default casework_bench_load; dropped
first if it exists, and again at the end unless ``--keep``), runs the migrations and
loads realistic MARAC data (benchmarks/marac.py: default 10,000 cases) once, plus
enough IDVAs, agency representatives and coordinators for ``--users`` accounts, each
with its own password hash (production argon2 parameters) and TOTP secret.

Then, for each worker count in ``--workers``: starts ``gunicorn -w N wsgi:app`` on a
free port on 127.0.0.1 with the production configuration unchanged
(``CASEWORK_CONFIG=production``, a fresh key ring and secret key for the run), waits
for /healthz, and lets every user sign in over HTTP as a browser does (GET the form,
CSRF token, password, then a TOTP code computed from the user's own secret). Sign-ins
are spread over the first seconds (``--ramp``), and a user never sends a code from a
30-second step already used by the same account (codes cannot be replayed). Each user
then makes one request about every 2 s (1.5 to 2.5 s apart) until ``--duration``
seconds after the first sign-in, from this mix:

- My work (/), the MARAC case list (a page of it), a case page, a person page,
  the actions list, a meeting agenda (the next meeting, 40 cases, or a recent one);
- saves: an action's page then its form posted with a progress note (every role;
  each user has its own actions, so no save meets another's edit), and for IDVAs a
  contact with the victim logged from the case page.

Nothing is disabled for the benchmark. The server runs the production settings:
``Secure`` session cookies are only the browser's promise not to send them over plain
HTTP, so this client (not a browser) sends the cookie back itself over loopback,
where TLS would only add a reverse proxy's cost; CSRF tokens, sign-in throttling,
argon2 and TOTP replay protection all apply. Workers are gunicorn's default sync
workers, as README's deployment uses: behind a buffering reverse proxy (or on
loopback) no worker waits on a slow client, and one request a worker at a time keeps
one database connection each.

The machine's CPU use is shown just before each run (with gunicorn idle) and during
it: figures taken while other work was running understate the server, and
``--wait-quiet S`` waits up to S seconds for such work to finish before each run.

After each run gunicorn is stopped and ``flask --app wsgi audit verify`` walks the
audit chain. Prints, per worker count and request type: requests, errors, median,
p95 and p99 latency, and throughput; then both runs side by side. Any error (a
status other than the one expected, a failed save, a refused connection) is listed
with the gunicorn error log. Exits 1 if there was any error or the audit chain did
not verify. Timing targets (p95 under 500 ms) are printed as met or not, never
asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path

import pyotp
import sqlalchemy as sa

from benchmarks.core import migrate
from casework import create_app
from casework.core.crypto import new_keyring
from casework.core.models import Action, AgendaItem, Case, CaseParticipant, Meeting, User
from casework.core.policy import visible_action_clause, visible_case_clause
from casework.extensions import db
from config import BaseConfig
from tests.helpers import PASSWORD, Factory

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_P95_MS = 500
NOTES = [
    "Spoke to the housing officer; referral to the sanctuary scheme sent.",
    "Left a message with the allocated social worker; chasing next week.",
    "Safety plan shared with the GP surgery.",
    "Bail conditions checked with the officer in the case.",
]
TOKEN_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
VERSION_RE = re.compile(r'<input[^>]*name="version_id"[^>]*value="(\d+)"')


# --- data ---------------------------------------------------------------------------------


@dataclass
class LoadUser:
    """One account and what it works on: ids it may open, and actions only it saves."""

    email: str
    secret: str
    role: str
    cases: list[int]
    people: list[int]
    meetings: list[int]
    actions: list[tuple[int, str, str | None]]  # (id, status, not-done reason) as loaded
    contact_cases: list[int] = field(default_factory=list)


def database_urls(admin_url: str, name: str) -> tuple[sa.URL, sa.URL]:
    admin = sa.make_url(admin_url)
    return admin, admin.set(database=name)


def recreate_database(admin: sa.URL, name: str, *, drop_only: bool = False) -> None:
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def load_users(app, n_users: int, rng: random.Random) -> list[LoadUser]:
    """Top up the seeded accounts to ``n_users`` (IDVAs, agency representatives and a
    second coordinator), then work out what each one can open, using the app's policy."""
    factory = Factory(app)
    users = list(db.session.scalars(sa.select(User).order_by(User.id)))
    agencies = {u.agency.code: u.agency for u in users}
    extra_roles = ["marac_rep", "idva", "marac_rep", "idva", "marac_rep"]
    rep_agencies = [code for code in ("POL", "HOUS", "HLTH", "CHS", "PROB") if code in agencies]
    coordinators = sum("marac_coordinator" in u.roles for u in users)
    i = 0
    while len(users) < n_users:
        if coordinators < 2:
            user = factory.user("marac_coordinator", agency=agencies["CSP"])
            coordinators += 1
        else:
            role = extra_roles[i % len(extra_roles)]
            agency = agencies["IDVA"] if role == "idva" else agencies[rep_agencies[i % len(rep_agencies)]]
            user = factory.user(role, agency=agency)
            i += 1
        users.append(user)
    users = users[:n_users]

    upcoming = db.session.scalar(
        sa.select(Meeting.id)
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(Meeting.status == "scheduled")
        .group_by(Meeting.id)
        .order_by(sa.func.count().desc())
        .limit(1)
    )
    recent = list(
        db.session.scalars(
            sa.select(Meeting.id).where(Meeting.status == "held").order_by(Meeting.starts_at.desc()).limit(3)
        )
    )
    out = []
    visible_actions: list[list[tuple[int, str, str | None]]] = []
    for user in users:
        role = next(iter(sorted(user.roles)))
        case_ids = list(
            db.session.scalars(
                sa.select(Case.id).where(Case.kind == "marac", visible_case_clause(user)).order_by(Case.id.desc())
            )
        )
        case_ids = rng.sample(case_ids, min(200, len(case_ids)))
        people = list(
            db.session.scalars(
                sa.select(CaseParticipant.person_id).where(CaseParticipant.case_id.in_(case_ids[:100])).distinct()
            )
        )
        visible_actions.append(
            list(
                db.session.execute(
                    sa.select(Action.id, Action.status, Action.not_done_reason)
                    .join(Case, Case.id == Action.case_id)
                    .where(visible_action_clause(user, "marac"), Action.status.in_(("open", "not_done")))
                    .order_by(Action.due_on.desc())
                )
            )
        )
        contact_cases = []
        if user.can("marac.idva.casework"):
            contact_cases = list(
                db.session.scalars(
                    sa.select(Case.id)
                    .where(
                        Case.kind == "marac", Case.closed_on.is_(None), visible_case_clause(user, via_meetings=False)
                    )
                    .order_by(Case.id.desc())
                    .limit(200)
                )
            )
        out.append(
            LoadUser(
                email=user.email,
                secret=user.totp_secret,
                role=role,
                cases=case_ids,
                people=people,
                meetings=[upcoming, *recent] if upcoming else recent,
                actions=[],
                contact_cases=rng.sample(contact_cases, min(50, len(contact_cases))),
            )
        )
    # Outstanding actions dealt out in turn, up to 10 each: no two users save the same one.
    taken: set[int] = set()
    for _ in range(10):
        for user, visible in zip(out, visible_actions, strict=True):
            mine = next((a for a in visible if a[0] not in taken), None)
            if mine is not None:
                taken.add(mine[0])
                user.actions.append(tuple(mine))
    db.session.commit()
    return out


def build(admin: sa.URL, url: sa.URL, name: str, env: dict, n_cases: int, n_users: int) -> tuple[list[LoadUser], str]:
    from benchmarks.marac import seed

    recreate_database(admin, name)
    app = create_app(
        "production",
        {
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "KEYRING_JSON": env["CASEWORK_KEYRING"],
            "SECRET_KEY": env["CASEWORK_SECRET_KEY"],
        },
    )
    assert app.config["ARGON2_MEMORY_COST"] == BaseConfig.ARGON2_MEMORY_COST  # production hashes
    migrate(app)
    with app.app_context():
        t0 = time.perf_counter()
        world = seed(app, n_cases, max(4, n_cases // 10), 1)
        users = load_users(app, n_users, random.Random(20250601))
        elapsed = time.perf_counter() - t0
        counts = ", ".join(f"{v:,} {k}" for k, v in world.counts.items())
        db.session.remove()
        db.engine.dispose()
    return users, f"{counts}; {len(users)} users; loaded in {elapsed:.0f} s"


# --- the HTTP client -------------------------------------------------------------------------


class Browser:
    """One user's cookies and requests: no redirects followed, every request timed."""

    def __init__(self, port: int, record) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.record = record

    def request(self, kind: str, method: str, path: str, data: dict | None = None, expect: int = 200):
        """Returns (status, body) and records (kind, seconds, error or None)."""
        headers = {"User-Agent": "casework-bench-load"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            status = resp.status
            set_cookies = resp.headers.get_all("Set-Cookie") or []
            location = resp.headers.get("Location", "")
            request_id = resp.headers.get("X-Request-Id", "")
            conn.close()
        except OSError as exc:
            self.record(kind, time.perf_counter() - start, f"{method} {path}: {type(exc).__name__}: {exc}")
            return None, ""
        elapsed = time.perf_counter() - start
        for header in set_cookies:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        error = None
        if status != expect:
            error = f"{method} {path}: {status} (expected {expect}) {location or problem(text)}".strip()
            if status >= 500:  # the gunicorn error log names the exception with this id
                error += f" request id {request_id}"
        self.record(kind, elapsed, error)
        return status, text if status == 200 else location


def problem(html: str) -> str:
    """The page's error summary (what the form refused), as one line of text."""
    start = html.find('class="error-summary"')
    if start < 0:
        match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""
    end = html.find("</div>", start)
    summary = html[start : end if end > 0 else start + 2000]
    items = re.findall(r'<a href="#([^"]*)">(.*?)</a>', summary, re.S)
    return "; ".join(f"{name or 'form'}: {message.strip()}" for name, message in items)[:300] or "error summary"


def token(pattern: re.Pattern, html: str) -> str | None:
    match = pattern.search(html or "")
    return match.group(1) if match else None


# --- one user -------------------------------------------------------------------------------


class Steps:
    """A user's next request: pages by weight, saves as a page then its form."""

    PAGES = [("home", 10), ("case list", 15), ("case page", 25), ("person page", 10), ("actions list", 10)]

    def __init__(self, user: LoadUser, rng: random.Random) -> None:
        self.user = user
        self.rng = rng
        self.saves = 0
        weights = dict(self.PAGES)
        if not user.cases:
            weights.pop("case page")
        if not user.people:
            weights.pop("person page")
        if user.meetings:
            weights["agenda"] = 5
        if user.actions:
            weights["action save"] = 10
        if user.contact_cases:
            weights["contact save"] = 8
        self.kinds, self.weights = list(weights), list(weights.values())

    def pick(self) -> str:
        return self.rng.choices(self.kinds, self.weights)[0]


def sign_in(browser: Browser, user: LoadUser, used_steps: dict[str, int]) -> bool:
    status, page = browser.request("sign-in: GET /login", "GET", "/login")
    csrf = token(TOKEN_RE, page)
    if status != 200 or not csrf:
        return False
    status, _ = browser.request(
        "sign-in: POST password",
        "POST",
        "/login",
        {"csrf_token": csrf, "email": user.email, "password": PASSWORD},
        expect=302,
    )
    if status != 302:
        return False
    status, page = browser.request("sign-in: GET /login/code", "GET", "/login/code")
    csrf = token(TOKEN_RE, page)
    if status != 200 or not csrf:
        return False
    totp = pyotp.TOTP(user.secret)
    # A code is accepted once per account and 30-second step: wait for a fresh step.
    while totp.timecode(time.time()) <= used_steps.get(user.email, -1):
        time.sleep(0.2)
    used_steps[user.email] = totp.timecode(time.time())
    status, _ = browser.request(
        "sign-in: POST code", "POST", "/login/code", {"csrf_token": csrf, "code": totp.now()}, expect=302
    )
    return status == 302


def work(browser: Browser, user: LoadUser, steps: Steps, deadline: float, rng: random.Random) -> None:
    """One request about every 2 s (1.5 to 2.5 s apart) until the deadline."""
    next_at = time.monotonic()

    def wait() -> bool:
        nonlocal next_at
        next_at += rng.uniform(1.5, 2.5)
        if next_at >= deadline:
            return False
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.monotonic()  # running behind: go now, do not burst to catch up
        return time.monotonic() < deadline

    while wait():
        kind = steps.pick()
        if kind == "home":
            browser.request("GET / (My work)", "GET", "/")
        elif kind == "case list":
            page = rng.choice([1, 1, 1, 2, 3, rng.randrange(4, 40)])
            browser.request("GET /marac/cases", "GET", f"/marac/cases?page={page}")
        elif kind == "case page":
            browser.request("GET /marac/cases/<id>", "GET", f"/marac/cases/{rng.choice(user.cases)}")
        elif kind == "person page":
            browser.request("GET /people/<id>", "GET", f"/people/{rng.choice(user.people)}")
        elif kind == "actions list":
            query = rng.choice(["", "?overdue=y", "?status=open"])
            browser.request("GET /marac/actions", "GET", f"/marac/actions{query}")
        elif kind == "agenda":
            meeting_id = user.meetings[0] if rng.random() < 0.7 else rng.choice(user.meetings)
            browser.request("GET /marac/meetings/<id>/agenda", "GET", f"/marac/meetings/{meeting_id}/agenda")
        elif kind == "action save":
            action_id, action_status, reason = user.actions[steps.saves % len(user.actions)]
            steps.saves += 1
            url = f"/marac/actions/{action_id}"
            status, page = browser.request("GET /marac/actions/<id>", "GET", url)
            csrf, version = token(TOKEN_RE, page), token(VERSION_RE, page)
            if status != 200 or not (csrf and version) or not wait():
                continue
            data = {
                "csrf_token": csrf,
                "version_id": version,
                "status": action_status,  # unchanged: a progress note, so the action stays outstanding
                "not_done_reason": reason or "",
                "note": rng.choice(NOTES),
            }
            browser.request("POST /marac/actions/<id> (save)", "POST", url, data, expect=302)
        elif kind == "contact save":
            case_id = rng.choice(user.contact_cases)
            url = f"/marac/cases/{case_id}"
            status, page = browser.request("GET /marac/cases/<id>", "GET", url)
            csrf = token(TOKEN_RE, page)
            if status != 200 or not csrf or not wait():
                continue
            data = {
                "csrf_token": csrf,
                "contact_on": date.today().isoformat(),
                "method": rng.choice(["phone", "text", "in_person"]),
                "outcome": rng.choice(["spoke", "no_answer", "message_left"]),
                "notes": "Safe number used; safety plan reviewed.",
            }
            browser.request("POST /marac/cases/<id>/contacts (save)", "POST", f"{url}/contacts", data, expect=302)


# --- one run --------------------------------------------------------------------------------


@dataclass
class Result:
    workers: int
    samples: dict[str, list[float]]
    errors: list[tuple[str, str]]
    load_seconds: float
    signed_in: int
    chain: str
    chain_ok: bool
    error_log: str
    cpu_busy: float | None = None  # share of the machine's CPU time busy during the load
    cpu_idle_before: float | None = None  # busy share just before, with gunicorn idle
    server_cpu: float | None = None  # CPU seconds gunicorn's processes used during the load


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine from /proc/stat (Linux), else None."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def process_cpu(master: int) -> float | None:
    """CPU seconds used so far by gunicorn's master and its workers (Linux /proc), else None."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in [str(master), *children]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return total / tick


def busy_before(seconds: float = 3.0) -> float | None:
    """Share of the machine's CPU busy over a few seconds before a run: other work skews figures."""
    first = cpu_times()
    time.sleep(seconds)
    last = cpu_times()
    if not first or not last:
        return None
    return (last[0] - first[0]) / max(1, last[1] - first[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def run(workers: int, users: list[LoadUser], env: dict, args, used_steps: dict[str, int], tmp: Path) -> Result:
    port = free_port()
    error_log = tmp / f"gunicorn-{workers}.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--no-control-socket",
            "--error-logfile",
            str(error_log),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    samples: dict[str, list[float]] = {}
    errors: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(kind: str, seconds: float, error: str | None) -> None:
        with lock:
            samples.setdefault(kind, []).append(seconds)
            if error:
                errors.append((kind, error))

    signed_in = 0
    cpu_start = cpu_end = server_start = server_end = before = None
    try:
        wait_ready(port, proc)
        before = busy_before()
        waited_until = time.monotonic() + args.wait_quiet
        while before is not None and before > 0.2 and time.monotonic() < waited_until:
            print(f"  … machine {before:.0%} busy with other work; waiting for it to quieten", file=sys.stderr)
            before = busy_before(10)
        print(f"  … gunicorn -w {workers} ready on port {port}; {len(users)} users signing in", file=sys.stderr)
        start = time.monotonic()
        cpu_start, server_start = cpu_times(), process_cpu(proc.pid)
        deadline = start + args.duration

        def user_thread(i: int, user: LoadUser) -> None:
            nonlocal signed_in
            rng = random.Random(1000 * workers + i)
            time.sleep(i * args.ramp / len(users))
            browser = Browser(port, record)
            if not sign_in(browser, user, used_steps):
                return
            with lock:
                signed_in += 1
            work(browser, user, Steps(user, rng), deadline, rng)

        threads = [threading.Thread(target=user_thread, args=(i, u), daemon=True) for i, u in enumerate(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_seconds = time.monotonic() - start
        cpu_end, server_end = cpu_times(), process_cpu(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    verify = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "audit", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    chain = (verify.stdout + verify.stderr).strip()
    log = error_log.read_text() if error_log.exists() else ""
    interesting = [
        line
        for line in log.splitlines()
        if not any(s in line for s in ("Starting gunicorn", "Listening at", "Using worker", "Booting worker"))
        and not any(s in line for s in ("Handling signal", "Worker exiting", "Shutting down", "Goodbye"))
    ]
    return Result(
        workers=workers,
        samples=samples,
        errors=errors,
        load_seconds=load_seconds,
        signed_in=signed_in,
        chain=chain,
        chain_ok=verify.returncode == 0,
        error_log="\n".join(interesting),
        cpu_busy=(cpu_end[0] - cpu_start[0]) / max(1, cpu_end[1] - cpu_start[1]) if cpu_start and cpu_end else None,
        cpu_idle_before=before,
        server_cpu=server_end - server_start if server_start is not None and server_end is not None else None,
    )


# --- report ---------------------------------------------------------------------------------


def pct(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted samples."""
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def stats(samples: list[float]) -> tuple[int, float, float, float]:
    ordered = sorted(samples)
    return len(ordered), pct(ordered, 0.5) * 1e3, pct(ordered, 0.95) * 1e3, pct(ordered, 0.99) * 1e3


def print_result(res: Result, n_users: int) -> None:
    errors_by_kind: dict[str, int] = {}
    for kind, _ in res.errors:
        errors_by_kind[kind] = errors_by_kind.get(kind, 0) + 1
    mix = [s for k, v in res.samples.items() if not k.startswith("sign-in") for s in v]
    every = [s for v in res.samples.values() for s in v]
    rows = []
    for kind in sorted(res.samples, key=lambda k: (k.startswith("sign-in"), k)):
        n, med, p95, p99 = stats(res.samples[kind])
        rows.append((kind, n, errors_by_kind.get(kind, 0), med, p95, p99))
    head = ("request", "count", "errors", "median ms", "p95 ms", "p99 ms")
    width = max(len(r[0]) for r in [head, *rows, ("overall (mix, without sign-in)",)])

    def line(cells) -> str:
        name, *rest = cells
        return name.ljust(width) + "".join(f"{c:>11}" if isinstance(c, str) else f"{c:>11,.0f}" for c in rest)

    print(f"gunicorn -w {res.workers} (sync): {res.signed_in}/{n_users} users signed in, {res.load_seconds:.0f} s")
    print(line(head))
    print("-" * (width + 11 * 5))
    for row in rows:
        print(line(row))
    print("-" * (width + 11 * 5))
    mix_errors = sum(v for k, v in errors_by_kind.items() if not k.startswith("sign-in"))
    if mix:
        print(line(("overall (mix, without sign-in)", *stats(mix)[:1], mix_errors, *stats(mix)[1:])))
    print(line(("overall (every request)", *stats(every)[:1], len(res.errors), *stats(every)[1:])))
    throughput = len(every) / res.load_seconds if res.load_seconds else 0.0
    p95 = stats(mix)[2] if mix else float("nan")
    print(f"throughput {throughput:.1f} requests/s ({len(every):,} requests in {res.load_seconds:.0f} s)")
    print(f"p95 of the mix {p95:.0f} ms: target < {TARGET_P95_MS} ms {'met' if p95 < TARGET_P95_MS else 'NOT met'}")
    if res.cpu_busy is not None:
        print(f"machine CPU busy {res.cpu_busy:.0%} during the run (server, database and this client together)")
    if res.server_cpu is not None and every:
        print(
            f"gunicorn CPU {res.server_cpu:.0f} s over the run, {res.server_cpu / len(every) * 1e3:.0f} ms a request"
            " (without PostgreSQL)"
        )
    if res.cpu_idle_before is not None and res.cpu_idle_before > 0.2:
        print(
            f"WARNING: the machine was already {res.cpu_idle_before:.0%} busy before the run (other work): "
            "these figures understate what the server can do"
        )
    print(f"errors {len(res.errors)}")
    for kind, error in res.errors[:20]:
        print(f"  {kind}: {error}")
    if len(res.errors) > 20:
        print(f"  … and {len(res.errors) - 20} more")
    print(f"audit chain: {res.chain}")
    if res.error_log:
        print("gunicorn error log:")
        print(res.error_log[-5000:])
    print()


def print_comparison(results: list[Result]) -> None:
    print("Side by side")
    head = (
        f"{'workers':>8}{'requests':>10}{'errors':>8}{'req/s':>8}{'median ms':>11}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'CPU':>6}{'before':>8}  chain"
    )
    print(head)
    for res in results:
        mix = [s for k, v in res.samples.items() if not k.startswith("sign-in") for s in v]
        every = [s for v in res.samples.values() for s in v]
        n, med, p95, p99 = stats(mix) if mix else (0, 0.0, 0.0, 0.0)
        rate = len(every) / res.load_seconds if res.load_seconds else 0.0
        cpu = f"{res.cpu_busy:.0%}" if res.cpu_busy is not None else "-"
        before = f"{res.cpu_idle_before:.0%}" if res.cpu_idle_before is not None else "-"
        print(
            f"{res.workers:>8}{len(every):>10,}{len(res.errors):>8}{rate:>8.1f}{med:>11.0f}{p95:>8.0f}{p99:>8.0f}"
            f"{cpu:>6}{before:>8}  {'verified' if res.chain_ok else 'FAILED'}"
        )
    print(
        "(latencies of the mix, without the sign-ins; requests and errors include the sign-ins; CPU: the machine's\n"
        " CPU busy during the run, and in the 3 s before it with the server idle, which should be near 0%)"
    )


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="signed-in users (default 50)")
    parser.add_argument("--cases", type=int, default=10_000, help="MARAC cases to load (default 10000)")
    parser.add_argument("--duration", type=int, default=120, help="seconds of load for each run (default 120)")
    parser.add_argument("--ramp", type=float, default=15.0, help="seconds over which users sign in (default 15)")
    parser.add_argument("--workers", default="2,4", help="gunicorn worker counts, one run each (default 2,4)")
    parser.add_argument("--database", default="casework_bench_load", help="database to create (default %(default)s)")
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="S",
        help="before each run, wait up to S seconds for other work on the machine to stop (default 0)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.users < 1 or args.cases < 100 or args.duration < 10 or not worker_counts:
        parser.error("need at least 1 user, 100 cases, 10 s and one worker count")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores")
    if args.ramp >= args.duration:
        parser.error("--ramp must be shorter than --duration")

    started = time.perf_counter()
    admin, url = database_urls(os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL), args.database)
    env = {
        **os.environ,
        "CASEWORK_CONFIG": "production",
        "CASEWORK_SECRET_KEY": secrets.token_urlsafe(48),
        "CASEWORK_KEYRING": json.dumps(new_keyring().to_dict()),
        "DATABASE_URL": url.render_as_string(hide_password=False),
    }
    env.pop("CASEWORK_KEYRING_FILE", None)
    results: list[Result] = []
    try:
        print(f"Building {args.database} (migrations, {args.cases:,} cases)…", file=sys.stderr, flush=True)
        users, loaded = build(admin, url, args.database, env, args.cases, args.users)
        print(f"  … {loaded}", file=sys.stderr, flush=True)
        used_steps: dict[str, int] = {}
        with tempfile.TemporaryDirectory(prefix="casework-bench-load-") as tmp:
            for workers in worker_counts:
                results.append(run(workers, users, env, args, used_steps, Path(tmp)))
                print_result(results[-1], len(users))
    finally:
        if not args.keep:
            recreate_database(admin, args.database, drop_only=True)

    with sa.create_engine(admin).connect() as conn:
        pg = conn.execute(sa.text("SHOW server_version")).scalar()
    print(
        f"casework load benchmark: Python {platform.python_version()}, PostgreSQL {pg}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {args.users} users, one request about every 2 s each, {args.duration} s a run"
    )
    print(f"Data: {loaded}")
    print()
    print_comparison(results)
    print(f"Total time {time.perf_counter() - started:.0f} s")
    failed = any(r.errors or not r.chain_ok or r.signed_in < len(users) for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
