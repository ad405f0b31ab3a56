"""The cohort list, caseloads, nominations and the offender page with its changes (one page each)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...core import audit, cases, exports
from ...core.access import require
from ...core.forms import choices, page_arg
from ...core.periods import quarter_containing
from ...core.policy import load_meeting
from ...core.services import ServiceError
from ...core.views import confirmation_page, confirmed, submit
from ...people.services import load_person
from .. import cohort, contacts, measure, nominations, offending, panel, panel_docs, pathways
from ..common import load_offender
from ..forms import (
    CloseRecordForm,
    CohortFilterForm,
    ContactForm,
    DecisionForm,
    DeselectForm,
    InterventionForm,
    NominationForm,
    OffenceForm,
    PathwayForm,
    SupervisionForm,
    TierForm,
)
from ..models import CATEGORIES, DESELECTION_REASONS
from .common import _agencies, _officers, _pathway_choices, _people_of, _strand_labels, _strand_rows, _strands

# --- cohort ----------------------------------------------------------------------------------


@require("iom.case.view")
def index():
    form = CohortFilterForm(request.args)
    strand_rows, tier_labels = _strand_rows(), cohort.tiers()
    form.state.choices = choices(cohort.STATES)
    form.strand.choices = _strands("Any", strand_rows)
    form.tier.choices = choices(tier_labels, blank="Any")
    form.lead_user_id.choices = _officers("Anyone")
    form.pathway.choices = choices([(p.code, p.label) for p in pathways.enabled_pathways()], blank="Any pathway")
    valid = form.validate()
    flt = cohort.CohortFilter()
    args = {}
    if valid:
        for name in ("state", "strand", "category", "tier", "lead_user_id", "supervision", "pathway"):
            value = getattr(form, name).data
            if value:
                setattr(flt, name, value)
                args[name] = value
    form.state.data = flt.state
    try:
        fmt = exports.requested_format(request.args)
    except ValueError:
        abort(400)
    if fmt:
        return _cohort_download(flt, fmt, args, dict(strand_rows), tier_labels)
    page = cohort.cohort_page(current_user, flt, page_arg())
    return render_template(
        "iom/cohort.html",
        form=form,
        page=page,
        args=args,
        tiers=tier_labels,
        strands=dict(strand_rows),
        categories=CATEGORIES,
    )


def _cohort_download(flt: cohort.CohortFilter, fmt: str, args: dict, strands: dict, tier_labels: dict):
    """The cohort list as filtered, as CSV or XLSX, with the list's columns; audited."""
    try:
        items = cohort.cohort_export(current_user, flt, exports.row_limit())
    except exports.TooManyRows as exc:
        flash(exc.message, "error")
        return redirect(url_for("iom.index", **args))
    audit.record(
        "iom.case.export",
        object_type="case",
        person_ids=[o.person_id for o in items],
        details={"format": fmt, "rows": len(items), "state": flt.state},
    )
    return exports.tabular_response(
        cohort.EXPORT_HEADERS,
        [cohort.export_row(o, strands, CATEGORIES, tier_labels) for o in items],
        f"iom-cohort-{date.today().isoformat()}",
        fmt,
        sheet_title="IOM cohort",
    )


@require("iom.case.view")
def caseloads():
    rows = cohort.caseloads(current_user)
    return render_template("iom/caseloads.html", rows=rows)


# --- nominations -----------------------------------------------------------------------------


@require("iom.case.view")
def nomination_list():
    items = nominations.open_nominations(current_user)
    audit.record("iom.nomination.list", object_type="case", person_ids=_people_of([n.case_id for n in items]))
    return render_template("iom/nominations.html", items=items, strands=dict(_strand_labels()), categories=CATEGORIES)


