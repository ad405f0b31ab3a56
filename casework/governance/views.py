import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import audit, directory, exports, modules, periods
from ..core.access import require
from ..core.audit import LAWFUL_BASES
from ..core.forms import attach_error, attach_errors, choices, page_arg
from ..core.models import Case, Person
from ..core.models.people import person_id_from_reference
from ..core.services import ConflictError, ServiceError, get_or_404
from ..extensions import db
from . import bp, retention, services
from . import sar as sar_services
from . import sharing as sharing_services
from .forms import (
    AgreementForm,
    ApproveForm,
    AuditFilterForm,
    DecisionForm,
    DisclosureForm,
    DisclosureListForm,
    ExemptionForm,
    ExtensionForm,
    IdentityForm,
    LegalHoldForm,
    ReasonsForm,
    RecordKeyForm,
    RestartClockForm,
    RetentionRuleForm,
    SarForm,
    SarListForm,
    SharingForm,
    StopClockForm,
)
from .models import (
    CONDITIONS,
    CONSENT,
    DECISIONS,
    DESTRUCTION_STATUSES,
    EXEMPTIONS,
    LEGAL_POWERS,
    METHODS,
    SAR_ROUTES,
    SAR_STATUSES,
    Destruction,
    Disclosure,
    LegalHold,
    SharingAgreement,
    SubjectAccessRequest,
)


def _agency_choices(blank: bool):
    return choices([(a.id, a.name) for a in directory.agencies()], blank="Any" if blank else None)


def _audit_filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.recipient_agency_id.choices = _agency_choices(blank=True)
    form.actor_agency_id.choices = _agency_choices(blank=True)
    return form


def _filter_of(form: AuditFilterForm) -> services.AuditFilter:
    return services.AuditFilter(**{k: form[k].data for k in services.AuditFilter.__dataclass_fields__})


@bp.route("/")
@require("governance.audit.view")
def index():
    status = services.chain_status()
    audit.record("governance.index.view", object_type="audit_chain", purpose="audit")
    return render_template(
        "governance/index.html",
        status=status,
        outstanding=sharing_services.outstanding_reasons_count(),
        agreements_due=sharing_services.agreements_due(),
    )


@bp.route("/audit")
@require("governance.audit.view")
def audit_log():
    form = _audit_filter_form()
    page = None
    if form.validate():
        flt = _filter_of(form)
        page = services.events_page(flt, page_arg())
        audit.record(
            "governance.audit.view", object_type="audit_event", purpose="audit", details={"person_id": flt.person_id}
        )
    users, agencies = services.lookup_names(page.items if page else [])
    status = 200 if page is not None else 400
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return _audit_page(form, page, users, agencies, modules.purposes(), filters), status


def _audit_page(form, page, users: dict, agencies: dict, purposes: dict, filters: dict) -> str:
    """The audit log page: the filter form and, once it is valid, a page of events."""
    return render_template(
        "governance/audit.html",
        form=form,
        page=page,
        users=users,
        agencies=agencies,
        purposes=purposes,
        bases=LAWFUL_BASES,
        canonical_action=modules.canonical_audit_action,
        filters=filters,
        export_limit=current_app.config["GOVERNANCE_EXPORT_LIMIT"],
    )


@bp.route("/audit.csv")
@require("governance.audit.export")
def audit_export():
    """The filtered log as CSV; the export is itself an audited event."""
    form = _audit_filter_form()
    if not form.validate():
        return _audit_page(form, None, {}, {}, {}, {}), 400
    flt = _filter_of(form)
    limit = current_app.config["GOVERNANCE_EXPORT_LIMIT"]
    rows = list(services.export_rows(flt, limit))
    audit.record(
        "governance.audit.export",
        object_type="audit_event",
        person_ids=[flt.person_id] if flt.person_id else [],
        purpose="audit",
        details={"filter": services.filter_details(flt), "rows": len(rows), "format": "csv"},
    )
    stamp = periods.local_today().isoformat()
    return exports.tabular_response(services.EXPORT_HEADERS, rows, f"audit-log-{stamp}", "csv")


@bp.route("/people/<int:person_id>/access")
@require("governance.audit.view")
def person_access(person_id: int):
    rows = services.who_has_seen(person_id)
    audit.record("governance.person_access.view", object_type="person", object_id=person_id, purpose="audit")
    return render_template("governance/person_access.html", rows=rows, person_id=person_id)


