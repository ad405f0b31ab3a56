"""Sign in (password, then TOTP), enrolment, sign out, password change."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..core import audit
from ..core.access import authenticated, public
from ..core.models import PendingSignIn, User
from ..core.types import utcnow
from ..extensions import db, login_manager
from . import bp, services
from .forms import ChangePasswordForm, CodeForm, LoginForm


@login_manager.user_loader
def load_user(token: str) -> User | None:
    check = services.resume_session(token)
    if check.user is None and check.reason != "ended":
        db.session.commit()  # record why the session ended, in its own short transaction
        session.pop("_user_id", None)
        session["signed_out_reason"] = check.reason  # for the sign-in page to explain
    return check.user


def _safe_next(target: str | None) -> str:
    # Browsers drop tabs and newlines inside URLs ("/\t/evil.example" becomes "//evil.example"),
    # and a newline in a Location header is an error: refuse any control character.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return target
    return url_for("home.index")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _pending() -> PendingSignIn | None:
    """This browser's pending sign-in (password step passed), held server-side."""
    return services.pending_sign_in(session.get("pending_sign_in"), session.get("pending_binding"))


def _refuse_pending():
    if request.method == "POST":
        services.record_refused_pending()
    session.pop("pending_sign_in", None)
    session.pop("pending_binding", None)
    return redirect(url_for("auth.login"))


def _fail(form, failure: services.Failure, template: str, **ctx):
    services.record_failure(failure, _client_ip())
    flash(services.GENERIC_FAILURE, "error")
    return render_template(template, form=form, **ctx), (429 if failure.refused else 200)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if request.method == "GET" and session.pop("signed_out_reason", None) in ("idle_timeout", "absolute_timeout"):
        flash("You were signed out because your session timed out.", "info")
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), (400 if form.errors else 200)
    result = services.check_password_step(form.email.data, form.password.data, _client_ip())
    if result.user is None:
        return _fail(form, result.failure, "auth/login.html")
    user = result.user
    next_url = request.args.get("next")
    session.clear()  # regenerate: nothing from before sign-in survives
    session["pending_sign_in"], session["pending_binding"] = services.begin_pending_sign_in(user)
    session["next"] = _safe_next(next_url)
    if user.mfa_enrolled:
        return redirect(url_for("auth.code"))
    return redirect(url_for("auth.enrol"))


def _complete_login(user: User, *, enrolled_now: bool = False):
    next_url = session.get("next")
    session.clear()
    services.start_session(user)
    services.clear_failures(user, _client_ip())
    login_user(user)
    if enrolled_now:
        audit.record("auth.mfa_enrolled", object_type="user", object_id=user.id)
    audit.record("auth.login", object_type="user", object_id=user.id)
    if user.must_change_password:
        flash("Your administrator set your password. Choose a new one to continue.", "info")
        return redirect(url_for("auth.change_password"))
    return redirect(_safe_next(next_url))


@bp.route("/login/code", methods=["GET", "POST"])
@public
def code():
    pending = _pending()
    if pending is None or not pending.user.mfa_enrolled:
        return _refuse_pending()
    user = pending.user
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/code.html", form=form), (400 if form.errors else 200)
    if failure := services.check_code_step(pending, form.code.data, _client_ip()):
        return _fail(form, failure, "auth/code.html")
    return _complete_login(user)


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
def enrol():
    pending = _pending()
    if pending is None:
        return _refuse_pending()
    user = pending.user
    if user.mfa_enrolled:
        return redirect(url_for("auth.code"))
    secret = services.pending_enrolment_secret(session, pending)
    uri = services.provisioning_uri(user, secret)
    ctx = {"qr_svg": services.qr_svg(uri), "secret": secret}
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/enrol.html", form=form, **ctx), (400 if form.errors else 200)
    if failure := services.check_code_step(pending, form.code.data, _client_ip(), secret=secret, stage="totp_enrol"):
        return _fail(form, failure, "auth/enrol.html", **ctx)
    user.totp_secret = secret  # stored only now that a code from it has been verified
    user.totp_enrolled_at = utcnow()
    return _complete_login(user, enrolled_now=True)


@bp.route("/logout", methods=["POST"])
@authenticated
def logout():
    token = current_user.get_id()
    audit.record("auth.logout", object_type="user", object_id=current_user.id)
    services.end_session(token, "logout")
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not services.check_password(user, form.current_password.data):
            form.current_password.errors.append("Your current password is not correct")
        elif problem := services.password_problem(form.new_password.data, email=user.email):
            form.new_password.errors.append(problem)
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append("Choose a password different from your current one")
        else:
            services.set_password(user, form.new_password.data)
            user.must_change_password = False
            ended = services.end_all_sessions(user, "password_changed")
            audit.record(
                "auth.password_changed", object_type="user", object_id=user.id, details={"sessions_ended": ended}
            )
            session.clear()
            services.start_session(user)
            login_user(user)
            flash("Your password has been changed. You have been signed out on every other device.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form), (400 if form.errors else 200)