@require("iom.nominate")
def nominate(person_id: int):

    person = load_person(current_user, person_id, log=request.method == "GET", act=True)
    form = NominationForm()
    form.proposed_strand.choices = _strands("Select the proposed strand")
    if request.method == "GET":
        form.nominated_on.data = date.today()

    def action():
        return nominations.nominate(
            current_user,
            person,
            {
                "nominated_on": form.nominated_on.data,
                "reasons": form.reasons.data,
                "proposed_strand": form.proposed_strand.data,
                "category": form.category.data,
                "ogrs": form.ogrs.data,
                "rsr": form.rsr.data,
            },
        )

    if request.method == "GET":
        return render_template("iom/nominate.html", form=form, person=person)
    closed = nominations.offender_of_person(person.id)
    if closed is not None and not closed.case.is_open and not confirmed() and form.validate_on_submit():
        return confirmation_page(
            question=f"Nominating reopens {closed.case.reference}: are you sure?",
            action=request.path,
            cancel_url=url_for("people.view", person_id=person.id),
            confirm_label="Yes, reopen and nominate",
            details=[
                ("Record closed", f"{closed.case.closed_on:%-d %B %Y}"),
                ("Reason it closed", closed.case.closure_reason or "—"),
                ("Nomination date", f"{form.nominated_on.data:%-d %B %Y}"),
            ],
            caption=person.full_name,
            warning="The record's earlier spells and history stay on it.",
        )
    return submit(
        form,
        action,
        success="Nomination recorded: it is on the list for the panel",
        redirect_to=lambda n: url_for("iom.case_view", case_id=n.case_id),
        render=lambda status: (render_template("iom/nominate.html", form=form, person=person), status),
    )


# --- the offender page -----------------------------------------------------------------------


# Each change to the record has its own page (one thing per page), reached from the offender page.
TITLES = {
    "decision": ("Panel decision", "Record the decision"),
    "offence": ("Add an arrest, charge or conviction", "Add to the record"),
    "contact": ("Log a contact", "Log the contact"),
    "pathway": ("Assess a pathway", "Save the assessment"),
    "intervention": ("Add an intervention or referral", "Add to the pathway plan"),
    "tier": ("Change the tier", "Change the tier"),
    "supervision": ("Supervision or custody status", "Record the status"),
    "deselect": ("Deselect from the cohort", "Deselect"),
    "close": ("Close the IOM record", "Continue"),
}


def _available(offender, nomination) -> list[str]:
    """The changes the user may make to this record now, in the order the page offers them."""
    user = current_user
    keys = []
    if user.can("iom.cohort.manage") and nomination is not None:
        keys.append("decision")
    if offender.case.is_open:
        if user.can("iom.offending.record"):
            keys.append("offence")
        if user.can("iom.case.edit"):
            keys += ["contact", "pathway", "intervention", "tier", "supervision"]
    if user.can("iom.cohort.manage") and offender.on_cohort:
        keys.append("deselect")
    if user.can("iom.cohort.manage") and nomination is None and nominations.may_close(offender):
        keys.append("close")
    return keys


def _form(offender, key: str, given=None):
    """The form for one change, with its choices (None if that change is not open to the user now)."""
    user = current_user
    nomination = nominations.open_nomination(offender)
    if key not in _available(offender, nomination):
        return None
    if key == "decision":
        f = given or DecisionForm(formdata=None, prefix=key, version_id=nomination.version_id)
        f.strand.choices = _strands("Select the strand")
        f.lead_user_id.choices = _officers("Select the lead officer")
        f.tier.choices = choices(cohort.tiers(), blank="Select the tier")
        if given is None:
            f.strand.data, f.category.data = nomination.proposed_strand, nomination.category
            f.meeting_id.data = request.args.get("meeting", type=int)
        return f
    if key == "deselect":
        return given or DeselectForm(formdata=None, prefix=key, version_id=offender.version_id)
    if key == "close":
        f = given or CloseRecordForm(formdata=None, prefix=key, version_id=offender.version_id)
        if given is None:
            f.on.data = date.today()
            reason = nominations.last_deselection_reason(offender)
            f.reason.data = DESELECTION_REASONS["deceased"] if reason == "deceased" else None
        return f
    if key == "tier":
        f = given or TierForm(formdata=None, prefix=key, version_id=offender.version_id)
        f.tier.choices = choices(cohort.tiers(), blank="Select the tier")
        return f
    if key == "supervision":
        return given or SupervisionForm(formdata=None, prefix=key, version_id=offender.version_id)
    if key == "contact":
        return given or ContactForm(formdata=None, prefix=key)
    if key == "pathway":
        f = given or PathwayForm(formdata=None, prefix=key)
        f.pathway_code.choices = _pathway_choices(user)
        f.owner_agency_id.choices = _agencies("No owner agency")
        return f
    if key == "intervention":
        f = given or InterventionForm(formdata=None, prefix=key)
        f.pathway_code.choices = choices(
            [(p.code, p.label) for p in pathways.enabled_pathways() if pathways.may_see_details(user, p)],
            blank="Select the pathway",
        )
        f.owner_agency_id.choices = _agencies("No agency")
        return f
    f = given or OffenceForm(formdata=None, prefix=key)
    f.category_id.choices = choices(
        [(str(c.id), f"{c.label} (gravity {c.gravity})") for c in offending.categories()],
        blank="Select the category",
    )
    return f


