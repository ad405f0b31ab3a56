"""``flask import KIND FILE [--dry-run] --as EMAIL`` and ``flask import layouts``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app, g

from ..core import imports as im
from ..core import modules
from ..core.models import User
from ..extensions import db


class _ImportGroup(click.Group):
    """``flask import KIND FILE`` runs an import; ``flask import layouts`` prints the layouts."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("import", cls=_ImportGroup, help="Spreadsheet import: flask import KIND FILE [--dry-run] --as EMAIL.")
def import_cli() -> None:
    pass


@import_cli.command("run")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report problems; import nothing.")
@click.option("--as", "email", required=True, help="E-mail address of the user the import is made as.")
def run(kind: str, file: Path, dry_run: bool, email: str) -> None:
    """Import FILE (.csv or .xlsx) as records of KIND, all or nothing."""
    if modules.import_kind(kind) is None:
        names = ", ".join(k.name for k in modules.import_kinds())
        raise click.UsageError(f"unknown import kind {kind!r}; choose one of: {names}")
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None or not user.is_active:
        raise click.UsageError(f"no active user {email!r}")
    if not user.can(modules.import_kind(kind).capability):
        raise click.UsageError(f"{email} may not import {kind}")
    limit = current_app.config["IMPORT_MAX_BYTES"]
    with file.open("rb") as handle:
        data = handle.read(limit + 1)
    # Run as that user: every service checks their rights, and every audit event names them.
    with current_app.test_request_context("/imports/command"):
        g._login_user = user
        result = im.run_import(user, kind, data, file.name, dry_run=dry_run)
        db.session.commit()
    for error in result.errors:
        where = "file" if error.row is None else f"row {error.row}"
        column = f", column {error.column}" if error.column else ""
        click.echo(f"{where}{column}: {error.problem}")
    verb = "would import" if dry_run else "imported"
    if result.ok:
        click.echo(f"{result.rows} rows: {verb} {result.created}, skipped {result.skipped} already imported.")
    else:
        click.echo(f"{result.rows} rows, {len(result.errors)} problems: nothing imported.")
        raise SystemExit(1)


@import_cli.command("layouts")
def layouts() -> None:
    """Print the documented column layout of every import kind (docs/imports.md)."""
    click.echo(im.layout_markdown(modules.import_kinds()))


@import_cli.command("template")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def template(kind: str, file: Path) -> None:
    """Write KIND's empty template to FILE (.csv or .xlsx, from the name)."""
    found = modules.import_kind(kind)
    fmt = im.file_format(file.name)
    if found is None or fmt is None:
        raise click.UsageError("give a known import kind and a .csv or .xlsx file name")
    file.write_bytes(im.template_bytes(found, fmt))
    click.echo(f"wrote {file}")
