"""Bind every encrypted value to its row; pad values; encrypt MARAC referrers' contact details.

Each table holding encrypted columns gains ``row_uid`` (32 hex characters,
random, unique, never changed). Every encrypted value is rewritten in format 2:
padded (ISO/IEC 7816-4, to a multiple of 32 bytes, or the fixed size of an
enumerated field) and bound to that uid, which the associated data
authenticates, so a value copied into another row no longer reads. The
referrer's name, phone and e-mail on MARAC referrals, plain text until now,
are encrypted the same way.

The tables and columns are listed here, not read from the models; the ones a
database does not have (or that are not yet encrypted) are skipped, so the
migration can run after others and again without harm. It runs inside the app
(``flask db upgrade``) with the application's key ring. Values that cannot be
decrypted are left as they are and logged. Downgrade rewrites the values in
format 1, decrypts the referrer fields and drops ``row_uid``. On PostgreSQL the
old values remain in dead row versions until ``VACUUM FULL``.

Revision ID: 0011_row_bound_encryption
Revises: 0010_keyed_audit_chain
"""

import sqlalchemy as sa

from casework.core.migration_helpers import bind_table_rows, unbind_table_rows

revision = "0011_row_bound_encryption"
down_revision = "0010_keyed_audit_chain"
branch_labels = None
depends_on = None

CODE = 32  # fixed size of enumerated codes (casework.core.models.people.CODE_SIZE)

# table: [(column, associated data, fixed size or None)]
ENCRYPTED = {
    "user": [("totp_secret", "user.totp_secret", None)],
    "person": [
        ("given_names", "person.given_names", None),
        ("surname", "person.surname", None),
        ("aliases", "person.aliases", None),
        ("dob", "person.dob", None),
        ("address", "person.address", None),
        ("postcode", "person.postcode", None),
        ("phone", "person.phone", None),
        ("email", "person.email", None),
        ("notes", "person.notes", None),
        ("gender", "person.gender", CODE),
        ("ethnicity", "person.ethnicity", CODE),
        ("disability", "person.disability", CODE),
        ("sexuality", "person.sexuality", CODE),
        ("is_lgbt", "person.is_lgbt", CODE),
    ],
    "case": [("closure_reason", "case.closure_reason", None)],
    "case_participant": [
        ("relationship_to_victim", "case_participant.relationship", None),
        ("details", "case_participant.details", None),
    ],
    "meeting": [("venue", "meeting.venue", None), ("cancelled_reason", "meeting.cancelled_reason", None)],
    "agenda_item": [
        ("removed_reason", "agenda_item.removed_reason", None),
        ("minutes", "agenda_item.minutes", None),
    ],
    "attendance": [("name", "attendance.name", None)],
    "action": [("description", "action.description", None)],
    "action_update": [("note", "action_update.note", None)],
    "plan": [("title", "plan.title", None)],
    "plan_item": [("area", "plan_item.area", None), ("intervention", "plan_item.intervention", None)],
    "plan_review": [("summary", "plan_review.summary", None)],
    "marac_dash": [
        ("answers", "marac_dash.answers", None),
        ("judgement_reason", "marac_dash.judgement_reason", None),
    ],
    "marac_referral": [
        ("judgement_reason", "marac_referral.judgement_reason", None),
        ("previous_reference", "marac_referral.previous_reference", None),
        ("consent_override_reason", "marac_referral.consent_override", None),
        ("victim_fears", "marac_referral.victim_fears", None),
        ("safe_contact", "marac_referral.safe_contact", None),
        ("summary", "marac_referral.summary", None),
        ("transfer_from_area", "marac_referral.transfer_from_area", None),
        ("transfer_previous_ref", "marac_referral.transfer_previous_ref", None),
        ("transfer_out_area", "marac_referral.transfer_out_area", None),
        ("transfer_out_sent", "marac_referral.transfer_out_sent", None),
        ("decline_reason", "marac_referral.decline_reason", None),
    ],
    "marac_research": [
        ("findings", "marac_research.findings", None),
        ("risks", "marac_research.risks", None),
        ("withheld", "marac_research.withheld", None),
    ],
    "marac_contact": [("notes", "marac_contact.notes", None)],
}

# table: [(column, associated data, plain type, nullable)], encrypted by this migration
NEWLY_ENCRYPTED = {
    "marac_referral": [
        ("referrer_name", "marac_referral.referrer_name", sa.String(120), False),
        ("referrer_phone", "marac_referral.referrer_phone", sa.String(30), True),
        ("referrer_email", "marac_referral.referrer_email", sa.String(254), True),
    ],
}


def upgrade():
    for table, columns in ENCRYPTED.items():
        bind_table_rows(table, columns, NEWLY_ENCRYPTED.get(table, ()))


def downgrade():
    for table, columns in reversed(ENCRYPTED.items()):
        unbind_table_rows(table, columns, NEWLY_ENCRYPTED.get(table, ()))
