"""Information governance: audit filter indexes, manual disclosures, data sharing agreements,
subject access requests.

Revision ID: 0022_governance
Revises: 0018_iom
"""

from alembic import op

revision = "0022_governance"
down_revision = "0018_iom"
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX (no batch mode): the audit table refuses UPDATE and DELETE, so it is
    # never copied and rebuilt.
    op.create_index("ix_audit_event_agency_seq", "audit_event", ["actor_agency_id", "seq"], unique=False)
    op.create_index("ix_audit_event_basis_seq", "audit_event", ["lawful_basis", "seq"], unique=False)


def downgrade():
    op.drop_index("ix_audit_event_basis_seq", table_name="audit_event")
    op.drop_index("ix_audit_event_agency_seq", table_name="audit_event")
