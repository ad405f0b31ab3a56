"""MARAC pages: dashboard, cases, referrals, DASH, IDVA casework. Views parse, call a service, render."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...core import audit, cases, directory, exports, plans
from ...core import disclosure as core_disclosure
from ...core.access import AccessDenied, can_act_on_person, require
from ...core.forms import attach_error, attach_errors, choices, find_field, page_arg
from ...core.localtime import to_local
from ...core.models import Meeting, Plan, PlanItem
from ...core.services import ServiceError, get_or_404
from ...core.views import act_and_redirect, confirmation_page, confirmed, submit
from ...extensions import db
from ...people import services as people
from .. import casepage, dash, disclosure, meetings, queries, referrals
from ..forms import (
    AddressReleaseForm,
    AllocateForm,
    CaseListFilterForm,
    CloseForm,
    ContactForm,
    DecisionForm,
    MemberForm,
    PlanForm,
    PlanItemForm,
    PlanItemStatusForm,
    PlanReviewForm,
    ReferralForm,
    RepeatForm,
    TransferOutForm,
    dash_form_class,
)
from ..models import DashAssessment

CONFLICT = (
    "Someone else changed this case while you were working on it. Nothing was saved: "
    "check the latest version below and make your change again."
)


def fail(form, exc: ServiceError) -> None:
    for message in attach_errors(form, exc):
        flash(message, "error")


# --- dashboard and case list -------------------------------------------------------------


@require("marac.case.view")
def dashboard():
    data = queries.dashboard(current_user)
    audit.record("marac.case.list", object_type="case", person_ids=[r.victim_id for r in data.my_cases])
    return render_template("marac/dashboard.html", data=data)


@require("marac.case.view")
def case_list():
    # A search names people, so it is posted (with a CSRF token), never put in a URL where
    # it would reach browser history and server logs; the status filter alone may be a link.
    if request.method == "POST":
        form = CaseListFilterForm(request.form, meta={"csrf": True})
    else:
        form = CaseListFilterForm(request.args)
        form.find.data = None
    valid = form.validate()
    status = form.status.data if valid else None
    find = form.find.data if valid else None
    try:
        fmt = exports.requested_format(request.values)
    except ValueError:
        abort(400)
    if fmt and valid:
        return _case_list_download(status, find, fmt)
    page = queries.cases_page(current_user, status, page_arg(), find=find)
    # The words searched for are personal data: the event says a search was made, not what for.
    audit.record(
        "marac.case.list",
        object_type="case",
        person_ids=[r.victim_id for r in page.items],
        details={"searched": True} if find else None,
    )
    filters = {"status": status} if status else {}
    status_code = 400 if request.method == "POST" and not valid else 200
    return render_template(
        "marac/cases.html", page=page, form=form, status=status, filters=filters, find=find
    ), status_code


def _case_list_download(status: str | None, find: str | None, fmt: str):
    """The case list as filtered, as CSV or XLSX: the page's columns (victims by initials),
    only cases the user may see, audited with every person listed."""
    try:
        rows = queries.cases_export(current_user, status, find, exports.row_limit())
    except exports.TooManyRows as exc:
        flash(exc.message, "error")
        return redirect(url_for("marac.case_list", **({"status": status} if status else {})))
    audit.record(
        "marac.case.export",
        object_type="case",
        person_ids=[r.victim_id for r in rows],
        details={"format": fmt, "rows": len(rows), "searched": bool(find), "status": status},
    )
    return exports.tabular_response(
        queries.CASE_EXPORT_HEADERS,
        [queries.case_export_row(r) for r in rows],
        f"marac-cases-{date.today().isoformat()}",
        fmt,
        sheet_title="MARAC cases",
    )


# --- referral ---------------------------------------------------------------------------


def _dash_choices(form, person_id: int) -> list[DashAssessment]:
    history = dash.history(current_user, person_id)
    form.dash_id.choices = choices(
        [(d.id, f"{d.completed_on:%d %b %Y}: score {d.score}, {d.final_level}") for d in history],
        blank="No DASH assessment",
    )
    threshold = current_app.config["DASH_HIGH_THRESHOLD"]
    form.high_risk_dash_ids = frozenset(d.id for d in history if d.score >= threshold)
    return history


def _preselected_dash(history: list[DashAssessment]) -> int | None:
    """The DASH the referral starts with: the one asked for (from its result page) if the
    user may see it, otherwise the latest the user may see."""
    asked = request.args.get("dash_id", type=int)
    visible = [d.id for d in history]
    if asked in visible:
        return asked
    return visible[0] if visible else None


def _submission(form) -> referrals.ReferralSubmission:
    """The referral form's answers as plain values for the referral service."""
    new_perp = None
    if not form.perp_reference.data and (form.perp_surname.data or form.perp_given_names.data):
        new_perp = referrals.NewPerson(
            form.perp_given_names.data, form.perp_surname.data, form.perp_dob.data, "perp_surname"
        )
    children = []
    for entry in form.children.entries:
        child = entry.form
        if child.is_blank:
            continue
        details = {
            k: v
            for k, v in (
                ("school", child.school.data),
                ("relationship_to_perpetrator", child.relationship_to_perpetrator.data),
            )
            if v
        }
        children.append(
            referrals.ChildEntry(
                referrals.NewPerson(child.given_names.data, child.surname.data, child.dob.data, child.surname.id),
                child.relationship_to_victim.data,
                details,
            )
        )
    data = {name: field.data for name, field in form._fields.items() if name not in ("children", "csrf_token")}
    data["safe_to_call"] = {"yes": True, "no": False}.get(form.safe_to_call.data)
    return referrals.ReferralSubmission(
        data=data,
        diversity={k: form[k].data for k in ("gender", "ethnicity", "disability", "is_lgbt")},
        perpetrator_reference=form.perp_reference.data or None,
        new_perpetrator=new_perp,
        perpetrator_relationship=form.perp_relationship.data,
        children=children,
        confirm_new_people=bool(form.confirm_new_people.data),
    )


