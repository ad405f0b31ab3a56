"""Form helpers shared by every module: filters, dates, optimistic-lock field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, IntegerField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput


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


def _subject(field) -> str:
    """How an error message names a field: its label, as GOV.UK messages start ("Date of birth must …")."""
    text = field.label.text if field.label else "Date"
    return text[:1].upper() + text[1:]


class NotInFuture:
    """Refuse a date after today (for example a date of birth or an incident date)."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(self.message or f"{_subject(field)} must be today or in the past")


class NotBefore:
    """Refuse a date before a sensible floor (catches typing 0199 for 1999)."""

    def __init__(self, floor: date = date(1900, 1, 1), message: str | None = None):
        self.floor = floor
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and field.data < self.floor:
            raise ValidationError(
                self.message or f"{_subject(field)} must be after {self.floor.day} {self.floor:%B %Y}"
            )


class MaxLength(Length):
    """Refuse text longer than ``max`` characters, never cut it: "Summary must be 2,000 characters or fewer".

    The field macro shows a character count under the box ("You have 12 characters too
    many") and never sets the HTML ``maxlength`` attribute, which would silently cut
    pasted text in the browser.
    """

    def __init__(self, max: int, message: str | None = None):
        super().__init__(max=max, message=message)

    def __call__(self, form, field) -> None:
        length = len(field.data or "")
        if length > self.max:
            raise ValidationError(self.message or f"{_subject(field)} must be {self.max:,} characters or fewer")


def too_long_by(field) -> int:
    """How many characters over its limit a text field is (0 if within it); for the character count."""
    limit = getattr(field.flags, "maxlength", None)
    value = field.data if isinstance(field.data, str) else (field.raw_data[0] if field.raw_data else "")
    return max(len(value or "") - limit, 0) if limit else 0


EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"


DATE_PARTS = ("day", "month", "year")
DATE_HINT = "For example, 27 3 2007"


class DateInputField(Field):
    """A date as three inputs, day / month / year (the GOV.UK date input pattern).

    Posted as ``<name>-day``, ``<name>-month`` and ``<name>-year``; a single ISO value
    ``<name>=2026-03-27`` is also accepted (for scripts and API-style posts). The
    server decides: a missing part, an impossible date or a two-digit year is an error
    in GOV.UK words ("Date of birth must include a month", "… must be a real date"),
    and ``error_parts`` names the inputs to highlight. The macro ``field()`` renders it
    as a fieldset with a legend, a hint and three labelled inputs.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", DATE_HINT)
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = {}
        self.error_parts: tuple[str, ...] = ()

    @property
    def error_target(self) -> str:
        """The input an error summary link should focus: the first one in error."""
        return f"{self.id}-{(self.error_parts or DATE_PARTS)[0]}"

    def part_value(self, part: str) -> str:
        """What the input for ``part`` shows: what was typed, else the stored date."""
        if self.parts:
            return self.parts.get(part, "")
        if isinstance(self.data, date):
            return str(getattr(self.data, part))
        return ""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.parts, self.error_parts = {}, ()
        if formdata is None or not any(f"{self.name}-{part}" in formdata for part in DATE_PARTS):
            super().process(formdata, data, extra_filters)  # nothing posted, or one ISO value
            return
        super().process(None, data, extra_filters)
        self.parts = {part: (formdata.get(f"{self.name}-{part}") or "").strip() for part in DATE_PARTS}
        self.raw_data = [" ".join(self.parts[p] for p in DATE_PARTS)] if any(self.parts.values()) else []
        self.data = None
        if self.raw_data:
            try:
                self.data = self._from_parts(self.parts)
            except ValueError as e:
                self.process_errors.append(e.args[0])

    def _value(self):
        return self.data.isoformat() if isinstance(self.data, date) else ""

    def process_data(self, value):
        self.data = value if isinstance(value, date) else None

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = self._from_iso(text) if text else None

    def _from_parts(self, parts: dict[str, str]) -> date:
        subject = _subject(self)
        missing = [p for p in DATE_PARTS if not parts[p]]
        if missing:
            self.error_parts = tuple(missing)
            self.data = None
            raise ValueError(f"{subject} must include a {' and '.join(missing)}")
        bad = tuple(p for p in DATE_PARTS if not parts[p].isdigit() or not parts[p].isascii())
        if bad:
            self.error_parts = bad
            self.data = None
            raise ValueError(f"{subject} must be a real date")
        if len(parts["year"]) != 4:
            self.error_parts = ("year",)
            self.data = None
            raise ValueError(f"{subject} must include a year with 4 numbers, for example 2007")
        try:
            return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            self.error_parts = DATE_PARTS
            self.data = None
            raise ValueError(f"{subject} must be a real date") from None

    def _from_iso(self, text: str) -> date:
        try:
            return datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            self.error_parts = DATE_PARTS
            self.data = None
            raise ValueError(f"{_subject(self)} must be a real date") from None


# Every date field in the product is the day / month / year input.
UKDateField = DateInputField


class LocalTimeField(Field):
    """A time of day typed as 10:00 or 14:30 (a text input: it behaves the same in every browser)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", "Use the 24-hour clock, for example 10:00 or 14:30")
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip().replace(".", ":")
        if not text:
            self.data = None
            return
        for fmt in ("%H:%M", "%H%M"):
            try:
                self.data = datetime.strptime(text, fmt).time()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(f"{_subject(self)} must be a real time, for example 10:00 or 14:30")


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


def find_field(form, name: str):
    """A field by name or id (inside field lists and sub-forms too), or None."""
    return _find_field(form, name)


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


class WholeNumberField(IntegerField):
    """A whole number; anything else is "<Label> must be a whole number", not "Not a valid integer value"."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"{_subject(self)} must be a whole number, like 3") from None


def positive_int(label: str, **kwargs) -> IntegerField:
    return WholeNumberField(
        label,
        validators=[
            InputRequired(message=f"Enter {label[0].lower() + label[1:]}"),
            NumberRange(min=0, max=10_000, message=f"{label} must be a whole number from 0 to 10,000"),
        ],
        **kwargs,
    )
