"""View helpers shared by every module: one way to handle a submitted form."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..extensions import db
from .forms import attach_errors
from .services import ConflictError, ServiceError

CONFLICT = (
    "Someone else changed this record while you were working on it. Nothing was saved: "
    "your entries are shown below; check the latest version and make your change again."
)


def submit(
    form,
    action: Callable[[], object],
    *,
    success: str | Callable[[object], str],
    redirect_to: str | Callable[[object], str],
    render: Callable[[int], object],
    conflict: str = CONFLICT,
):
    """Validate ``form``, run ``action`` in a savepoint, then flash and redirect.

    A refused change (``ServiceError``) is shown next to the field it names and a
    stale save (``ConflictError``) answers 409; in both cases the savepoint is
    rolled back, so nothing half-done is committed and the user's input is kept.
    """
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                result = action()
        except ConflictError as exc:
            flash(conflict, "error")
            offer_latest_version(form, exc)
            return render(409)
        except IntegrityError:
            # Two people saved the same thing at the same moment (a unique rule caught it).
            flash(conflict, "error")
            return render(409)
        except ServiceError as exc:
            # Every refusal at once (a ``FieldErrors`` names several fields), each at its field.
            for message in attach_errors(form, exc):
                flash(message, "error")
        else:
            flash(success(result) if callable(success) else success, "success")
            target = redirect_to(result) if callable(redirect_to) else redirect_to
            return redirect(target)
    return render(400)


__all__ = ["CONFLICT", "Response", "act_and_redirect", "offer_latest_version", "submit"]


def offer_latest_version(form, exc: ConflictError) -> None:
    """After a conflict the form carries the current version: the next save is a deliberate one."""
    if exc.current_version is not None and hasattr(form, "version_id"):
        form.version_id.data = str(exc.current_version)


def act_and_redirect(
    action: Callable[[], object],
    *,
    success: str,
    redirect_to: str,
    failure_redirect_to: str | None = None,
):
    """A one-button action: run it in a savepoint, report success or the refusal, go back."""
    try:
        with db.session.begin_nested():
            action()
    except (ServiceError, ConflictError) as exc:
        flash(str(exc) if isinstance(exc, ServiceError) else CONFLICT, "error")
        return redirect(failure_redirect_to or redirect_to)
    except IntegrityError:
        flash(CONFLICT, "error")
        return redirect(failure_redirect_to or redirect_to)
    flash(success, "success")
    return redirect(redirect_to)


def module_unavailable(module_name: str):
    """An honest page for a registered module whose screens are not switched on yet."""
    from flask import render_template

    from . import modules

    return render_template("core/unavailable.html", module=modules.get(module_name))


def add_unavailable_routes(bp, module_name: str) -> None:
    """The home page and case page of a module whose screens are not switched on yet:
    the home page says so, and a case page is never shown (404, audited)."""
    from .permissions import AccessDenied, require

    @require(f"{module_name}.case.view")
    def index():
        return module_unavailable(module_name)

    @require(f"{module_name}.case.view")
    def case_view(case_id: int):
        raise AccessDenied("case", case_id)

    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/cases/<int:case_id>", "case_view", case_view)
