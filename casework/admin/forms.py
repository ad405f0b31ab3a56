from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Regexp

from ..core.access import ROLES
from ..core.forms import MaxLength, MultiCheckboxField, VersionedForm, choices, strip
from ..core.models import AGENCY_KINDS


class AgencyForm(VersionedForm):
    code = StringField(
        "Code",
        description="Short unique code, for example POL or IDVA",
        validators=[
            DataRequired(message="Enter a code"),
            MaxLength(20),
            Regexp(r"^[A-Za-z0-9_-]+$", message="Use letters, digits, - or _"),
        ],
        filters=[strip],
    )
    name = StringField(
        "Name", validators=[DataRequired(message="Enter the agency's name"), MaxLength(200)], filters=[strip]
    )
    kind = SelectField(
        "Kind of agency", choices=choices(AGENCY_KINDS), validators=[DataRequired(message="Select the kind of agency")]
    )
    is_active = BooleanField("Active", default=True)


class UserForm(VersionedForm):
    display_name = StringField(
        "Full name", validators=[DataRequired(message="Enter the user's full name"), MaxLength(120)], filters=[strip]
    )
    agency_id = SelectField("Agency", coerce=int, validators=[DataRequired(message="Choose an agency")])
    roles = MultiCheckboxField(
        "Roles",
        description="Roles you give take effect when another administrator approves; roles you take away go at once.",
    )
    is_active = BooleanField("Active", default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when the form is built: modules add their roles to the registry when they load.
        self.roles.choices = choices(ROLES)


class NewUserForm(UserForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired(message="Enter an email address"),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            MaxLength(254),
        ],
        filters=[strip],
    )
    password = PasswordField(
        "Initial password",
        description="At least 12 characters. Give it to the user by a separate channel; they can change it.",
        validators=[DataRequired(message="Enter an initial password"), MaxLength(256)],
        render_kw={"autocomplete": "new-password"},
    )


class ActionForm(FlaskForm):
    """A one-button action (reset MFA, unlock): carries the CSRF token."""


class DecisionForm(VersionedForm):
    """Approve, refuse or cancel a request: carries the CSRF token and the request's version."""


class TemporaryPasswordForm(FlaskForm):
    password = PasswordField(
        "Temporary password",
        description="Give it to the user by a separate channel. They must choose a new one when they sign in.",
        validators=[DataRequired(message="Enter a temporary password"), MaxLength(256)],
        render_kw={"autocomplete": "new-password"},
    )
