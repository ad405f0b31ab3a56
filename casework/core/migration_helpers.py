"""Helpers for Alembic data migrations that turn plain columns into encrypted ones.

They run inside ``flask db upgrade`` (an app context), so they use the
application's key ring, exactly as the column types do.
"""

from __future__ import annotations

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
