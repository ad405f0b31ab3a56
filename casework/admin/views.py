from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import crypto
from ..core.access import require
from ..core.forms import attach_error, choices, page_arg
from ..core.models import Agency, User
from ..core.services import ConflictError, ServiceError, get_or_404
from ..core.views import act_and_redirect
from ..extensions import db
from . import bp, services
from .forms import ActionForm, AgencyForm, NewUserForm, TemporaryPasswordForm, UserForm

CONFLICT = "Someone else changed this record while you were editing. Nothing was saved; reload and try again."


def _agency_choices(form) -> None:
    form.agency_id.choices = choices([(a.id, a.name) for a in services.agencies() if a.is_active])


def _form_error(form, exc: ServiceError) -> None:
    if not attach_error(form, str(exc), exc.field):
        flash(str(exc), "error")


# --- agencies -------------------------------------------------------------------


@bp.route("/agencies")
@require("admin.agencies.manage")
def agencies():
    return render_template("admin/agencies.html", agencies=services.agencies())


@bp.route("/agencies/new", methods=["GET", "POST"])
@require("admin.agencies.manage")
def agency_new():
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            agency = services.create_agency(form.data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash(f"Agency {agency.name} created.", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None), (400 if form.errors else 200)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@require("admin.agencies.manage")
def agency_edit(agency_id: int):
    agency = get_or_404(Agency, agency_id)
    form = AgencyForm(obj=agency if request.method == "GET" else None)
    if request.method == "GET":
        form.version_id.data = str(agency.version_id)
    elif form.validate_on_submit():
        try:
            services.update_agency(agency, form.data, form.submitted_version())
        except ConflictError:
            flash(CONFLICT, "error")
            return render_template("admin/agency_form.html", form=form, agency=agency), 409
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash("Agency saved.", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency), (400 if form.errors else 200)


# --- users ------------------------------------------------------------------------


@bp.route("/users")
@require("admin.users.manage")
def users():
    page = services.users_page(page_arg(), 50)
    return render_template("admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.users.manage")
def user_new():
    form = NewUserForm()
    _agency_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data,
                display_name=form.display_name.data,
                agency_id=form.agency_id.data,
                roles=set(form.roles.data),
                password=form.password.data,
                must_change_password=True,
            )
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash(
                f"Account created for {user.display_name}. They will set up two-factor sign-in at first sign-in.",
                "success",
            )
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form), (400 if form.errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("admin.users.manage")
def user_edit(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    _agency_choices(form)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.version_id.data = str(user.version_id)
    elif form.validate_on_submit():
        try:
            services.update_user(
                user,
                actor=current_user,
                display_name=form.display_name.data,
                agency_id=form.agency_id.data,
                roles=set(form.roles.data),
                is_active=form.is_active.data,
                version=form.submitted_version(),
            )
        except ConflictError:
            flash(CONFLICT, "error")
            return render_template("admin/user_edit.html", form=form, user=user, action_form=ActionForm()), 409
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash("User saved.", "success")
            return redirect(url_for("admin.users"))
    status = 400 if form.errors else 200
    return render_template("admin/user_edit.html", form=form, user=user, action_form=ActionForm()), status


@bp.route("/users/<int:user_id>/reset-mfa", methods=["POST"])
@require("admin.users.manage")
def user_reset_mfa(user_id: int):
    user = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return act_and_redirect(
        lambda: services.reset_mfa(user, current_user),
        success=f"Two-factor sign-in reset for {user.display_name}. They will enrol again at next sign-in.",
        redirect_to=url_for("admin.user_edit", user_id=user.id),
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require("admin.users.manage")
def user_password(user_id: int):
    user = get_or_404(User, user_id)
    form = TemporaryPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_temporary_password(user, form.password.data, current_user)
        except ServiceError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Temporary password set for {user.display_name}; they must change it at sign-in.", "success")
    else:
        flash("Enter a temporary password.", "error")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@require("admin.users.manage")
def user_unlock(user_id: int):
    user = get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        services.unlock(user)
        flash(f"{user.display_name} can sign in again.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- keys -------------------------------------------------------------------------


@bp.route("/keys")
@require("admin.keys.view")
def keys():
    from ..core import keys as key_service

    ring = crypto.keyring()
    counts = key_service.key_usage(db.session)
    return render_template("admin/keys.html", ring=ring, counts=counts)
