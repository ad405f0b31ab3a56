from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..core.forms import strip
from .services import CODE_ERROR, normalise_code


def six_ascii_digits(form, field) -> None:
    """A code is six ASCII digits (spaces allowed between them); anything else is a form
    error, never a failed attempt and never an error page."""
    if normalise_code(field.data) is None:
        raise ValidationError(CODE_ERROR)


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired(message="Enter your email address"), Length(max=254)],
        filters=[strip],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Enter your password"), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code from your authenticator app",
        validators=[DataRequired(message=CODE_ERROR), six_ascii_digits],
        filters=[strip],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(message="Enter your current password"), Length(max=256)]
    )
    new_password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words make a strong password.",
        validators=[DataRequired(message="Enter a new password"), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[
            DataRequired(message="Confirm your new password"),
            EqualTo("new_password", message="The passwords do not match"),
        ],
        render_kw={"autocomplete": "new-password"},
    )
