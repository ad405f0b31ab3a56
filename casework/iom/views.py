"""IOM pages: cohort, offender page, nominations and panel decisions, measure.

Views are thin: parse the request, call a service, render. Each declares its
capability with ``require``; the services check object access again.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import audit, cases
from ..core.access import require
from ..core.exports import tabular_response
from ..core.forms import choices, page_arg
from ..core.models import Agency
from ..core.periods import PeriodError, custom, previous, quarter_containing
from ..core.policy import can_open_meeting, load_meeting
from ..core.views import submit
from ..extensions import db
from . import bp, cohort, contacts, measure, nominations, offending, panel, pathways
from .common import load_offender
from .forms import (
    CohortFilterForm,
    ContactForm,
    DecisionForm,
    DeselectForm,
    InterventionForm,
    MeasureForm,
    NominationForm,
    OffenceForm,
    PathwayForm,
    SupervisionForm,
    TierForm,
)
from .models import CATEGORIES, Nomination, Strand


def _strands(blank: str | None = None):
    rows = db.session.execute(sa.select(Strand.code, Strand.label).order_by(Strand.sort_order)).all()
    return choices([(c, lb) for c, lb in rows], blank=blank)


def _agencies(blank: str):
    rows = db.session.execute(
        sa.select(Agency.id, Agency.name).where(Agency.is_active.is_(True)).order_by(Agency.name)
    ).all()
    return choices([(str(i), n) for i, n in rows], blank=blank)


def _officers(blank: str):
    return choices([(str(u.id), f"{u.display_name} ({u.agency.name})") for u in cohort.lead_officers()], blank=blank)


def _pathway_choices(user):
    return choices([(p.code, p.label) for p in pathways.enabled_pathways()], blank="Select the pathway")


# --- cohort ----------------------------------------------------------------------------------


@require("iom.case.view")
def index():
    form = CohortFilterForm(request.args)
    form.state.choices = choices(cohort.STATES)
    form.strand.choices = _strands("Any")
    form.tier.choices = choices(cohort.tiers(), blank="Any")
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
    page = cohort.cohort_page(current_user, flt, page_arg())
    return render_template(
        "iom/cohort.html",
        form=form,
        page=page,
        args=args,
        tiers=cohort.tiers(),
        strands=dict(_strand_labels()),
        categories=CATEGORIES,
    )


def _strand_labels():
    return db.session.execute(sa.select(Strand.code, Strand.label)).all()


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


def _people_of(case_ids):
    from ..core.cases import person_ids_of_cases

    return person_ids_of_cases(case_ids)


@require("iom.nominate")
def nominate(person_id: int):
    from ..people.services import load_person

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
    all_nominations = list(
        db.session.scalars(
            sa.select(Nomination).where(Nomination.case_id == offender.case_id).order_by(Nomination.id.desc())
        )
    )
    spells = nominations.spells(offender)
    offence_list = offending.offences_for(offender)
    contact_list = contacts.contacts_for(offender)
    tier_labels = cohort.tiers()
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
            ),
            pathway_rows=pathways.overview(user, offender),
            contacts=contact_list,
            offences=offence_list,
            show_notes=user.can("iom.offending.notes"),
            elsewhere=cohort.known_elsewhere(user, offender),
            tiers=tier_labels,
            strands=dict(_strand_labels()),
            categories=CATEGORIES,
            period=period,
            quarter_measure=measure.offender_measure(offender, period),
            score=offending.selection_score(offender.person_id, today),
            today=today,
        ),
        200,
    )


@require("iom.case.view")
def case_view(case_id: int):
    offender = load_offender(current_user, case_id)
    return _page(offender)


def _post(case_id: int, key: str, form_class, action, success: str):
    """GET: the page for one change to the record; POST: make it (errors shown on the same page)."""
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
    return submit(form, lambda: action(offender, form), success=success, redirect_to=back, render=render)


@require("iom.cohort.manage")
def decision(case_id: int):
    def action(offender, form):
        nomination = nominations.open_nomination(offender)
        if nomination is None:
            from ..core.services import ServiceError

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


# --- the measure ---------------------------------------------------------------------------


def _measure_request():
    form = MeasureForm(request.args)
    form.strand.choices = _strands("Any")
    # By default the last complete quarter.
    period = previous(quarter_containing(date.today()))
    error = None
    if form.validate():
        start, end = form.start.data, form.end.data
        if start or end:
            if not (start and end):
                error = "Enter both the start and the end of the period"
            else:
                try:
                    period = custom(start, end)
                except PeriodError as exc:
                    error = str(exc)
    else:
        error = "Check the filters: " + "; ".join(e for errs in form.errors.values() for e in errs)
    if not form.start.data:
        form.start.data, form.end.data = period.start, period.end
    result = measure.measure(
        period,
        count=form.count.data if form.count.data in measure.COUNTS else "conviction",
        neighbourhood_only=bool(form.neighbourhood_only.data),
        strand=form.strand.data,
        category=form.category.data,
    )
    return form, period, result, error


MEASURE_ROWS = 100


@require("iom.measure.view")
def measure_view():
    form, period, result, error = _measure_request()
    fmt = request.args.get("format")
    details = {"period": period.as_dict(), "count": result.count, "neighbourhood_only": result.neighbourhood_only}
    if fmt in ("csv", "xlsx"):
        rows = measure.visible_rows(current_user, result.offenders)
        audit.record(
            "iom.measure.export",
            object_type="report",
            purpose="iom_performance",
            person_ids=[o.person_id for o in rows],
            details=details,
        )
        return tabular_response(*_measure_table(result, rows), f"iom-measure-{period.start}-{period.end}", fmt)
    # The page shows the first rows; the download has every row the user may see.
    rows = measure.visible_rows(current_user, result.offenders, limit=MEASURE_ROWS)
    audit.record(
        "iom.measure.view",
        object_type="report",
        purpose="iom_performance",
        person_ids=[o.person_id for o in rows],
        details=details,
    )
    return render_template(
        "iom/measure.html",
        form=form,
        period=period,
        result=result,
        rows=rows,
        error=error,
        strands=dict(_strand_labels()),
        categories=CATEGORIES,
        references=_references([o.case_id for o in rows]),
        row_limit=MEASURE_ROWS,
        shown_count=_shown_count(),
    )


def _shown_count():
    """Counts of people as shown: exact for those who see every IOM case, small numbers suppressed
    for everyone else (an analyst's aggregate view), as the other published figures are."""
    from flask import current_app

    from ..core.exports import suppress_small

    if current_user.can("iom.case.view_all"):
        return lambda n, basis=None: n
    threshold = current_app.config["SMALL_NUMBER_THRESHOLD"]
    return lambda n, basis=None: suppress_small(n, threshold, basis=basis)


def _references(case_ids):
    from ..core.models import Case

    if not case_ids:
        return {}
    return dict(db.session.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all())


def _measure_table(result, rows):
    two = measure.two_places
    headers = [
        "Row",
        "Strand",
        "Category",
        "Months on cohort",
        "Baseline",
        "Actual",
        "Difference",
        "% impact",
        "Baseline cost",
        "Actual cost",
        "Cost avoided",
    ]
    out = [
        [
            "Cohort",
            result.strand or "All",
            result.category or "All",
            two(result.months),
            two(result.baseline),
            result.actual,
            two(result.difference),
            result.impact if result.impact is not None else "undefined (baseline 0)",
            two(result.baseline_cost),
            two(result.actual_cost),
            two(result.cost_avoided),
        ]
    ]
    refs = _references([o.case_id for o in rows])
    for o in rows:
        out.append(
            [
                refs.get(o.case_id, ""),
                o.strand,
                o.category,
                two(o.months),
                two(o.baseline),
                o.actual,
                two(o.difference),
                o.impact if o.impact is not None else "undefined (baseline 0)",
                two(o.baseline_cost),
                two(o.actual_cost),
                two(o.baseline_cost - o.actual_cost),
            ]
        )
    return headers, out


# --- panel meetings ----------------------------------------------------------------------


def _panel_forms(meeting=None, **given):
    from ..core.work_forms import ActionForm, MeetingForm

    schedule_form = given.get("schedule") or MeetingForm(formdata=None, prefix="schedule")
    schedule_form.chair_user_id.choices = choices(
        [(str(u.id), u.display_name) for u in cohort.lead_officers() if u.can("iom.meeting.manage")], blank="Choose"
    )
    schedule_form.agency_ids.choices = [(a, n) for a, n in _agency_pairs()]
    out = {"schedule": schedule_form}
    if meeting is not None:
        from ..core.work_forms import AttendanceForm

        action_form = given.get("action") or ActionForm(formdata=None, prefix="action")
        action_form.assigned_agency_id.choices = _agencies("Choose the agency")
        out["action"] = action_form
        attendance = given.get("attendance") or AttendanceForm(formdata=None, prefix="attendance")
        _attendance_choices(attendance, meeting)
        out["attendance"] = attendance
    return out


def _agency_pairs():
    return db.session.execute(
        sa.select(Agency.id, Agency.name).where(Agency.is_active.is_(True)).order_by(Agency.name)
    ).all()


@require("iom.case.view")
def panel_list():
    from ..core import meetings as core_meetings

    meetings = [m for m in core_meetings.upcoming_meetings(panel.MEETING_KIND) if can_open_meeting(current_user, m)]
    return render_template("iom/panel_list.html", meetings=meetings, forms=_panel_forms())


@require("iom.meeting.manage")
def panel_new():
    from datetime import UTC, datetime

    from ..core import meetings as core_meetings
    from ..core.work_forms import MeetingForm

    form = MeetingForm(prefix="schedule")
    forms = _panel_forms(schedule=form)
    return submit(
        form,
        lambda: core_meetings.schedule(
            current_user,
            kind=panel.MEETING_KIND,
            starts_at=datetime.combine(form.date.data, form.time.data, tzinfo=UTC),
            venue=form.venue.data,
            chair_user_id=form.chair_user_id.data,
            agency_ids=form.agency_ids.data,
        ),
        success="Panel scheduled",
        redirect_to=lambda m: url_for("iom.panel_view", meeting_id=m.id),
        render=lambda status: (render_template("iom/panel_list.html", meetings=[], forms=forms), status),
    )


def _panel_page(meeting, status: int = 200, **given):
    from ..core import actions as core_actions
    from ..core import meetings as core_meetings

    items = core_meetings.active_items(meeting)
    case_ids = [i.case_id for i in items]
    audit.record(
        "iom.meeting.view",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=_people_of(case_ids),
        purpose="iom_panel",
    )
    nominations_by_case = (
        {
            n.case_id: n
            for n in db.session.scalars(
                sa.select(Nomination).where(Nomination.case_id.in_(case_ids), Nomination.status == "open")
            )
        }
        if case_ids
        else {}
    )
    forms = _panel_forms(meeting, **given)
    if "action" in forms:
        forms["action"].case_choices = choices([(str(i.case_id), i.case.reference) for i in items], blank="Choose")
    meeting_actions = [a for i in items for a in core_actions.actions_for_item(meeting.id, i.case_id)]
    return (
        render_template(
            "iom/panel.html",
            meeting=meeting,
            items=items,
            nominations=nominations_by_case,
            forms=forms,
            manage=current_user.can("iom.meeting.manage"),
            actions=meeting_actions,
            strands=dict(_strand_labels()),
        ),
        status,
    )


@require("iom.case.view")
def panel_view(meeting_id: int):
    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND)
    return _panel_page(meeting)


