"""Forms for the shared meeting and action mechanisms, used by every module's pages.

Choices that depend on the module (meeting outcomes, "not done" reasons) are set
by the view from the module registry, so one form serves MARAC, IOM and ASB.
"""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from .forms import (
    LocalTimeField,
    MaxLength,
    MultiCheckboxField,
    NotBefore,
    UKDateField,
    VersionedForm,
    blank_to_none,
    choices,
    optional_code,
    optional_id,
    strip,
)
from .localtime import NonexistentTime, to_local, to_utc
from .models.work import ACTION_STATUSES


class MeetingDetailsForm(FlaskForm):
    """When and where a meeting is held, and who chairs it.

    The date and time are the partnership's local time (setting ``TIMEZONE``); the
    meeting is stored in UTC. A time the clocks skip is refused here, next to the field.
    """

    date = UKDateField("Date", validators=[InputRequired(message="Enter the meeting date"), NotBefore()])
    time = LocalTimeField("Start time", validators=[InputRequired(message="Enter the start time")])
    venue = StringField(
        "Venue",
        validators=[
            DataRequired(message="Enter the venue"),
            Length(max=200, message="Venue must be 200 characters or fewer"),
        ],
        filters=[strip],
    )
    chair_user_id = SelectField("Chair", coerce=optional_id)

    def validate_time(self, field) -> None:
        if self.date.data and field.data:
            try:
                to_utc(self.date.data, field.data)
            except NonexistentTime as exc:
                raise ValidationError(str(exc)) from None

    def starts_at(self) -> datetime:
        """The meeting's start as a UTC moment (the form holds local date and time)."""
        return to_utc(self.date.data, self.time.data)

    def fill_start(self, moment: datetime) -> None:
        """Show a stored UTC start as local date and time."""
        local = to_local(moment)
        self.date.data, self.time.data = local.date(), local.time().replace(tzinfo=None)


class MeetingForm(MeetingDetailsForm):
    agency_ids = MultiCheckboxField("Agencies on the distribution list", coerce=int)


class MeetingEditForm(MeetingDetailsForm, VersionedForm):
    """Changing a scheduled meeting: version-checked, so two organisers cannot overwrite each other."""


def reason_field(label: str, missing: str) -> StringField:
    """A required reason of up to 300 characters, with a GOV.UK message when it is missing."""
    return StringField(
        label,
        validators=[DataRequired(message=missing), Length(max=300, message="Reason must be 300 characters or fewer")],
        filters=[strip],
    )


class CancelMeetingForm(VersionedForm):
    reason = reason_field("Reason for cancelling", "Enter the reason for cancelling the meeting")


class MarkHeldForm(VersionedForm):
    """Marking a meeting as held: one button, version-checked."""


class DistributionForm(VersionedForm):
    agency_ids = MultiCheckboxField("Agencies on the distribution list", coerce=int)


class ListCaseForm(FlaskForm):
    case_id = SelectField("Case", coerce=optional_id, validators=[InputRequired(message="Choose a case")])
    urgent = BooleanField("Urgent: list even though the cut-off has passed")


class RemoveItemForm(FlaskForm):
    reason = reason_field("Reason for removing", "Enter the reason for removing the case")


class MoveItemForm(FlaskForm):
    meeting_id = SelectField(
        "Move to meeting", coerce=optional_id, validators=[InputRequired(message="Choose a meeting")]
    )


class ReorderForm(FlaskForm):
    direction = SelectField("Direction", choices=choices({"up": "Up", "down": "Down"}))


class AttendanceForm(FlaskForm):
    agency_id = SelectField("Agency", coerce=optional_id)
    name = StringField(
        "Name",
        validators=[
            DataRequired(message="Enter the attendee's name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
        filters=[strip],
    )
    status = SelectField(
        "Attendance", choices=choices({"present": "Present", "apologies": "Apologies", "absent": "Absent"})
    )
    confidentiality_ack = BooleanField("Confidentiality statement acknowledged")
    information_sent = BooleanField("Information sent (if apologies)")


class MinutesForm(VersionedForm):
    minutes = TextAreaField("Discussion", validators=[Optional(), MaxLength(20000)], filters=[blank_to_none])
    outcome = SelectField("Outcome", coerce=optional_code)

    def set_outcomes(self, outcomes) -> MinutesForm:
        self.outcome.choices = choices(outcomes, blank="Not yet decided")
        return self


class ActionForm(FlaskForm):
    assigned_agency_id = SelectField(
        "Owning agency",
        coerce=optional_id,
        validators=[InputRequired(message="Choose the agency that owns this action")],
    )
    description = TextAreaField(
        "Action",
        validators=[
            DataRequired(message="Describe the action"),
            Length(max=2000, message="Action must be 2,000 characters or fewer"),
        ],
        filters=[strip],
    )
    due_on = UKDateField(
        "Deadline", validators=[InputRequired(message="Enter a deadline for this action"), NotBefore()]
    )


class ActionUpdateForm(VersionedForm):
    status = SelectField("Status", choices=choices({k: v for k, v in ACTION_STATUSES.items() if k != "cancelled"}))
    not_done_reason = SelectField("If not done, why", coerce=optional_code)
    note = TextAreaField("Update", validators=[Optional(), MaxLength(2000)], filters=[blank_to_none])

    def set_reasons(self, reasons) -> ActionUpdateForm:
        self.not_done_reason.choices = choices(reasons, blank="Choose")
        return self


class ActionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    meeting_id = SelectField("Meeting", coerce=optional_id, validate_choice=False)
    agency_id = SelectField("Agency", coerce=optional_id, validate_choice=False)
    status = SelectField("Status", choices=choices(ACTION_STATUSES, blank="Any"), coerce=optional_code)
    overdue = BooleanField("Overdue only")
