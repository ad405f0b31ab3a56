"""``flask retention run [--dry-run]``: the retention review and approved destruction."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db

retention_cli = AppGroup("retention", help="Retention review and approved destruction.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be destroyed; change nothing.")
def retention_run(dry_run: bool) -> None:
    """List cases past retention; destroy those a second person (a DPO) approved.

    Destruction is proposed and approved in the governance pages; this command carries
    it out, re-checking each case (a legal hold placed since stops it).
    """
    from . import retention

    review = retention.dry_run()
    click.echo(f"Cases past retention: {len(review)}")
    for reference, kind, due, state in review:
        click.echo(f"  {reference}  {kind}  destroy after {due.isoformat()}  {state}")
    outcomes = retention.run(dry_run=dry_run)
    verb = "Would destroy" if dry_run else "Destroyed"
    done = [r for r, outcome in outcomes if outcome in ("destroyed", "would be destroyed")]
    click.echo(f"{verb} {len(done)} approved case{'s' if len(done) != 1 else ''}.")
    for reference, outcome in outcomes:
        click.echo(f"  {reference}  {outcome}")
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
