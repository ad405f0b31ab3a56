"""Key the audit chain: each new link is an HMAC under the key ring's audit subkey.

Adds ``audit_event.key_id`` (the key ring id whose audit subkey chained the row;
NULL for rows chained with bare SHA-256 before this revision). If the chain
already holds rows, a keyed ``audit.chain_keyed`` row is appended that vouches
for them: verification accepts SHA-256 rows only as the prefix it names.
Needs the key ring, like the encryption migrations.

Downgrade re-chains the keyed rows with bare SHA-256, the only form the older
release can verify, then drops the column. The append-only triggers are
recreated whenever a batch operation on SQLite rebuilds ``audit_event``.

Revision ID: 0010_keyed_audit_chain
Revises: 0009_two_person_rule
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0010_keyed_audit_chain"
down_revision = "0009_two_person_rule"
branch_labels = None
depends_on = None

TABLE = "audit_event"


def _sqlite_triggers(create: bool) -> None:
    """The triggers of 0002 on audit_event, in exactly its words."""
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb.lower()}")
        if create:
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
            )


def upgrade():
    from casework.core import audit, crypto
    from casework.core.types import utcnow

    dialect = op.get_bind().dialect.name
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("key_id", sa.String(length=64), nullable=True))
    if dialect == "sqlite":
        _sqlite_triggers(create=True)

    bind = op.get_bind()
    table = audit.AuditEvent.__table__
    head = bind.execute(sa.select(table.c.seq, table.c.row_hash).order_by(table.c.seq.desc()).limit(1)).first()
    if head is not None:
        bind.execute(
            sa.insert(table).values(audit.switch_over_row(head.seq, head.row_hash, crypto.keyring(), utcnow()))
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    bind = op.get_bind()
    t = sa.table(
        TABLE,
        sa.column("seq", sa.BigInteger),
        sa.column("payload", sa.Text),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
        sa.column("key_id", sa.String),
    )
    keyed = bind.execute(sa.select(t.c.seq, t.c.payload).where(t.c.key_id.is_not(None)).order_by(t.c.seq)).all()
    if keyed:
        if dialect == "sqlite":
            _sqlite_triggers(create=False)
        else:
            op.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_change")
        prev = bind.execute(sa.select(t.c.row_hash).where(t.c.seq == keyed[0].seq - 1)).scalar()
        prev = prev or "0" * 64
        for seq, payload in keyed:
            row_hash = hashlib.sha256((prev + payload).encode()).hexdigest()
            bind.execute(sa.update(t).where(t.c.seq == seq).values(prev_hash=prev, row_hash=row_hash))
            prev = row_hash
        if dialect != "sqlite":
            op.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_no_change")
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("key_id")
    if dialect == "sqlite":
        _sqlite_triggers(create=True)
