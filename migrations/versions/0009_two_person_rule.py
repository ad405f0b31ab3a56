"""Two-person rule: requests that need a second administrator, and account provenance.

Revision ID: 0009_two_person_rule
Revises: 0008_sign_in_hardening
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_two_person_rule"
down_revision = "0008_sign_in_hardening"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "grant_roles",
                "reset_mfa",
                "reset_password",
                name="admin_request_kind",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column("target_user_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "refused",
                "cancelled",
                "expired",
                name="admin_request_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"], name=op.f("fk_admin_request_decided_by_id_user")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"], name=op.f("fk_admin_request_requested_by_id_user")),
        sa.ForeignKeyConstraint(["target_user_id"], ["user.id"], name=op.f("fk_admin_request_target_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_request")),
    )
    with op.batch_alter_table("admin_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_request_requested_by_id"), ["requested_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_request_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_request_target_user_id"), ["target_user_id"], unique=False)

    op.create_table(
        "account_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "roles",
                "password",
                "mfa",
                name="account_change_kind",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_account_change_actor_id_user")),
        sa.ForeignKeyConstraint(["target_user_id"], ["user.id"], name=op.f("fk_account_change_target_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_change")),
    )
    with op.batch_alter_table("account_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_change_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_change_target_user_id"), ["target_user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("account_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_change_target_user_id"))
        batch_op.drop_index(batch_op.f("ix_account_change_actor_id"))
    op.drop_table("account_change")
    with op.batch_alter_table("admin_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_request_target_user_id"))
        batch_op.drop_index(batch_op.f("ix_admin_request_status"))
        batch_op.drop_index(batch_op.f("ix_admin_request_requested_by_id"))
    op.drop_table("admin_request")
