"""ASB Case Review forms. Dates are day / month / year; text is refused when too long, never cut."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ...core.forms import (
    MaxLength,
    MultiCheckboxField,
    NotBefore,
    NotInFuture,
    UKDateField,
    VersionedForm,
    blank_to_none,
    choices,
    optional_code,
    optional_id,
)
from ...core.work_forms import MeetingForm
from .models import APPEAL_OUTCOMES, APPLICANT_KINDS, INVOLVEMENT, OUTCOMES, THRESHOLD_DECISIONS
from .services import CONTACT_MAX, NAME_MAX, TEXT_MAX


def _past(label: str, missing: str) -> UKDateField:
    return UKDateField(label, validators=[InputRequired(message=missing), NotBefore(), NotInFuture()])


class ApplicationForm(FlaskForm):
    received_on = _past("Date the application was received", "Enter the date the application was received")
    applicant_kind = RadioField("Who is applying", choices=choices(APPLICANT_KINDS), validate_choice=False)
    applicant_name = StringField(
        "Applicant's name", validators=[Optional(), MaxLength(NAME_MAX)], filters=[blank_to_none]
    )
    applicant_contact = TextAreaField(
        "Applicant's contact details", validators=[Optional(), MaxLength(CONTACT_MAX)], filters=[blank_to_none]
    )
    victim_person_id = SelectField("Victim the application is about", coerce=optional_id, validate_choice=False)
    consent_given = BooleanField("The victim consented to this application being made for them")
    consent_on = UKDateField("Date the victim consented", validators=[Optional(), NotBefore(), NotInFuture()])
    involvement = RadioField("How the victim wants to be involved", choices=choices(INVOLVEMENT), validate_choice=False)
    spoc_user_id = SelectField("Applicant's single point of contact", coerce=optional_id, validate_choice=False)
    incident_ids = MultiCheckboxField("Complaints the application relies on", coerce=int, validate_choice=False)
    summary = TextAreaField(
        "What the applicant says about the response so far",
        validators=[Optional(), MaxLength(TEXT_MAX)],
        filters=[blank_to_none],
    )


class AcknowledgeForm(VersionedForm):
    acknowledged_on = _past("Date acknowledged", "Enter the date the application was acknowledged")


class ThresholdForm(VersionedForm):
    decision = RadioField("Decision", choices=choices(THRESHOLD_DECISIONS), validate_choice=False)
    decided_on = _past("Date of the decision", "Enter the date of the decision")
    reasons = TextAreaField(
        "Reasons (told to the applicant)", validators=[Optional(), MaxLength(TEXT_MAX)], filters=[blank_to_none]
    )


class ReviewMeetingForm(MeetingForm, VersionedForm):
    """The review meeting: date, time, venue, chair and the agencies invited."""


class RecommendationForm(FlaskForm):
    assigned_agency_id = SelectField(
        "Agency responsible",
        coerce=optional_id,
        validators=[InputRequired(message="Choose the agency responsible for this recommendation")],
    )
    description = TextAreaField("Recommendation", validators=[Optional(), MaxLength(TEXT_MAX)], filters=[blank_to_none])
    due_on = UKDateField("Deadline", validators=[InputRequired(message="Enter a deadline"), NotBefore()])


class OutcomeForm(VersionedForm):
    outcome = RadioField("Outcome", choices=choices(OUTCOMES), validate_choice=False)
    outcome_on = _past("Date of the outcome", "Enter the date of the outcome")
    summary = TextAreaField(
        "Outcome for the applicant", validators=[Optional(), MaxLength(TEXT_MAX)], filters=[blank_to_none]
    )


class AppealForm(VersionedForm):
    received_on = _past("Date the appeal was received", "Enter the date the appeal was received")
    grounds = TextAreaField(
        "Grounds of the appeal", validators=[Optional(), MaxLength(TEXT_MAX)], filters=[blank_to_none]
    )


class AppealDecisionForm(VersionedForm):
    outcome = RadioField("Appeal decision", choices=choices(APPEAL_OUTCOMES), validate_choice=False)
    decided_on = _past("Date of the appeal decision", "Enter the date of the appeal decision")
    notes = TextAreaField("Reasons", validators=[Optional(), MaxLength(TEXT_MAX)], filters=[blank_to_none])


class ExplainedForm(FlaskForm):
    person_id = SelectField("Victim", coerce=optional_id, validate_choice=False)
    explained_on = _past("Date explained", "Enter the date the Case Review was explained")
    how = StringField(
        "How (for example by phone, leaflet given)",
        validators=[Optional(), MaxLength(CONTACT_MAX)],
        filters=[blank_to_none],
    )


class FiguresForm(FlaskForm):
    class Meta:
        csrf = False

    year = SelectField("Financial year", coerce=optional_code, validate_choice=False)


def set_choices(field, pairs, blank: str | None = None) -> None:
    field.choices = choices(pairs, blank=blank)
