"""Indexes that let case lists and counts stop at a page, whatever the table's size.

``ix_case_open_kind_opened``: open cases of a kind, newest first (partial: closed
cases are never read for the open list). ``ix_case_kind_status_opened``: cases of a
kind in a status, newest first; it also serves every query ``ix_case_kind`` served,
which goes.

``ix_action_due_on_id`` and ``ix_action_agency_due_on``: action lists walk actions in
deadline order, all of them or one agency's; the second replaces
``ix_action_assigned_agency_id``, whose lookups it serves. ``ix_action_open_agency``
(partial): an agency's open actions, for "My work", without its completed history.

Revision ID: 0013_list_indexes
Revises: 0012_person_casework
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_list_indexes"
down_revision = "0012_person_casework"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_kind")
        batch.create_index(
            "ix_case_open_kind_opened",
            ["kind", "opened_on", "id"],
            unique=False,
            postgresql_where=sa.text("closed_on IS NULL"),
            sqlite_where=sa.text("closed_on IS NULL"),
        )
        batch.create_index("ix_case_kind_status_opened", ["kind", "status", "opened_on", "id"], unique=False)
    with op.batch_alter_table("action") as batch:
        batch.drop_index("ix_action_assigned_agency_id")
        batch.create_index("ix_action_due_on_id", ["due_on", "id"], unique=False)
        batch.create_index("ix_action_agency_due_on", ["assigned_agency_id", "due_on", "id"], unique=False)
        batch.create_index(
            "ix_action_open_agency",
            ["assigned_agency_id", "due_on"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )


def downgrade():
    with op.batch_alter_table("action") as batch:
        batch.drop_index("ix_action_open_agency")
        batch.drop_index("ix_action_agency_due_on")
        batch.drop_index("ix_action_due_on_id")
        batch.create_index("ix_action_assigned_agency_id", ["assigned_agency_id"], unique=False)
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_kind_status_opened")
        batch.drop_index("ix_case_open_kind_opened")
        batch.create_index("ix_case_kind", ["kind"], unique=False)
