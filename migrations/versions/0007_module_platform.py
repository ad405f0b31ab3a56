"""Module platform: kinds come from the module registry; one case status; encrypted venues.

- ``case.kind``, ``meeting.kind``, ``plan.kind`` and ``action.not_done_reason`` lose
  their CHECK lists: modules register their own kinds and reasons, and services
  check them (core/modules.py).
- A MARAC referral's status is its case's: ``case.status`` takes the referral's
  status and ``marac_referral.status`` goes ("referred" becomes "submitted").
- A cancelled meeting keeps its reason (encrypted).
- Meeting venues and attendance names are encrypted (a venue can reveal where a
  victim's case is heard).

Revision ID: 0007_module_platform
Revises: 0006_encrypt_more_free_text
"""

import sqlalchemy as sa
from alembic import op

from casework.core.migration_helpers import decrypt_columns, encrypt_columns

revision = "0007_module_platform"
down_revision = "0006_encrypt_more_free_text"
branch_labels = None
depends_on = None

ENCRYPTED = [
    ("meeting", "venue", "meeting.venue", sa.String(200), False),
    ("attendance", "name", "attendance.name", sa.String(120), False),
]

# (table, column, CHECK constraint, old values, new length, nullable)
OPEN_LISTS = [
    ("case", "kind", "case_kind", ("marac", "iom", "asb"), 20, False),
    ("meeting", "kind", "meeting_kind", ("marac", "iom_panel", "asb_mam"), 20, False),
    ("plan", "kind", "plan_kind", ("safety", "pathway", "support"), 20, False),
    (
        "action",
        "not_done_reason",
        "action_not_done_reason",
        ("circumstances_changed", "agency_not_done"),
        40,
        True,
    ),
]
REFERRAL_STATUSES = ("submitted", "accepted", "declined", "listed", "heard", "closed", "transferred_out")


def upgrade():
    for table, column, constraint, values, length, nullable in OPEN_LISTS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(constraint, type_="check")
            batch.alter_column(
                column,
                existing_type=sa.String(max(len(v) for v in values)),
                type_=sa.String(length),
                existing_nullable=nullable,
            )

    case = sa.table("case", sa.column("id", sa.Integer), sa.column("kind"), sa.column("status"))
    referral = sa.table("marac_referral", sa.column("case_id", sa.Integer), sa.column("status"))
    bind = op.get_bind()
    bind.execute(
        sa.update(case)
        .where(case.c.kind == "marac")
        .values(status=sa.select(referral.c.status).where(referral.c.case_id == case.c.id).scalar_subquery())
    )
    bind.execute(sa.update(case).where(case.c.kind == "marac", case.c.status == "referred").values(status="submitted"))
    with op.batch_alter_table("marac_referral") as batch:
        batch.drop_constraint("referral_status", type_="check")
        batch.drop_column("status")

    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("cancelled_reason", sa.LargeBinary(), nullable=True))
    encrypt_columns(ENCRYPTED)


def downgrade():
    decrypt_columns(ENCRYPTED)
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("cancelled_reason")

    with op.batch_alter_table("marac_referral") as batch:
        batch.add_column(
            sa.Column(
                "status",
                sa.Enum(*REFERRAL_STATUSES, name="referral_status", native_enum=False, create_constraint=True),
                nullable=False,
                server_default="submitted",
            )
        )
    case = sa.table("case", sa.column("id", sa.Integer), sa.column("status"))
    referral = sa.table("marac_referral", sa.column("case_id", sa.Integer), sa.column("status"))
    bind = op.get_bind()
    bind.execute(
        sa.update(referral).values(
            status=sa.select(case.c.status).where(case.c.id == referral.c.case_id).scalar_subquery()
        )
    )
    with op.batch_alter_table("marac_referral") as batch:
        batch.alter_column("status", server_default=None)

    for table, column, constraint, values, length, nullable in reversed(OPEN_LISTS):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(length),
                type_=sa.Enum(*values, name=constraint, native_enum=False, create_constraint=True),
                existing_nullable=nullable,
            )
