"""Encrypt plan item areas and MARAC references from other areas.

A plan item's need ("refuge placement") and another MARAC area's reference can
locate a victim; they become AES-GCM ciphertext like other personal fields.

Revision ID: 0006_encrypt_more_free_text
Revises: 0005_must_change_password
"""

import sqlalchemy as sa

from casework.core.migration_helpers import decrypt_columns, encrypt_columns

revision = "0006_encrypt_more_free_text"
down_revision = "0005_must_change_password"
branch_labels = None
depends_on = None

COLUMNS = [
    ("plan_item", "area", "plan_item.area", sa.String(60), False),
    ("marac_referral", "transfer_previous_ref", "marac_referral.transfer_previous_ref", sa.String(60), True),
    ("marac_referral", "previous_reference", "marac_referral.previous_reference", sa.String(60), True),
]


def upgrade():
    encrypt_columns(COLUMNS)


def downgrade():
    decrypt_columns(COLUMNS)
