"""Demo data for development: agencies of every kind, one user per role, a few cases.

Passwords and TOTP secrets are random per database and written to a 0600 file
in the instance folder so ``make run`` can print them again.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyotp
from flask import current_app

from .admin import services as admin
from .core.models import Action, Plan, PlanItem
from .core.types import utcnow
from .extensions import db
from .people.services import create_person

DEMO_AGENCIES = [
    ("POL", "Northshire Police", "police"),
    ("PROB", "Probation Service (Northshire)", "probation"),
    ("IDVA", "Northshire IDVA Service", "idva_service"),
    ("HOUS", "Northshire Homes", "housing"),
    ("HLTH", "Northshire Health Board", "health"),
    ("CSC", "Children's Social Care", "children_services"),
    ("ASC", "Adult Social Care", "adult_services"),
    ("ASB", "Council ASB Team", "council_asb"),
    ("YJS", "Youth Justice Service", "youth_justice"),
    ("SMS", "Recovery Partnership", "substance_misuse"),
    ("FIRE", "Northshire Fire and Rescue", "fire"),
    ("EDU", "Education Safeguarding", "education"),
    ("CSP", "Community Safety Partnership", "other"),
]

DEMO_USERS = [
    ("admin@example.org", "Alex Admin", "CSP", {"admin"}),
    # A second, independent administrator: giving roles and resetting sign-in need one.
    ("admin2@example.org", "Bailey Admin", "CSP", {"admin"}),
    ("coordinator@example.org", "Casey Coordinator", "CSP", {"marac_coordinator"}),
    ("idva@example.org", "Indira IDVA", "IDVA", {"idva"}),
    ("police@example.org", "Pat Police", "POL", {"marac_rep"}),
    ("housing@example.org", "Harper Housing", "HOUS", {"marac_rep"}),
    ("iom@example.org", "Owen Officer", "POL", {"iom_officer"}),
    ("iommanager@example.org", "Morgan Manager", "PROB", {"iom_manager"}),
    ("asb@example.org", "Ash ASB", "ASB", {"asb_officer"}),
    ("analyst@example.org", "Ana Analyst", "CSP", {"analyst"}),
    ("dpo@example.org", "Dana DPO", "CSP", {"dpo"}),
]


def credentials_path() -> Path:
    return Path(current_app.instance_path) / "demo-credentials.txt"


def seed(path: Path | None) -> dict[str, tuple[str, str]]:
    """Create the demo data; return {email: (password, totp secret)}."""
    agencies = {
        code: admin.create_agency({"code": code, "name": name, "kind": kind, "is_active": True})
        for code, name, kind in DEMO_AGENCIES
    }
    password = "-".join(secrets.choice(_WORDS) for _ in range(4))
    creds: dict[str, tuple[str, str]] = {}
    users = {}
    for email, name, agency_code, roles in DEMO_USERS:
        user = admin.create_user(
            email=email, display_name=name, agency_id=agencies[agency_code].id, roles=roles, password=password
        )
        user.totp_secret = pyotp.random_base32(length=32)
        user.totp_enrolled_at = utcnow()
        users[email] = user
        creds[email] = (password, user.totp_secret)
    _seed_cases(agencies, users)
    db.session.commit()
    if path is not None:
        _write_credentials(path, creds)
    return creds


def _seed_cases(agencies, users) -> None:
    """A MARAC cycle in progress: a high-risk referral listed on the next meeting, with actions."""
    from .marac import dash, meetings, referrals

    idva, coordinator = users["idva@example.org"], users["coordinator@example.org"]
    today = date.today()
    victim = create_person(
        idva,
        {
            "given_names": "Sam",
            "surname": "Example",
            "dob": date(1990, 4, 12),
            "gender": "female",
            "phone": "07700 900123",
            "address": "1 Demo Street, Northtown",
        },
    )
    perpetrator = create_person(
        idva, {"given_names": "Jo", "surname": "Sample", "dob": date(1987, 9, 3), "gender": "male"}
    )
    codes = dash.checklist().codes
    assessment = dash.record_assessment(
        idva,
        victim,
        completed_on=today - timedelta(days=3),
        answers={c: {"answer": "yes" if i < 15 else "no", "note": None} for i, c in enumerate(codes)},
    )
    meetings.schedule(
        coordinator,
        starts_at=datetime.combine(_next_weekday(today + timedelta(days=14)), time(10, 0), tzinfo=UTC),
        venue="Northtown Civic Centre, Room 2",
        chair_user_id=coordinator.id,
        agency_ids=[agencies[c].id for c in ("POL", "IDVA", "HOUS", "CSC", "HLTH", "PROB")],
    )
    referral = referrals.create_referral(
        idva,
        victim,
        {
            "referral_date": today - timedelta(days=2),
            "incident_date": today - timedelta(days=4),
            "referrer_name": idva.display_name,
            "dash_id": assessment.id,
            "victim_aware": "yes",
            "consent": "yes",
            "safe_to_call": False,
            "safe_contact": "Text first; only on weekday mornings",
            "summary": "Escalating abuse after separation; threats to kill.",
        },
        perpetrators=[referrals.PersonLink(perpetrator.id, "Ex-partner")],
        children=[],
    )
    referrals.decide(coordinator, referral, accept=True, reason=None, version=referral.version_id)
    referrals.allocate_idva(coordinator, referral, idva.id, referral.version_id)
    meetings.auto_list(coordinator, referral)
    db.session.add(
        Action(
            case_id=referral.case_id,
            assigned_agency_id=agencies["IDVA"].id,
            assigned_user_id=idva.id,
            description="Confirm safe contact arrangements",
            due_on=today - timedelta(days=1),
            created_by_id=coordinator.id,
        )
    )
    plan = Plan(
        case_id=referral.case_id,
        kind="safety",
        title="Safety plan",
        review_due_on=today + timedelta(days=5),
        owner_user_id=idva.id,
        created_by_id=idva.id,
    )
    plan.items = [
        PlanItem(
            area="Home security",
            intervention="Target hardening referral",
            owner_agency_id=agencies["HOUS"].id,
            due_on=today + timedelta(days=14),
        )
    ]
    db.session.add(plan)
    db.session.flush()


def _write_credentials(path: Path, creds: dict[str, tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        for email, (password, secret) in creds.items():
            fh.write(f"{email}\t{password}\t{secret}\n")


def print_credentials(path: Path) -> None:
    import click

    if not path.exists():
        return
    click.echo("\nDemo sign-ins (development only). Password, then the code from 'flask --app wsgi demo-otp EMAIL'")
    click.echo("or an authenticator app set up with the secret shown:\n")
    for line in path.read_text().splitlines():
        email, password, secret = line.split("\t")
        click.echo(f"  {email:28} {password:32} TOTP secret {secret}")
    click.echo("")


_WORDS = (
    "amber",
    "beacon",
    "cobalt",
    "delta",
    "ember",
    "fjord",
    "granite",
    "harbour",
    "indigo",
    "juniper",
    "kestrel",
    "lantern",
    "meadow",
    "nimbus",
    "orchard",
    "pebble",
    "quartz",
    "raven",
    "saffron",
    "thistle",
    "umber",
    "velvet",
    "willow",
    "yarrow",
    "zephyr",
    "bramble",
    "cinder",
    "dapple",
    "falcon",
    "heron",
)


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