@bp.route("/sharing")
@require("governance.sharing.view")
def sharing():
    form = SharingForm(request.args)
    form.agency_id.choices = _agency_choices(blank=False)
    events = None
    if request.args.get("agency_id") and form.validate():
        last_quarter = periods.previous(periods.quarter_containing(periods.local_today()))
        start = form.date_from.data or last_quarter.start
        end = form.date_to.data or last_quarter.end
        events = services.shared_with(form.agency_id.data, start, end)
        audit.record("governance.sharing.view", object_type="agency", object_id=form.agency_id.data, purpose="audit")
    users, agencies = services.lookup_names(events or [])
    return render_template(
        "governance/sharing.html",
        agreement_of=sharing_services.agreements_for_events(events or []),
        limit=services.SHARING_LIMIT,
        form=form,
        events=events,
        users=users,
        agencies=agencies,
        purposes=modules.purposes(),
        bases=LAWFUL_BASES,
        canonical_action=modules.canonical_audit_action,
    )


# --- data sharing agreements --------------------------------------------------------------


def _agreement_form(agreement=None) -> AgreementForm:
    form = AgreementForm(obj=agreement) if request.method == "GET" and agreement else AgreementForm()
    form.party_ids.choices = [(a.id, a.name) for a in directory.agencies()]
    if request.method == "GET" and agreement:
        form.party_ids.data = [a.id for a in agreement.parties]
        form.version_id.data = agreement.version_id
    return form


@bp.route("/agreements")
@require("governance.agreement.manage")
def agreements():
    today = periods.local_today()
    return render_template(
        "governance/agreements.html", agreements=sharing_services.agreements(), today=today, bases=LAWFUL_BASES
    )


@bp.route("/agreements/new", methods=["GET", "POST"])
@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@require("governance.agreement.manage")
def agreement_edit(agreement_id: int | None = None):
    agreement = get_or_404(SharingAgreement, agreement_id) if agreement_id else None
    form = _agreement_form(agreement)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                saved = sharing_services.save_agreement(
                    current_user, form.to_data(), agreement, form.submitted_version()
                )
        except ConflictError:
            flash(
                "Someone else changed this agreement while you were editing. Your changes have not been saved: "
                "open the agreement again to see the latest version.",
                "error",
            )
            return render_template("governance/agreement_edit.html", form=form, agreement=agreement), 409
        except ServiceError as exc:
            attach_errors(form, exc)
        else:
            flash(f"Agreement “{saved.title}” saved.", "success")
            return redirect(url_for("governance.agreements"))
    status = 400 if form.errors else 200
    return render_template("governance/agreement_edit.html", form=form, agreement=agreement), status


# --- disclosures made outside the system ---------------------------------------------------


def _disclosure_choices(form) -> None:
    form.recipient_agency_id.choices = _agency_choices(blank=False)
    form.recipient_agency_id.choices.insert(0, choices([], blank="Select the requesting agency")[0])
    form.agreement_id.choices = choices(
        [(a.id, a.title) for a in sharing_services.agreements(include_inactive=False)], blank="None"
    )


@bp.route("/disclosures")
@require("governance.disclosure.manage")
def disclosures():
    form = DisclosureListForm(request.args)
    form.recipient_agency_id.choices = _agency_choices(blank=True)
    page = None
    if form.validate():
        flt = sharing_services.DisclosureFilter(
            outstanding_only=bool(form.outstanding_only.data), recipient_agency_id=form.recipient_agency_id.data
        )
        page = sharing_services.disclosures_page(flt, page_arg())
        audit.record(
            "governance.disclosure.list",
            object_type="gov_disclosure",
            person_ids=[d.person_id for d in page.items],
            purpose="audit",
        )
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "governance/disclosures.html", form=form, page=page, filters=filters, decisions=DECISIONS, bases=LAWFUL_BASES
    ), (200 if page is not None else 400)


