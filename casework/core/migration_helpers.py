"""Helpers for Alembic data migrations that turn plain columns into encrypted ones.

They run inside ``flask db upgrade`` (an app context), so they use the
application's key ring, exactly as the column types do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from . import crypto

# (table, column, associated data, plain type for downgrade, nullable)
Column = tuple[str, str, str, sa.types.TypeEngine, bool]


def _convert(table: str, column: str, new_type, nullable: bool, transform: Callable) -> None:
    """Add a temporary column, fill it through ``transform``, drop the old one, rename."""
    tmp = f"{column}_new"
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column(tmp, new_type, nullable=True))
    bind = op.get_bind()
    t = sa.table(table, sa.column("id", sa.Integer), sa.column(column), sa.column(tmp))
    rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all()
    for row_id, value in rows:
        bind.execute(sa.update(t).where(t.c.id == row_id).values({tmp: transform(value)}))
    with op.batch_alter_table(table) as batch:
        batch.drop_column(column)
        batch.alter_column(tmp, new_column_name=column, nullable=nullable)


def encrypt_columns(columns: Sequence[Column]) -> None:
    for table, column, aad, _plain, nullable in columns:
        _convert(
            table, column, sa.LargeBinary(), nullable, lambda v, aad=aad: crypto.encrypt(str(v).encode("utf-8"), aad)
        )


def decrypt_columns(columns: Sequence[Column]) -> None:
    for table, column, aad, plain, nullable in reversed(columns):
        _convert(table, column, plain, nullable, lambda v, aad=aad: crypto.decrypt(bytes(v), aad).decode("utf-8"))


# --- row-bound encryption (format 2) ---------------------------------------------------

# (column, associated data, fixed size or None)
BoundColumn = tuple[str, str, int | None]
# (column, associated data, plain type for downgrade, nullable)
PlainColumn = tuple[str, str, sa.types.TypeEngine, bool]

_log = logging.getLogger("casework.crypto")


def _columns_of(table: str) -> dict[str, dict]:
    inspector = sa.inspect(op.get_bind())
    if table not in inspector.get_table_names():
        return {}
    return {c["name"]: c for c in inspector.get_columns(table)}


def _is_binary(column: dict) -> bool:
    return isinstance(column["type"], sa.LargeBinary | sa.types._Binary)


def _legacy_encrypt(plaintext: bytes, aad: str) -> bytes:
    """Format 1 (unpadded, bound to its column only), for downgrades to code that reads only that."""
    ring = crypto.keyring()
    key_id = ring.current.encode()
    nonce = os.urandom(crypto.NONCE_BYTES)
    return bytes([1, len(key_id)]) + key_id + nonce + ring.cipher(ring.current).encrypt(nonce, plaintext, aad.encode())


def bind_table_rows(table: str, bound: Sequence[BoundColumn], plain: Sequence[PlainColumn] = ()) -> None:
    """Give ``table`` a unique random ``row_uid`` per row and re-encrypt its values bound to it.

    ``bound`` lists encrypted columns (any format) to rewrite in format 2; ``plain``
    lists plain-text columns to encrypt. Columns or tables that do not exist are
    skipped, and running it again changes nothing.
    """
    columns = _columns_of(table)
    bound = [c for c in bound if c[0] in columns and _is_binary(columns[c[0]])]
    plain = [c for c in plain if c[0] in columns and not _is_binary(columns[c[0]])]
    if not bound and not plain:
        return
    bind = op.get_bind()
    if "row_uid" not in columns:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("row_uid", sa.String(32), nullable=True))
    t = sa.table(table, sa.column("id", sa.Integer), sa.column("row_uid", sa.String))
    for (row_id,) in bind.execute(sa.select(t.c.id).where(t.c.row_uid.is_(None))).all():
        bind.execute(sa.update(t).where(t.c.id == row_id).values(row_uid=crypto.new_row_uid()))
    with op.batch_alter_table(table) as batch:
        batch.alter_column("row_uid", existing_type=sa.String(32), nullable=False)
        if not any(u["name"] == f"uq_{table}_row_uid" for u in sa.inspect(bind).get_unique_constraints(table)):
            batch.create_unique_constraint(f"uq_{table}_row_uid", ["row_uid"])

    for column, aad, nullable_plain in [(c, a, n) for c, a, _t, n in plain]:
        tmp = f"{column}_new"
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(tmp, sa.LargeBinary(), nullable=True))
        tt = sa.table(table, sa.column("id"), sa.column("row_uid"), sa.column(column), sa.column(tmp))
        rows = bind.execute(sa.select(tt.c.id, tt.c.row_uid, tt.c[column]).where(tt.c[column].is_not(None))).all()
        for row_id, row_uid, value in rows:
            blob = crypto.encrypt(str(value).encode("utf-8"), aad, row_uid=row_uid)
            bind.execute(sa.update(tt).where(tt.c.id == row_id).values({tmp: blob}))
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
            batch.alter_column(tmp, new_column_name=column, nullable=nullable_plain)

    ring = crypto.keyring()
    for column, aad, fixed in bound:
        tt = sa.table(table, sa.column("id"), sa.column("row_uid"), sa.column(column, sa.LargeBinary))
        rows = bind.execute(sa.select(tt.c.id, tt.c.row_uid, tt.c[column]).where(tt.c[column].is_not(None))).all()
        for row_id, row_uid, blob in rows:
            blob = bytes(blob)
            try:
                env = crypto.parse(blob)
                if env.version == crypto.FORMAT_VERSION and env.key_id == ring.current and env.row_uid == row_uid:
                    continue
                plaintext = crypto.decrypt(blob, aad, ring)
            except crypto.DecryptionError as exc:
                _log.warning("left unreadable value in %s.%s id=%s as it is: %s", table, column, row_id, exc)
                continue
            new = crypto.encrypt(plaintext, aad, ring, row_uid=row_uid, pad_to=fixed or crypto.PAD_BLOCK)
            bind.execute(sa.update(tt).where(tt.c.id == row_id).values({column: new}))


def unbind_table_rows(table: str, bound: Sequence[BoundColumn], plain: Sequence[PlainColumn] = ()) -> None:
    """Undo ``bind_table_rows``: values back to format 1, ``plain`` columns decrypted, ``row_uid`` dropped."""
    columns = _columns_of(table)
    if "row_uid" not in columns:
        return
    bind = op.get_bind()
    for column, aad, _fixed in bound:
        if column not in columns:
            continue
        tt = sa.table(table, sa.column("id"), sa.column(column, sa.LargeBinary))
        for row_id, blob in bind.execute(sa.select(tt.c.id, tt.c[column]).where(tt.c[column].is_not(None))).all():
            try:
                plaintext = crypto.decrypt(bytes(blob), aad)
            except crypto.DecryptionError as exc:
                _log.warning("left unreadable value in %s.%s id=%s as it is: %s", table, column, row_id, exc)
                continue
            bind.execute(sa.update(tt).where(tt.c.id == row_id).values({column: _legacy_encrypt(plaintext, aad)}))
    for column, aad, plain_type, nullable in reversed(plain):
        if column in columns:
            _convert(
                table,
                column,
                plain_type,
                nullable,
                lambda v, aad=aad: crypto.decrypt(bytes(v), aad).decode("utf-8"),
            )
    with op.batch_alter_table(table) as batch:
        if any(u["name"] == f"uq_{table}_row_uid" for u in sa.inspect(bind).get_unique_constraints(table)):
            batch.drop_constraint(f"uq_{table}_row_uid", type_="unique")
        batch.drop_column("row_uid")