def _page(offender):
    user = current_user
    today = date.today()
    period = quarter_containing(today)
    all_nominations = nominations.nominations_of(offender)
    spells = nominations.spells(offender)
    show_notes = user.can("iom.offending.notes")
    offence_list = offending.offences_for(offender, with_notes=show_notes)
    # The whole record when the list is not cut short: the score and the measure use it as read.
    record = offence_list if len(offence_list) < offending.OFFENCES_SHOWN else None
    contact_list = contacts.contacts_for(offender)
    tier_labels = cohort.tiers()
    all_pathways = pathways.all_pathways()
    open_nomination = next((n for n in all_nominations if n.status == "open"), None)
    return (
        render_template(
            "iom/offender.html",
            offender=offender,
            case=offender.case,
            person=offender.person,
            changes=[(key, TITLES[key][0]) for key in _available(offender, open_nomination)],
            nomination=open_nomination,
            all_nominations=all_nominations,
            spells=spells,
            timeline=cohort.timeline(
                offender,
                nominations=all_nominations,
                spells=spells,
                contacts=contact_list,
                offences=offence_list,
                tier_labels=tier_labels,
                pathway_labels={p.code: p.label for p in all_pathways},
            ),
            pathway_rows=pathways.overview(user, offender, pathways=all_pathways),
            contacts=contact_list,
            offences=offence_list,
            show_notes=show_notes,
            elsewhere=cohort.known_elsewhere(user, offender),
            panel_outcomes=panel_docs.outcomes_for(offender),
            tiers=tier_labels,
            strands=dict(_strand_labels()),
            categories=CATEGORIES,
            period=period,
            quarter_measure=measure.offender_measure(offender, period, spells=spells, offences=record),
            score=offending.selection_score(offender.person_id, today, offences=record),
            today=today,
            may_renominate=not offender.case.is_open
            and user.can("iom.nominate")
            and nominations.last_deselection_reason(offender, spells) != "deceased",
        ),
        200,
    )


@require("iom.case.view")
def case_view(case_id: int):
    offender = load_offender(current_user, case_id)
    return _page(offender)


def _post(case_id: int, key: str, form_class, action, success: str, confirm=None):
    """GET: the page for one change to the record; POST: make it (errors shown on the same page).

    ``confirm(offender, form)``, for a change that cannot be undone, gives the confirmation
    step's question and details: the first valid POST shows them, the confirmed one acts."""
    offender = load_offender(current_user, case_id, edit=True)
    back = url_for("iom.case_view", case_id=offender.case_id)
    given = form_class(prefix=key) if request.method == "POST" else None
    form = _form(offender, key, given)
    if form is None:
        flash("That change cannot be made to this record now", "error")
        return redirect(back)
    title, button = TITLES[key]

    def render(status: int = 200):
        return (
            render_template(
                "iom/record.html", form=form, offender=offender, person=offender.person, title=title, button=button
            ),
            status,
        )

    if request.method == "GET":
        cases.record_view(offender.case)
        return render()
    if confirm is not None and not confirmed() and form.validate_on_submit():
        question, details = confirm(offender, form)
        return confirmation_page(
            question=question,
            action=request.path,
            cancel_url=back,
            confirm_label=f"Yes, {title[0].lower()}{title[1:]}",
            details=details,
            caption=f"{offender.person.full_name} ({offender.case.reference})",
            warning="A new nomination reopens the record.",
        )
    return submit(form, lambda: action(offender, form), success=success, redirect_to=back, render=render)