@require("marac.referral.create")
def referral_new(person_id: int):
    victim = people.load_person(current_user, person_id, log=request.method == "GET", act=True)
    form = ReferralForm()
    history = _dash_choices(form, victim.id)
    form.referred_before = queries.referred_before(victim.id)
    if request.method == "GET":
        form.dash_id.data = _preselected_dash(history)
        form.referral_date.data = date.today()
        form.referrer_name.data = current_user.display_name
        form.referrer_email.data = current_user.email
        for name in ("gender", "ethnicity", "disability", "is_lgbt"):
            form[name].data = getattr(victim, name)
    elif form.validate_on_submit():
        try:
            with db.session.begin_nested():
                referral = referrals.submit_referral(current_user, victim, _submission(form))
        except ServiceError as exc:
            fail(form, exc)
        else:
            flash(f"Referral {referral.case.reference} submitted to the MARAC coordinator.", "success")
            if referral.repeat_to_confirm:
                flash("This looks like a repeat: the coordinator will confirm it.", "info")
            return redirect(url_for("marac.case_view", case_id=referral.case_id))
    elif request.method == "POST" and not (form.csrf_token.errors or form.perp_reference.errors):
        # Every error at once: the people checks too, not only after the fields are right.
        for name, message in referrals.people_problems(current_user, _submission(form)):
            target = find_field(form, name)
            if target is not None and not target.errors:
                attach_error(form, message, name)
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("marac/referral_form.html", form=form, victim=victim), status


# --- the case page ------------------------------------------------------------------------


def _load(case_id: int, *, log: bool = False, edit: bool = False):
    case = cases.load_case(current_user, case_id, kind="marac", log=log, edit=edit)
    return case, referrals.referral_for(case)


