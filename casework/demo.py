"""Demo data for development: agencies of every kind, one user per role, a few cases.

Passwords and TOTP secrets are random per database and written to a 0600 file
in the instance folder so ``make run`` can print them again.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyotp
from flask import current_app

from .admin import services as admin
from .core import modules
from .core.models import Agency, User
from .core.types import utcnow
from .extensions import db

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

# Core's own demo users; each module adds its own (``Module.demo_users``).
DEMO_USERS = [
    ("admin@example.org", "Alex Admin", "CSP", {"admin"}),
    # A second, independent administrator: giving roles and resetting sign-in need one.
    ("admin2@example.org", "Bailey Admin", "CSP", {"admin"}),
    ("analyst@example.org", "Ana Analyst", "CSP", {"analyst"}),
    ("dpo@example.org", "Dana DPO", "CSP", {"dpo"}),
]


@dataclass
class DemoContext:
    """What a module's demo seeding gets: the demo agencies by code and users by email."""

    agencies: dict[str, Agency]
    users: dict[str, User]


def demo_users() -> list[tuple[str, str, str, frozenset[str]]]:
    return DEMO_USERS + [user for module in modules.modules() for user in module.demo_users]


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
    for email, name, agency_code, roles in demo_users():
        user = admin.create_user(
            email=email, display_name=name, agency_id=agencies[agency_code].id, roles=roles, password=password
        )
        user.totp_secret = pyotp.random_base32(length=32)
        user.totp_enrolled_at = utcnow()
        users[email] = user
        creds[email] = (password, user.totp_secret)
    context = DemoContext(agencies, users)
    for module in modules.modules():
        if module.seed_demo is not None:
            module.seed_demo(context)
    from .notifications.service import scan

    scan(date.today())  # the demo's reminders (overdue actions, reviews due) beside its events
    db.session.commit()
    if path is not None:
        _write_credentials(path, creds)
    return creds


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


def next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