@require("iom.cohort.manage")
def decision(case_id: int):
    def action(offender, form):
        nomination = nominations.open_nomination(offender)
        if nomination is None:
            raise ServiceError("There is no nomination waiting for a decision")
        meeting = None
        if form.meeting_id.data and str(form.meeting_id.data).isdigit():
            meeting = load_meeting(current_user, form.meeting_id.data, kind=panel.MEETING_KIND)
        return nominations.decide(
            current_user,
            nomination,
            meeting=meeting,
            adopt=form.decision.data == "adopt",
            decision=nominations.Adoption(
                decided_on=form.decided_on.data,
                strand=form.strand.data,
                category=form.category.data,
                lead_user_id=form.lead_user_id.data,
                tier=form.tier.data,
                reason=form.reason.data,
            ),
            version=form.submitted_version(),
        )

    return _post(case_id, "decision", DecisionForm, action, "Panel decision recorded")


@require("iom.cohort.manage")
def deselect(case_id: int):
    def action(offender, form):
        return nominations.deselect(
            current_user,
            offender,
            on=form.on.data,
            reason=form.reason.data,
            note=form.note.data,
            exit_plan=form.exit_plan.data,
            version=form.submitted_version(),
        )

    return _post(case_id, "deselect", DeselectForm, action, "Deselected from the cohort")


@require("iom.cohort.manage")
def close_record(case_id: int):
    def action(offender, form):
        return nominations.close_record(
            current_user, offender, on=form.on.data, reason=form.reason.data, version=form.submitted_version()
        )

    def confirm(offender, form):
        return (
            f"Are you sure you want to close {offender.case.reference}?",
            [("Date closed", f"{form.on.data:%-d %B %Y}"), ("Reason", form.reason.data)],
        )

    return _post(case_id, "close", CloseRecordForm, action, "IOM record closed", confirm=confirm)


@require("iom.case.edit")
def tier(case_id: int):
    def action(offender, form):
        return cohort.set_tier(
            current_user,
            offender,
            tier=form.tier.data,
            reason=form.reason.data,
            on=form.changed_on.data,
            version=form.submitted_version(),
        )

    return _post(case_id, "tier", TierForm, action, "Tier changed")


@require("iom.case.edit")
def supervision(case_id: int):
    def action(offender, form):
        return cohort.set_supervision(
            current_user,
            offender,
            status=form.status.data,
            from_on=form.from_on.data,
            expected_release_on=form.expected_release_on.data,
            note=form.note.data,
            version=form.submitted_version(),
        )

    return _post(case_id, "supervision", SupervisionForm, action, "Supervision status recorded")


@require("iom.case.edit")
def contact(case_id: int):
    def action(offender, form):
        return contacts.log_contact(
            current_user,
            offender,
            contact_on=form.contact_on.data,
            contact_type=form.contact_type.data,
            outcome=form.outcome.data,
            notes=form.notes.data,
        )

    return _post(case_id, "contact", ContactForm, action, "Contact recorded")


@require("iom.offending.record")
def offence(case_id: int):
    def action(offender, form):
        return offending.record_offence(
            current_user,
            offender,
            {
                "kind": form.kind.data,
                "offence_on": form.offence_on.data,
                "category_id": form.category_id.data,
                "outcome": form.outcome.data,
                "source_ref": form.source_ref.data,
                "notes": form.notes.data,
            },
        )

    return _post(case_id, "offence", OffenceForm, action, "Offence recorded")


@require("iom.case.edit")
def pathway(case_id: int):
    def action(offender, form):
        return pathways.assess(
            current_user,
            offender,
            pathway_code=form.pathway_code.data,
            need=form.need.data,
            rag=form.rag.data,
            owner_agency_id=form.owner_agency_id.data,
            review_due_on=form.review_due_on.data,
            details=form.details.data,
            version=form.submitted_version(),
        )

    return _post(case_id, "pathway", PathwayForm, action, "Pathway assessment recorded")


@require("iom.case.edit")
def intervention(case_id: int):
    def action(offender, form):
        return pathways.add_intervention(
            current_user,
            offender,
            pathway_code=form.pathway_code.data,
            intervention=form.intervention.data,
            owner_agency_id=form.owner_agency_id.data,
            due_on=form.due_on.data,
        )

    return _post(case_id, "intervention", InterventionForm, action, "Intervention added to the pathway plan")
