from flask import current_app, render_template, request

from ..core import audit, directory, exports, modules, periods
from ..core.access import require
from ..core.audit import LAWFUL_BASES
from ..core.forms import choices, page_arg
from . import bp, services
from .forms import AuditFilterForm, SharingForm


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
    return render_template("governance/index.html", status=status)


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
    return render_template(
        "governance/audit.html",
        form=form,
        page=page,
        users=users,
        agencies=agencies,
        purposes=modules.purposes(),
        bases=LAWFUL_BASES,
        canonical_action=modules.canonical_audit_action,
        filters=filters,
        export_limit=current_app.config["GOVERNANCE_EXPORT_LIMIT"],
    ), status


@bp.route("/audit.csv")
@require("governance.audit.export")
def audit_export():
    """The filtered log as CSV; the export is itself an audited event."""
    form = _audit_filter_form()
    if not form.validate():
        return render_template(
            "governance/audit.html",
            form=form,
            page=None,
            users={},
            agencies={},
            purposes={},
            bases=LAWFUL_BASES,
            canonical_action=modules.canonical_audit_action,
            filters={},
            export_limit=current_app.config["GOVERNANCE_EXPORT_LIMIT"],
        ), 400
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
        limit=services.SHARING_LIMIT,
        form=form,
        events=events,
        users=users,
        agencies=agencies,
        purposes=modules.purposes(),
        bases=LAWFUL_BASES,
        canonical_action=modules.canonical_audit_action,
    )
