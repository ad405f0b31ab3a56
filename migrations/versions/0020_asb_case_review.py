"""ASB Case Review (Community Trigger): applications with the complaints relied on,
threshold decision, review meeting, outcome and appeal; and the record that a victim
was told about the Case Review (2025 statutory guidance).

Revision ID: 0020_asb_case_review
Revises: 0019_asb
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_asb_case_review"
down_revision = "0019_asb"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "asb_case_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column(
            "applicant_kind",
            sa.Enum(
                "victim",
                "on_behalf",
                "business",
                "community",
                name="asb_case_review_applicant_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("applicant_name", sa.LargeBinary(), nullable=False),
        sa.Column("applicant_contact", sa.LargeBinary(), nullable=True),
        sa.Column("victim_person_id", sa.Integer(), nullable=True),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column(
            "involvement",
            sa.Enum(
                "attend",
                "views",
                "outcome_only",
                name="asb_case_review_involvement",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("spoc_user_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.LargeBinary(), nullable=True),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column(
            "threshold_decision",
            sa.Enum("met", "not_met", name="asb_case_review_threshold", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("threshold_decided_on", sa.Date(), nullable=True),
        sa.Column("threshold_reasons", sa.LargeBinary(), nullable=True),
        sa.Column("threshold_count", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "recommendations",
                "no_recommendations",
                name="asb_case_review_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("outcome_summary", sa.LargeBinary(), nullable=True),
        sa.Column("appeal_received_on", sa.Date(), nullable=True),
        sa.Column("appeal_grounds", sa.LargeBinary(), nullable=True),
        sa.Column(
            "appeal_outcome",
            sa.Enum(
                "upheld", "not_upheld", name="asb_case_review_appeal_outcome", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("appeal_decided_on", sa.Date(), nullable=True),
        sa.Column("appeal_notes", sa.LargeBinary(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_asb_case_review_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_asb_case_review_created_by_id_user")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_asb_case_review_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["spoc_user_id"], ["user.id"], name=op.f("fk_asb_case_review_spoc_user_id_user")),
        sa.ForeignKeyConstraint(
            ["victim_person_id"], ["person.id"], name=op.f("fk_asb_case_review_victim_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_case_review")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_case_review_row_uid")),
    )
    with op.batch_alter_table("asb_case_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_case_review_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_case_review_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_case_review_outcome_on"), ["outcome_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_case_review_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_case_review_spoc_user_id"), ["spoc_user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_asb_case_review_threshold_decided_on"), ["threshold_decided_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_asb_case_review_victim_person_id"), ["victim_person_id"], unique=False)

    op.create_table(
        "asb_case_review_explained",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("explained_on", sa.Date(), nullable=False),
        sa.Column("how", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_asb_case_review_explained_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_asb_case_review_explained_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_asb_case_review_explained_recorded_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_case_review_explained")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_case_review_explained_row_uid")),
    )
    with op.batch_alter_table("asb_case_review_explained", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_case_review_explained_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_case_review_explained_person_id"), ["person_id"], unique=False)

    op.create_table(
        "asb_case_review_complaint",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["asb_incident.id"], name=op.f("fk_asb_case_review_complaint_incident_id_asb_incident")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["asb_case_review.id"],
            name=op.f("fk_asb_case_review_complaint_review_id_asb_case_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "incident_id", name=op.f("pk_asb_case_review_complaint")),
    )
    with op.batch_alter_table("asb_case_review_complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_case_review_complaint_incident_id"), ["incident_id"], unique=False)


def downgrade():
    with op.batch_alter_table("asb_case_review_complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_case_review_complaint_incident_id"))

    op.drop_table("asb_case_review_complaint")
    with op.batch_alter_table("asb_case_review_explained", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_case_review_explained_person_id"))
        batch_op.drop_index(batch_op.f("ix_asb_case_review_explained_case_id"))

    op.drop_table("asb_case_review_explained")
    with op.batch_alter_table("asb_case_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_case_review_victim_person_id"))
        batch_op.drop_index(batch_op.f("ix_asb_case_review_threshold_decided_on"))
        batch_op.drop_index(batch_op.f("ix_asb_case_review_spoc_user_id"))
        batch_op.drop_index(batch_op.f("ix_asb_case_review_received_on"))
        batch_op.drop_index(batch_op.f("ix_asb_case_review_outcome_on"))
        batch_op.drop_index(batch_op.f("ix_asb_case_review_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_asb_case_review_case_id"))

    op.drop_table("asb_case_review")