@require("iom.meeting.manage")
def panel_build(meeting_id: int):
    from ..core.views import act_and_redirect

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    return act_and_redirect(
        lambda: panel.build_agenda(current_user, meeting),
        success="Agenda built: nominations to decide and offenders due for review are listed",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
    )


@require("iom.meeting.manage")
def panel_action(meeting_id: int):
    from ..core.work_forms import ActionForm

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    form = ActionForm(prefix="action")
    _panel_forms(meeting, action=form)
    case_id = request.form.get("action-case_id", type=int)
    return submit(
        form,
        lambda: panel.record_action(
            current_user,
            meeting,
            case_id=case_id,
            agency_id=form.assigned_agency_id.data,
            description=form.description.data,
            due_on=form.due_on.data,
        ),
        success="Action recorded",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
        render=lambda status: _panel_page(meeting, status, action=form),
    )


# --- the partnership's lists ------------------------------------------------------------------


def _settings_page(status: int = 200, **given):
    from .forms import CategoryForm, StrandForm
    from .models import Pathway

    categories = offending.categories(active_only=False)
    category_forms = {
        c.id: given.get(f"category-{c.id}")
        or CategoryForm(formdata=None, obj=c, prefix=f"category-{c.id}", version_id=c.version_id)
        for c in categories
    }
    strands = db.session.scalars(sa.select(Strand).order_by(Strand.sort_order)).all()
    strand_forms = {
        s.code: given.get(f"strand-{s.code}") or StrandForm(formdata=None, obj=s, prefix=f"strand-{s.code}")
        for s in strands
    }
    pathways_all = db.session.scalars(sa.select(Pathway).order_by(Pathway.sort_order)).all()
    return (
        render_template(
            "iom/settings.html",
            categories=categories,
            category_forms=category_forms,
            strands=strands,
            strand_forms=strand_forms,
            pathways=pathways_all,
        ),
        status,
    )


