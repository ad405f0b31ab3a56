"""People records remember which casework they were made for.

``person.created_for_kind`` (a module's case kind): while a person is in no case,
only that module's roles in the recording agency see the record. Existing
records take the kind of the casework their creator works in (the first module,
in registration order, whose roles the creator holds); a record whose creator
holds no casework role stays unset and is seen only through the cases it is in.

Revision ID: 0012_person_casework
Revises: 0011_row_bound_encryption
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_person_casework"
down_revision = "0011_row_bound_encryption"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("created_for_kind", sa.String(length=20), nullable=True))
        batch.create_index(batch.f("ix_person_created_for_kind"), ["created_for_kind"], unique=False)

    from casework.core import modules

    person = sa.table("person", sa.column("created_by_id", sa.Integer), sa.column("created_for_kind"))
    user_role = sa.table("user_role", sa.column("user_id", sa.Integer), sa.column("role"))
    bind = op.get_bind()
    for module in reversed(modules.modules()):  # the first module wins: it is applied last
        if not module.roles:
            continue
        creators = sa.select(user_role.c.user_id).where(user_role.c.role.in_(sorted(module.roles)))
        bind.execute(
            sa.update(person).where(person.c.created_by_id.in_(creators)).values(created_for_kind=module.case_kind)
        )


def downgrade():
    with op.batch_alter_table("person") as batch:
        batch.drop_index(batch.f("ix_person_created_for_kind"))
        batch.drop_column("created_for_kind")
