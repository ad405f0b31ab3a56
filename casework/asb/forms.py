"""ASB forms: server-side validation with GOV.UK messages next to each field.

Choices that come from data (incident types, agencies, the case's perpetrators, similar
cases, the risk questionnaire) are filled in by the view; the services check everything
again.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ..core.forms import (
    LocalTimeField,
    MaxLength,
    NotBefore,
    NotInFuture,
    UKDateField,
    VersionedForm,
    blank_to_none,
    choices,
    optional_code,
    optional_id,
)
from .incidents import DEFAULT_LIST_PERIOD, LIST_PERIODS
from .models import (
    CATEGORIES,
    CONTACT_METHODS,
    HATE_CHARACTERISTICS,
    PERPETRATOR_ACTION_KINDS,
    PERPETRATOR_ACTION_STATUSES,
    REPORTED_TO,
)
from .support import INTERVENTIONS

TEXT = [Optional(), MaxLength(4000)]
SHORT = [Optional(), MaxLength(200)]


def _past(label: str, missing: str) -> UKDateField:
    return UKDateField(
        label,
        validators=[InputRequired(message=missing), NotInFuture(f"{label} must be today or in the past"), NotBefore()],
    )


def _optional_date(label: str) -> UKDateField:
    return UKDateField(label, validators=[Optional(), NotBefore()])


class IncidentForm(FlaskForm):
    occurred_on = _past("Date of the incident", "Enter the date of the incident")
    occurred_time = LocalTimeField("Time of the incident (optional)", validators=[Optional()])
    reported_on = _past("Date first reported", "Enter the date the incident was first reported")
    category = SelectField("Category", choices=choices(CATEGORIES, blank="Select the category"), coerce=optional_code)
    type_code = SelectField("Type of incident", coerce=optional_code)
    location = StringField("Location", validators=SHORT, filters=[blank_to_none])
    description = TextAreaField(
        "What happened",
        validators=[InputRequired(message="Describe what happened"), MaxLength(4000)],
        filters=[blank_to_none],
    )
    reported_to = SelectField(
        "Reported to", choices=choices(REPORTED_TO, blank="Not reported to an agency yet"), coerce=optional_code
    )
    reference = StringField("Their reference number", validators=[Optional(), MaxLength(60)], filters=[blank_to_none])
    reported_to_2 = SelectField(
        "Also reported to", choices=choices(REPORTED_TO, blank="No other agency"), coerce=optional_code
    )
    reference_2 = StringField("Their reference number", validators=[Optional(), MaxLength(60)], filters=[blank_to_none])
    is_hate = BooleanField("The incident was hate-motivated")
    hate_characteristic = SelectField(
        "Protected characteristic",
        choices=choices(HATE_CHARACTERISTICS, blank="Not hate-motivated"),
        coerce=optional_code,
    )
    hate_details = TextAreaField("Details of the hate motivation", validators=TEXT, filters=[blank_to_none])
    other_victims = StringField(
        "Other victims (person references, for example P000123, separated by commas)",
        validators=SHORT,
        filters=[blank_to_none],
    )
    perpetrators = StringField(
        "Alleged perpetrators (person references, separated by commas)", validators=SHORT, filters=[blank_to_none]
    )
    perpetrator_unknown = BooleanField("The perpetrator is not known")
    perpetrator_description = StringField(
        "Description of the unknown perpetrator", validators=SHORT, filters=[blank_to_none]
    )
    # Where the incident goes: "new" (open a new case) or the id of a similar open case.
    target = RadioField("Add the incident to", validators=[Optional()], choices=[])


class DeleteIncidentForm(VersionedForm):
    reason = TextAreaField(
        "Why is the incident being removed?",
        validators=[InputRequired(message="Enter why the incident is being removed"), MaxLength(1000)],
        filters=[blank_to_none],
    )


class LinkForm(FlaskForm):
    first_id = SelectField("Incident", coerce=optional_id, validators=[InputRequired(message="Choose an incident")])
    second_id = SelectField(
        "Same event as", coerce=optional_id, validators=[InputRequired(message="Choose the other incident")]
    )


def risk_form(questionnaire, *, post: bool, prefix: str = "risk", **kwargs):
    """A form with one yes / no / not known question per row of the questionnaire data file."""

    class RiskForm(FlaskForm):
        assessed_on = _past("Date of the assessment", "Enter the date of the assessment")
        notes = TextAreaField("Notes", validators=TEXT, filters=[blank_to_none])

    answer_choices = choices(questionnaire.answers)
    for q in questionnaire.questions:
        setattr(
            RiskForm,
            f"q_{q.code}",
            RadioField(q.label, choices=answer_choices, validators=[Optional()]),
        )
    form = RiskForm(prefix=prefix, **kwargs) if post else RiskForm(formdata=None, prefix=prefix, **kwargs)
    form.question_fields = [getattr(form, f"q_{q.code}") for q in questionnaire.questions]
    return form


class PlanForm(FlaskForm):
    title = StringField(
        "Title of the plan",
        validators=[InputRequired(message="Enter a title for the plan"), MaxLength(200)],
        filters=[blank_to_none],
    )
    first_review_on = _optional_date("First review date (at most 6 weeks away; blank for the latest allowed)")


class InterventionForm(FlaskForm):
    kind = SelectField(
        "Intervention", choices=choices(INTERVENTIONS, blank="Select the intervention"), coerce=optional_code
    )
    details = TextAreaField(
        "What will be done",
        validators=[InputRequired(message="Enter what will be done"), MaxLength(4000)],
        filters=[blank_to_none],
    )
    owner_agency_id = SelectField("Agency responsible", coerce=optional_id)
    due_on = _optional_date("Due date")


class ReviewForm(VersionedForm):
    reviewed_on = _past("Date of the review", "Enter the date of the review")
    summary = TextAreaField(
        "Summary of the review",
        validators=[InputRequired(message="Enter a summary of the review"), MaxLength(4000)],
        filters=[blank_to_none],
    )
    next_review_on = _optional_date("Next review date (blank for the latest allowed)")


class ContactForm(FlaskForm):
    contact_on = _past("Date of the contact", "Enter the date of the contact")
    method = SelectField("How", choices=choices(CONTACT_METHODS, blank="Select how"), coerce=optional_code)
    notes = TextAreaField("Notes", validators=TEXT, filters=[blank_to_none])


class PerpetratorActionForm(FlaskForm):
    person_id = SelectField("Perpetrator", coerce=optional_id)
    kind = SelectField(
        "Action", choices=choices(PERPETRATOR_ACTION_KINDS, blank="Select the action"), coerce=optional_code
    )
    status = SelectField(
        "Status", choices=choices(PERPETRATOR_ACTION_STATUSES, blank="Select the status"), coerce=optional_code
    )
    agency_id = SelectField("Agency taking the action", coerce=optional_id)
    issued_on = _past("Date issued or applied for", "Enter the date issued or applied for")
    expires_on = _optional_date("Expiry date")
    terms = TextAreaField("Terms or conditions", validators=TEXT, filters=[blank_to_none])
    court_reference = StringField("Court or notice reference", validators=SHORT, filters=[blank_to_none])


class ActionStatusForm(VersionedForm):
    status = SelectField(
        "New status", choices=choices(PERPETRATOR_ACTION_STATUSES, blank="Select the status"), coerce=optional_code
    )


class BreachForm(FlaskForm):
    breached_on = _past("Date of the breach", "Enter the date of the breach")
    details = TextAreaField("Details", validators=TEXT, filters=[blank_to_none])


class ListCaseForm(FlaskForm):
    case_id = SelectField("Case to list", coerce=optional_id)


class CloseForm(FlaskForm):
    closed_on = _past("Date closed", "Enter the date the case was closed")
    reason = TextAreaField(
        "Why is the case closing?",
        validators=[InputRequired(message="Enter why the case is closing"), MaxLength(1000)],
        filters=[blank_to_none],
    )


class IncidentListFilterForm(FlaskForm):
    """The incident list's filters: a link may carry them, so nothing in them names anyone."""

    class Meta:
        csrf = False

    period = SelectField("Happened in", choices=choices(LIST_PERIODS), default=DEFAULT_LIST_PERIOD)
    category = SelectField("Category", choices=choices(CATEGORIES, blank="Any"), coerce=optional_code)
    hate = BooleanField("Hate-motivated incidents only")
