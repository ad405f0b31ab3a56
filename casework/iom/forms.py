"""IOM forms: server-side validation with GOV.UK messages next to each field.

Choices that come from the partnership's lists (strands, tiers, pathways, offence
categories, officers, agencies) are filled in by the view with ``set_choices``.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..core.forms import (
    NotBefore,
    NotInFuture,
    UKDateField,
    VersionedForm,
    WholeNumberField,
    blank_to_none,
    choices,
    optional_code,
    optional_id,
)
from .models import (
    CATEGORIES,
    CONTACT_OUTCOMES,
    CONTACT_TYPES,
    DESELECTION_REASONS,
    NEED_LEVELS,
    OFFENCE_KINDS,
    RAG,
    SUPERVISION_STATUSES,
)

TEXT = [Optional(), Length(max=4000, message="Enter 4,000 characters or fewer")]
SHORT = [Optional(), Length(max=200, message="Enter 200 characters or fewer")]


def _date(label: str, missing: str, *, past: bool = True) -> UKDateField:
    validators = [InputRequired(message=missing), NotBefore()]
    if past:
        validators.insert(1, NotInFuture(f"{label} must be today or in the past"))
    return UKDateField(label, validators=validators)


def _optional_date(label: str) -> UKDateField:
    return UKDateField(label, validators=[Optional(), NotBefore()])


class NominationForm(FlaskForm):
    nominated_on = _date("Date of nomination", "Enter the date of the nomination")
    reasons = TextAreaField(
        "Reasons for the nomination",
        validators=[InputRequired(message="Enter the reasons for the nomination"), Length(max=4000)],
        filters=[blank_to_none],
    )
    proposed_strand = SelectField("Proposed strand", coerce=optional_code)
    category = SelectField("Category", choices=choices(CATEGORIES, blank="Select the category"), coerce=optional_code)
    ogrs = StringField("OGRS score (0 to 100)", validators=SHORT, filters=[blank_to_none])
    rsr = StringField("RSR score (0 to 100)", validators=SHORT, filters=[blank_to_none])


class DecisionForm(VersionedForm):
    decision = SelectField(
        "Panel decision",
        choices=choices({"adopt": "Adopt onto the cohort", "reject": "Do not adopt"}),
    )
    decided_on = UKDateField("Date of the decision", validators=[Optional(), NotBefore()])
    strand = SelectField("Strand", coerce=optional_code)
    category = SelectField("Category", choices=choices(CATEGORIES, blank="Select the category"), coerce=optional_code)
    lead_user_id = SelectField("Lead officer", coerce=optional_id)
    tier = SelectField("Management tier", coerce=optional_code)
    reason = TextAreaField("Reason (required if not adopted)", validators=TEXT, filters=[blank_to_none])
    # The panel meeting the decision was made at, when recorded from its agenda.
    meeting_id = HiddenField(filters=[blank_to_none])


class DeselectForm(VersionedForm):
    on = _date("Date of deselection", "Enter the date of deselection")
    reason = SelectField(
        "Reason",
        choices=choices(DESELECTION_REASONS, blank="Select the reason"),
        coerce=optional_code,
        validators=[InputRequired(message="Select the reason for deselection")],
    )
    note = TextAreaField("More about the reason", validators=TEXT, filters=[blank_to_none])
    exit_plan = TextAreaField(
        "Exit plan",
        validators=[InputRequired(message="Enter the exit plan"), Length(max=4000)],
        filters=[blank_to_none],
    )


class CloseRecordForm(VersionedForm):
    on = _date("Date closed", "Enter the date the record closed")
    reason = StringField(
        "Reason for closing",
        validators=[InputRequired(message="Enter the reason for closing the record"), Length(max=200)],
        filters=[blank_to_none],
    )


class TierForm(VersionedForm):
    tier = SelectField("New tier", coerce=optional_code)
    changed_on = _date("Date of the change", "Enter the date of the change")
    reason = TextAreaField(
        "Reason for the change",
        validators=[InputRequired(message="Enter the reason for the change"), Length(max=4000)],
        filters=[blank_to_none],
    )


class SupervisionForm(VersionedForm):
    status = SelectField(
        "Supervision or custody status",
        choices=choices(SUPERVISION_STATUSES, blank="Select the status"),
        coerce=optional_code,
    )
    from_on = _date("Status from", "Enter the date the status started")
    expected_release_on = _optional_date("Expected release date (in custody)")
    note = TextAreaField("Note", validators=TEXT, filters=[blank_to_none])


class OffenceForm(FlaskForm):
    kind = SelectField("Type", choices=choices(OFFENCE_KINDS, blank="Select the type"), coerce=optional_code)
    offence_on = _date("Date", "Enter the date of the arrest, charge or conviction")
    category_id = SelectField("Offence category", coerce=optional_id)
    outcome = StringField("Outcome", validators=SHORT, filters=[blank_to_none])
    source_ref = StringField("Source reference (for example a PNC or custody number)", validators=SHORT)
    notes = TextAreaField("Notes", validators=TEXT, filters=[blank_to_none])


class ContactForm(FlaskForm):
    contact_on = _date("Date of contact", "Enter the date of the contact")
    contact_type = SelectField(
        "Type of contact", choices=choices(CONTACT_TYPES, blank="Select the type"), coerce=optional_code
    )
    outcome = SelectField(
        "Outcome", choices=choices(CONTACT_OUTCOMES, blank="Select the outcome"), coerce=optional_code
    )
    notes = TextAreaField("Notes", validators=TEXT, filters=[blank_to_none])


class PathwayForm(VersionedForm):
    pathway_code = SelectField("Pathway", coerce=optional_code)
    need = SelectField("Level of need", choices=choices(NEED_LEVELS, blank="Select the need"), coerce=optional_code)
    rag = SelectField("RAG status", choices=choices(RAG, blank="Select the RAG status"), coerce=optional_code)
    owner_agency_id = SelectField("Owner agency", coerce=optional_id)
    review_due_on = UKDateField("Review date", validators=[InputRequired(message="Enter the review date"), NotBefore()])
    details = TextAreaField("Details", validators=TEXT, filters=[blank_to_none])


class InterventionForm(FlaskForm):
    pathway_code = SelectField("Pathway", coerce=optional_code)
    intervention = TextAreaField(
        "Intervention or referral",
        validators=[InputRequired(message="Describe the intervention or referral"), Length(max=4000)],
        filters=[blank_to_none],
    )
    owner_agency_id = SelectField("Agency", coerce=optional_id)
    due_on = _optional_date("Due date")


class CohortFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField("Show", coerce=optional_code, default="on_cohort")
    strand = SelectField("Strand", coerce=optional_code)
    category = SelectField("Category", choices=choices(CATEGORIES, blank="Any"), coerce=optional_code)
    tier = SelectField("Tier", coerce=optional_code)
    lead_user_id = SelectField("Lead officer", coerce=optional_id)
    supervision = SelectField("Supervision", choices=choices(SUPERVISION_STATUSES, blank="Any"), coerce=optional_code)
    pathway = SelectField("Medium or high need on", coerce=optional_code)


class MeasureForm(FlaskForm):
    """What to count and for whom; the period comes from the shared period chooser
    (``core.report_forms.PeriodForm``) on the same page."""

    class Meta:
        csrf = False

    count = SelectField(
        "Count", choices=choices({"conviction": "Convictions", "arrest": "Arrests"}), default="conviction"
    )
    neighbourhood_only = BooleanField("Neighbourhood crime only")
    strand = SelectField("Strand", coerce=optional_code)
    category = SelectField("Category", choices=choices(CATEGORIES, blank="Any"), coerce=optional_code)


def _finite(form, field) -> None:
    """Refuse "NaN" and "Infinity", which Decimal accepts but no cost can be."""
    from wtforms.validators import StopValidation

    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Enter the unit cost in pounds, from 0 to 10,000,000")


class CategoryForm(VersionedForm):
    gravity = IntegerField(
        "Gravity",
        validators=[
            InputRequired(message="Enter the gravity"),
            NumberRange(min=0, max=10, message="Gravity must be a whole number from 0 to 10"),
        ],
    )
    neighbourhood = BooleanField("Neighbourhood crime")
    unit_cost = DecimalField(
        "Unit cost (£)",
        places=2,
        validators=[
            InputRequired(message="Enter the unit cost"),
            _finite,
            NumberRange(min=0, max=10_000_000, message="Enter the unit cost in pounds, from 0 to 10,000,000"),
        ],
    )
    cost_source = StringField("Source of the cost", validators=SHORT, filters=[blank_to_none])


class StrandForm(FlaskForm):
    fingerprint = HiddenField()
    label = StringField(
        "Name",
        validators=[InputRequired(message="Enter the strand's name"), Length(max=60)],
        filters=[blank_to_none],
    )
    description = TextAreaField(
        "Description",
        validators=[InputRequired(message="Enter a description of the strand"), Length(max=4000)],
        filters=[blank_to_none],
    )


def tier_labels_form(tiers):
    """One label box per management tier (the tiers are the partnership's data)."""

    class TierLabelsForm(FlaskForm):
        fingerprint = HiddenField()

    for tier in tiers:
        setattr(
            TierLabelsForm,
            tier.code,
            StringField(
                f"Label for the tier shown as {tier.label}",
                # Blank and duplicate labels are refused by the service, all at once.
                validators=[Optional(), Length(max=60, message="A tier label must be 60 characters or fewer")],
                filters=[blank_to_none],
            ),
        )
    return TierLabelsForm


def _whole(label: str, *, top: int = 10_000) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=top, message=f"{label} must be a whole number from 0 to {top:,}"),
        ],
    )


class BandForm(Form):
    low = _whole("From")
    high = _whole("To (blank: no upper limit)")
    points = _whole("Points", top=100)


# Rows offered for each factor's bands: the current ones, then blank rows up to this many.
BAND_ROWS = 8


class FactorForm(Form):
    weight = WholeNumberField(
        "Weight",
        validators=[
            InputRequired(message="Enter the weight"),
            NumberRange(min=0, max=100, message="Weight must be a whole number from 0 to 100"),
        ],
    )
    lookback_months = WholeNumberField(
        "Look-back (months)",
        validators=[
            InputRequired(message="Enter the look-back in months"),
            NumberRange(min=1, max=120, message="Look-back must be a whole number of months from 1 to 120"),
        ],
    )
    bands = FieldList(FormField(BandForm), min_entries=BAND_ROWS, max_entries=BAND_ROWS)


class ScoringForm(FlaskForm):
    fingerprint = HiddenField()
    recency = FormField(FactorForm, label="Recency: whole months since the latest conviction")
    frequency = FormField(FactorForm, label="Frequency: convictions in the look-back")
    gravity = FormField(FactorForm, label="Gravity: highest gravity score among convictions in the look-back")
