"""Pages: the user's notifications and e-mail choices; for administrators, mandatory kinds,
agencies' shared mailboxes, failed mails and the development outbox."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.access import authenticated, require
from ..core.forms import choices, page_arg
from ..core.models import Agency
from ..core.services import FieldErrors, get_or_404
from ..extensions import db
from . import bp, mail, service
from .forms import MailboxForm, MandatoryForm, field_kind, preferences_form
from .models import AgencyMailbox, NotificationMail

ADMIN = "admin.notifications.manage"


@bp.route("/")
@authenticated
def index():
    page, entries = service.page_for(current_user, page_arg())
    return render_template("notifications/index.html", page=page, entries=entries)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@authenticated
def mark_read(notification_id: int):
    if service.open_entry(current_user, notification_id) is None and not _owned(notification_id):
        abort(404)
    flash("Marked as read.", "success")
    return redirect(url_for("notifications.index"))


def _owned(notification_id: int) -> bool:
    from .models import Notification

    n = db.session.get(Notification, notification_id)
    return n is not None and n.user_id == current_user.id


@bp.route("/read-all", methods=["POST"])
@authenticated
def mark_all_read():
    n = service.mark_all_read(current_user)
    flash(f"{n} marked as read." if n != 1 else "1 marked as read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@authenticated
def preferences():
    rows = service.preferences(current_user)
    form = preferences_form(rows, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            chosen = {field_kind(f.name): f.data for f in form if f.name.startswith("k_")}
            try:
                service.set_preferences(current_user, chosen)
            except FieldErrors as exc:
                for name, message in exc.errors:
                    getattr(form, "k_" + (name or "").replace(".", "__"), form.csrf_token).errors.append(message)
            else:
                flash("Your e-mail choices are saved.", "success")
                return redirect(url_for("notifications.index"))
        status = 400
    return render_template("notifications/preferences.html", form=form), status


# --- administrators -------------------------------------------------------------------------


def _mailbox_form(formdata=None) -> MailboxForm:
    form = MailboxForm(formdata=formdata)
    form.agency_id.choices = choices(
        [(a.id, a.name) for a in db.session.scalars(sa.select(Agency).where(Agency.is_active).order_by(Agency.name))]
    )
    return form


def _admin_page(mandatory_form=None, mailbox_form=None, status=200):
    kinds = service.kinds()
    if mandatory_form is None:
        mandatory_form = MandatoryForm(formdata=None)
        mandatory_form.kinds.data = sorted(service.mandatory_kinds())
    mandatory_form.kinds.choices = choices([(code, k.label) for code, k in kinds.items()])
    failed = list(
        db.session.scalars(
            sa.select(NotificationMail)
            .where(sa.or_(NotificationMail.status == "failed", NotificationMail.attempts > 0))
            .where(NotificationMail.status != "sent")
            .order_by(NotificationMail.id.desc())
            .limit(50)
        )
    )
    outbox = list(
        db.session.scalars(
            sa.select(NotificationMail)
            .where(sa.or_(NotificationMail.transport == "outbox", NotificationMail.status == "pending"))
            .order_by(NotificationMail.id.desc())
            .limit(50)
        )
    )
    boxes = db.session.execute(
        sa.select(Agency.name, AgencyMailbox.email, AgencyMailbox.mode)
        .join(AgencyMailbox, AgencyMailbox.agency_id == Agency.id)
        .order_by(Agency.name)
    ).all()
    return (
        render_template(
            "notifications/admin.html",
            mandatory_form=mandatory_form,
            mailbox_form=mailbox_form or _mailbox_form(),
            failed=failed,
            outbox=outbox,
            boxes=boxes,
            kinds=kinds,
        ),
        status,
    )


@bp.route("/admin")
@require(ADMIN)
def admin_index():
    return _admin_page()


@bp.route("/admin/mandatory", methods=["POST"])
@require(ADMIN)
def admin_mandatory():
    form = MandatoryForm()
    form.kinds.choices = choices([(code, k.label) for code, k in service.kinds().items()])
    if not form.validate():
        return _admin_page(mandatory_form=form, status=400)
    service.set_mandatory(set(form.kinds.data or []))
    flash("Mandatory kinds saved.", "success")
    return redirect(url_for("notifications.admin_index"))


@bp.route("/admin/mailbox", methods=["POST"])
@require(ADMIN)
def admin_mailbox():
    form = _mailbox_form(request.form)
    if not form.validate():
        return _admin_page(mailbox_form=form, status=400)
    agency = get_or_404(Agency, form.agency_id.data)
    service.set_mailbox(agency, form.email.data or None, form.mode.data)
    flash(f"Shared mailbox for {agency.name} saved.", "success")
    return redirect(url_for("notifications.admin_index"))


@bp.route("/admin/mail/<int:mail_id>")
@require(ADMIN)
def admin_mail(mail_id: int):
    return render_template("notifications/mail.html", mail=get_or_404(NotificationMail, mail_id))


@bp.route("/admin/mail/<int:mail_id>/retry", methods=["POST"])
@require(ADMIN)
def admin_retry(mail_id: int):
    get_or_404(NotificationMail, mail_id)
    if mail.retry([mail_id]):
        flash("The mail will be sent again at the next run of the sender.", "success")
    else:
        flash("Only a failed mail can be sent again.", "error")
    return redirect(url_for("notifications.admin_index"))
