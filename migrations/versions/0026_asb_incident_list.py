"""ASB incident list: an index on when each incident happened, so the partnership's list
of incidents (most recent first) reads a page, not the table.

Revision ID: 0026_asb_incident_list
Revises: 0025_import_ref_per_agency
"""

from alembic import op

revision = "0026_asb_incident_list"
down_revision = "0025_import_ref_per_agency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_asb_incident_occurred_at", "asb_incident", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_asb_incident_occurred_at", table_name="asb_incident")
