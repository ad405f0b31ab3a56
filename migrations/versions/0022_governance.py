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

# (old single-column index, column, new index with the time)
REPLACED = [
    ("ix_audit_event_actor_user_id", "actor_user_id", "ix_audit_event_user_at"),
    ("ix_audit_event_action", "action", "ix_audit_event_action_at"),
    ("ix_audit_event_recipient_agency_id", "recipient_agency_id", "ix_audit_event_recipient_at"),
]


def upgrade():
    # Plain CREATE INDEX (no batch mode): the audit table refuses UPDATE and DELETE, so it is
    # never copied and rebuilt.
    # The governance log lists newest first under each filter: each filter column is indexed
    # with the time, replacing the single-column indexes.
    for old, column, new in REPLACED:
        op.drop_index(old, table_name="audit_event")
        op.create_index(new, "audit_event", [column, "at"], unique=False)
    op.create_index("ix_audit_event_agency_at", "audit_event", ["actor_agency_id", "at"], unique=False)
    op.create_index("ix_audit_event_basis_at", "audit_event", ["lawful_basis", "at"], unique=False)


def downgrade():
    op.drop_index("ix_audit_event_basis_at", table_name="audit_event")
    op.drop_index("ix_audit_event_agency_at", table_name="audit_event")
    for old, column, new in REPLACED:
        op.drop_index(new, table_name="audit_event")
        op.create_index(old, "audit_event", [column], unique=False)
