from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import crypto
from ..core.access import require
from ..core.forms import attach_error, choices, page_arg
from ..core.models import Agency, User
from ..core.services import ConflictError, ServiceError, get_or_404
from ..core.views import act_and_redirect, submit
from ..extensions import db
from . import bp, services
from .forms import ActionForm, AgencyForm, DecisionForm, NewUserForm, TemporaryPasswordForm, UserForm
from .models import AdminRequest

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


SENT_FOR_APPROVAL = "Request sent for approval by another administrator."


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.users.manage")
def user_new():
    form = NewUserForm()
    _agency_choices(form)

    def render(status: int):
        return render_template("admin/user_new.html", form=form), status

    if request.method == "GET":
        return render(200)

    def created(result) -> str:
        user, pending = result
        message = f"Account created for {user.display_name}. They will set up two-factor sign-in at first sign-in."
        if pending:
            message += f" {SENT_FOR_APPROVAL} Their roles take effect once it is approved."
        return message

    return submit(
        form,
        lambda: services.create_account(
            current_user,
            email=form.email.data,
            display_name=form.display_name.data,
            agency_id=form.agency_id.data,
            roles=set(form.roles.data),
            password=form.password.data,
        ),
        success=created,
        redirect_to=lambda result: url_for("admin.user_edit", user_id=result[0].id),
        render=render,
        conflict=CONFLICT,
    )


def _user_page(user: User, form, status: int = 200):
    return (
        render_template(
            "admin/user_edit.html",
            form=form,
            user=user,
            action_form=ActionForm(),
            pending=services.pending_requests_for(user),
            age=services.age_label,
        ),
        status,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("admin.users.manage")
def user_edit(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    _agency_choices(form)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.version_id.data = str(user.version_id)
        return _user_page(user, form)

    def saved(result) -> str:
        _, pending = result
        if pending:
            return f"User saved. {SENT_FOR_APPROVAL} The new roles take effect once it is approved."
        return "User saved."

    def render(status: int):
        db.session.expire_all()  # show the account as stored, next to the rejected entries
        return _user_page(user, form, status)

    return submit(
        form,
        lambda: services.update_user(
            user,
            actor=current_user,
            display_name=form.display_name.data,
            agency_id=form.agency_id.data,
            roles=set(form.roles.data),
            is_active=form.is_active.data,
            version=form.submitted_version(),
        ),
        success=saved,
        redirect_to=lambda result: url_for("admin.user_edit", user_id=user.id) if result[1] else url_for("admin.users"),
        render=render,
        conflict=CONFLICT,
    )


@bp.route("/users/<int:user_id>/reset-mfa", methods=["POST"])
@require("admin.users.manage")
def user_reset_mfa(user_id: int):
    user = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return act_and_redirect(
        lambda: services.request_mfa_reset(current_user, user),
        success=f"{SENT_FOR_APPROVAL} Two-factor sign-in for {user.display_name} is reset once it is approved.",
        redirect_to=url_for("admin.user_edit", user_id=user.id),
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require("admin.users.manage")
def user_password(user_id: int):
    user = get_or_404(User, user_id)
    form = TemporaryPasswordForm()
    if not form.validate_on_submit():
        flash("Enter a temporary password.", "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return act_and_redirect(
        lambda: services.request_temporary_password(current_user, user, form.password.data),
        success=f"{SENT_FOR_APPROVAL} The temporary password for {user.display_name} works once it is approved; "
        "they must change it when they sign in.",
        redirect_to=url_for("admin.user_edit", user_id=user.id),
    )


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@require("admin.users.manage")
def user_unlock(user_id: int):
    user = get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        services.unlock(user)
        flash(f"{user.display_name} can sign in again.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- approvals ----------------------------------------------------------------------


@bp.route("/approvals")
@require("admin.users.manage")
def approvals():
    services.expire_stale_requests()
    page = services.pending_requests_page(page_arg(), 50)
    return render_template(
        "admin/approvals.html",
        page=page,
        age=services.age_label,
        expiry_days=current_app.config["ADMIN_REQUEST_EXPIRY_DAYS"],
    )


def _decision_form() -> DecisionForm:
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.route("/approvals/<int:request_id>/approve", methods=["POST"])
@require("admin.users.manage")
def approval_approve(request_id: int):
    admin_request = get_or_404(AdminRequest, request_id)
    form = _decision_form()
    if refusal := services.approval_refusal(admin_request, current_user):
        # Audited in its own transaction, like every denial.
        services.record_refused_approval(admin_request.id, current_user.id, current_user.agency_id, refusal)
        flash(refusal.message, "error")
        return redirect(url_for("admin.approvals"))
    return act_and_redirect(
        lambda: services.approve_request(admin_request, current_user, form.submitted_version()),
        success=f"Approved: {admin_request.kind_label.lower()} for {admin_request.target.display_name} is done.",
        redirect_to=url_for("admin.approvals"),
    )


@bp.route("/approvals/<int:request_id>/refuse", methods=["POST"])
@require("admin.users.manage")
def approval_refuse(request_id: int):
    admin_request = get_or_404(AdminRequest, request_id)
    form = _decision_form()
    cancelling = admin_request.requested_by_id == current_user.id
    return act_and_redirect(
        lambda: services.decline_request(admin_request, current_user, form.submitted_version()),
        success="Request cancelled. Nothing was changed." if cancelling else "Request refused. Nothing was changed.",
        redirect_to=url_for("admin.approvals"),
    )


# --- keys -------------------------------------------------------------------------


@bp.route("/keys")
@require("admin.keys.view")
def keys():
    from ..core import keys as key_service

    ring = crypto.keyring()
    counts = key_service.key_usage(db.session)
    return render_template("admin/keys.html", ring=ring, counts=counts)
