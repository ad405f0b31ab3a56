"""ASB lists: open cases, incidents, repeat victims, and the team's overdue reviews and missed contacts."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload

from ...core import audit, exports
from ...core.access import require
from ...core.cases import person_ids_of_cases, without_access_links
from ...core.forms import page_arg
from ...core.models import Case
from ...core.pagination import paginate
from ...core.policy import visible_case_clause
from ...extensions import db
from .. import incidents as incident_services
from .. import repeats, support
from ..forms import IncidentListFilterForm
from ..models import CATEGORIES, RISK_BANDS, AsbCase


def _log_list(action: str, case_ids: list[int]) -> None:
    if case_ids:
        audit.record(action, object_type="case", person_ids=person_ids_of_cases(case_ids))


def _open_cases() -> sa.Select:
    return (
        sa.select(AsbCase)
        .join(Case, Case.id == AsbCase.case_id)
        .where(Case.kind == "asb", Case.closed_on.is_(None), visible_case_clause(current_user))
        .options(
            without_access_links(contains_eager(AsbCase.case)), joinedload(AsbCase.victim).load_only(*repeats.NAME_ONLY)
        )
        .order_by(Case.opened_on.desc(), Case.id.desc())
    )


EXPORT_HEADERS = ("Reference", "Victim", "Repeat victim", "Opened", "Risk", "Next contact due", "Contact missed")


def _download(fmt: str, today: date):
    """The open-case list as CSV or XLSX: the page's columns, every case the user may see; audited."""
    try:
        items = exports.capped(
            db.session.scalars(_open_cases().limit(exports.row_limit() + 1)).unique(), exports.row_limit()
        )
    except exports.TooManyRows as exc:
        flash(exc.message, "error")
        return redirect(url_for("asb.index"))
    victims = repeats.victims_of([a.victim_person_id for a in items])
    rows = []
    for a in items:
        victim = victims.get(a.victim_person_id)
        missed = a.next_contact_due_on is not None and a.next_contact_due_on < today
        band = RISK_BANDS.get(a.risk_band, "Not assessed") if a.risk_band else "Not assessed"
        repeat = bool(victim and victim.is_repeat_on(today))
        rows.append(
            (a.case.reference, a.victim.full_name, repeat, a.case.opened_on, band, a.next_contact_due_on, missed)
        )
    audit.record(
        "asb.case.export",
        object_type="case",
        person_ids=person_ids_of_cases([a.case_id for a in items]),
        details={"format": fmt, "rows": len(items)},
    )
    return exports.tabular_response(
        EXPORT_HEADERS, rows, f"asb-cases-{today.isoformat()}", fmt, sheet_title="ASB cases"
    )


@require("asb.case.view")
def index():
    """Open ASB cases the user may see, newest first, with each victim's repeat flag and risk band."""
    today = date.today()
    try:
        fmt = exports.requested_format(request.args)
    except ValueError:
        abort(400)
    if fmt:
        return _download(fmt, today)
    page = paginate(_open_cases(), page_arg(), 25)
    victims = repeats.victims_of([a.victim_person_id for a in page.items])
    _log_list("asb.case.list", [a.case_id for a in page.items])
    return render_template(
        "asb/index.html",
        page=page,
        victims=victims,
        today=today,
        bands=RISK_BANDS,
    )


@require("asb.case.view")
def repeat_victims():
    today = date.today()
    page = repeats.repeat_victims_page(current_user, page_arg(), today=today)
    _log_list("asb.repeat_victims.list", [r.victim.case_id for r in page.items])
    return render_template("asb/repeat_victims.html", page=page, today=today, bands=RISK_BANDS)


@require("asb.team.view")
def team():
    today = date.today()
    reviews = support.overdue_reviews_page(current_user, page_arg(), today=today)
    contacts = support.missed_contacts_page(current_user, 1, 50, today=today)
    _log_list("asb.team.list", [p.case_id for p in reviews.items] + [a.case_id for a in contacts.items])
    return render_template("asb/team.html", reviews=reviews, contacts=contacts, today=today, bands=RISK_BANDS)


@require("asb.case.view")
def incident_list():
    """Incidents on the cases the user may see, most recent first, by period, category and
    hate motivation. The filters are offered as choices: anything else is a bad request."""
    form = IncidentListFilterForm(request.args)
    if not form.validate():
        abort(400)
    period = form.period.data
    flt = incident_services.IncidentFilter(
        days=int(period) if period else None, category=form.category.data, hate_only=bool(form.hate.data)
    )
    page = incident_services.incidents_page(current_user, flt, page_arg())
    args = {"period": period}
    if flt.category:
        args["category"] = flt.category
    if flt.hate_only:
        args["hate"] = "y"
    return render_template("asb/incidents.html", form=form, page=page, args=args, categories=CATEGORIES, flt=flt)
