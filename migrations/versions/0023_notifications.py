"""Notifications: in-app rows, outgoing mails (and the development outbox), preferences,
mandatory kinds and agencies' shared mailboxes. Ids only: nothing personal is stored.

Revision ID: 0023_notifications
Revises: 0022_governance
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_notifications"
down_revision = "0022_governance"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_kind_setting",
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_notification_kind_setting")),
    )
    op.create_table(
        "notification_agency_mailbox",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_notification_agency_mailbox_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_notification_agency_mailbox")),
    )
    op.create_table(
        "notification_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("digest_key", sa.String(length=60), nullable=True),
        sa.Column("batch", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("transport", sa.String(length=10), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_notification_mail_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_mail_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_mail")),
        sa.UniqueConstraint("digest_key", name=op.f("uq_notification_mail_digest_key")),
    )
    with op.batch_alter_table("notification_mail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_mail_batch"), ["batch"], unique=False)
        batch_op.create_index("ix_notification_mail_status_next", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_mail_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_preference_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_preference")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("occasion", sa.String(length=60), nullable=True),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("mail_state", sa.String(length=10), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_notification_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["mail_id"], ["notification_mail.id"], name=op.f("fk_notification_mail_id_notification_mail")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_mail_id"), ["mail_id"], unique=False)
        batch_op.create_index("ix_notification_mail_state", ["mail_state", "mode", "user_id"], unique=False)
        batch_op.create_index("ix_notification_kind_object", ["kind", "object_id", "occasion"], unique=False)
        batch_op.create_index("ix_notification_user_read", ["user_id", "read_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_read")
        batch_op.drop_index("ix_notification_kind_object")
        batch_op.drop_index("ix_notification_mail_state")
        batch_op.drop_index(batch_op.f("ix_notification_mail_id"))

    op.drop_table("notification")
    op.drop_table("notification_preference")
    with op.batch_alter_table("notification_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_mail_user_id"))
        batch_op.drop_index("ix_notification_mail_status_next")
        batch_op.drop_index(batch_op.f("ix_notification_mail_batch"))

    op.drop_table("notification_mail")
    op.drop_table("notification_agency_mailbox")
    op.drop_table("notification_kind_setting")
