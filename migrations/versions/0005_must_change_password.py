"""Users whose password an administrator set must change it at sign-in.

Revision ID: 0005_must_change_password
Revises: 0004_encrypt_free_text
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_must_change_password"
down_revision = "0004_encrypt_free_text"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("must_change_password")
