"""Import references belong to the importing agency: ``import_record.ref_index`` becomes a
blind index of (import kind, agency, external reference).

Two agencies that both number their rows from 1 no longer skip each other's rows, and an
import no longer tells one agency which references another has imported. Each existing
row's index is worked out again from its decrypted reference and its batch's agency; a
row whose reference was wiped by a destruction (or cannot be read) keeps its index.

Revision ID: 0025_import_ref_per_agency
Revises: 0024_import
"""

import logging

import sqlalchemy as sa
from alembic import op

from casework.core import crypto

revision = "0025_import_ref_per_agency"
down_revision = "0024_import"
branch_labels = None
depends_on = None

_log = logging.getLogger("alembic.runtime.migration")
_AAD = "import_record.external_ref"


def _reindex(with_agency: bool) -> None:
    bind = op.get_bind()
    record = sa.table(
        "import_record",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("ref_index", sa.LargeBinary),
        sa.column("external_ref", sa.LargeBinary),
        sa.column("row_uid", sa.String),
        sa.column("batch_id", sa.Integer),
    )
    batch = sa.table("import_batch", sa.column("id", sa.Integer), sa.column("agency_id", sa.Integer))
    rows = bind.execute(
        sa.select(record.c.id, record.c.kind, record.c.external_ref, record.c.row_uid, batch.c.agency_id).join(
            batch, batch.c.id == record.c.batch_id
        )
    ).all()
    if not rows:
        return
    ring = crypto.keyring()
    for row_id, kind, blob, row_uid, agency_id in rows:
        try:
            ref = crypto.decrypt(bytes(blob), _AAD, ring, row_uid=row_uid).decode("utf-8").strip()
        except (crypto.DecryptionError, UnicodeDecodeError):
            _log.warning("import_record id=%s: reference unreadable, index left as it is", row_id)
            continue
        if not ref:
            continue  # wiped by a destruction: the index is all that is left
        parts = (kind, str(agency_id or 0), ref) if with_agency else (kind, ref)
        index = crypto.blind_index("import.external_ref", *parts, ring=ring)
        bind.execute(sa.update(record).where(record.c.id == row_id).values(ref_index=index))


def upgrade() -> None:
    _reindex(with_agency=True)


def downgrade() -> None:
    # Fails on the unique constraint if two agencies imported the same reference since.
    _reindex(with_agency=False)
