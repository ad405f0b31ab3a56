"""Spreadsheet import figures: 10,000 rows checked, imported and imported again.

    python -m benchmarks.imports [--rows N] [--format csv|xlsx]

On a throwaway SQLite database built by the migrations, as a MARAC coordinator and an
IOM manager, through ``core.imports.run_import`` (what the upload page and
``flask import`` call):

- MARAC referrals and hearings: N rows, each a new victim and perpetrator (matched
  through the blind index, then created), a third of them heard at one of 20 past
  meetings; timed as a dry run, as the real import, and as a re-import (every row
  skipped by its external reference);
- IOM: N / 20 cohort spells, then N offences spread over those offenders;
- ASB: N incidents over N / 4 victims.

Prints seconds and rows per second for each step. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from benchmarks.core import GIVEN, SURNAMES, make_app, migrate
from casework.core import imports as im
from casework.extensions import db
from tests.helpers import Factory


def _file(header: list[str], rows: list[list], fmt: str) -> bytes:
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def marac_rows(n: int, rng: random.Random) -> tuple[list[str], list[list]]:
    header = [
        "external_ref",
        "referral_date",
        "referring_agency",
        "victim_given_names",
        "victim_surname",
        "victim_dob",
        "perpetrator_given_names",
        "perpetrator_surname",
        "perpetrator_dob",
        "incidents_12_months",
        "victim_aware",
        "consent",
        "meeting_date",
    ]
    today = date.today()
    meetings = [today - timedelta(days=14 * k + 3) for k in range(20)]
    rows = []
    for i in range(n):
        meeting = rng.choice(meetings) if i % 3 == 0 else None
        referred = (meeting or today) - timedelta(days=rng.randint(5, 40))
        rows.append(
            [
                f"MARAC-SHEET-{i}",
                referred.isoformat(),
                rng.choice(["POL", "IDVA"]),
                rng.choice(GIVEN),
                f"{rng.choice(SURNAMES)}{i}",
                (date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))).isoformat(),
                rng.choice(GIVEN),
                f"{rng.choice(SURNAMES)}-P{i}",
                (date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))).isoformat(),
                rng.randint(3, 8),
                "Yes",
                "Yes",
                meeting.isoformat() if meeting else "",
            ]
        )
    return header, rows


def iom_rows(n: int, rng: random.Random) -> tuple[list[str], list[list], list[str], list[list]]:
    people = [
        (rng.choice(GIVEN), f"{rng.choice(SURNAMES)}O{k}", date(1970, 1, 1) + timedelta(days=k))
        for k in range(max(1, n // 20))
    ]
    today = date.today()
    spell_header = [
        "external_ref",
        "given_names",
        "surname",
        "dob",
        "start_on",
        "strand",
        "category",
        "tier",
        "lead_officer_email",
    ]
    spells = [
        [
            f"SPELL-{k}",
            g,
            s,
            d.isoformat(),
            (today - timedelta(days=800)).isoformat(),
            "fixed",
            "ppo",
            "amber",
            "officer@bench.example",
        ]
        for k, (g, s, d) in enumerate(people)
    ]
    offence_header = ["external_ref", "given_names", "surname", "dob", "kind", "offence_on", "category"]
    offences = []
    for i in range(n):
        g, s, d = people[i % len(people)]
        offences.append(
            [
                f"OFF-{i}",
                g,
                s,
                d.isoformat(),
                rng.choice(["arrest", "charge", "conviction"]),
                (today - timedelta(days=rng.randint(1, 1500))).isoformat(),
                rng.choice(["burglary_dwelling", "shoplifting", "robbery", "criminal_damage"]),
            ]
        )
    return spell_header, spells, offence_header, offences


def asb_rows(n: int, rng: random.Random) -> tuple[list[str], list[list]]:
    """N incidents over N / 4 victims (so many become repeat victims), in date order per victim."""
    header = [
        "external_ref",
        "occurred_on",
        "reported_on",
        "category",
        "type",
        "description",
        "victim_given_names",
        "victim_surname",
        "victim_dob",
        "reported_to",
    ]
    victims = [
        (rng.choice(GIVEN), f"{rng.choice(SURNAMES)}V{k}", date(1950, 1, 1) + timedelta(days=k))
        for k in range(max(1, n // 4))
    ]
    today = date.today()
    rows = []
    for i in range(n):
        given, surname, dob = victims[i % len(victims)]
        on = today - timedelta(days=400 - (i // len(victims)) * 60 - rng.randint(0, 20))
        rows.append(
            [
                f"ASB-{i}",
                on.isoformat(),
                on.isoformat(),
                "nuisance",
                "noise",
                "Loud music",
                given,
                surname,
                dob.isoformat(),
                "council",
            ]
        )
    return header, rows


def timed_import(user, kind: str, data: bytes, name: str, dry_run: bool) -> tuple[float, im.ImportResult]:
    start, cpu = time.perf_counter(), time.process_time()
    result = im.run_import(user, kind, data, name, dry_run=dry_run)
    db.session.commit()
    elapsed = time.perf_counter() - start
    CPU.append(time.process_time() - cpu)
    if result.errors:
        print(f"  {kind}: {len(result.errors)} problems, first: {result.errors[:3]}", file=sys.stderr)
    return elapsed, result


# CPU seconds of each timed step (the wall clock also counts other work on a shared machine).
CPU: list[float] = []


def line(label: str, seconds: float, result: im.ImportResult) -> str:
    return (
        f"  {label:<24} {seconds:8.1f} s wall {CPU[-1]:8.1f} s CPU  {result.rows / seconds:6.0f} rows/s  "
        f"{1000 * CPU[-1] / max(result.rows, 1):6.1f} ms CPU/row  created {result.created:,} "
        f"skipped {result.skipped:,} problems {len(result.errors)}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args(argv)
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp) / "bench.db", IMPORT_MAX_BYTES=64 * 1024 * 1024, IMPORT_MAX_ROWS=args.rows)
        migrate(app)
        with app.app_context():
            factory = Factory(app)
            police = factory.agency("police", code="POL", name="Bench Police")
            idva = factory.agency("idva_service", code="IDVA", name="Bench IDVA")
            probation = factory.agency("probation", code="PROB", name="Bench Probation")
            coordinator = factory.user("marac_coordinator", agency=idva, email="coordinator@bench.example")
            manager = factory.user("iom_manager", agency=probation, email="manager@bench.example")
            factory.user("iom_officer", agency=police, email="officer@bench.example")

            header, rows = marac_rows(args.rows, rng)
            data = _file(header, rows, args.format)
            name = f"marac.{args.format}"
            print(
                f"MARAC referrals and hearings: {args.rows:,} rows, {len(data) / 1024:,.0f} KB {args.format}",
                flush=True,
            )
            for label, dry in (("dry run", True), ("import", False), ("re-import (all skipped)", False)):
                seconds, result = timed_import(coordinator, "marac-referrals", data, name, dry)
                print(line(label, seconds, result), flush=True)

            spell_header, spells, offence_header, offences = iom_rows(args.rows, rng)
            seconds, result = timed_import(
                manager, "iom-spells", _file(spell_header, spells, args.format), f"s.{args.format}", False
            )
            print(f"IOM cohort spells: {len(spells):,} rows")
            print(line("import", seconds, result), flush=True)
            data = _file(offence_header, offences, args.format)
            print(f"IOM offences: {args.rows:,} rows, {len(data) / 1024:,.0f} KB {args.format}")
            for label, dry in (("dry run", True), ("import", False), ("re-import (all skipped)", False)):
                seconds, result = timed_import(manager, "iom-offences", data, f"o.{args.format}", dry)
                print(line(label, seconds, result), flush=True)
            officer = factory.user("asb_officer", agency=factory.agency("council_asb", code="ASBT"))
            header, rows = asb_rows(args.rows, rng)
            data = _file(header, rows, args.format)
            print(f"ASB incidents: {args.rows:,} rows, {len(data) / 1024:,.0f} KB {args.format}", flush=True)
            for label, dry in (("dry run", True), ("import", False), ("re-import (all skipped)", False)):
                seconds, result = timed_import(officer, "asb-incidents", data, f"a.{args.format}", dry)
                print(line(label, seconds, result), flush=True)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