def _record_for_person(form, record, *, success: str, redirect_to, template: str):
    """A new record about the person whose reference the form names: ``record(person)`` runs
    in a savepoint; an unknown reference or a refusal is shown on the form again."""
    if form.validate_on_submit():
        person_id = person_id_from_reference(form.person_ref.data)
        person = db.session.get(Person, person_id) if person_id else None
        if person is None:
            attach_error(form, "Enter the reference of a person on the system, for example P000123", "person_ref")
        else:
            try:
                with db.session.begin_nested():
                    result = record(person)
            except ServiceError as exc:
                attach_errors(form, exc)
            else:
                flash(success, "success")
                return redirect(redirect_to(result))
    status = 400 if form.errors else 200
    return render_template(template, form=form), status


@bp.route("/disclosures/new", methods=["GET", "POST"])
@require("governance.disclosure.manage")
def disclosure_new():
    form = DisclosureForm()
    _disclosure_choices(form)
    return _record_for_person(
        form,
        lambda person: sharing_services.record_disclosure(current_user, person, form.to_data()),
        success="Disclosure recorded in the sharing register.",
        redirect_to=lambda d: url_for("governance.disclosure_view", disclosure_id=d.id),
        template="governance/disclosure_new.html",
    )


@bp.route("/disclosures/<int:disclosure_id>", methods=["GET", "POST"])
@require("governance.disclosure.manage")
def disclosure_view(disclosure_id: int):
    d = (
        sharing_services.load_disclosure(disclosure_id)
        if request.method == "GET"
        else get_or_404(Disclosure, disclosure_id)
    )
    form = ReasonsForm()
    if request.method == "GET":
        form.version_id.data = d.version_id
    elif form.validate_on_submit():
        try:
            with db.session.begin_nested():
                sharing_services.record_reasons(current_user, d, form.reasons.data, form.submitted_version())
        except ConflictError:
            flash("Someone else recorded the reasons meanwhile. Nothing was saved.", "error")
            return redirect(url_for("governance.disclosure_view", disclosure_id=d.id)), 409
        except ServiceError as exc:
            attach_errors(form, exc)
        else:
            flash("Reasons recorded.", "success")
            return redirect(url_for("governance.disclosure_view", disclosure_id=d.id))
    labels = {
        "bases": LAWFUL_BASES,
        "conditions": CONDITIONS,
        "powers": LEGAL_POWERS,
        "consent": CONSENT,
        "methods": METHODS,
        "decisions": DECISIONS,
    }
    status = 400 if form.errors else 200
    return render_template("governance/disclosure.html", d=d, form=form, **labels), status


# --- subject access requests -----------------------------------------------------------------


@bp.route("/sars")
@require("governance.sar.manage")
def sars():
    form = SarListForm(request.args)
    open_only = form.show.data != "all"
    page = sar_services.sars_page(open_only, page_arg())
    today = periods.local_today()
    rows = [(s, sar_services.sar_due(s, today), sar_services.days_left(s, today)) for s in page.items]
    audit.record(
        "governance.sar.list", object_type="gov_sar", person_ids=[s.person_id for s in page.items], purpose="audit"
    )
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "governance/sars.html", form=form, page=page, rows=rows, statuses=SAR_STATUSES, filters=filters
    )


@bp.route("/sars/new", methods=["GET", "POST"])
@require("governance.sar.manage")
def sar_new():
    form = SarForm()
    fields = ("received_on", "requester", "route", "identity_checked", "identity_evidence")
    return _record_for_person(
        form,
        lambda person: sar_services.log_request(current_user, person, {k: form[k].data for k in fields}),
        success="Subject access request logged.",
        redirect_to=lambda sar: url_for("governance.sar_view", sar_id=sar.id),
        template="governance/sar_new.html",
    )


def _sar_forms(sar) -> dict:
    forms = {
        "identity_form": IdentityForm(prefix="identity"),
        "extension_form": ExtensionForm(prefix="extend"),
        "stop_form": StopClockForm(prefix="stop"),
        "restart_form": RestartClockForm(prefix="restart"),
        "approve_form": ApproveForm(prefix="approve"),
        "exemption_form": ExemptionForm(prefix="exempt"),
        "unexempt_form": RecordKeyForm(prefix="unexempt"),
    }
    for form in forms.values():
        if hasattr(form, "version_id") and not form.version_id.data:
            form.version_id.data = sar.version_id
    return forms


def _record_choices(form: ExemptionForm, pack) -> None:
    form.record_key.choices = choices(
        [(i.record.key, i.record.title) for i in pack.items if not i.exemption], blank="Select the record"
    )