@require("iom.cohort.manage")
def settings_view():
    return _settings_page()


@require("iom.cohort.manage")
def settings_category(category_id: int):
    from ..core.services import get_or_404
    from . import settings
    from .forms import CategoryForm
    from .models import OffenceCategory

    category = get_or_404(OffenceCategory, category_id)
    form = CategoryForm(prefix=f"category-{category.id}")
    return submit(
        form,
        lambda: settings.update_category(
            current_user,
            category,
            {
                "gravity": form.gravity.data,
                "neighbourhood": bool(form.neighbourhood.data),
                "unit_cost": form.unit_cost.data,
                "cost_source": form.cost_source.data,
            },
            form.submitted_version(),
        ),
        success=f"{category.label} saved",
        redirect_to=url_for("iom.settings_view"),
        render=lambda status: _settings_page(status, **{f"category-{category.id}": form}),
    )


@require("iom.cohort.manage")
def settings_strand(code: str):
    from ..core.services import get_or_404
    from . import settings
    from .forms import StrandForm

    strand = db.session.get(Strand, code) or get_or_404(Strand, "missing")
    form = StrandForm(prefix=f"strand-{strand.code}")
    return submit(
        form,
        lambda: settings.set_strand_description(current_user, strand, form.description.data),
        success=f"{strand.label} description saved",
        redirect_to=url_for("iom.settings_view"),
        render=lambda status: _settings_page(status, **{f"strand-{strand.code}": form}),
    )