def _case_page(case, referral, status: int = 200, **forms):
    user = current_user
    coordinator = user.can("marac.referral.decide")
    page = casepage.case_page(user, case, referral)
    plan = page.plan
    # Fresh forms for the panels not being submitted (formdata=None: never filled from this request).
    version = {"formdata": None, "version_id": referral.version_id}
    defaults = {
        "decision_form": DecisionForm(**version) if coordinator else None,
        "repeat_form": RepeatForm(**version) if coordinator else None,
        "allocate_form": AllocateForm(**version, idva_user_id=referral.idva_user_id),
        "contact_form": ContactForm(formdata=None),
        "plan_form": PlanForm(formdata=None),
        "item_form": PlanItemForm(formdata=None),
        "review_form": PlanReviewForm(formdata=None, version_id=plan.version_id if plan else None),
        "transfer_form": TransferOutForm(**version),
        "close_form": CloseForm(**version),
        "member_form": MemberForm(formdata=None) if case.is_restricted and coordinator else None,
        "release_form": AddressReleaseForm(formdata=None) if page.release else None,
    }
    defaults.update({k: v for k, v in forms.items() if v is not None})
    _unique_ids(defaults)
    if defaults["decision_form"] is not None and referral.status == "submitted":
        defaults["decision_form"].set_meetings(meetings.meeting_choices(referral))
    if defaults["member_form"] is not None:
        defaults["member_form"].user_id.choices = _member_choices(case)
    defaults["allocate_form"].idva_user_id.choices = choices(
        [(u.id, u.display_name) for u in queries.idvas()], blank="Not allocated"
    )
    defaults["item_form"].owner_agency_id.choices = directory.agency_choices("Choose")
    return render_template(
        "marac/case.html",
        case=case,
        referral=referral,
        people=page.people,
        show_contact=page.show_contact,
        release=page.release,
        can_edit=page.can_edit,
        dash_history=page.dash_history,
        plan=plan,
        contacts=page.contacts,
        actions=page.actions,
        listings=page.listings,
        repeats=page.repeats,
        **defaults,
    ), status


# The case page holds many small forms whose fields share names ("on", "reason", "version_id"):
# each form's ids get its own prefix so every label points at one field. Names are unchanged.
# The decision form keeps plain ids: it is the one a coordinator fills in first.
_ID_PREFIXES = {
    "repeat_form": "repeat",
    "allocate_form": "allocate",
    "contact_form": "contact",
    "plan_form": "plan",
    "item_form": "plan-item",
    "review_form": "plan-review",
    "transfer_form": "transfer",
    "close_form": "close",
    "member_form": "member",
    "release_form": "release",
}


def _unique_ids(panel_forms: dict) -> None:
    for key, prefix in _ID_PREFIXES.items():
        form = panel_forms.get(key)
        if form is None:
            continue
        for f in form:
            if not f.id.startswith(f"{prefix}-"):
                f.id = f"{prefix}-{f.id}"


@require("marac.case.view")
def case_view(case_id: int):
    case, referral = _load(case_id)
    return _case_page(case, referral)


def _case_post(case_id: int, form_key: str, form, action, success: str, *, edit: bool = True):
    """Shared POST handling for the case page's small forms: validate, call, redirect or re-render."""
    case, referral = _load(case_id, edit=edit)

    def render(status: int):
        db.session.expire_all()  # show the record as stored, next to the user's rejected entries
        return _case_page(case, referral, status, **{form_key: form})

    return submit(
        form,
        lambda: action(case, referral, form),
        success=success,
        redirect_to=url_for("marac.case_view", case_id=case.id),
        render=render,
        conflict=CONFLICT,
    )


def _chosen_meeting(form: DecisionForm, referral) -> Meeting | None:
    """The meeting picked on the decision form; None for "List later". Nothing sent at all
    means the form's own preselection: the next meeting whose cut-off the referral meets."""
    if form.meeting_id.data == DecisionForm.LATER:
        return None
    if not form.meeting_id.data:
        return meetings.next_meeting_for(referral.referral_date)
    meeting_id = form.chosen_meeting_id()
    meeting = db.session.get(Meeting, meeting_id) if meeting_id is not None else None
    if meeting is None:
        raise ServiceError("Select a meeting to list the case on, or 'List later'", "meeting_id")
    return meeting


@require("marac.referral.decide")
def case_decision(case_id: int):
    def act(case, referral, form):
        accept = form.decision.data == "accept"
        item = referrals.decide(
            current_user,
            referral,
            accept=accept,
            reason=form.reason.data,
            version=form.submitted_version(),
            meeting=_chosen_meeting(form, referral) if accept else None,
        )
        if item is not None:
            flash(f"Listed for the meeting on {to_local(item.meeting.starts_at):%-d %B %Y}.", "info")
        elif accept:
            flash("Accepted, not yet listed: add it to a meeting from the meeting's page.", "info")

    return _case_post(case_id, "decision_form", DecisionForm(), act, "Decision recorded.")


@require("marac.referral.decide")
def case_repeat(case_id: int):
    def act(case, referral, form):
        referrals.confirm_repeat(
            current_user,
            referral,
            is_repeat=form.is_repeat.data == "yes",
            reason=form.reason.data,
            version=form.submitted_version(),
        )

    return _case_post(case_id, "repeat_form", RepeatForm(), act, "Repeat decision recorded.")


