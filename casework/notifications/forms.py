"""Forms: a user's e-mail choice per kind, the mandatory kinds, an agency's shared mailbox."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField
from wtforms.validators import Email, Optional

from ..core.forms import MaxLength, MultiCheckboxField, choices, strip
from .models import MODES


class _Dynamic(FlaskForm):
    pass


def preferences_form(rows, formdata=None):
    """One radio group per kind; a mandatory kind offers no "No e-mail"."""

    class Form(_Dynamic):
        pass

    for row in rows:
        options = [(code, label) for code, label in MODES.items() if not (row.mandatory and code == "none")]
        setattr(
            Form,
            "k_" + row.kind.code.replace(".", "__"),
            RadioField(
                row.kind.label,
                choices=choices(options),
                default=row.mode,
                description="Required by your administrator" if row.mandatory else None,
            ),
        )
    return Form(formdata=formdata)


def field_kind(name: str) -> str:
    return name[2:].replace("__", ".")


class MandatoryForm(FlaskForm):
    kinds = MultiCheckboxField("Kinds every user must receive by e-mail")


class MailboxForm(FlaskForm):
    agency_id = SelectField("Agency", coerce=int)
    email = EmailField(
        "Shared mailbox",
        description="Leave empty to stop mailing this agency's shared mailbox",
        validators=[Optional(), Email(message="Enter an e-mail address like team@example.org"), MaxLength(254)],
        filters=[strip],
    )
    mode = SelectField("When", choices=choices({"immediate": MODES["immediate"], "digest": MODES["digest"]}))
