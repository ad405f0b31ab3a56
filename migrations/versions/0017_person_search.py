"""Search tokens: find people by part of a name, an alias or a date of birth.

``person_search_token`` holds blind tokens (HMACs under the key ring's index key;
core/search.py): name and alias prefixes, their Metaphone codes and the date of
birth. Existing people are given their tokens here, decrypting their names with the
application's key ring, as the column types do.

Revision ID: 0017_person_search
Revises: 0014_repeat_reject_reason
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_person_search"
down_revision = "0014_repeat_reject_reason"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.create_table(
        "person_search_token",
        sa.Column("token", sa.LargeBinary(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_search_token_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token", "person_id", name=op.f("pk_person_search_token")),
    )
    with op.batch_alter_table("person_search_token") as batch:
        batch.create_index(batch.f("ix_person_search_token_person_id"), ["person_id"], unique=False)
    _backfill()


def _backfill() -> None:
    from casework.core import search
    from casework.core.types import EncryptedDate, EncryptedJSON, EncryptedText, is_unreadable, verify_row

    columns = {
        "given_names": EncryptedText("person.given_names"),
        "surname": EncryptedText("person.surname"),
        "aliases": EncryptedJSON("person.aliases"),
        "dob": EncryptedDate("person.dob"),
    }
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("row_uid"), *(sa.column(c) for c in columns))
    tokens = sa.table("person_search_token", sa.column("token"), sa.column("person_id", sa.Integer))
    bind = op.get_bind()
    dialect = bind.dialect
    last = 0
    while True:
        rows = bind.execute(
            sa.select(person.c.id, person.c.row_uid, *(person.c[c] for c in columns))
            .where(person.c.id > last)
            .order_by(person.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        out = []
        for row in rows:
            values = {}
            for name, column_type in columns.items():
                raw = getattr(row, name)
                value = None if raw is None else column_type.process_result_value(raw, dialect)
                value = verify_row(value, row.row_uid, column_type)
                values[name] = None if value is None or is_unreadable(value) else value
            found = search.person_tokens(values["given_names"], values["surname"], values["aliases"], values["dob"])
            out.extend({"token": t, "person_id": row.id} for t in found)
        if out:
            bind.execute(sa.insert(tokens), out)
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table("person_search_token") as batch:
        batch.drop_index(batch.f("ix_person_search_token_person_id"))
    op.drop_table("person_search_token")
