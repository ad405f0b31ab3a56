"""Form helpers shared by every module: filters, dates, optimistic-lock field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs or a {value: label} dict."""
    items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
    out = [SelectChoice("", blank)] if blank is not None else []
    return out + [SelectChoice(value, label) for value, label in items]


def optional_code(value):
    """Coerce for a select with a blank option: "" means not recorded (None)."""
    return value or None


MAX_ID = 2**31 - 1


def optional_id(value):
    """Coerce for an id select with a blank option; an impossible id is a form error, not a SQL overflow."""
    if value in (None, ""):
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError("not a valid id")
    return number


def strip(value):
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class NotInFuture:
    """Refuse a date after today (for example a date of birth or an incident date)."""

    def __init__(self, message: str = "Date must be today or in the past"):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(self.message)


class NotBefore:
    """Refuse a date before a sensible floor (catches typing 0199 for 1999)."""

    def __init__(self, floor: date = date(1900, 1, 1), message: str | None = None):
        self.floor = floor
        self.message = message or f"Date must be after {floor.strftime('%d %B %Y')}"

    def __call__(self, form, field) -> None:
        if field.data and field.data < self.floor:
            raise ValidationError(self.message)


class UKDateField(DateField):
    """A date input; a malformed value gets a clear message instead of an error."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter a real date, for example 27 3 2007") from None


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (roles, distribution lists)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionedForm(FlaskForm):
    """Carries the record's version so a stale save becomes a conflict, not an overwrite."""

    version_id = HiddenField()

    def submitted_version(self) -> int | None:
        try:
            return int(self.version_id.data)
        except (TypeError, ValueError):
            return None


def _find_field(form, name: str):
    """A field by name, or by its id inside field lists and sub-forms (``children-0-surname``)."""
    target = getattr(form, name, None)
    if target is not None and hasattr(target, "errors"):
        return target
    for field in form:
        if field.id == name:
            return field
        if field.type == "FieldList":
            for entry in field.entries:
                found = _find_field(entry.form, name) if hasattr(entry, "form") else None
                if found is None and entry.id == name:
                    found = entry
                if found is not None:
                    return found
        if field.type == "FormField":
            found = _find_field(field.form, name)
            if found is not None:
                return found
    return None


def attach_error(form, message: str, field: str | None) -> bool:
    """Show a service's refusal next to the field it names; False if no such field."""
    target = _find_field(form, field) if field else None
    if target is None or not hasattr(target, "errors"):
        return False
    target.errors = list(target.errors) + [message]
    return True


def attach_errors(form, exc) -> list[str]:
    """Attach every error of a ``ServiceError`` (or ``FieldErrors``); return those with no field."""
    pairs = getattr(exc, "errors", None) or [(exc.field, str(exc))]
    return [message for field, message in pairs if not attach_error(form, message, field)]


MAX_PAGE = 1_000_000


def page_arg() -> int:
    """The ``?page=`` number, clamped: a huge value would overflow the SQL OFFSET."""
    from flask import request

    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def positive_int(label: str, **kwargs) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(message=f"Enter {label[0].lower() + label[1:]}"),
            NumberRange(min=0, max=10_000, message=f"{label} must be a whole number from 0 to 10,000"),
        ],
        **kwargs,
    )