@require("iom.cohort.manage")
def settings_pathway(code: str):
    from ..core.services import get_or_404
    from ..core.views import act_and_redirect
    from . import settings
    from .models import Pathway

    pathway = db.session.get(Pathway, code) or get_or_404(Pathway, "missing")
    return act_and_redirect(
        lambda: settings.set_pathway_enabled(current_user, pathway, not pathway.is_enabled),
        success=f"{pathway.label} switched {'off' if pathway.is_enabled else 'on'}",
        redirect_to=url_for("iom.settings_view"),
    )


bp.add_url_rule("/settings", "settings_view", settings_view)
bp.add_url_rule("/settings/categories/<int:category_id>", "settings_category", settings_category, methods=["POST"])
bp.add_url_rule("/settings/strands/<code>", "settings_strand", settings_strand, methods=["POST"])
bp.add_url_rule("/settings/pathways/<code>", "settings_pathway", settings_pathway, methods=["POST"])


@require("iom.meeting.manage")
def panel_attendance(meeting_id: int):
    from ..core import meetings as core_meetings
    from ..core.work_forms import AttendanceForm

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    form = AttendanceForm(prefix="attendance")
    _attendance_choices(form, meeting)
    return submit(
        form,
        lambda: core_meetings.record_attendance(
            current_user,
            meeting,
            agency_id=form.agency_id.data,
            name=form.name.data,
            status=form.status.data,
            confidentiality_ack=bool(form.confidentiality_ack.data),
            information_sent=bool(form.information_sent.data),
        ),
        success="Attendance recorded",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
        render=lambda status: _panel_page(meeting, status, attendance=form),
    )