@require("marac.referral.decide")
def case_allocate(case_id: int):
    form = AllocateForm()
    form.idva_user_id.choices = choices([(u.id, u.display_name) for u in queries.idvas()], blank="Not allocated")

    def act(case, referral, form):
        referrals.allocate_idva(current_user, referral, form.idva_user_id.data, form.submitted_version())

    return _case_post(case_id, "allocate_form", form, act, "IDVA allocation saved.")


def _member_choices(case):
    return choices(
        [(u.id, u.display_name) for u in queries.marac_users() if u.id not in case.member_ids], blank="Choose"
    )


@require("marac.referral.decide")
def case_member_add(case_id: int):
    case, _ = _load(case_id)
    form = MemberForm()
    form.user_id.choices = _member_choices(case)

    def act(case, referral, form):
        cases.name_member(current_user, case, form.user_id.data)

    return _case_post(case_id, "member_form", form, act, "User named on the case.")


@require("marac.referral.decide")
def case_member_remove(case_id: int, user_id: int):
    case, _ = _load(case_id, edit=True)
    return act_and_redirect(
        lambda: cases.unname_member(current_user, case, user_id),
        success="User no longer named on the case.",
        redirect_to=url_for("marac.case_view", case_id=case.id),
    )


@require("marac.idva.casework")
def case_contact(case_id: int):
    def act(case, referral, form):
        referrals.log_contact(
            current_user,
            referral,
            on=form.contact_on.data,
            method=form.method.data,
            outcome=form.outcome.data,
            notes=form.notes.data,
        )

    return _case_post(case_id, "contact_form", ContactForm(), act, "Contact recorded.")


@require("marac.idva.casework")
def plan_create(case_id: int):
    def act(case, referral, form):
        plans.create_plan(
            current_user, case, kind="safety", title=form.title.data, review_due_on=form.review_due_on.data
        )

    return _case_post(case_id, "plan_form", PlanForm(), act, "Safety plan started.")


def _plan_for(plan_id: int) -> Plan:
    plan = get_or_404(Plan, plan_id)
    cases.load_case(current_user, plan.case_id, kind="marac", edit=True, log=False)
    return plan


@require("marac.idva.casework")
def plan_item_add(plan_id: int):
    plan = _plan_for(plan_id)
    form = PlanItemForm()
    form.owner_agency_id.choices = directory.agency_choices("Choose")

    def act(case, referral, form):
        plans.add_item(
            current_user,
            plan,
            area=form.area.data,
            intervention=form.intervention.data,
            owner_agency_id=form.owner_agency_id.data,
            due_on=form.due_on.data,
        )

    return _case_post(plan.case_id, "item_form", form, act, "Added to the safety plan.")


@require("marac.idva.casework")
def plan_item_status(item_id: int):
    item = get_or_404(PlanItem, item_id)
    _plan_for(item.plan_id)
    form = PlanItemStatusForm()

    def act(case, referral, form):
        plans.set_item_status(current_user, item, form.status.data, form.submitted_version())

    return _case_post(item.plan.case_id, "status_form", form, act, "Safety plan updated.")


@require("marac.idva.casework")
def plan_review(plan_id: int):
    plan = _plan_for(plan_id)

    def act(case, referral, form):
        plans.review_plan(
            current_user,
            plan,
            summary=form.summary.data,
            next_review_on=form.next_review_on.data,
            version=form.submitted_version(),
        )

    return _case_post(plan.case_id, "review_form", PlanReviewForm(), act, "Review recorded.")


def _confirm_closing(case_id: int, *, question: str, endpoint: str, details, label: str):
    """The confirmation step before a case is closed (or closed by a transfer out)."""
    case, _ = _load(case_id, edit=True)
    return confirmation_page(
        question=question.format(reference=case.reference),
        caption="MARAC case",
        details=details,
        warning="The case closes and can no longer be changed. This cannot be undone.",
        action=url_for(endpoint, case_id=case.id),
        cancel_url=url_for("marac.case_view", case_id=case.id),
        confirm_label=label,
    )


