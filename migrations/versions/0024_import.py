"""Spreadsheet import: the imports kept and the external reference of each imported row.

``import_record.ref_index`` is a blind index of (import kind, external reference),
unique per kind, so re-importing a file creates no duplicates; the reference
itself is stored encrypted.

Revision ID: 0024_import
Revises: 0023_notifications
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_import"
down_revision = "0023_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_batch_kind", "import_batch", ["kind"])
    op.create_table(
        "import_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ref_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("external_ref", sa.LargeBinary(), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ref_index", name="uq_import_record_kind_ref"),
        sa.UniqueConstraint("row_uid", name=op.f("uq_import_record_row_uid")),
    )
    op.create_index("ix_import_record_object", "import_record", ["object_type", "object_id"])


def downgrade() -> None:
    op.drop_index("ix_import_record_object", table_name="import_record")
    op.drop_table("import_record")
    op.drop_index("ix_import_batch_kind", table_name="import_batch")
    op.drop_table("import_batch")
