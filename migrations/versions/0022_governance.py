"""Information governance: audit filter indexes, manual disclosures, data sharing agreements,
subject access requests, retention rules, legal holds and destruction proposals.

Revision ID: 0022_governance
Revises: 0021_disclosure_policy
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_governance"
down_revision = "0021_disclosure_policy"
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
    op.create_table(
        "gov_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("data_items", sa.Text(), nullable=False),
        sa.Column(
            "lawful_basis",
            sa.Enum(
                "cda1998_s115",
                "gdpr_6_1_e_sch1_safeguarding",
                "gdpr_6_1_d_vital_interests",
                "dpa2018_part3_sch8_safeguarding",
                "asbcpa2014_sch4",
                "consent",
                name="gov_agreement_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_agreement")),
    )
    with op.batch_alter_table("gov_agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_agreement_review_on"), ["review_on"], unique=False)

    op.create_table(
        "gov_agreement_party",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_gov_agreement_party_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["gov_agreement.id"], name=op.f("fk_gov_agreement_party_agreement_id_gov_agreement")
        ),
        sa.PrimaryKeyConstraint("agreement_id", "agency_id", name=op.f("pk_gov_agreement_party")),
    )
    with op.batch_alter_table("gov_agreement_party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_agreement_party_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "gov_disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("recipient_agency_id", sa.Integer(), nullable=False),
        sa.Column("requester_name", sa.LargeBinary(), nullable=False),
        sa.Column("requester_role", sa.LargeBinary(), nullable=False),
        sa.Column("data_items", sa.LargeBinary(), nullable=False),
        sa.Column("purpose", sa.LargeBinary(), nullable=False),
        sa.Column(
            "lawful_basis",
            sa.Enum(
                "cda1998_s115",
                "gdpr_6_1_e_sch1_safeguarding",
                "gdpr_6_1_d_vital_interests",
                "dpa2018_part3_sch8_safeguarding",
                "asbcpa2014_sch4",
                "consent",
                name="gov_disclosure_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("necessity", sa.LargeBinary(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "none",
                "sch1_para18_safeguarding",
                "sch1_para10_crime",
                "sch1_para6_statutory",
                "sch8_para4_safeguarding",
                "sch8_para1_statutory",
                "art9_2_c_vital",
                "consent",
                name="gov_disclosure_condition",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "legal_power",
            sa.Enum(
                "cda1998_s115",
                "ca2004_s11",
                "ca2014_s45",
                "asbcpa2014",
                "common_law",
                "other",
                name="gov_disclosure_power",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("legal_power_other", sa.LargeBinary(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column(
            "consent",
            sa.Enum(
                "given",
                "refused",
                "not_sought",
                name="gov_disclosure_consent",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("without_consent_reason", sa.LargeBinary(), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "secure_email",
                "phone",
                "meeting",
                "letter",
                "portal",
                "other",
                name="gov_disclosure_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "decision",
            sa.Enum(
                "disclose",
                "disclose_part",
                "refuse",
                name="gov_disclosure_decision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("reasons", sa.LargeBinary(), nullable=True),
        sa.Column("decision_maker", sa.LargeBinary(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("reasons_recorded_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["gov_agreement.id"], name=op.f("fk_gov_disclosure_agreement_id_gov_agreement")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_gov_disclosure_person_id_person")),
        sa.ForeignKeyConstraint(
            ["recipient_agency_id"], ["agency.id"], name=op.f("fk_gov_disclosure_recipient_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_gov_disclosure_recorded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_disclosure")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_gov_disclosure_row_uid")),
    )
    with op.batch_alter_table("gov_disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_disclosure_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gov_disclosure_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_gov_disclosure_recipient_agency_id"), ["recipient_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_gov_disclosure_requested_on"), ["requested_on"], unique=False)

    op.create_table(
        "gov_sar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("requester", sa.LargeBinary(), nullable=False),
        sa.Column(
            "route",
            sa.Enum("uk_gdpr", "dpa_part3", name="gov_sar_route", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("identity_checked", sa.Boolean(), nullable=False),
        sa.Column("identity_evidence", sa.LargeBinary(), nullable=True),
        sa.Column("extension_months", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "approved",
                "released",
                "closed",
                name="gov_sar_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("approved_digest", sa.String(length=64), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("logged_by_id", sa.Integer(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["approved_by_id"], ["user.id"], name=op.f("fk_gov_sar_approved_by_id_user")),
        sa.ForeignKeyConstraint(["logged_by_id"], ["user.id"], name=op.f("fk_gov_sar_logged_by_id_user")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_gov_sar_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_sar")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_gov_sar_row_uid")),
    )
    with op.batch_alter_table("gov_sar", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_sar_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gov_sar_received_on"), ["received_on"], unique=False)

    op.create_table(
        "gov_sar_exemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sar_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=120), nullable=False),
        sa.Column(
            "exemption",
            sa.Enum(
                "crime",
                "serious_harm",
                "third_party",
                "legal_privilege",
                "part3_s45_4",
                name="gov_sar_exemption_code",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"], name=op.f("fk_gov_sar_exemption_decided_by_id_user")),
        sa.ForeignKeyConstraint(["sar_id"], ["gov_sar.id"], name=op.f("fk_gov_sar_exemption_sar_id_gov_sar")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_sar_exemption")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_gov_sar_exemption_row_uid")),
        sa.UniqueConstraint("sar_id", "record_key", name="uq_gov_sar_exemption_record"),
    )
    op.create_table(
        "gov_sar_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sar_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["sar_id"], ["gov_sar.id"], name=op.f("fk_gov_sar_pause_sar_id_gov_sar")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_sar_pause")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_gov_sar_pause_row_uid")),
    )
    with op.batch_alter_table("gov_sar_pause", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_sar_pause_sar_id"), ["sar_id"], unique=False)
    op.create_table(
        "gov_retention_rule",
        sa.Column("case_kind", sa.String(length=20), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_kind", name=op.f("pk_gov_retention_rule")),
    )
    op.create_table(
        "gov_destruction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "approved",
                "destroyed",
                "refused",
                name="gov_destruction_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_gov_destruction_case_id_case")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"], name=op.f("fk_gov_destruction_decided_by_id_user")),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["user.id"], name=op.f("fk_gov_destruction_proposed_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_destruction")),
    )
    with op.batch_alter_table("gov_destruction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_destruction_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gov_destruction_status"), ["status"], unique=False)

    op.create_table(
        "gov_legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_gov_legal_hold_case_id_case")),
        sa.ForeignKeyConstraint(["lifted_by_id"], ["user.id"], name=op.f("fk_gov_legal_hold_lifted_by_id_user")),
        sa.ForeignKeyConstraint(["placed_by_id"], ["user.id"], name=op.f("fk_gov_legal_hold_placed_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gov_legal_hold")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_gov_legal_hold_row_uid")),
    )
    with op.batch_alter_table("gov_legal_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_legal_hold_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("gov_legal_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_legal_hold_case_id"))

    op.drop_table("gov_legal_hold")
    with op.batch_alter_table("gov_destruction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_destruction_status"))
        batch_op.drop_index(batch_op.f("ix_gov_destruction_case_id"))

    op.drop_table("gov_destruction")
    op.drop_table("gov_retention_rule")
    with op.batch_alter_table("gov_sar_pause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_sar_pause_sar_id"))

    op.drop_table("gov_sar_pause")
    op.drop_table("gov_sar_exemption")
    with op.batch_alter_table("gov_sar", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_sar_received_on"))
        batch_op.drop_index(batch_op.f("ix_gov_sar_person_id"))

    op.drop_table("gov_sar")
    with op.batch_alter_table("gov_disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_disclosure_requested_on"))
        batch_op.drop_index(batch_op.f("ix_gov_disclosure_recipient_agency_id"))
        batch_op.drop_index(batch_op.f("ix_gov_disclosure_person_id"))
        batch_op.drop_index(batch_op.f("ix_gov_disclosure_agreement_id"))

    op.drop_table("gov_disclosure")
    with op.batch_alter_table("gov_agreement_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_agreement_party_agency_id"))

    op.drop_table("gov_agreement_party")
    with op.batch_alter_table("gov_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_agreement_review_on"))

    op.drop_table("gov_agreement")
    op.drop_index("ix_audit_event_basis_at", table_name="audit_event")
    op.drop_index("ix_audit_event_agency_at", table_name="audit_event")
    for old, column, new in REPLACED:
        op.drop_index(new, table_name="audit_event")
        op.create_index(old, "audit_event", [column], unique=False)
