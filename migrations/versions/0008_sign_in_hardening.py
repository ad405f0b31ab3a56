"""Sign-in hardening: pending sign-ins held server-side, throttling without a hard lock.

- ``pending_sign_in``: the state between the password step and the two-factor
  step (single use, bound to the browser's session, short-lived).
- ``login_attempt.account_key``: a keyed hash of the e-mail address typed, so
  failures are counted per account and per (account, address) whether or not
  the account exists. Rows from before this revision carry no key and are only
  throttling data, so they are removed.
- ``user.locked_until`` goes: accounts are never locked by failures any more;
  the wait before the next attempt is worked out from ``login_attempt``.

Revision ID: 0008_sign_in_hardening
Revises: 0007_module_platform
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_sign_in_hardening"
down_revision = "0007_module_platform"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("binding_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_pending_sign_in_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_sign_in")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_sign_in_token_hash")),
    )
    with op.batch_alter_table("pending_sign_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_sign_in_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_sign_in_created_at"), ["created_at"], unique=False)

    op.execute(sa.text("DELETE FROM login_attempt"))
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_key", sa.LargeBinary(length=16), nullable=False))
        batch_op.create_index("ix_login_attempt_account_key_at", ["account_key", "at"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))

    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_account_key_at")
        batch_op.drop_column("account_key")

    with op.batch_alter_table("pending_sign_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_sign_in_created_at"))
        batch_op.drop_index(batch_op.f("ix_pending_sign_in_user_id"))
    op.drop_table("pending_sign_in")