def _sar_page(sar, forms: dict | None = None, status: int = 200):
    today = periods.local_today()
    pack = sar_services.review(sar)
    forms = forms or _sar_forms(sar)
    _record_choices(forms["exemption_form"], pack)
    return render_template(
        "governance/sar.html",
        sar=sar,
        pack=pack,
        due=sar_services.sar_due(sar, today),
        days_left=sar_services.days_left(sar, today),
        clock_stopped=sar_services.clock_stopped(sar),
        routes=SAR_ROUTES,
        statuses=SAR_STATUSES,
        exemptions=EXEMPTIONS,
        max_extension=current_app.config["SAR_MAX_EXTENSION_MONTHS"],
        **forms,
    ), status


@bp.route("/sars/<int:sar_id>")
@require("governance.sar.manage")
def sar_view(sar_id: int):
    return _sar_page(get_or_404(SubjectAccessRequest, sar_id))


_SAR_STEPS = {
    "identity": ("identity_form", "Identity check recorded."),
    "extend": ("extension_form", "Extension recorded: tell the requester, with the reasons."),
    "stop": ("stop_form", "Clock stopped until clarification is received."),
    "restart": ("restart_form", "Clock restarted."),
    "exempt": ("exemption_form", "Record marked exempt. Approve the pack again before release."),
    "unexempt": ("unexempt_form", "Exemption removed. Approve the pack again before release."),
    "approve": ("approve_form", "Pack approved for release."),
}


@bp.route("/sars/<int:sar_id>/<step>", methods=["POST"])
@require("governance.sar.manage")
def sar_step(sar_id: int, step: str):
    if step not in _SAR_STEPS:
        abort(404)
    if step == "approve" and not current_user.can("governance.sar.approve"):
        audit.record_denial("access.denied", object_type="gov_sar", object_id=sar_id)
        abort(403)
    sar = get_or_404(SubjectAccessRequest, sar_id)
    forms = _sar_forms(sar)
    name, message = _SAR_STEPS[step]
    form = forms[name]
    if step == "exempt":
        # The records the pack holds now are the ones that can be withheld (not shown: not audited as a read).
        _record_choices(form, sar_services.assemble(sar))
    if form.validate_on_submit():
        today = periods.local_today()
        version = form.submitted_version() if hasattr(form, "submitted_version") else None
        try:
            with db.session.begin_nested():
                _apply_step(step, sar, form, version, today)
        except ConflictError:
            flash("Someone else changed this request meanwhile. Nothing was saved: check it and try again.", "error")
            return redirect(url_for("governance.sar_view", sar_id=sar.id)), 409
        except ServiceError as exc:
            for left in attach_errors(form, exc):
                flash(left, "error")
            db.session.refresh(sar)
        else:
            flash(message, "success")
            return redirect(url_for("governance.sar_view", sar_id=sar.id))
    elif not form.errors:
        abort(400)
    return _sar_page(sar, forms, 400)


def _apply_step(step: str, sar, form, version, today) -> None:
    if step == "identity":
        sar_services.check_identity(current_user, sar, form.identity_evidence.data, version)
    elif step == "extend":
        sar_services.extend(current_user, sar, form.months.data, form.reason.data, version, today)
    elif step == "stop":
        sar_services.stop_clock(current_user, sar, form.started_on.data, form.note.data, version)
    elif step == "restart":
        sar_services.restart_clock(current_user, sar, form.ended_on.data, version)
    elif step == "exempt":
        sar_services.mark_exempt(current_user, sar, form.record_key.data, form.exemption.data, form.reason.data)
    elif step == "unexempt":
        sar_services.remove_exemption(current_user, sar, form.record_key.data)
    elif step == "approve":
        sar_services.approve(current_user, sar, version)


