"""MARAC forms. Server-side validation with messages next to each field."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional, Regexp

from ..core.forms import (
    EMAIL_MESSAGE,
    MaxLength,
    NotBefore,
    NotInFuture,
    UKDateField,
    VersionedForm,
    WholeNumberField,
    blank_to_none,
    choices,
    optional_code,
    optional_id,
    strip,
)
from ..core.localtime import to_local
from ..core.models.people import ETHNICITIES, GENDERS, YES_NO_UNKNOWN
from ..core.models.work import PLAN_ITEM_STATUSES
from .meetings import RESEARCH_ANSWERS
from .models import CONTACT_METHODS, CONTACT_OUTCOMES, RISK_LEVELS, YES_NO

TEXT = [Optional(), MaxLength(4000)]
SHORT = [Optional(), MaxLength(200)]
PERSON_REF = Regexp(r"^[Pp]?\d{1,9}$", message="Enter a person reference such as P000123")


def dash_form_class(checklist):
    """A DASH form with one answer and one note per question in the checklist data file."""

    class DashForm(FlaskForm):
        completed_on = UKDateField(
            "Date completed", validators=[InputRequired(message="Enter the date"), NotInFuture(), NotBefore()]
        )
        judgement_level = SelectField(
            "Professional judgement: raise the risk level to",
            choices=choices({"medium": "Medium", "high": "High"}, blank="No change"),
            coerce=optional_code,
        )
        judgement_reason = TextAreaField(
            "Reasons for your professional judgement", validators=TEXT, filters=[blank_to_none]
        )

    for q in checklist.questions:
        setattr(
            DashForm,
            f"q_{q.code}",
            RadioField(
                q.text,
                choices=choices({"yes": "Yes", "no": "No", "not_known": "Not known"}),
                validators=[InputRequired(message=q.missing_message)],
            ),
        )
        setattr(DashForm, f"n_{q.code}", TextAreaField(f"Note: {q.short}", validators=TEXT, filters=[blank_to_none]))
    return DashForm


class ChildForm(Form):
    given_names = StringField("Given names", validators=SHORT, filters=[blank_to_none])
    surname = StringField("Surname", validators=SHORT, filters=[blank_to_none])
    dob = UKDateField("Date of birth", validators=[Optional(), NotInFuture(), NotBefore()])
    school = StringField("School or nursery", validators=SHORT, filters=[blank_to_none])
    relationship_to_victim = StringField("Relationship to victim", validators=SHORT, filters=[blank_to_none])
    relationship_to_perpetrator = StringField("Relationship to perpetrator", validators=SHORT, filters=[blank_to_none])

    @property
    def is_blank(self) -> bool:
        return not (self.given_names.data or self.surname.data or self.dob.data)


class ReferralForm(FlaskForm):
    """A MARAC referral. Every problem is found in one submission: the field checks, then
    the rules between fields (``validate``), which the referral service checks again."""

    # Set by the view: DASH assessments of this victim at or over the high-risk score, and
    # whether the victim was referred before (a repeat may then be found automatically).
    high_risk_dash_ids: frozenset[int] = frozenset()
    referred_before: bool = True

    referral_date = UKDateField(
        "Referral date", validators=[InputRequired(message="Enter the referral date"), NotInFuture(), NotBefore()]
    )
    incident_date = UKDateField("Date of the latest incident", validators=[Optional(), NotInFuture(), NotBefore()])
    referrer_name = StringField(
        "Referrer's name",
        validators=[DataRequired(message="Enter the referrer's name"), MaxLength(120)],
        filters=[strip],
    )
    referrer_phone = StringField("Referrer's phone", validators=[Optional(), MaxLength(30)], filters=[blank_to_none])
    referrer_email = EmailField(
        "Referrer's email",
        validators=[Optional(), Email(message=EMAIL_MESSAGE), MaxLength(254)],
        filters=[blank_to_none],
    )
    dash_id = SelectField("DASH risk assessment", coerce=optional_id)
    crit_professional_judgement = BooleanField("Professional judgement")
    judgement_reason = TextAreaField("Reasons for professional judgement", validators=TEXT, filters=[blank_to_none])
    incidents_12_months = WholeNumberField(
        "Police-reported incidents in the last 12 months",
        validators=[
            Optional(),
            NumberRange(
                min=0, max=500, message="Police-reported incidents in the last 12 months must be from 0 to 500"
            ),
        ],
    )
    crit_repeat = BooleanField("Repeat: heard at a MARAC in the last 12 months")
    previous_marac_date = UKDateField("Previous MARAC date", validators=[Optional(), NotInFuture(), NotBefore()])
    previous_reference = StringField(
        "Previous MARAC reference", validators=[Optional(), MaxLength(60)], filters=[blank_to_none]
    )
    victim_aware = RadioField(
        "Is the victim aware of the referral?",
        choices=choices(YES_NO),
        validators=[InputRequired(message="Select whether the victim is aware of the referral")],
    )
    consent = RadioField(
        "Has the victim consented to information sharing?",
        choices=choices(YES_NO),
        validators=[InputRequired(message="Select whether the victim has consented to information sharing")],
    )
    consent_override_reason = TextAreaField(
        "If not, why is information shared without consent?", validators=TEXT, filters=[blank_to_none]
    )
    victim_fears = TextAreaField("Who does the victim fear?", validators=TEXT, filters=[blank_to_none])
    safe_to_call = RadioField(
        "Is it safe to call the victim?",
        choices=choices(YES_NO),
        validators=[InputRequired(message="Select whether it is safe to call the victim")],
    )
    safe_contact = TextAreaField(
        "Safe contact details and times",
        description="Shown only to the IDVA service and police",
        validators=TEXT,
        filters=[blank_to_none],
    )
    summary = TextAreaField("Reason for referral", validators=TEXT, filters=[blank_to_none])
    gender = SelectField("Victim's gender", choices=choices(GENDERS, blank="Not recorded"), coerce=optional_code)
    ethnicity = SelectField(
        "Victim's ethnicity", choices=choices(ETHNICITIES, blank="Not recorded"), coerce=optional_code
    )
    disability = SelectField(
        "Victim has a disability", choices=choices(YES_NO_UNKNOWN, blank="Not recorded"), coerce=optional_code
    )
    is_lgbt = SelectField(
        "Victim is LGBT+", choices=choices(YES_NO_UNKNOWN, blank="Not recorded"), coerce=optional_code
    )
    transfer_in = BooleanField("Transfer in from another MARAC area")
    transfer_from_area = StringField(
        "MARAC area transferred from", validators=[Optional(), MaxLength(120)], filters=[blank_to_none]
    )
    transfer_in_date = UKDateField("Date of transfer", validators=[Optional(), NotInFuture(), NotBefore()])
    transfer_previous_ref = StringField(
        "Reference in the other area", validators=[Optional(), MaxLength(60)], filters=[blank_to_none]
    )
    is_restricted = BooleanField(
        "Restricted: visible only to named users (for example the victim or perpetrator works for a partner agency)"
    )
    perp_reference = StringField(
        "Existing person reference",
        description="If the perpetrator already has a record, for example P000123",
        validators=[Optional(), PERSON_REF],
        filters=[blank_to_none],
    )
    perp_given_names = StringField("Perpetrator's given names", validators=SHORT, filters=[blank_to_none])
    perp_surname = StringField("Perpetrator's surname", validators=SHORT, filters=[blank_to_none])
    perp_dob = UKDateField("Perpetrator's date of birth", validators=[Optional(), NotInFuture(), NotBefore()])
    perp_relationship = StringField("Relationship to the victim", validators=SHORT, filters=[blank_to_none])
    children = FieldList(FormField(ChildForm), min_entries=3, max_entries=8)
    confirm_new_people = BooleanField("I have checked the possible matches: these are different people")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name, message in self.cross_field_errors():
            field = self[name]
            if not field.errors:
                field.errors = list(field.errors) + [message]
                valid = False
        return valid

    def cross_field_errors(self) -> list[tuple[str, str]]:
        """The rules between answers, as (field name, message), all at once."""
        cfg = current_app.config
        out = []
        if self.referral_date.data and self.incident_date.data and self.incident_date.data > self.referral_date.data:
            out.append(("incident_date", "Date of the latest incident must be the same as or before the referral date"))
        if self.crit_professional_judgement.data and not self.judgement_reason.data:
            out.append(("judgement_reason", "Enter the reasons for your professional judgement"))
        if self.consent.data == "no" and not self.consent_override_reason.data:
            out.append(("consent_override_reason", "Enter why information is shared without the victim's consent"))
        if self.transfer_in.data and not self.transfer_from_area.data:
            out.append(("transfer_from_area", "Enter the MARAC area the case is transferred from"))
        if self.crit_repeat.data and not self.previous_marac_date.data and not self.referred_before:
            out.append(
                ("previous_marac_date", "Enter the previous MARAC date: no earlier MARAC referral was found here")
            )
        met = (
            self.dash_id.data in self.high_risk_dash_ids
            or self.crit_professional_judgement.data
            or (self.incidents_12_months.data or 0) >= cfg["MARAC_ESCALATION_INCIDENTS"]
            or self.crit_repeat.data
            or self.referred_before
        )
        if not met:
            out.append(
                (
                    "dash_id",
                    "Select the MARAC criterion that applies: a DASH assessment scoring "
                    f"{cfg['DASH_HIGH_THRESHOLD']} or more, professional judgement with reasons, "
                    f"{cfg['MARAC_ESCALATION_INCIDENTS']} or more incidents in 12 months, or a repeat",
                )
            )
        return out


class DecisionForm(VersionedForm):
    decision = RadioField(
        "Decision",
        choices=choices({"accept": "Accept for MARAC", "decline": "Decline"}),
        validators=[InputRequired(message="Choose accept or decline")],
    )
    reason = TextAreaField("Reason (if declining)", validators=[Optional(), MaxLength(300)], filters=[blank_to_none])
    meeting_id = SelectField(
        "If accepted, list the case on",
        description="The next meeting whose cut-off the referral meets is chosen for you",
        validate_choice=False,  # checked by the service, with a message that says what to do
    )

    LATER = "later"

    def set_meetings(self, offered) -> DecisionForm:
        """``offered``: :class:`casework.marac.meetings.MeetingChoice` rows, soonest first."""
        self.meeting_id.choices = [
            (
                str(c.meeting.id),
                f"{to_local(c.meeting.starts_at):%A %-d %B %Y} (cut-off {c.cutoff:%-d %B})"
                + ("" if c.meets_cutoff else ": cut-off passed, listed as urgent"),
            )
            for c in offered
        ] + [(self.LATER, "List later")]
        self.meeting_id.flags.required = True  # always answered: a meeting, or "List later"
        if not self.meeting_id.data:
            first = next((c for c in offered if c.meets_cutoff), None)
            self.meeting_id.data = str(first.meeting.id) if first else self.LATER
        return self

    def chosen_meeting_id(self) -> int | None:
        value = self.meeting_id.data
        return int(value) if value and value != self.LATER and value.isdigit() else None


class RepeatForm(VersionedForm):
    is_repeat = RadioField(
        "Is this a repeat case?",
        choices=choices({"yes": "Yes, a repeat", "no": "No, a new referral"}),
        validators=[InputRequired(message="Select whether this is a repeat")],
    )
    reason = TextAreaField("Reason (if not a repeat)", validators=[Optional(), MaxLength(300)], filters=[blank_to_none])


class AllocateForm(VersionedForm):
    idva_user_id = SelectField("IDVA", coerce=optional_id)


class MemberForm(FlaskForm):
    user_id = SelectField(
        "Name a user on this restricted case", coerce=optional_id, validators=[InputRequired(message="Choose a user")]
    )


class ContactForm(FlaskForm):
    contact_on = UKDateField("Date", validators=[InputRequired(message="Enter the date"), NotInFuture(), NotBefore()])
    method = SelectField("Method", choices=choices(CONTACT_METHODS))
    outcome = SelectField("Outcome", choices=choices(CONTACT_OUTCOMES))
    notes = TextAreaField("Notes", validators=TEXT, filters=[blank_to_none])


class PlanForm(FlaskForm):
    title = StringField(
        "Plan title",
        default="Safety plan",
        validators=[DataRequired(message="Enter a title for the plan"), MaxLength(200)],
        filters=[strip],
    )
    review_due_on = UKDateField("Review date", validators=[InputRequired(message="Enter a review date"), NotBefore()])


class PlanItemForm(FlaskForm):
    area = StringField(
        "Need or area",
        description="For example home security, safe contact, children",
        validators=[DataRequired(message="Enter the need or area"), MaxLength(60)],
        filters=[strip],
    )
    intervention = TextAreaField(
        "What will be done",
        validators=[DataRequired(message="Enter what will be done"), MaxLength(2000)],
        filters=[strip],
    )
    owner_agency_id = SelectField("Owning agency", coerce=optional_id)
    due_on = UKDateField("Due date", validators=[Optional(), NotBefore()])


class PlanItemStatusForm(VersionedForm):
    status = SelectField("Status", choices=choices(PLAN_ITEM_STATUSES))


class PlanReviewForm(VersionedForm):
    summary = TextAreaField("Review notes", validators=TEXT, filters=[blank_to_none])
    next_review_on = UKDateField(
        "Next review date", validators=[InputRequired(message="Enter the next review date"), NotBefore()]
    )


class ResearchForm(VersionedForm):
    """One agency's research: "information held" (with the text) or "no trace", never both.

    ``confirm`` carries the answer to "remove the text you entered?" when "no trace" is
    chosen with text present: "clear" records no trace and removes the text, "keep"
    records the text as information held. Any other value asks the question.
    """

    held = RadioField(
        "What does your agency hold on the people in this case?",
        choices=choices(RESEARCH_ANSWERS),
        validators=[InputRequired(message="Select whether your agency holds information on these people")],
    )
    findings = TextAreaField(
        "Findings",
        description="Facts from your records, kept separate from opinion",
        validators=TEXT,
        filters=[blank_to_none],
    )
    risks = TextAreaField("Risks identified", validators=TEXT, filters=[blank_to_none])
    withheld = TextAreaField("Anything withheld, and why", validators=TEXT, filters=[blank_to_none])
    confirm = HiddenField(filters=[blank_to_none])


class TransferOutForm(VersionedForm):
    on = UKDateField(
        "Date of transfer", validators=[InputRequired(message="Enter the date"), NotInFuture(), NotBefore()]
    )
    area = StringField(
        "MARAC area transferred to",
        validators=[DataRequired(message="Enter the MARAC area the case is transferred to"), MaxLength(120)],
        filters=[strip],
    )
    sent = TextAreaField(
        "What was sent",
        description="For example minutes and action plans, IDVA handover",
        validators=TEXT,
        filters=[blank_to_none],
    )


class CloseForm(VersionedForm):
    on = UKDateField("Closure date", validators=[InputRequired(message="Enter the date"), NotInFuture(), NotBefore()])
    reason = StringField(
        "Reason",
        validators=[DataRequired(message="Enter the reason for closing the case"), MaxLength(200)],
        filters=[strip],
    )


class CaseListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=choices(
            {
                "submitted": "Awaiting decision",
                "accepted": "Accepted, not listed",
                "listed": "Listed",
                "heard": "Heard",
                "closed": "Closed",
                "transferred_out": "Transferred out",
            },
            blank="Any open",
        ),
        coerce=optional_code,
    )
    find = StringField(
        "Reference or name",
        description="A case reference such as MARAC-2026-0042 (or 42), or the first 3 letters or more of a name",
        validators=[Optional(), MaxLength(100)],
        filters=[blank_to_none],
    )


RISK_LEVEL_CHOICES = RISK_LEVELS


class AddressReleaseForm(FlaskForm):
    reason = TextAreaField(
        "Why the agencies need the victim's address for their research",
        description="For example: housing cannot find the tenancy without it. This is recorded with the release.",
        validators=[DataRequired(message="Enter why the address is needed for research"), MaxLength(500)],
        filters=[strip],
    )


def disclosure_rule_form_class():
    """One agency kind's rule: a checkbox per role and identifier, and the row's version."""
    from .models import DISCLOSURE_FIELDS, DISCLOSURE_ROLES

    class DisclosureRuleForm(VersionedForm):
        pass

    for role, role_label in DISCLOSURE_ROLES.items():
        for name, label in DISCLOSURE_FIELDS.items():
            setattr(DisclosureRuleForm, f"{role}_{name}", BooleanField(f"{role_label}: {label.lower()}"))
    return DisclosureRuleForm
