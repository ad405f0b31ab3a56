"""The ASB case page and every change made from it (one page per change), and logging an incident."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...core import actions as core_actions
from ...core import audit, cases, directory, exports
from ...core.access import require
from ...core.forms import choices
from ...core.localtime import to_local
from ...core.models import Plan
from ...core.models.people import person_id_from_reference
from ...core.policy import AccessDenied, can_see_contact_details
from ...core.services import ServiceError, get_or_404
from ...core.views import confirmation_page, confirmed, submit
from ...extensions import db
from ...people.services import load_person
from .. import incidents, perpetrators, repeats, risk, support
from ..common import load_asb_case
from ..forms import (
    ActionStatusForm,
    BreachForm,
    CloseForm,
    ContactForm,
    DeleteIncidentForm,
    IncidentForm,
    InterventionForm,
    LinkForm,
    PerpetratorActionForm,
    PlanForm,
    ReviewForm,
    risk_form,
)
from ..models import (
    CATEGORIES,
    CONTACT_METHODS,
    HATE_CHARACTERISTICS,
    PERPETRATOR_ACTION_KINDS,
    PERPETRATOR_ACTION_STATUSES,
    REPORTED_TO,
    RISK_BANDS,
)


def _references(text: str | None, field: str) -> list[int]:
    """Person references typed as "P000123, P000124" to ids (a bad one is a form error)."""
    out = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        person_id = person_id_from_reference(part)
        if person_id is None:
            raise ServiceError(f"{part.strip()[:20]!r} is not a person reference like P000123", field)
        out.append(person_id)
    return out


# --- logging an incident ---------------------------------------------------------------------


def _type_choices():
    return choices(
        [(t.code, f"{t.label} ({CATEGORIES[t.category].lower()})") for t in incidents.incident_types()],
        blank="Select the type",
    )


def _incident_data(form, victim_ids: list[int]) -> incidents.IncidentData:
    reports = [
        incidents.ReportData(reported_to=to, reference=ref, reported_on=form.reported_on.data)
        for to, ref in ((form.reported_to.data, form.reference.data), (form.reported_to_2.data, form.reference_2.data))
        if to
    ]
    return incidents.IncidentData(
        occurred_on=form.occurred_on.data,
        occurred_time=form.occurred_time.data,
        reported_on=form.reported_on.data,
        category=form.category.data,
        type_code=form.type_code.data,
        description=form.description.data,
        location=form.location.data,
        is_hate=bool(form.is_hate.data),
        hate_characteristic=form.hate_characteristic.data,
        hate_details=form.hate_details.data,
        victim_ids=victim_ids + _references(form.other_victims.data, "other_victims"),
        perpetrator_ids=_references(form.perpetrators.data, "perpetrators"),
        perpetrator_unknown=bool(form.perpetrator_unknown.data),
        perpetrator_description=form.perpetrator_description.data,
        reports=reports,
    )


@require("asb.incident.record")
def incident_new(person_id: int):
    """Log an incident for a victim: similar open cases are offered (add to one, or open a new case)."""
    person = load_person(current_user, person_id, log=request.method == "GET", act=True)
    form = IncidentForm() if request.method == "POST" else IncidentForm(formdata=None)
    form.type_code.choices = _type_choices()
    if request.method == "GET":
        form.occurred_on.data = form.reported_on.data = date.today()
    try:
        perp_ids = _references(form.perpetrators.data, "perpetrators") if request.method == "POST" else []
    except ServiceError:
        perp_ids = []
    similar = incidents.similar_cases(
        current_user,
        victim_ids=[person.id],
        address=form.location.data or person.address,
        perpetrator_ids=perp_ids,
    )
    form.target.choices = choices(
        [(str(s.case.id), f"{s.case.reference} ({', '.join(s.reasons)})") for s in similar]
        + [("new", "Open a new ASB case")]
    )
    if request.method == "GET" and not similar:
        form.target.data = "new"

    def render(status: int = 200):
        return (
            render_template(
                "asb/incident_form.html",
                form=form,
                person=person,
                similar=similar,
                case=None,
                may_see_hate=current_user.can("asb.hate.view"),
            ),
            status,
        )

    if request.method == "GET":
        return render()

    def action():
        target = form.target.data
        if similar and target not in {str(s.case.id) for s in similar} | {"new"}:
            raise ServiceError("Choose whether to add the incident to a case shown or open a new case", "target")
        asb = None
        if target and target != "new":
            asb = load_asb_case(current_user, int(target), log=False)
        return incidents.log_incident(current_user, _incident_data(form, [person.id]), asb=asb)

    return submit(
        form,
        action,
        success="Incident logged",
        redirect_to=lambda i: url_for("asb.case_view", case_id=i.case_id),
        render=render,
    )


@require("asb.incident.record")
def case_incident_new(case_id: int):
    """Log another incident on this case (for its main victim, and any others named)."""
    asb = load_asb_case(current_user, case_id, log=request.method == "GET")
    if not asb.case.is_open:
        flash("This ASB case is closed: log the incident from the victim's page to open a new case", "error")
        return redirect(url_for("asb.case_view", case_id=case_id))
    form = IncidentForm() if request.method == "POST" else IncidentForm(formdata=None)
    form.type_code.choices = _type_choices()
    form.target.choices = choices([(str(asb.case_id), asb.case.reference)])
    if request.method == "GET":
        form.occurred_on.data = form.reported_on.data = date.today()

    def render(status: int = 200):
        return (
            render_template(
                "asb/incident_form.html",
                form=form,
                person=asb.victim,
                similar=[],
                case=asb.case,
                may_see_hate=current_user.can("asb.hate.view"),
            ),
            status,
        )

    if request.method == "GET":
        return render()
    return submit(
        form,
        lambda: incidents.log_incident(current_user, _incident_data(form, [asb.victim_person_id]), asb=asb),
        success="Incident logged",
        redirect_to=url_for("asb.case_view", case_id=case_id),
        render=render,
    )


# --- the case page ---------------------------------------------------------------------------


@require("asb.case.view")
def case_view(case_id: int):
    user = current_user
    asb = load_asb_case(user, case_id)
    case = asb.case
    today = date.today()
    victim_ids = [p.person_id for p in case.participants_in("victim")]
    perp_ids = [p.person_id for p in case.participants_in("perpetrator")]
    victims = repeats.victims_of(victim_ids)
    history = risk.history(asb)
    plan = support.active_plan(asb)
    incident_list = incidents.incidents_for(case)
    live = [i for i in incident_list if not i.is_deleted]
    link_form = None
    if user.can("asb.case.edit") and case.is_open and len(live) > 1:
        link_form = LinkForm(formdata=None, prefix="link")
        opts = [(str(i.id), f"{i.occurred_on:%-d %b %Y} {i.incident_type.label} (#{i.id})") for i in live]
        link_form.first_id.choices = choices(opts, blank="Choose")
        link_form.second_id.choices = choices(opts, blank="Choose")
    return render_template(
        "asb/case.html",
        asb=asb,
        case=case,
        today=today,
        victims=victims,
        repeat_main=repeats.is_repeat(victims.get(asb.victim_person_id), today),
        incidents=incident_list,
        history=history,
        latest=history[0] if history else None,
        breakdown=risk.visible_breakdown(user, history[0]) if history else [],
        plan=plan,
        plan_overdue=support.review_overdue(plan, today),
        contacts=support.contacts_for(asb, limit=20),
        contact_missed=support.contact_missed(asb, today),
        perp_actions=perpetrators.actions_for(asb),
        actions=core_actions.actions_for_case(case),
        elsewhere=cases.known_elsewhere(user, victim_ids + perp_ids, case.id),
        show_address=can_see_contact_details(user, asb.victim),
        may_see_hate=user.can("asb.hate.view"),
        may_edit=user.can("asb.case.edit") and case.is_open,
        may_record=user.can("asb.incident.record") and case.is_open,
        link_form=link_form,
        bands=RISK_BANDS,
        categories=CATEGORIES,
        reported_to=REPORTED_TO,
        hate_labels=HATE_CHARACTERISTICS,
        action_kinds=PERPETRATOR_ACTION_KINDS,
        action_statuses=PERPETRATOR_ACTION_STATUSES,
        contact_methods=CONTACT_METHODS,
        review_days=support.review_days(),
    )


def _change(case_id: int, form, title: str, button: str, action, success: str, *, intro: str | None = None):
    """GET: the page for one change to the case; POST: make it (errors shown on the same page)."""
    asb = load_asb_case(current_user, case_id, edit=True)
    back = url_for("asb.case_view", case_id=asb.case_id)

    def render(status: int = 200):
        return (
            render_template("asb/record.html", form=form, asb=asb, title=title, button=button, intro=intro, back=back),
            status,
        )

    if request.method == "GET":
        cases.record_view(asb.case)
        return render()
    return submit(form, lambda: action(asb), success=success, redirect_to=back, render=render)


def _form(cls, **kwargs):
    return cls(**kwargs) if request.method == "POST" else cls(formdata=None, **kwargs)


@require("asb.case.edit")
def link(case_id: int):
    asb = load_asb_case(current_user, case_id, edit=True)
    form = LinkForm(prefix="link")
    live = incidents.incidents_for(asb.case, include_deleted=False)
    opts = [(str(i.id), str(i.id)) for i in live]
    form.first_id.choices = form.second_id.choices = choices(opts, blank="Choose")
    back = url_for("asb.case_view", case_id=case_id)
    if not form.validate_on_submit():
        flash("Choose two incidents of this case to link", "error")
        return redirect(back)
    try:
        with db.session.begin_nested():
            first = incidents.load_incident(current_user, form.first_id.data, edit=True)
            second = incidents.load_incident(current_user, form.second_id.data, edit=True)
            if first.case_id != asb.case_id or second.case_id != asb.case_id:
                raise AccessDenied("asb_incident", form.second_id.data)
            incidents.link_incidents(current_user, first, second)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(back)
    flash("Incidents linked: they count as one event", "success")
    return redirect(back)


@require("asb.case.edit")
def incident_delete(incident_id: int):
    incident = incidents.load_incident(current_user, incident_id, edit=True)
    form = _form(DeleteIncidentForm, version_id=incident.version_id)
    back = url_for("asb.case_view", case_id=incident.case_id)
    if request.method == "POST" and form.validate() and not confirmed():
        return confirmation_page(
            question="Remove this incident?",
            action=url_for("asb.incident_delete", incident_id=incident.id),
            cancel_url=back,
            confirm_label="Remove the incident",
            details=[("Incident", f"{incident.occurred_on:%-d %B %Y}, {incident.incident_type.label}")],
            warning="The incident will count for nothing, and repeat status will be worked out again. "
            "It stays on the record as removed, with your reason.",
        )

    def render(status: int = 200):
        return (
            render_template(
                "asb/record.html",
                form=form,
                asb=None,
                title="Remove an incident logged in error",
                button="Continue",
                intro=f"Incident of {incident.occurred_on:%-d %B %Y}: {incident.incident_type.label}.",
                back=back,
                case=incident.case,
            ),
            status,
        )

    if request.method == "GET":
        return render()
    return submit(
        form,
        lambda: incidents.delete_incident(
            current_user, incident, reason=form.reason.data, version=form.submitted_version()
        ),
        success="Incident removed; repeat status worked out again",
        redirect_to=back,
        render=render,
    )


@require("asb.case.edit")
def risk_assess(case_id: int):
    asb = load_asb_case(current_user, case_id, edit=True)
    q = risk.questionnaire()
    post = request.method == "POST"
    form = risk_form(q, post=post)
    if not post:
        form.assessed_on.data = date.today()
        for code, answer in risk.prefill(asb.victim_person_id).items():
            getattr(form, f"q_{code}").data = answer
    back = url_for("asb.case_view", case_id=asb.case_id)

    def render(status: int = 200):
        return render_template("asb/risk_form.html", form=form, asb=asb, q=q, back=back), status

    if not post:
        cases.record_view(asb.case)
        return render()
    return submit(
        form,
        lambda: risk.assess(
            current_user,
            asb,
            assessed_on=form.assessed_on.data,
            answers={f.name.removeprefix("risk-q_"): f.data for f in form.question_fields},
            notes=form.notes.data,
        ),
        success=lambda a: f"Risk assessed: {RISK_BANDS[a.band].lower()} (score {a.score})",
        redirect_to=back,
        render=render,
    )


@require("asb.case.view")
def risk_history(case_id: int):
    asb = load_asb_case(current_user, case_id)
    history = risk.history(asb)
    return render_template(
        "asb/risk_history.html",
        asb=asb,
        rows=[(a, risk.visible_breakdown(current_user, a)) for a in history],
        bands=RISK_BANDS,
    )


@require("asb.case.edit")
def plan_new(case_id: int):
    form = _form(PlanForm)
    if request.method == "GET":
        form.title.data = "Individual support plan"
    return _change(
        case_id,
        form,
        "Start a support plan",
        "Start the plan",
        lambda asb: support.start_plan(
            current_user, asb, title=form.title.data, first_review_on=form.first_review_on.data
        ),
        "Support plan started",
    )


def _plan_of(asb, plan_id: int) -> Plan:
    plan = get_or_404(Plan, plan_id)
    if plan.case_id != asb.case_id or plan.kind != support.PLAN_KIND:
        raise AccessDenied("plan", plan_id)
    return plan


@require("asb.case.edit")
def intervention(case_id: int, plan_id: int):
    form = _form(InterventionForm)
    form.owner_agency_id.choices = directory.agency_choices("No agency")

    def action(asb):
        return support.add_intervention(
            current_user,
            _plan_of(asb, plan_id),
            kind=form.kind.data,
            details=form.details.data,
            owner_agency_id=form.owner_agency_id.data,
            due_on=form.due_on.data,
        )

    return _change(case_id, form, "Add an intervention", "Add to the plan", action, "Intervention added")


@require("asb.case.edit")
def plan_review(case_id: int, plan_id: int):
    asb = load_asb_case(current_user, case_id, edit=True, log=False)
    plan = _plan_of(asb, plan_id)
    form = _form(ReviewForm, version_id=plan.version_id)
    if request.method == "GET":
        form.reviewed_on.data = date.today()
    return _change(
        case_id,
        form,
        "Review the support plan",
        "Record the review",
        lambda asb: support.review(
            current_user,
            _plan_of(asb, plan_id),
            reviewed_on=form.reviewed_on.data,
            summary=form.summary.data,
            next_review_on=form.next_review_on.data,
            version=form.submitted_version(),
        ),
        "Review recorded",
        intro=f"Support plans are reviewed at least every {support.review_days()} days.",
    )


@require("asb.case.edit")
def contact(case_id: int):
    form = _form(ContactForm)
    if request.method == "GET":
        form.contact_on.data = date.today()
    return _change(
        case_id,
        form,
        "Log a contact with the victim",
        "Log the contact",
        lambda asb: support.log_contact(
            current_user, asb, contact_on=form.contact_on.data, method=form.method.data, notes=form.notes.data
        ),
        "Contact logged",
    )


@require("asb.case.edit")
def perpetrator_action(case_id: int):
    asb = load_asb_case(current_user, case_id, edit=True, log=False)
    form = _form(PerpetratorActionForm)
    people = {p.person_id: p.person for p in asb.case.participants_in("perpetrator")}
    form.person_id.choices = choices(
        [(str(i), f"{p.full_name} ({p.reference})") for i, p in people.items()], blank="Not named"
    )
    form.agency_id.choices = directory.agency_choices("Select the agency")
    if request.method == "GET":
        form.agency_id.data = current_user.agency_id
        form.issued_on.data = date.today()
    return _change(
        case_id,
        form,
        "Record an action against a perpetrator",
        "Record the action",
        lambda asb: perpetrators.record_action(
            current_user,
            asb,
            person_id=form.person_id.data,
            kind=form.kind.data,
            status=form.status.data,
            agency_id=form.agency_id.data,
            issued_on=form.issued_on.data,
            expires_on=form.expires_on.data,
            terms=form.terms.data,
            court_reference=form.court_reference.data,
        ),
        "Action recorded",
    )


@require("asb.case.edit")
def perpetrator_action_status(case_id: int, action_id: int):
    asb = load_asb_case(current_user, case_id, edit=True, log=False)
    action = perpetrators.load_action(action_id, asb)
    form = _form(ActionStatusForm, version_id=action.version_id)
    if request.method == "GET":
        form.status.data = action.status
    return _change(
        case_id,
        form,
        f"Change the status of the {PERPETRATOR_ACTION_KINDS[action.kind].lower()}",
        "Change the status",
        lambda asb: perpetrators.set_status(
            current_user, action, asb, status=form.status.data, version=form.submitted_version()
        ),
        "Status changed",
    )


@require("asb.case.edit")
def breach(case_id: int, action_id: int):
    asb = load_asb_case(current_user, case_id, edit=True, log=False)
    action = perpetrators.load_action(action_id, asb)
    form = _form(BreachForm)
    return _change(
        case_id,
        form,
        f"Record a breach of the {PERPETRATOR_ACTION_KINDS[action.kind].lower()}",
        "Record the breach",
        lambda asb: perpetrators.record_breach(
            current_user, action, asb, breached_on=form.breached_on.data, details=form.details.data
        ),
        "Breach recorded",
    )


INCIDENT_EXPORT_HEADERS = (
    "When",
    "Same event",
    "Category",
    "Type",
    "Location",
    "Hate-motivated",
    "Reported on",
    "Reported to",
    "Victims",
    "Alleged perpetrators",
    "Description",
)


@require("asb.case.view")
def case_incidents_download(case_id: int):
    """The incidents list of a case page as CSV or XLSX: the same columns and the same
    disclosure (hate-crime characteristic and details only for ``asb.hate.view``); audited
    as an export of the case."""
    try:
        fmt = exports.requested_format(request.args) or "csv"
    except ValueError:
        abort(400)
    user = current_user
    asb = load_asb_case(user, case_id, log=False)
    may_see_hate = user.can("asb.hate.view")
    headers = INCIDENT_EXPORT_HEADERS + (("Hate crime details",) if may_see_hate else ())
    rows = []
    for i in incidents.incidents_for(asb.case):
        reported_to = "; ".join(
            REPORTED_TO.get(r.reported_to, r.reported_to) + (f" ref {r.reference}" if r.reference else "")
            for r in i.reports
        )
        perps = "; ".join(
            p.person.full_name if p.person else "Unknown" + (f" ({p.description})" if p.description else "")
            for p in i.perpetrators
        )
        row = (
            to_local(i.occurred_at).strftime("%Y-%m-%d %H:%M"),
            f"#{i.group_id}" if i.group_id else None,
            CATEGORIES.get(i.category, i.category),
            i.incident_type.label,
            i.location,
            i.is_hate,
            i.reported_on,
            reported_to,
            "; ".join(v.person.full_name for v in i.victims),
            perps,
            f"Removed: {i.deletion_reason}" if i.is_deleted else i.description,
        )
        if may_see_hate:
            detail = HATE_CHARACTERISTICS.get(i.hate_characteristic, "") if i.is_hate else ""
            row += (f"{detail}: {i.hate_details}" if i.hate_details else detail or None,)
        rows.append(row)
    audit.record(
        "asb.incident.export",
        object_type="case",
        object_id=asb.case_id,
        person_ids=cases.person_ids_of(asb.case),
        purpose="casework",
        details={"format": fmt, "rows": len(rows)},
    )
    stem = f"{asb.case.reference}-incidents"
    return exports.tabular_response(headers, rows, stem, fmt, sheet_title="Incidents")


@require("asb.case.edit")
def close(case_id: int):
    """Close the case: its plan stops asking for reviews and its open actions are cancelled."""
    form = _form(CloseForm)
    if request.method == "GET":
        form.closed_on.data = date.today()

    def action(asb):
        cases.close_case(current_user, asb.case, on=form.closed_on.data, reason=form.reason.data)
        asb.next_contact_due_on = None

    return _change(
        case_id,
        form,
        "Close the ASB case",
        "Close the case",
        action,
        "Case closed",
        intro="The support plan stops asking for reviews, contacts stop falling due and open actions are cancelled.",
    )
