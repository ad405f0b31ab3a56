"""Encrypt free-text fields that can identify or locate a person.

Closure and decline reasons, the reason a case was taken off an agenda, plan
titles and the MARAC areas a victim moved from or to become AES-GCM ciphertext
like every other personal field. Existing values are encrypted in place with
the application's key ring (so this migration runs inside the app, as
``flask db upgrade`` does); downgrade decrypts them back.

Revision ID: 0004_encrypt_free_text
Revises: 0003_marac
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_encrypt_free_text"
down_revision = "0003_marac"
branch_labels = None
depends_on = None

# (table, column, associated data, plain type for downgrade)
COLUMNS = [
    ("case", "closure_reason", "case.closure_reason", sa.String(200)),
    ("plan", "title", "plan.title", sa.String(200)),
    ("agenda_item", "removed_reason", "agenda_item.removed_reason", sa.String(300)),
    ("marac_referral", "transfer_from_area", "marac_referral.transfer_from_area", sa.String(120)),
    ("marac_referral", "transfer_out_area", "marac_referral.transfer_out_area", sa.String(120)),
    ("marac_referral", "decline_reason", "marac_referral.decline_reason", sa.String(300)),
]
NOT_NULL = {("plan", "title")}


def _convert(table: str, column: str, new_type, transform) -> None:
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
        batch.alter_column(tmp, new_column_name=column, nullable=(table, column) not in NOT_NULL)


def upgrade():
    from casework.core import crypto

    for table, column, aad, _plain in COLUMNS:
        _convert(table, column, sa.LargeBinary(), lambda v, aad=aad: crypto.encrypt(str(v).encode("utf-8"), aad))


def downgrade():
    from casework.core import crypto

    for table, column, aad, plain in reversed(COLUMNS):
        _convert(table, column, plain, lambda v, aad=aad: crypto.decrypt(bytes(v), aad).decode("utf-8"))
