"""Flask commands: init-instance, seed-demo, create-user, demo-otp, keys, audit."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
import pyotp
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db

keys_cli = AppGroup("keys", help="Encryption key ring: status and rotation.")
audit_cli = AppGroup("audit", help="Audit chain checks.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_instance)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(demo_otp)
    app.cli.add_command(keys_cli)
    app.cli.add_command(audit_cli)
    from .governance.cli import retention_cli

    app.cli.add_command(retention_cli)
    from .imports.cli import import_cli

    app.cli.add_command(import_cli)


@click.command("init-instance")
def init_instance() -> None:
    """Create the development secret key and key ring in the instance folder if absent."""
    from .core.crypto import new_keyring, write_keyring_file

    if current_app.config.get("NAME") != "development":
        raise click.ClickException("init-instance is for development; production takes keys from the environment")
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    secret = instance / "secret_key"
    if not secret.exists():
        secret.touch(mode=0o600)
        secret.write_text(secrets.token_urlsafe(48))
        click.echo(f"Created {secret}")
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        db_file = Path(uri.removeprefix("sqlite:///"))
        if not db_file.exists():
            db_file.touch(mode=0o600)  # SQLite gives its -wal and -shm files the same mode
    ring_path = Path(current_app.config["KEYRING_FILE"])
    if not ring_path.exists():
        write_keyring_file(ring_path, new_keyring())
        click.echo(f"Created key ring {ring_path} (mode 0600; never commit it)")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load demo agencies, users (one per role) and cases into an empty database."""
    from .demo import credentials_path, print_credentials, seed

    if not current_app.config.get("DEMO_MODE"):
        raise click.ClickException("demo data is refused outside development and testing")
    from .core.models import Agency

    if db.session.scalar(sa.select(sa.func.count()).select_from(Agency)):
        click.echo("Database already has data; demo data not loaded.")
    else:
        seed(credentials_path())
        click.echo("Demo data loaded.")
    print_credentials(credentials_path())


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--agency", "agency_code", required=True, help="Agency code")
@click.option("--agency-name", default=None, help="Create the agency with this name if the code is new")
@click.option("--agency-kind", default="other", show_default=True, help="Kind of a newly created agency")
@click.option("--role", "roles", multiple=True, required=True)
@click.password_option()
def create_user(
    email: str,
    display_name: str,
    agency_code: str,
    agency_name: str | None,
    agency_kind: str,
    roles: tuple[str, ...],
    password: str,
) -> None:
    """Create a user account (two-factor enrolment happens at first sign-in)."""
    from .admin.services import create_agency
    from .admin.services import create_user as create
    from .core.models import AGENCY_KINDS, Agency
    from .core.services import ServiceError

    agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code))
    if agency is None:
        if not agency_name:
            raise click.ClickException(f"no agency with code {agency_code}; give --agency-name to create it")
        if agency_kind not in AGENCY_KINDS:
            raise click.ClickException(f"--agency-kind must be one of {', '.join(AGENCY_KINDS)}")
        agency = create_agency({"code": agency_code, "name": agency_name, "kind": agency_kind, "is_active": True})
    try:
        user = create(email=email, display_name=display_name, agency_id=agency.id, roles=set(roles), password=password)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created user {user.id} <{user.email}>")


@click.command("demo-otp")
@click.argument("email")
def demo_otp(email: str) -> None:
    """Show the current two-factor code for a demo account (development only)."""
    from .core.models import User

    if not current_app.config.get("DEMO_MODE"):
        raise click.ClickException("demo-otp is for development only")
    user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
    if user is None or not user.totp_secret:
        raise click.ClickException("no enrolled user with that email")
    click.echo(pyotp.TOTP(user.totp_secret).now())


@keys_cli.command("status")
def keys_status() -> None:
    """Show key ids, which one is current, and how many values each encrypts."""
    from .core import crypto, keys

    ring = crypto.keyring()
    usage = keys.key_usage(db.session)
    for key_id in ring.keys:
        flags = [f for f, on in (("current", key_id == ring.current), ("index", key_id == ring.index)) if on]
        click.echo(f"{key_id}: {usage.get(key_id, 0)} values{' (' + ', '.join(flags) + ')' if flags else ''}")
    unknown = set(usage) - set(ring.keys)
    if unknown:
        click.echo(f"WARNING: values under keys missing from the ring: {sorted(unknown)}", err=True)


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True)
def keys_rotate(batch_size: int) -> None:
    """Re-encrypt every value not under the current key and recompute blind indexes."""
    from .core import audit, keys

    report = keys.rotate(db.session, batch_size=batch_size, progress=click.echo)
    audit.record(
        "keys.rotated",
        object_type="keyring",
        details={
            "rows_scanned": report.rows_scanned,
            "values_reencrypted": report.values_reencrypted,
            "indexes_updated": report.indexes_updated,
            "values_unreadable": report.values_unreadable,
        },
    )
    db.session.commit()
    click.echo(
        f"Scanned {report.rows_scanned} rows; re-encrypted {report.values_reencrypted} values; "
        f"updated {report.indexes_updated} blind indexes."
    )
    if report.values_unreadable:
        click.echo(f"WARNING: {report.values_unreadable} values could not be read and were left as they are", err=True)


@keys_cli.command("add")
@click.option("--index/--no-index", default=False, help="Also use the new key for blind indexes.")
def keys_add(index: bool) -> None:
    """Development: add a new current key to the instance key ring (then run 'keys rotate')."""
    from .core import crypto

    path = current_app.config.get("KEYRING_FILE")
    if current_app.config.get("KEYRING_JSON") or not path:
        raise click.ClickException(
            "the key ring comes from CASEWORK_KEYRING: add the new key there (keep the old ones) and restart"
        )
    ring = crypto.add_key(crypto.load_keyring(current_app.config), make_index=index)
    crypto.write_keyring_file(Path(path), ring)
    current_app.extensions.pop("casework.keyring", None)
    click.echo(f"New current key {ring.current}; run 'flask keys rotate' to re-encrypt existing data.")


def _head_option(value: str | None) -> tuple[int, str] | None:
    from .core import audit

    if value is None:
        return None
    try:
        return audit.parse_head(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@audit_cli.command("verify")
@click.option(
    "--expect-head",
    metavar="SEQ:HASH",
    default=None,
    help="A head printed earlier by 'flask audit head': the chain must still reach it, unchanged.",
)
def audit_verify(expect_head: str | None) -> None:
    """Walk the audit chain and report the first broken link."""
    from .core import audit
    from .extensions import db
    from .governance.services import record_verification

    expected = _head_option(expect_head)
    result = audit.verify(expect_head=expected)
    # The outcome goes into the chain itself, for the governance page.
    record_verification(result)
    db.session.commit()
    if result.ok:
        anchored = f"; expected head {expected[0]} matches" if expected else ""
        click.echo(f"Audit chain intact: {result.checked} events verified{anchored}.")
        return
    click.echo(f"Audit chain BROKEN at seq {result.first_bad_seq}: {result.reason}", err=True)
    raise SystemExit(1)


@audit_cli.command("head")
def audit_head() -> None:
    """Verify the chain, then print its head as SEQ:HMAC to keep outside the database.

    Later, 'flask audit verify --expect-head SEQ:HMAC' proves the chain was neither
    truncated nor rewritten up to that row.
    """
    from .core import audit

    result = audit.verify()
    if not result.ok:
        click.echo(f"Audit chain BROKEN at seq {result.first_bad_seq}: {result.reason}", err=True)
        raise SystemExit(1)
    seq, digest = result.head or (0, audit.GENESIS_HASH)
    click.echo(f"{seq}:{digest}")