def _attendance_choices(form, meeting) -> None:
    names = dict(_agency_pairs())
    form.agency_id.choices = choices(
        [(str(a), names.get(a, str(a))) for a in sorted(meeting.agency_ids)], blank="Other"
    )


@require("iom.meeting.manage")
def panel_held(meeting_id: int):
    from ..core import meetings as core_meetings
    from ..core.views import act_and_redirect

    meeting = load_meeting(current_user, meeting_id, kind=panel.MEETING_KIND, manage=True)
    return act_and_redirect(
        lambda: core_meetings.mark_held(current_user, meeting, request.form.get("version_id", type=int)),
        success="Panel marked as held",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
    )


@require("iom.meeting.manage")
def panel_minutes(item_id: int):
    from ..core import meetings as core_meetings
    from ..core.models import AgendaItem
    from ..core.services import get_or_404
    from ..core.work_forms import MinutesForm

    item = get_or_404(AgendaItem, item_id)
    meeting = load_meeting(current_user, item.meeting_id, kind=panel.MEETING_KIND, manage=True)
    case = cases.load_case(current_user, item.case_id, kind="iom", log=False)
    from ..core import modules

    outcomes = modules.meeting_rules(meeting.kind).outcomes
    if request.method == "GET":
        form = MinutesForm(formdata=None, obj=item, version_id=item.version_id).set_outcomes(outcomes)
        cases.record_view(case, "iom_panel")
        return render_template("iom/minutes.html", form=form, item=item, meeting=meeting)
    form = MinutesForm().set_outcomes(outcomes)
    return submit(
        form,
        lambda: core_meetings.record_minutes(
            current_user, item, minutes=form.minutes.data, outcome=form.outcome.data, version=form.submitted_version()
        ),
        success=f"Minutes recorded for {case.reference}",
        redirect_to=url_for("iom.panel_view", meeting_id=meeting.id),
        render=lambda status: (render_template("iom/minutes.html", form=form, item=item, meeting=meeting), status),
    )


bp.add_url_rule("/panel/<int:meeting_id>/attendance", "panel_attendance", panel_attendance, methods=["POST"])
bp.add_url_rule("/panel/<int:meeting_id>/held", "panel_held", panel_held, methods=["POST"])
bp.add_url_rule("/panel/items/<int:item_id>/minutes", "panel_minutes", panel_minutes, methods=["GET", "POST"])
bp.add_url_rule("/panel", "panel_list", panel_list)
bp.add_url_rule("/panel/new", "panel_new", panel_new, methods=["POST"])
bp.add_url_rule("/panel/<int:meeting_id>", "panel_view", panel_view)
bp.add_url_rule("/panel/<int:meeting_id>/agenda", "panel_build", panel_build, methods=["POST"])
bp.add_url_rule("/panel/<int:meeting_id>/actions", "panel_action", panel_action, methods=["POST"])
bp.add_url_rule("/", "index", index)
bp.add_url_rule("/caseloads", "caseloads", caseloads)
bp.add_url_rule("/nominations", "nomination_list", nomination_list)
bp.add_url_rule("/nominate/<int:person_id>", "nominate", nominate, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>", "case_view", case_view)
bp.add_url_rule("/cases/<int:case_id>/decision", "decision", decision, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/deselect", "deselect", deselect, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/tier", "tier", tier, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/supervision", "supervision", supervision, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/contacts", "contact", contact, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/offences", "offence", offence, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/pathways", "pathway", pathway, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/interventions", "intervention", intervention, methods=["GET", "POST"])
bp.add_url_rule("/measure", "measure", measure_view)
