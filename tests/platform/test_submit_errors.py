"""``core.views.submit`` shows every refusal of a ``FieldErrors`` at its own field (GOV.UK: all errors at once)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField

from casework.core.services import FieldErrors, ServiceError
from casework.core.views import submit


class _Form(FlaskForm):
    class Meta:
        csrf = False

    first = StringField("First")
    second = StringField("Second")


def _run(app, exc):
    with app.test_request_context("/", method="POST", data={"first": "a", "second": "b"}):
        form = _Form()

        def action():
            raise exc

        status = submit(form, action, success="ok", redirect_to="/", render=lambda code: code)
        from flask import get_flashed_messages

        return status, form, get_flashed_messages()


def test_field_errors_reach_each_field(app):
    status, form, flashed = _run(app, FieldErrors([("first", "Enter the first"), ("second", "Enter the second")]))
    assert status == 400
    assert form.first.errors == ["Enter the first"] and form.second.errors == ["Enter the second"]
    assert flashed == []


def test_a_refusal_without_a_field_is_flashed(app):
    status, form, flashed = _run(app, ServiceError("Not now"))
    assert status == 400 and flashed == ["Not now"] and not form.first.errors
