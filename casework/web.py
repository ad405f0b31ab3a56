"""Request plumbing: security headers, error pages, health check, template helpers."""

from __future__ import annotations

from datetime import date

from flask import Flask, abort, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .core import audit, modules
from .core.localtime import format_local
from .core.permissions import ROLES, public
from .extensions import db

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

ERROR_MESSAGES = {
    400: ("Something was wrong with that request", "Go back, check what you entered and try again."),
    403: ("You do not have permission to see this page", "If you need access, ask your administrator."),
    404: ("Page not found", "Check the address, or go back to your home page."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    409: (
        "Someone else changed this record",
        "Your changes were not saved because the record changed while you were editing. "
        "Open it again to see the latest version, then make your changes again.",
    ),
    413: ("That upload is too large", "Files must be smaller than 2 MB."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you had already saved has been lost.",
    ),
}


class IdConverter(IntegerConverter):
    """``<int:…>`` in routes: ids beyond the database's integer range simply do not match
    (a 404), instead of overflowing in the query (a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its routes
    if app.config.get("TRUSTED_PROXIES"):
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    # First of all before_request functions, so even a redirect to sign in carries a request id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.context_processor(_template_globals)
    # Stored UTC moments shown in the partnership's time zone: {{ meeting.starts_at|local }}.
    app.jinja_env.filters["local"] = format_local
    # Globals (not context) so that imported macros can use them too.
    app.jinja_env.globals.update(
        case_url=case_url,
        meeting_url=meeting_url,
        meeting_label=meeting_label,
        flat_errors=flat_errors,
        today_date=date.today,
    )


def _start_request() -> None:
    audit.request_id()


def _refuse_nul_bytes() -> None:
    """No form or query value has a use for a NUL character, and PostgreSQL text cannot hold
    one: refuse it as a bad request here rather than fail with a database error later."""
    for data in (request.args, request.form):
        for key, value in data.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def _security_headers(response):
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.endpoint != "static":
        h["Cache-Control"] = "no-store"
        h["Pragma"] = "no-cache"
    if g.get("request_id"):
        h["X-Request-Id"] = g.request_id
    from flask import current_app

    if current_app.config.get("SEND_HSTS"):
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def _render_error(code: int, detail: str | None = None):
    title, advice = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500])
    return render_template("errors.html", code=code, title=title, advice=detail or advice), code


def _csrf_error(exc: CSRFError):
    db.session.rollback()
    return _render_error(
        400, "The form was missing its security token or had expired. Go back, reload the page and try again."
    )


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    db.session.rollback()
    if exc.code in ERROR_MESSAGES:
        return _render_error(exc.code)
    return exc


@public
def healthz():
    try:
        db.session.execute(db.text("SELECT 1"))
        status, code = "ok", 200
    except Exception:  # noqa: BLE001 - any database failure is reported, not raised
        status, code = "unavailable", 503
    return jsonify({"status": "ok" if code == 200 else "degraded", "database": status}), code


def _template_globals() -> dict:
    return {
        "ROLES": ROLES,
        "current_user": current_user,
        "nav_items": _nav_items(),
    }


def flat_errors(form) -> list[tuple[str, str]]:
    """(field id, message) for every error, including those inside field lists."""
    out: list[tuple[str, str]] = []
    for field in form:
        if field.type == "CSRFTokenField":
            if field.errors:
                out.append(("", "The form expired. Reload the page and try again."))
            continue
        if field.type in ("FieldList",):
            for entry in field.entries:
                out.extend(flat_errors(entry.form) if hasattr(entry, "form") else [(entry.id, e) for e in entry.errors])
            continue
        if field.type == "FormField":
            out.extend(flat_errors(field.form))
            continue
        # A field made of several inputs (a date) names the one to focus.
        target = getattr(field, "error_target", field.id)
        out.extend((target, str(e)) for e in field.errors)
    return out


def case_url(case) -> str | None:
    """Link to a case's page in the module that registered its kind."""
    from flask import current_app, url_for

    endpoint = modules.case_endpoint(case.kind)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint, case_id=case.id)
    return None


def meeting_url(meeting) -> str | None:
    """Link to a meeting's page in the module that registered its kind."""
    from flask import current_app, url_for

    module = modules.for_meeting_kind(meeting.kind)
    endpoint = module.meeting_endpoint if module else None
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint, meeting_id=meeting.id)
    return None


def meeting_label(meeting) -> str:
    return modules.meeting_kinds().get(meeting.kind, meeting.kind)


def _nav_items() -> list[tuple[str, str]]:
    if not current_user or not current_user.is_authenticated:
        return []
    from flask import current_app

    return [
        (entry.endpoint, entry.label)
        for entry in modules.menu()
        if entry.endpoint in current_app.view_functions
        and (entry.capability is None or current_user.can(entry.capability))
    ]
