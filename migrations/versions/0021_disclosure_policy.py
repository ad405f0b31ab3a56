"""MARAC disclosure policy: what each agency kind sees of the people it researches, and the
coordinator's release of a victim's address for research on one case.

Seeded with the defaults: names, aliases and dates of birth of victim, perpetrators and
children for every kind of agency; addresses only for the IDVA service and police.

Revision ID: 0021_disclosure_policy
Revises: 0020_asb_case_review
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0021_disclosure_policy"
down_revision = "0020_asb_case_review"
branch_labels = None
depends_on = None

AGENCY_KINDS = (
    "police",
    "probation",
    "idva_service",
    "housing",
    "health",
    "children_services",
    "adult_services",
    "council_asb",
    "youth_justice",
    "substance_misuse",
    "fire",
    "education",
    "other",
)
ADDRESS_KINDS = ("idva_service", "police")
ROLES = ("victim", "perpetrator", "child")
FIELDS = ("name", "aliases", "dob", "address")
COLUMNS = [f"{role}_{field}" for role in ROLES for field in FIELDS]


def upgrade():
    op.create_table(
        "marac_disclosure_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_kind", sa.String(length=40), nullable=False),
        *[sa.Column(c, sa.Boolean(), nullable=False) for c in COLUMNS],
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marac_disclosure_rule")),
        sa.UniqueConstraint("agency_kind", name=op.f("uq_marac_disclosure_rule_agency_kind")),
    )
    op.create_table(
        "marac_address_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_marac_address_release_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["user.id"], name=op.f("fk_marac_address_release_released_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["user.id"], name=op.f("fk_marac_address_release_withdrawn_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marac_address_release")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_marac_address_release_row_uid")),
    )
    with op.batch_alter_table("marac_address_release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marac_address_release_case_id"), ["case_id"], unique=False)

    rule = sa.table(
        "marac_disclosure_rule",
        sa.column("agency_kind", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
        sa.column("version_id", sa.Integer),
        *[sa.column(c, sa.Boolean) for c in COLUMNS],
    )
    at = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        rule,
        [
            {
                "agency_kind": kind,
                "created_at": at,
                "updated_at": at,
                "version_id": 1,
                **{c: (kind in ADDRESS_KINDS if c.endswith("_address") else True) for c in COLUMNS},
            }
            for kind in AGENCY_KINDS
        ],
    )


def downgrade():
    with op.batch_alter_table("marac_address_release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marac_address_release_case_id"))
    op.drop_table("marac_address_release")
    op.drop_table("marac_disclosure_rule")
