"""Encrypt free-text fields that can identify or locate a person.

Closure and decline reasons, the reason a case was taken off an agenda, plan
titles and the MARAC areas a victim moved from or to become AES-GCM ciphertext
like every other personal field. Existing values are encrypted in place with
the application's key ring (so this migration runs inside the app, as
``flask db upgrade`` does); downgrade decrypts them back. On PostgreSQL the
old plain values remain in dead row versions until ``VACUUM FULL``.

Revision ID: 0004_encrypt_free_text
Revises: 0003_marac
"""

import sqlalchemy as sa

from casework.core.migration_helpers import decrypt_columns, encrypt_columns

revision = "0004_encrypt_free_text"
down_revision = "0003_marac"
branch_labels = None
depends_on = None

COLUMNS = [
    ("case", "closure_reason", "case.closure_reason", sa.String(200), True),
    ("plan", "title", "plan.title", sa.String(200), False),
    ("agenda_item", "removed_reason", "agenda_item.removed_reason", sa.String(300), True),
    ("marac_referral", "transfer_from_area", "marac_referral.transfer_from_area", sa.String(120), True),
    ("marac_referral", "transfer_out_area", "marac_referral.transfer_out_area", sa.String(120), True),
    ("marac_referral", "decline_reason", "marac_referral.decline_reason", sa.String(300), True),
]


def upgrade():
    encrypt_columns(COLUMNS)


def downgrade():
    decrypt_columns(COLUMNS)
