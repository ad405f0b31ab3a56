from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from ..core.audit import LAWFUL_BASES
from ..core.forms import UKDateField, blank_to_none, choices, optional_code, optional_id


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter form: it changes nothing

    action = StringField("Action", validators=[Optional()], filters=[blank_to_none])
    actor_user_id = IntegerField("User id", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    actor_agency_id = SelectField("User's agency", coerce=optional_id, validators=[Optional()])
    lawful_basis = SelectField(
        "Lawful basis", choices=choices(LAWFUL_BASES, blank="Any"), coerce=optional_code, validators=[Optional()]
    )
    person_id = IntegerField(
        "Person id",
        description="The number in a person reference, e.g. 123 for P000123",
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
