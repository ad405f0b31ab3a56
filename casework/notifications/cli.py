"""``flask notify scan`` and ``flask notify send``: safe to run from cron every few minutes."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from ..extensions import db

notify_cli = AppGroup("notify", help="Notifications: time-based reminders and e-mail.")


@notify_cli.command("scan")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Scan as of this day")
def scan(on) -> None:
    """Write today's reminders (due soon, overdue, research before the cut-off); idempotent per day."""
    from .service import scan as run_scan

    added = run_scan(on.date() if on else date.today())
    db.session.commit()
    click.echo(f"{added} reminders added")


@notify_cli.command("send")
@click.option("--limit", type=int, default=None, help="Send at most this many mails")
def send(limit) -> None:
    """Put waiting notifications into mails and send what is due; safe with two senders."""
    from flask import current_app

    from .mail import send_pending

    if current_app.config.get("NAME") == "production" and not current_app.config.get("MAIL_SMTP_HOST"):
        raise click.ClickException("Set CASEWORK_SMTP_HOST: without it mails would only reach the outbox")
    result = send_pending(limit=limit)
    click.echo(f"{result.built} mails built, {result.sent} sent, {result.retrying} to retry, {result.failed} failed")
    if result.failed:
        raise SystemExit(1)
