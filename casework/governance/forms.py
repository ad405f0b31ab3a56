from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import TextInput

from ..core.audit import LAWFUL_BASES
from ..core.forms import (
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
from ..core.models.people import person_id_from_reference
from . import sharing
from .models import CONDITIONS, CONSENT, DECISIONS, EXEMPTIONS, LEGAL_POWERS, METHODS, SAR_ROUTES


class PersonReferenceField(IntegerField):
    """A person reference as shown on screen (P000123) or its number, to the person's id."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        self.data = person_id_from_reference(valuelist[0])
        if self.data is None:
            raise ValueError("Enter a person reference, for example P000123")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter form: it changes nothing

    action = StringField("Action", validators=[Optional()], filters=[blank_to_none])
    actor_user_id = IntegerField("User id", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    actor_agency_id = SelectField("User's agency", coerce=optional_id, validators=[Optional()])
    lawful_basis = SelectField(
        "Lawful basis", choices=choices(LAWFUL_BASES, blank="Any"), coerce=optional_code, validators=[Optional()]
    )
    person_id = PersonReferenceField(
        "Person",
        description="A person reference, for example P000123 (or just 123)",
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
    )
    recipient_agency_id = SelectField("Recipient agency", coerce=optional_id, validators=[Optional()])
    result = SelectField(
        "Result", choices=choices([("allowed", "Allowed"), ("denied", "Denied")], blank="Any"), coerce=optional_code
    )
    date_from = UKDateField("From", validators=[Optional()])
    date_to = UKDateField("To", validators=[Optional()])


class SharingForm(FlaskForm):
    class Meta:
        csrf = False

    agency_id = SelectField("Agency", coerce=int)
    date_from = UKDateField("From", validators=[Optional()])
    date_to = UKDateField("To", validators=[Optional()])


# --- agreements and disclosures ---------------------------------------------------------

TEXT = [Optional(), MaxLength(4000)]


def _text(label: str, missing: str | None = None, **kwargs) -> TextAreaField:
    validators = [InputRequired(message=missing), MaxLength(4000)] if missing else TEXT
    return TextAreaField(label, validators=validators, filters=[blank_to_none], **kwargs)


def _choice(label: str, options, blank: str, missing: str | None = None) -> SelectField:
    """A required choice of one code from ``options``: ``blank`` is shown until one is chosen
    and, unless ``missing`` says otherwise, is also the message when none is."""
    return SelectField(
        label,
        choices=choices(options, blank=blank),
        coerce=optional_code,
        validators=[InputRequired(message=missing or blank)],
    )


def _person_ref(description: str) -> StringField:
    """The reference of the person a record is about (P000123), looked up by the view."""
    return StringField(
        "Person reference",
        description=description,
        validators=[InputRequired(message="Enter the person reference")],
        filters=[blank_to_none],
    )


def _date(label: str, missing: str, *, past: bool = True) -> UKDateField:
    validators = [InputRequired(message=missing), NotBefore()]
    if past:
        validators.append(NotInFuture())
    return UKDateField(label, validators=validators)


class AgreementForm(VersionedForm):
    title = StringField(
        "Title",
        validators=[InputRequired(message="Enter the agreement's title"), MaxLength(200)],
        filters=[blank_to_none],
    )
    party_ids = MultiCheckboxField("Parties", coerce=int, validators=[Optional()])
    purpose = _text("Purpose of the sharing", "Enter the purpose of the sharing")
    data_items = _text("Data items shared", "Enter the data items the agreement covers")
    lawful_basis = _choice("Lawful basis", LAWFUL_BASES, "Select the lawful basis")
    review_on = _date("Review date", "Enter the review date", past=False)
    is_active = BooleanField("The agreement is in force", default=True)

    def to_data(self) -> dict:
        return {name: self[name].data for name in (*sharing.AGREEMENT_FIELDS, "party_ids")}


class DisclosureForm(FlaskForm):
    person_ref = _person_ref("As shown on the person's record, for example P000123")
    requested_on = _date("Date of the request", "Enter the date of the request")
    recipient_agency_id = SelectField(
        "Requesting agency", coerce=optional_id, validators=[InputRequired(message="Select the requesting agency")]
    )
    requester_name = StringField(
        "Requester's name",
        validators=[InputRequired(message="Enter the requester's name"), MaxLength(200)],
        filters=[blank_to_none],
    )
    requester_role = StringField(
        "Requester's role",
        validators=[InputRequired(message="Enter the requester's role"), MaxLength(200)],
        filters=[blank_to_none],
    )
    data_items = _text("Data items requested", "Enter the data items requested")
    purpose = _text("Purpose", "Enter the purpose of the request")
    lawful_basis = _choice("Lawful basis", LAWFUL_BASES, "Select the lawful basis")
    necessity = _text(
        "Why sharing is necessary and proportionate",
        "Enter why sharing is necessary",
        description="The minimum disclosure required is the maximum permitted.",
    )
    condition = _choice(
        "Special-category or Part 3 condition",
        CONDITIONS,
        "Select the condition",
        "Select the special-category or Part 3 condition",
    )
    legal_power = _choice("Legal power", LEGAL_POWERS, "Select the legal power")
    legal_power_other = StringField(
        "Other legal power", validators=[Optional(), MaxLength(200)], filters=[blank_to_none]
    )
    agreement_id = SelectField("Data sharing agreement", coerce=optional_id, validators=[Optional()])
    consent = _choice("Consent", CONSENT, "Select whether the person consented")
    without_consent_reason = _text("Reason for sharing without consent")
    method = _choice("Method of disclosure", METHODS, "Select the method", "Select the method of disclosure")
    decision = _choice("Decision", DECISIONS, "Select the decision")
    decided_on = _date("Date of the decision", "Enter the date of the decision")
    decision_maker = StringField(
        "Decision maker (name and role)",
        validators=[InputRequired(message="Enter the decision maker's name and role"), MaxLength(200)],
        filters=[blank_to_none],
    )
    emergency = BooleanField("Emergency: the reasons will be recorded afterwards")
    reasons = _text("Reasons for the decision")

    def to_data(self) -> dict:
        return {name: self[name].data for name in sharing.DISCLOSURE_FIELDS}


class ReasonsForm(VersionedForm):
    reasons = _text("Reasons for the decision", "Enter the reasons for the decision")


class DisclosureListForm(FlaskForm):
    class Meta:
        csrf = False

    outstanding_only = BooleanField("Only emergency disclosures awaiting reasons")
    recipient_agency_id = SelectField("Requesting agency", coerce=optional_id, validators=[Optional()])


# --- subject access requests -----------------------------------------------------------------


class SarForm(FlaskForm):
    person_ref = _person_ref("The person the request is about, as shown on their record, for example P000123")
    received_on = _date("Date the request was received", "Enter the date the request was received")
    requester = StringField(
        "Requester",
        description="The name of the person who made the request, and who they are if not the person themselves",
        validators=[InputRequired(message="Enter who made the request"), MaxLength(200)],
        filters=[blank_to_none],
    )
    route = _choice("Made under", SAR_ROUTES, "Select the law the request is made under")
    identity_checked = BooleanField("The requester's identity has been checked")
    identity_evidence = _text("How the identity was checked")


class IdentityForm(VersionedForm):
    identity_evidence = _text("How the identity was checked", "Enter how the requester's identity was checked")


class ExtensionForm(VersionedForm):
    months = SelectField(
        "Extend by",
        choices=choices([("1", "1 month"), ("2", "2 months")], blank="Select how long"),
        coerce=optional_id,
        validators=[InputRequired(message="Select how many months to extend by")],
    )
    reason = _text("Why the request is complex or numerous", "Enter the reason for the extension")


class StopClockForm(VersionedForm):
    started_on = _date("Date clarification was asked for", "Enter the date clarification was asked for")
    note = _text("What was asked")


class RestartClockForm(VersionedForm):
    ended_on = _date("Date clarification was received", "Enter the date clarification was received")


class ExemptionForm(FlaskForm):
    record_key = SelectField(
        "Record to withhold", coerce=optional_code, validators=[InputRequired(message="Select the record to withhold")]
    )
    exemption = _choice("Exemption", EXEMPTIONS, "Select the exemption", "Select the exemption relied on")
    reason = _text("Why it applies", "Enter why the exemption applies")


class RecordKeyForm(FlaskForm):
    record_key = HiddenField(
        validators=[InputRequired(message="Choose the record again from the pack"), MaxLength(120)]
    )


class ApproveForm(VersionedForm):
    pass


class SarListForm(FlaskForm):
    class Meta:
        csrf = False

    show = SelectField(
        "Show", choices=choices([("open", "Open requests"), ("all", "All requests")]), validators=[Optional()]
    )


# --- retention --------------------------------------------------------------------------------


class RetentionRuleForm(FlaskForm):
    case_kind = SelectField(
        "Kind of case", coerce=optional_code, validators=[InputRequired(message="Select a kind of case")]
    )
    years = IntegerField(
        "Years after closure",
        validators=[
            InputRequired(message="Enter the years after closure"),
            NumberRange(min=1, max=100, message="Years after closure must be a whole number from 1 to 100"),
        ],
    )


class LegalHoldForm(FlaskForm):
    case_reference = StringField(
        "Case reference",
        description="For example MARAC-2025-0042",
        validators=[InputRequired(message="Enter the case reference"), MaxLength(30)],
        filters=[blank_to_none],
    )
    reason = _text("Reason for the hold", "Enter the reason for the hold, for example a domestic homicide review")


class DecisionForm(VersionedForm):
    pass
