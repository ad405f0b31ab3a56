"""The coordinator's reason for rejecting a proposed repeat MARAC case.

Detection only proposes a repeat; the coordinator confirms it, or rejects it and
says why. The reason is free text about the case, so it is encrypted like the
reason for declining a referral.

Revision ID: 0014_repeat_reject_reason
Revises: 0013_list_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_repeat_reject_reason"
down_revision = "0013_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("marac_referral") as batch:
        batch.add_column(sa.Column("repeat_reject_reason", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("marac_referral") as batch:
        batch.drop_column("repeat_reject_reason")
