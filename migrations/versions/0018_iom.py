"""IOM: offending record, nominations, cohort spells, tiers, supervision, pathways, contacts.

Also the lists a partnership sets for itself, seeded with defaults it can edit:
offence categories (gravity score, neighbourhood-crime flag, example unit cost
and its source year), the recency-frequency-gravity selection matrix (weights
and bands), the Fixed / Flex / Free strands, tier labels and the seven pathways
(plus the two women's pathways, switched off).

Revision ID: 0018_iom
Revises: 0017_person_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_iom"
down_revision = "0017_person_search"
branch_labels = None
depends_on = None

COST_SOURCE = (
    "Example value (Home Office Economic and social costs of crime, 2015/16 prices): replace with local figures"
)

# (code, label, gravity, neighbourhood crime, example unit cost)
CATEGORIES = [
    ("burglary_dwelling", "Burglary (dwelling)", 6, True, 5930),
    ("burglary_other", "Burglary (non-dwelling)", 5, True, 5010),
    ("robbery", "Robbery", 8, True, 11320),
    ("vehicle_theft", "Theft of or from a vehicle", 4, True, 4290),
    ("theft_person", "Theft from the person", 4, True, 1380),
    ("shoplifting", "Shoplifting", 2, False, 130),
    ("other_theft", "Other theft", 3, False, 1030),
    ("violence_injury", "Violence with injury", 7, False, 14050),
    ("violence_no_injury", "Violence without injury", 5, False, 5240),
    ("criminal_damage", "Criminal damage", 3, False, 1350),
    ("drugs", "Drug offences", 4, False, 0),
    ("public_order", "Public order", 2, False, 0),
    ("other", "Other offence", 2, False, 0),
]
STRANDS = [
    (
        "fixed",
        "Fixed",
        "Neighbourhood crime offenders (burglary, robbery, vehicle crime, theft from the person) "
        "under probation supervision, chosen by the national criteria.",
        1,
    ),
    ("flex", "Flex", "Offenders chosen for local priorities agreed by the partnership.", 2),
    ("free", "Free", "Other offenders, including people not under statutory supervision.", 3),
]
TIERS = [("red", "Red", 1), ("amber", "Amber", 2), ("green", "Green", 3)]
# (code, label, enabled, women's pathway, sensitive details)
PATHWAYS = [
    ("accommodation", "Accommodation and support", True, False, False),
    ("ete", "Education, training and employment", True, False, False),
    ("health", "Health (including mental health)", True, False, True),
    ("drugs_alcohol", "Drugs and alcohol", True, False, True),
    ("finance", "Finance, benefits and debt", True, False, False),
    ("children_families", "Children and families", True, False, False),
    ("attitudes", "Attitudes, thinking and behaviour", True, False, False),
    ("abuse", "Abuse, rape and domestic violence (women's pathway)", False, True, True),
    ("sex_work", "Support for women involved in prostitution (women's pathway)", False, True, True),
]
# Selection matrix: (factor, weight, look-back months); bands (factor, low, high, points).
FACTORS = [("recency", 3, 24), ("frequency", 2, 24), ("gravity", 1, 24)]
BANDS = [
    # months since the latest conviction
    ("recency", 0, 2, 5),
    ("recency", 3, 5, 4),
    ("recency", 6, 11, 3),
    ("recency", 12, 23, 1),
    ("recency", 24, None, 0),
    # convictions in the look-back
    ("frequency", 0, 0, 0),
    ("frequency", 1, 2, 1),
    ("frequency", 3, 5, 3),
    ("frequency", 6, 9, 4),
    ("frequency", 10, None, 5),
    # highest gravity in the look-back
    ("gravity", 0, 2, 1),
    ("gravity", 3, 4, 2),
    ("gravity", 5, 6, 3),
    ("gravity", 7, None, 5),
]


def _seed():
    category = sa.table(
        "iom_offence_category",
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("gravity", sa.Integer),
        sa.column("neighbourhood", sa.Boolean),
        sa.column("unit_cost", sa.Numeric),
        sa.column("cost_source", sa.String),
        sa.column("is_active", sa.Boolean),
        sa.column("sort_order", sa.Integer),
        sa.column("version_id", sa.Integer),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    from datetime import UTC, datetime

    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        category,
        [
            {
                "code": code,
                "label": label,
                "gravity": gravity,
                "neighbourhood": nc,
                "unit_cost": cost,
                "cost_source": COST_SOURCE if cost else None,
                "is_active": True,
                "sort_order": i,
                "version_id": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i, (code, label, gravity, nc, cost) in enumerate(CATEGORIES, 1)
        ],
    )
    op.bulk_insert(
        sa.table(
            "iom_strand",
            sa.column("code", sa.String),
            sa.column("label", sa.String),
            sa.column("description", sa.Text),
            sa.column("sort_order", sa.Integer),
        ),
        [{"code": c, "label": lb, "description": d, "sort_order": o} for c, lb, d, o in STRANDS],
    )
    op.bulk_insert(
        sa.table(
            "iom_tier", sa.column("code", sa.String), sa.column("label", sa.String), sa.column("sort_order", sa.Integer)
        ),
        [{"code": c, "label": lb, "sort_order": o} for c, lb, o in TIERS],
    )
    op.bulk_insert(
        sa.table(
            "iom_pathway",
            sa.column("code", sa.String),
            sa.column("label", sa.String),
            sa.column("is_enabled", sa.Boolean),
            sa.column("is_womens", sa.Boolean),
            sa.column("sensitive", sa.Boolean),
            sa.column("sort_order", sa.Integer),
        ),
        [
            {"code": c, "label": lb, "is_enabled": en, "is_womens": w, "sensitive": s, "sort_order": i}
            for i, (c, lb, en, w, s) in enumerate(PATHWAYS, 1)
        ],
    )
    op.bulk_insert(
        sa.table(
            "iom_score_factor",
            sa.column("code", sa.String),
            sa.column("weight", sa.Integer),
            sa.column("lookback_months", sa.Integer),
        ),
        [{"code": c, "weight": w, "lookback_months": m} for c, w, m in FACTORS],
    )
    op.bulk_insert(
        sa.table(
            "iom_score_band",
            sa.column("factor_code", sa.String),
            sa.column("low", sa.Integer),
            sa.column("high", sa.Integer),
            sa.column("points", sa.Integer),
        ),
        [{"factor_code": f, "low": lo, "high": hi, "points": p} for f, lo, hi, p in BANDS],
    )


def upgrade():
    op.create_table(
        "iom_offence_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("gravity", sa.Integer(), nullable=False),
        sa.Column("neighbourhood", sa.Boolean(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("cost_source", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_offence_category")),
        sa.UniqueConstraint("code", name=op.f("uq_iom_offence_category_code")),
    )
    op.create_table(
        "iom_pathway",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("is_womens", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_iom_pathway")),
    )
    op.create_table(
        "iom_score_factor",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("lookback_months", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_iom_score_factor")),
    )
    op.create_table(
        "iom_strand",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_iom_strand")),
    )
    op.create_table(
        "iom_tier",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_iom_tier")),
    )
    op.create_table(
        "iom_score_band",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("factor_code", sa.String(length=20), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["factor_code"], ["iom_score_factor.code"], name=op.f("fk_iom_score_band_factor_code_iom_score_factor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_score_band")),
    )
    with op.batch_alter_table("iom_score_band", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_score_band_factor_code"), ["factor_code"], unique=False)

    op.create_table(
        "iom_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contact_on", sa.Date(), nullable=False),
        sa.Column(
            "contact_type",
            sa.Enum(
                "home_visit",
                "office",
                "phone",
                "joint_visit",
                "missed",
                name="iom_contact_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "engaged",
                "partly_engaged",
                "not_engaged",
                "no_contact",
                name="iom_contact_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_iom_contact_agency_id_agency")),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_iom_contact_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["officer_id"], ["user.id"], name=op.f("fk_iom_contact_officer_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_contact")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_iom_contact_row_uid")),
    )
    with op.batch_alter_table("iom_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_contact_case_id"), ["case_id"], unique=False)

    op.create_table(
        "iom_nomination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("nominated_on", sa.Date(), nullable=False),
        sa.Column("nominating_agency_id", sa.Integer(), nullable=False),
        sa.Column("nominated_by_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.LargeBinary(), nullable=False),
        sa.Column("proposed_strand", sa.String(length=20), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "ppo", "repeat", "other", name="iom_nomination_category", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("ogrs", sa.Integer(), nullable=True),
        sa.Column("rsr", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("score_breakdown", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open", "adopted", "rejected", name="iom_nomination_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.LargeBinary(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_iom_nomination_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_iom_nomination_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["nominated_by_id"], ["user.id"], name=op.f("fk_iom_nomination_nominated_by_id_user")),
        sa.ForeignKeyConstraint(
            ["nominating_agency_id"], ["agency.id"], name=op.f("fk_iom_nomination_nominating_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_strand"], ["iom_strand.code"], name=op.f("fk_iom_nomination_proposed_strand_iom_strand")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_nomination")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_iom_nomination_row_uid")),
    )
    with op.batch_alter_table("iom_nomination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_nomination_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_iom_nomination_status"), ["status"], unique=False)

    op.create_table(
        "iom_offence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "arrest", "charge", "conviction", name="iom_offence_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("offence_on", sa.Date(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.LargeBinary(), nullable=True),
        sa.Column("source_ref", sa.LargeBinary(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_iom_offence_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["category_id"], ["iom_offence_category.id"], name=op.f("fk_iom_offence_category_id_iom_offence_category")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_iom_offence_person_id_person")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], name=op.f("fk_iom_offence_recorded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_offence")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_iom_offence_row_uid")),
    )
    with op.batch_alter_table("iom_offence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_offence_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_iom_offence_person_kind_on", ["person_id", "kind", "offence_on"], unique=False)

    op.create_table(
        "iom_offender",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("on_cohort", sa.Boolean(), nullable=False),
        sa.Column("strand", sa.String(length=20), nullable=True),
        sa.Column(
            "category",
            sa.Enum("ppo", "repeat", "other", name="iom_offender_category", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column(
            "supervision",
            sa.Enum(
                "licence",
                "community_order",
                "pss",
                "unsupervised",
                "custody",
                name="iom_offender_supervision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("expected_release_on", sa.Date(), nullable=True),
        sa.Column("lead_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_iom_offender_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["lead_user_id"], ["user.id"], name=op.f("fk_iom_offender_lead_user_id_user")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_iom_offender_person_id_person")),
        sa.ForeignKeyConstraint(["strand"], ["iom_strand.code"], name=op.f("fk_iom_offender_strand_iom_strand")),
        sa.ForeignKeyConstraint(["tier"], ["iom_tier.code"], name=op.f("fk_iom_offender_tier_iom_tier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_offender")),
        sa.UniqueConstraint("case_id", name=op.f("uq_iom_offender_case_id")),
        sa.UniqueConstraint("person_id", name=op.f("uq_iom_offender_person_id")),
    )
    with op.batch_alter_table("iom_offender", schema=None) as batch_op:
        batch_op.create_index("ix_iom_offender_cohort", ["on_cohort", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_iom_offender_expected_release_on"), ["expected_release_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_iom_offender_lead_user_id"), ["lead_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_iom_offender_supervision"), ["supervision"], unique=False)
        batch_op.create_index(batch_op.f("ix_iom_offender_tier"), ["tier"], unique=False)

    op.create_table(
        "iom_pathway_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("pathway_code", sa.String(length=30), nullable=False),
        sa.Column(
            "need",
            sa.Enum(
                "none",
                "low",
                "medium",
                "high",
                name="iom_pathway_change_need",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "rag",
            sa.Enum("red", "amber", "green", name="iom_pathway_change_rag", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_iom_pathway_change_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pathway_code"], ["iom_pathway.code"], name=op.f("fk_iom_pathway_change_pathway_code_iom_pathway")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_iom_pathway_change_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_pathway_change")),
    )
    with op.batch_alter_table("iom_pathway_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_pathway_change_case_id"), ["case_id"], unique=False)

    op.create_table(
        "iom_pathway_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("pathway_code", sa.String(length=30), nullable=False),
        sa.Column(
            "need",
            sa.Enum(
                "none",
                "low",
                "medium",
                "high",
                name="iom_pathway_need_level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "rag",
            sa.Enum("red", "amber", "green", name="iom_pathway_rag", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("owner_agency_id", sa.Integer(), nullable=True),
        sa.Column("review_due_on", sa.Date(), nullable=True),
        sa.Column("details", sa.LargeBinary(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assessed_by_id"], ["user.id"], name=op.f("fk_iom_pathway_need_assessed_by_id_user")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_iom_pathway_need_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agency.id"], name=op.f("fk_iom_pathway_need_owner_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["pathway_code"], ["iom_pathway.code"], name=op.f("fk_iom_pathway_need_pathway_code_iom_pathway")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_pathway_need")),
        sa.UniqueConstraint("case_id", "pathway_code", name="uq_iom_pathway_need_case_pathway"),
        sa.UniqueConstraint("row_uid", name=op.f("uq_iom_pathway_need_row_uid")),
    )
    with op.batch_alter_table("iom_pathway_need", schema=None) as batch_op:
        batch_op.create_index("ix_iom_pathway_need_pathway_need", ["pathway_code", "need"], unique=False)
        batch_op.create_index(batch_op.f("ix_iom_pathway_need_review_due_on"), ["review_due_on"], unique=False)

    op.create_table(
        "iom_supervision_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "licence",
                "community_order",
                "pss",
                "unsupervised",
                "custody",
                name="iom_supervision_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("from_on", sa.Date(), nullable=False),
        sa.Column("expected_release_on", sa.Date(), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_iom_supervision_change_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_iom_supervision_change_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_supervision_change")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_iom_supervision_change_row_uid")),
    )
    with op.batch_alter_table("iom_supervision_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_supervision_change_case_id"), ["case_id"], unique=False)

    op.create_table(
        "iom_tier_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_iom_tier_change_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tier"], ["iom_tier.code"], name=op.f("fk_iom_tier_change_tier_iom_tier")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_iom_tier_change_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_tier_change")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_iom_tier_change_row_uid")),
    )
    with op.batch_alter_table("iom_tier_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_tier_change_case_id"), ["case_id"], unique=False)

    op.create_table(
        "iom_spell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("strand", sa.String(length=20), nullable=False),
        sa.Column(
            "category",
            sa.Enum("ppo", "repeat", "other", name="iom_spell_category", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("lead_user_id", sa.Integer(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "deselection_reason",
            sa.Enum(
                "desistance",
                "long_custody",
                "moved_out",
                "transferred",
                "deceased",
                "other",
                name="iom_deselection_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("deselection_note", sa.LargeBinary(), nullable=True),
        sa.Column("exit_plan", sa.LargeBinary(), nullable=True),
        sa.Column("row_uid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_iom_spell_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_agency_id"], ["agency.id"], name=op.f("fk_iom_spell_lead_agency_id_agency")),
        sa.ForeignKeyConstraint(["lead_user_id"], ["user.id"], name=op.f("fk_iom_spell_lead_user_id_user")),
        sa.ForeignKeyConstraint(
            ["nomination_id"], ["iom_nomination.id"], name=op.f("fk_iom_spell_nomination_id_iom_nomination")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_iom_spell_person_id_person")),
        sa.ForeignKeyConstraint(["strand"], ["iom_strand.code"], name=op.f("fk_iom_spell_strand_iom_strand")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iom_spell")),
        sa.UniqueConstraint("row_uid", name=op.f("uq_iom_spell_row_uid")),
    )
    with op.batch_alter_table("iom_spell", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_iom_spell_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_iom_spell_dates", ["start_on", "end_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_iom_spell_person_id"), ["person_id"], unique=False)
    _seed()


def downgrade():
    with op.batch_alter_table("iom_spell", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_spell_person_id"))
        batch_op.drop_index("ix_iom_spell_dates")
        batch_op.drop_index(batch_op.f("ix_iom_spell_case_id"))

    op.drop_table("iom_spell")
    with op.batch_alter_table("iom_tier_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_tier_change_case_id"))

    op.drop_table("iom_tier_change")
    with op.batch_alter_table("iom_supervision_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_supervision_change_case_id"))

    op.drop_table("iom_supervision_change")
    with op.batch_alter_table("iom_pathway_need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_pathway_need_review_due_on"))
        batch_op.drop_index("ix_iom_pathway_need_pathway_need")

    op.drop_table("iom_pathway_need")
    with op.batch_alter_table("iom_pathway_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_pathway_change_case_id"))

    op.drop_table("iom_pathway_change")
    with op.batch_alter_table("iom_offender", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_offender_tier"))
        batch_op.drop_index(batch_op.f("ix_iom_offender_supervision"))
        batch_op.drop_index(batch_op.f("ix_iom_offender_lead_user_id"))
        batch_op.drop_index(batch_op.f("ix_iom_offender_expected_release_on"))
        batch_op.drop_index("ix_iom_offender_cohort")

    op.drop_table("iom_offender")
    with op.batch_alter_table("iom_offence", schema=None) as batch_op:
        batch_op.drop_index("ix_iom_offence_person_kind_on")
        batch_op.drop_index(batch_op.f("ix_iom_offence_case_id"))

    op.drop_table("iom_offence")
    with op.batch_alter_table("iom_nomination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_nomination_status"))
        batch_op.drop_index(batch_op.f("ix_iom_nomination_case_id"))

    op.drop_table("iom_nomination")
    with op.batch_alter_table("iom_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_contact_case_id"))

    op.drop_table("iom_contact")
    with op.batch_alter_table("iom_score_band", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_iom_score_band_factor_code"))

    op.drop_table("iom_score_band")
    op.drop_table("iom_tier")
    op.drop_table("iom_strand")
    op.drop_table("iom_score_factor")
    op.drop_table("iom_pathway")
    op.drop_table("iom_offence_category")