@require("marac.case.edit")
def case_transfer_out(case_id: int):
    form = TransferOutForm()
    if not confirmed() and form.validate_on_submit():
        return _confirm_closing(
            case_id,
            question="Are you sure you want to transfer {reference} to another MARAC and close it?",
            endpoint="marac.case_transfer_out",
            details=[
                ("Date of transfer", f"{form.on.data:%-d %B %Y}"),
                ("MARAC area", form.area.data),
                ("What was sent", form.sent.data or "—"),
            ],
            label="Yes, transfer and close",
        )

    def act(case, referral, form):
        referrals.transfer_out(
            current_user,
            referral,
            on=form.on.data,
            area=form.area.data,
            sent=form.sent.data,
            version=form.submitted_version(),
        )

    return _case_post(case_id, "transfer_form", form, act, "Transfer out recorded and the case closed.")


@require("marac.case.edit")
def case_close(case_id: int):
    form = CloseForm()
    if not confirmed() and form.validate_on_submit():
        return _confirm_closing(
            case_id,
            question="Are you sure you want to close {reference}?",
            endpoint="marac.case_close",
            details=[("Closure date", f"{form.on.data:%-d %B %Y}"), ("Reason", form.reason.data)],
            label="Yes, close the case",
        )

    def act(case, referral, form):
        referrals.close_case(
            current_user, referral, on=form.on.data, reason=form.reason.data, version=form.submitted_version()
        )

    return _case_post(case_id, "close_form", form, act, "Case closed.")


@require(disclosure.RELEASE_CAPABILITY)
def case_address_release(case_id: int):
    def act(case, referral, form):
        disclosure.release_address(current_user, case, form.reason.data)

    return _case_post(
        case_id,
        "release_form",
        AddressReleaseForm(),
        act,
        "The victim's address is released for research on this case.",
        edit=False,
    )


@require(disclosure.RELEASE_CAPABILITY)
def case_address_withdraw(case_id: int):
    case, _ = _load(case_id)
    try:
        release_id = int(request.form.get("release_id", ""))
    except ValueError:
        release_id = None
    return act_and_redirect(
        lambda: disclosure.withdraw_release(current_user, case, release_id),
        success="The release is withdrawn: the victim's address is withheld again.",
        redirect_to=url_for("marac.case_view", case_id=case.id) + "#release-panel",
    )


# --- DASH ---------------------------------------------------------------------------------


@require("marac.dash.record")
def dash_new(person_id: int):
    person = people.load_person(current_user, person_id, log=request.method == "GET", act=True)
    checklist = dash.checklist()
    form = dash_form_class(checklist)()

    def page(status: int = 200):
        return render_template("marac/dash_form.html", form=form, person=person, checklist=checklist), status

    if request.method == "GET":
        form.completed_on.data = date.today()
        return page()
    return submit(
        form,
        lambda: dash.record_assessment(
            current_user,
            person,
            completed_on=form.completed_on.data,
            answers={
                q.code: {"answer": form[f"q_{q.code}"].data, "note": form[f"n_{q.code}"].data}
                for q in checklist.questions
            },
            judgement_level=form.judgement_level.data,
            judgement_reason=form.judgement_reason.data,
        ),
        success=lambda a: f"DASH recorded: score {a.score}, {a.final_level} risk.",
        redirect_to=lambda a: url_for("marac.dash_view", dash_id=a.id),
        render=page,
    )


def _load_dash(dash_id: int) -> DashAssessment:
    assessment = get_or_404(DashAssessment, dash_id)
    if not dash.can_view(current_user, assessment):
        raise AccessDenied("marac_dash", dash_id)
    return assessment


@require("marac.case.view")
def dash_view(dash_id: int):
    assessment = _load_dash(dash_id)
    audit.record(
        "marac.dash.view", object_type="marac_dash", object_id=assessment.id, person_ids=[assessment.person_id]
    )
    may_refer = current_user.can("marac.referral.create") and can_act_on_person(current_user, assessment.person)
    return render_template(
        "marac/dash_view.html",
        a=assessment,
        shown=core_disclosure.shown(current_user, assessment.person),
        checklist=dash.checklist(),
        history=dash.history(current_user, assessment.person_id),
        may_refer=may_refer,
    )


@require("marac.case.view")
def dash_compare(older_id: int, newer_id: int):
    older, newer = _load_dash(older_id), _load_dash(newer_id)
    try:
        changes = dash.compare(older, newer)
    except ServiceError:
        abort(404)
    audit.record(
        "marac.dash.view", object_type="marac_dash", object_id=f"{older.id},{newer.id}", person_ids=[newer.person_id]
    )
    return render_template(
        "marac/dash_compare.html",
        older=older,
        newer=newer,
        changes=changes,
        shown=core_disclosure.shown(current_user, newer.person),
    )
