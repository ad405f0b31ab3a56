"""ASB: incidents (victims, alleged perpetrators, reports, linked groups), each victim's
repeat status, risk assessments, the ASB case's contact cadence, contacts, and actions
against perpetrators with their breaches.

Also the partnership's incident type list, seeded with defaults it can edit, each in one
of the three categories (personal, nuisance, environmental).

Revision ID: 0019_asb
Revises: 0018_iom
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_asb"
down_revision = "0018_iom"
branch_labels = None
depends_on = None

# (code, label, category)
INCIDENT_TYPES = [
    ("noise", "Noise nuisance", "nuisance"),
    ("rowdy", "Rowdy or inconsiderate behaviour", "nuisance"),
    ("vehicle_nuisance", "Vehicle nuisance or inappropriate use", "nuisance"),
    ("neighbour_dispute", "Neighbour dispute", "personal"),
    ("harassment", "Harassment or intimidation", "personal"),
    ("verbal_abuse", "Verbal abuse or threats", "personal"),
    ("targeted", "Targeted behaviour against a person or household", "personal"),
    ("drug_activity", "Drug-related activity", "nuisance"),
    ("begging", "Begging or street drinking", "nuisance"),
    ("graffiti", "Graffiti or vandalism", "environmental"),
    ("fly_tipping", "Fly-tipping or litter", "environmental"),
    ("animal", "Animal-related problems", "environmental"),
    ("other", "Other", "nuisance"),
]


def _seed():
    table = sa.table(
        "asb_incident_type",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("category", sa.String),
        sa.column("is_active", sa.Boolean),
        sa.column("sort_order", sa.Integer),
    )
    op.bulk_insert(
        table,
        [
            {"code": code, "label": label, "category": category, "is_active": True, "sort_order": i}
            for i, (code, label, category) in enumerate(INCIDENT_TYPES, start=1)
        ],
    )


def upgrade():
    op.create_table(
        "asb_incident_type",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "personal",
                "nuisance",
                "environmental",
                name="asb_incident_type_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_asb_incident_type")),
    )
    op.create_table(
        "asb_incident_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_asb_incident_group_created_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_incident_group")),
    )
    op.create_table(
        "asb_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("victim_person_id", sa.Integer(), nullable=False),
        sa.Column("is_household", sa.Boolean(), nullable=False),
        sa.Column("address", sa.LargeBinary(), nullable=True),
        sa.Column("bi_address", sa.LargeBinary(length=16), nullable=True),
        sa.Column("summary", sa.LargeBinary(), nullable=True),
        sa.Column(
            "risk_band",
            sa.Enum("standard", "medium", "high", name="asb_case_risk_band", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("contact_every_days", sa.Integer(), nullable=True),
        sa.Column("last_contact_on", sa.Date(), nullable=True),
        sa.Column("next_contact_due_on", sa.Date(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_asb_case_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["victim_person_id"], ["person.id"], name=op.f("fk_asb_case_victim_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_case")),
        sa.UniqueConstraint("case_id", name=op.f("uq_asb_case_case_id")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_case_row_uid")),
    )
    with op.batch_alter_table("asb_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_case_bi_address"), ["bi_address"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_case_next_contact_due_on"), ["next_contact_due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_case_victim_person_id"), ["victim_person_id"], unique=False)

    op.create_table(
        "asb_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contact_on", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "visit",
                "phone",
                "office",
                "letter",
                "attempted",
                name="asb_contact_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_asb_contact_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_asb_contact_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_contact")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_contact_row_uid")),
    )
    with op.batch_alter_table("asb_contact", schema=None) as batch_op:
        batch_op.create_index("ix_asb_contact_case_on", ["case_id", "contact_on"], unique=False)

    op.create_table(
        "asb_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "personal",
                "nuisance",
                "environmental",
                name="asb_incident_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("type_code", sa.String(length=30), nullable=False),
        sa.Column("location", sa.LargeBinary(), nullable=True),
        sa.Column("bi_location", sa.LargeBinary(length=16), nullable=True),
        sa.Column("description", sa.LargeBinary(), nullable=False),
        sa.Column("is_hate", sa.Boolean(), nullable=False),
        sa.Column("hate_characteristic", sa.LargeBinary(), nullable=True),
        sa.Column("hate_details", sa.LargeBinary(), nullable=True),
        sa.Column("perpetrator_unknown", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_agency_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("deletion_reason", sa.LargeBinary(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_asb_incident_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["deleted_by_id"], ["user.id"], name=op.f("fk_asb_incident_deleted_by_id_user")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["asb_incident_group.id"], name=op.f("fk_asb_incident_group_id_asb_incident_group")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_agency_id"], ["agency.id"], name=op.f("fk_asb_incident_recorded_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_asb_incident_recorded_by_id_user")),
        sa.ForeignKeyConstraint(
            ["type_code"], ["asb_incident_type.code"], name=op.f("fk_asb_incident_type_code_asb_incident_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_incident")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_incident_row_uid")),
    )
    with op.batch_alter_table("asb_incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_incident_bi_location"), ["bi_location"], unique=False)
        batch_op.create_index("ix_asb_incident_case_occurred", ["case_id", "occurred_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_incident_group_id"), ["group_id"], unique=False)
        batch_op.create_index("ix_asb_incident_reported_on", ["reported_on"], unique=False)
        batch_op.create_index("ix_asb_incident_type_occurred", ["type_code", "occurred_on"], unique=False)

    op.create_table(
        "asb_perpetrator_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "warning_letter",
                "abc",
                "cpw",
                "cpn",
                "civil_injunction",
                "cbo",
                "closure_notice",
                "closure_order",
                name="asb_perpetrator_action_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "applied",
                "active",
                "breached",
                "expired",
                "discharged",
                "refused",
                "withdrawn",
                name="asb_perpetrator_action_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("court_reference", sa.LargeBinary(), nullable=True),
        sa.Column("terms", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_asb_perpetrator_action_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_asb_perpetrator_action_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_asb_perpetrator_action_person_id_person")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_asb_perpetrator_action_recorded_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_perpetrator_action")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_perpetrator_action_row_uid")),
    )
    with op.batch_alter_table("asb_perpetrator_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_perpetrator_action_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_asb_perpetrator_action_expires", ["status", "expires_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_perpetrator_action_person_id"), ["person_id"], unique=False)

    op.create_table(
        "asb_risk_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.Column("tool", sa.String(length=60), nullable=False),
        sa.Column("tool_version", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column(
            "band",
            sa.Enum(
                "standard", "medium", "high", name="asb_risk_assessment_band", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("answers", sa.LargeBinary(), nullable=False),
        sa.Column("breakdown", sa.LargeBinary(), nullable=False),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"], ["user.id"], name=op.f("fk_asb_risk_assessment_assessed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_asb_risk_assessment_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_asb_risk_assessment_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_risk_assessment")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_risk_assessment_row_uid")),
    )
    with op.batch_alter_table("asb_risk_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_risk_assessment_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_asb_risk_assessment_person_on", ["person_id", "assessed_on"], unique=False)

    op.create_table(
        "asb_victim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("incident_count", sa.Integer(), nullable=False),
        sa.Column("first_incident_on", sa.Date(), nullable=True),
        sa.Column("last_incident_on", sa.Date(), nullable=True),
        sa.Column("repeat_since", sa.Date(), nullable=True),
        sa.Column("repeat_until", sa.Date(), nullable=True),
        sa.Column(
            "risk_band",
            sa.Enum(
                "standard", "medium", "high", name="asb_victim_risk_band", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("risk_assessed_on", sa.Date(), nullable=True),
        sa.Column("reassess_due_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_asb_victim_case_id_case"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_asb_victim_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_victim")),
        sa.UniqueConstraint("person_id", name=op.f("uq_asb_victim_person_id")),
    )
    with op.batch_alter_table("asb_victim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_victim_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_victim_reassess_due_on"), ["reassess_due_on"], unique=False)
        batch_op.create_index("ix_asb_victim_repeat", ["repeat_until", "person_id"], unique=False)

    op.create_table(
        "asb_breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("breached_on", sa.Date(), nullable=False),
        sa.Column("details", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["asb_perpetrator_action.id"],
            name=op.f("fk_asb_breach_action_id_asb_perpetrator_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_asb_breach_recorded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_breach")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_breach_row_uid")),
    )
    with op.batch_alter_table("asb_breach", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_breach_action_id"), ["action_id"], unique=False)

    op.create_table(
        "asb_incident_perpetrator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.LargeBinary(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["asb_incident.id"],
            name=op.f("fk_asb_incident_perpetrator_incident_id_asb_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_asb_incident_perpetrator_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_incident_perpetrator")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_incident_perpetrator_row_uid")),
    )
    with op.batch_alter_table("asb_incident_perpetrator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_incident_perpetrator_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asb_incident_perpetrator_person_id"), ["person_id"], unique=False)

    op.create_table(
        "asb_incident_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column(
            "reported_to",
            sa.Enum(
                "police",
                "council",
                "housing",
                "other",
                name="asb_incident_report_to",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.LargeBinary(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_asb_incident_report_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["asb_incident.id"],
            name=op.f("fk_asb_incident_report_incident_id_asb_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asb_incident_report")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_asb_incident_report_row_uid")),
    )
    with op.batch_alter_table("asb_incident_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asb_incident_report_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "asb_incident_victim",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("event_key", sa.Integer(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["asb_incident.id"],
            name=op.f("fk_asb_incident_victim_incident_id_asb_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_asb_incident_victim_person_id_person")),
        sa.PrimaryKeyConstraint("incident_id", "person_id", name=op.f("pk_asb_incident_victim")),
    )
    with op.batch_alter_table("asb_incident_victim", schema=None) as batch_op:
        batch_op.create_index("ix_asb_incident_victim_person_on", ["person_id", "live", "occurred_on"], unique=False)
    _seed()


def downgrade():
    with op.batch_alter_table("asb_incident_victim", schema=None) as batch_op:
        batch_op.drop_index("ix_asb_incident_victim_person_on")

    op.drop_table("asb_incident_victim")
    with op.batch_alter_table("asb_incident_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_incident_report_incident_id"))

    op.drop_table("asb_incident_report")
    with op.batch_alter_table("asb_incident_perpetrator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_incident_perpetrator_person_id"))
        batch_op.drop_index(batch_op.f("ix_asb_incident_perpetrator_incident_id"))

    op.drop_table("asb_incident_perpetrator")
    with op.batch_alter_table("asb_breach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_breach_action_id"))

    op.drop_table("asb_breach")
    with op.batch_alter_table("asb_victim", schema=None) as batch_op:
        batch_op.drop_index("ix_asb_victim_repeat")
        batch_op.drop_index(batch_op.f("ix_asb_victim_reassess_due_on"))
        batch_op.drop_index(batch_op.f("ix_asb_victim_case_id"))

    op.drop_table("asb_victim")
    with op.batch_alter_table("asb_risk_assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_asb_risk_assessment_person_on")
        batch_op.drop_index(batch_op.f("ix_asb_risk_assessment_case_id"))

    op.drop_table("asb_risk_assessment")
    with op.batch_alter_table("asb_perpetrator_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_perpetrator_action_person_id"))
        batch_op.drop_index("ix_asb_perpetrator_action_expires")
        batch_op.drop_index(batch_op.f("ix_asb_perpetrator_action_case_id"))

    op.drop_table("asb_perpetrator_action")
    with op.batch_alter_table("asb_incident", schema=None) as batch_op:
        batch_op.drop_index("ix_asb_incident_type_occurred")
        batch_op.drop_index("ix_asb_incident_reported_on")
        batch_op.drop_index(batch_op.f("ix_asb_incident_group_id"))
        batch_op.drop_index("ix_asb_incident_case_occurred")
        batch_op.drop_index(batch_op.f("ix_asb_incident_bi_location"))

    op.drop_table("asb_incident")
    with op.batch_alter_table("asb_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_asb_contact_case_on")

    op.drop_table("asb_contact")
    with op.batch_alter_table("asb_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asb_case_victim_person_id"))
        batch_op.drop_index(batch_op.f("ix_asb_case_next_contact_due_on"))
        batch_op.drop_index(batch_op.f("ix_asb_case_bi_address"))

    op.drop_table("asb_case")
    op.drop_table("asb_incident_group")
    op.drop_table("asb_incident_type")
