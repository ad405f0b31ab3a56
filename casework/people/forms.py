from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, Optional, Regexp, ValidationError

from ..core.forms import (
    EMAIL_MESSAGE,
    MaxLength,
    NotBefore,
    NotInFuture,
    UKDateField,
    VersionedForm,
    blank_to_none,
    choices,
    optional_code,
)
from ..core.models.people import ETHNICITIES, GENDERS, SEXUALITIES, YES_NO_UNKNOWN, person_id_from_reference
from ..core.search import name_words


def _choices(mapping: dict[str, str]):
    return choices(mapping, blank="Not recorded")


PHONE = Regexp(r"^[0-9+()\-\s]{6,25}$", message="Enter a phone number using digits, spaces and +")


class PersonForm(VersionedForm):
    kind = SelectField(
        "Which casework is this record for?",
        description="Until the person is in a case, only colleagues in your agency who work on this casework see it.",
        validate_choice=False,
    )
    given_names = StringField("Given names", validators=[Optional(), MaxLength(200)], filters=[blank_to_none])
    surname = StringField(
        "Surname",
        validators=[MaxLength(200)],
        filters=[blank_to_none],
        description="Record the name the person uses now; add previous names as aliases.",
    )
    aliases = TextAreaField(
        "Aliases and previous names",
        description="One per line",
        validators=[Optional(), MaxLength(1000)],
        filters=[blank_to_none],
    )
    dob = UKDateField(
        "Date of birth",
        validators=[Optional(), NotInFuture("Date of birth must be in the past"), NotBefore()],
    )
    address = TextAreaField("Current address", validators=[Optional(), MaxLength(500)], filters=[blank_to_none])
    postcode = StringField("Postcode", validators=[Optional(), MaxLength(10)], filters=[blank_to_none])
    phone = StringField("Phone number", validators=[Optional(), PHONE], filters=[blank_to_none])
    email = EmailField(
        "Email address", validators=[Optional(), Email(message=EMAIL_MESSAGE), MaxLength(254)], filters=[blank_to_none]
    )
    gender = SelectField("Gender", choices=_choices(GENDERS), coerce=optional_code)
    ethnicity = SelectField("Ethnicity", choices=_choices(ETHNICITIES), coerce=optional_code)
    disability = SelectField("Disability", choices=_choices(YES_NO_UNKNOWN), coerce=optional_code)
    is_lgbt = SelectField("LGBT+", choices=_choices(YES_NO_UNKNOWN), coerce=optional_code)
    sexuality = SelectField("Sexuality", choices=_choices(SEXUALITIES), coerce=optional_code)
    notes = TextAreaField("Notes", validators=[Optional(), MaxLength(5000)], filters=[blank_to_none])
    confirm_new = HiddenField()

    def validate_surname(self, field):
        if not field.data and not self.given_names.data:
            raise ValidationError("Enter a surname or given names")

    def to_data(self) -> dict:
        data = {name: self[name].data for name in PERSON_FORM_FIELDS}
        aliases = [a.strip() for a in (self.aliases.data or "").splitlines() if a.strip()]
        data["aliases"] = aliases or None
        return data

    def load(self, person) -> None:
        for name in PERSON_FORM_FIELDS:
            self[name].data = getattr(person, name)
        self.aliases.data = "\n".join(person.aliases or [])
        self.version_id.data = str(person.version_id)


PERSON_FORM_FIELDS = (
    "given_names",
    "surname",
    "dob",
    "address",
    "postcode",
    "phone",
    "email",
    "gender",
    "ethnicity",
    "disability",
    "is_lgbt",
    "sexuality",
    "notes",
)


class PersonSearchForm(FlaskForm):
    name = StringField(
        "Name or alias",
        description=(
            "Any of their names, or the first 3 letters or more of each, for example 'Joh Smi'. "
            "Names that sound alike are found too."
        ),
        validators=[Optional(), MaxLength(200)],
        filters=[blank_to_none],
    )
    reference = StringField(
        "Person reference",
        description="For example P000123",
        validators=[Optional(), MaxLength(20)],
        filters=[blank_to_none],
    )
    dob = UKDateField("Date of birth", validators=[Optional(), NotInFuture(), NotBefore()])
    phone = StringField("Phone number", validators=[Optional(), PHONE], filters=[blank_to_none])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if self.reference.data and person_id_from_reference(self.reference.data) is None:
            self.reference.errors.append("Enter a reference like P000123")
            return False
        if self.name.data and not name_words(self.name.data):
            self.name.errors.append("Enter a name using letters")
            return False
        if not (self.name.data or self.reference.data or self.dob.data or self.phone.data):
            self.name.errors.append("Enter a name, a reference, a date of birth or a phone number")
            return False
        return True


class ConfirmForm(FlaskForm):
    """An empty form: carries the CSRF token for a one-button action."""

    confirmed = BooleanField("Confirm", default=True)