@bp.route("/sars/<int:sar_id>/pack.zip", methods=["POST"])
@require("governance.sar.manage")
def sar_release(sar_id: int):
    """The approved pack (PDF and JSON in one ZIP); refused until the DPO has approved it.
    A POST with its CSRF token: the first download marks the request released."""
    sar = get_or_404(SubjectAccessRequest, sar_id)
    try:
        body = sar_services.release(current_user, sar)
    except sar_services.NotApproved as exc:
        flash(str(exc), "error")
        return redirect(url_for("governance.sar_view", sar_id=sar.id)), 409
    response = Response(body, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="subject-access-{sar.id}.zip"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- retention ---------------------------------------------------------------------------------


def _retention_page(rule_form=None, hold_form=None, status: int = 200):
    rule_form = rule_form or RetentionRuleForm(prefix="rule")
    rule_form.case_kind.choices = choices(modules.case_kinds(), blank="Select a kind of case")
    hold_form = hold_form or LegalHoldForm(prefix="hold")
    rows = retention.past_retention()
    holds = retention.open_holds()
    users = {u.id: u for u in directory_users({r.proposal.proposed_by_id for r in rows if r.proposal})}
    audit.record("governance.retention.view", object_type="case", purpose="audit", details={"rows": len(rows)})
    return render_template(
        "governance/retention.html",
        rules=retention.rules(),
        kinds=modules.case_kinds(),
        rows=rows,
        holds=holds,
        users=users,
        rule_form=rule_form,
        hold_form=hold_form,
        decision_form=DecisionForm(),
        statuses=DESTRUCTION_STATUSES,
    ), status


def directory_users(ids: set[int]) -> list:
    from ..core.models import User

    return list(db.session.scalars(sa.select(User).where(User.id.in_(sorted(ids))))) if ids else []


@bp.route("/retention")
@require("governance.retention.manage")
def retention_review():
    return _retention_page()


@bp.route("/retention/rule", methods=["POST"])
@require("governance.retention.manage")
def retention_rule():
    form = RetentionRuleForm(prefix="rule")
    form.case_kind.choices = choices(modules.case_kinds(), blank="Select a kind of case")
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                retention.set_rule(current_user, form.case_kind.data, form.years.data)
        except ServiceError as exc:
            attach_errors(form, exc)
        else:
            flash("Retention period saved.", "success")
            return redirect(url_for("governance.retention_review"))
    return _retention_page(rule_form=form, status=400)


@bp.route("/retention/hold", methods=["POST"])
@require("governance.retention.manage")
def retention_hold():
    form = LegalHoldForm(prefix="hold")
    if form.validate_on_submit():
        case = db.session.scalar(sa.select(Case).where(Case.reference == form.case_reference.data.upper()))
        if case is None:
            attach_error(form, "Enter the reference of a case on the system", "case_reference")
        else:
            retention.place_hold(current_user, case, form.reason.data)
            flash(f"Legal hold placed on {case.reference}: it cannot be destroyed until the hold is lifted.", "success")
            return redirect(url_for("governance.retention_review"))
    return _retention_page(hold_form=form, status=400)


@bp.route("/retention/holds/<int:hold_id>/lift", methods=["POST"])
@require("governance.retention.manage")
def retention_lift(hold_id: int):
    hold = get_or_404(LegalHold, hold_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with db.session.begin_nested():
            retention.lift_hold(current_user, hold)
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash("Legal hold lifted.", "success")
    return redirect(url_for("governance.retention_review"))


@bp.route("/retention/cases/<int:case_id>/propose", methods=["POST"])
@require("governance.retention.manage")
def retention_propose(case_id: int):
    case = get_or_404(Case, case_id)
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        with db.session.begin_nested():
            retention.propose(current_user, case)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("governance.retention_review")), 409
    flash(f"Destruction of {case.reference} proposed: a second data protection officer must approve it.", "success")
    return redirect(url_for("governance.retention_review"))


@bp.route("/retention/proposals/<int:proposal_id>/<decision>", methods=["POST"])
@require("governance.retention.approve")
def retention_decide(proposal_id: int, decision: str):
    if decision not in ("approve", "refuse"):
        abort(404)
    proposal = get_or_404(Destruction, proposal_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with db.session.begin_nested():
            if decision == "approve":
                retention.approve(current_user, proposal, form.submitted_version())
            else:
                retention.refuse(current_user, proposal, form.submitted_version())
    except ConflictError:
        flash("Someone else decided this proposal meanwhile.", "error")
        return redirect(url_for("governance.retention_review")), 409
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("governance.retention_review")), 409
    flash(
        "Destruction approved: it is carried out at the next retention run."
        if decision == "approve"
        else "Proposal refused.",
        "success",
    )
    return redirect(url_for("governance.retention_review"))
