"""MARAC pages: dashboard, cases, referrals, DASH, IDVA casework. Views parse, call a service, render."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import audit, cases, plans
from ..core.access import (
    CONTACT_DETAIL_AGENCY_KINDS,
    AccessDenied,
    can_edit_case,
    can_see_contact_details,
    can_view_case,
    require,
)
from ..core.forms import attach_error, choices, page_arg
from ..core.models import Action, AgendaItem, Plan, PlanItem
from ..core.services import ServiceError, get_or_404
from ..core.views import act_and_redirect, submit
from ..extensions import db
from ..people import services as people
from ..web import add_nav_item
from . import bp, dash, meetings, queries, referrals
from .forms import (
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
from .models import DashAssessment

add_nav_item("marac.dashboard", "MARAC", "marac.case.view", position=2)

CONFLICT = (
    "Someone else changed this case while you were working on it. Nothing was saved: "
    "check the latest version below and make your change again."
)


def fail(form, exc: ServiceError) -> None:
    if not attach_error(form, str(exc), exc.field):
        flash(str(exc), "error")


def can_see_victim_contact(user) -> bool:
    """Victim's address and safe contact details: IDVA service and police only (DESIGN §5)."""
    return user.agency.kind in CONTACT_DETAIL_AGENCY_KINDS["marac"]


# --- dashboard and case list -------------------------------------------------------------


@bp.route("/")
@require("marac.case.view")
def dashboard():
    data = queries.dashboard(current_user)
    audit.record("marac.case_list", object_type="case", person_ids=[r.victim_id for r in data.my_cases])
    return render_template("marac/dashboard.html", data=data)


@bp.route("/cases")
@require("marac.case.view")
def case_list():
    form = CaseListFilterForm(request.args)
    status = form.status.data if form.validate() else None
    page = queries.cases_page(current_user, status, page_arg())
    audit.record("marac.case_list", object_type="case", person_ids=[r.victim_id for r in page.items])
    return render_template("marac/cases.html", page=page, form=form, status=status)


# --- referral ---------------------------------------------------------------------------


def _dash_choices(person_id: int):
    return choices(
        [
            (d.id, f"{d.completed_on:%d %b %Y}: score {d.score}, {d.final_level}")
            for d in dash.history(current_user, person_id)
        ],
        blank="No DASH assessment",
    )


def _new_person(form_prefix_data: dict, confirm: bool, label: str, form, field_name: str):
    """Duplicate-check a person typed into the referral; returns data to create, or None after an error."""
    check = people.find_duplicates(
        current_user, surname=form_prefix_data.get("surname"), dob=form_prefix_data.get("dob"), phone=None
    )
    if check.any and not confirm:
        shown = "; ".join(f"{m.person.full_name} ({m.person.reference})" for m in check.matches)
        parts = [f"{label} may already have a record"]
        if shown:
            parts.append(f"possible matches: {shown}. Enter the reference to use it")
        parts.append("or tick the box at the end to confirm these are different people")
        attach_error(form, "; ".join(parts), field_name)
        return None
    return form_prefix_data


def _collect_people(form) -> tuple[list, list] | None:
    """Resolve the perpetrator and children: an existing reference, or new people after a duplicate check."""
    confirm = form.confirm_new_people.data
    perps, children, ok = [], [], True
    if form.perp_reference.data:
        try:
            person = people.load_person(current_user, form.perp_reference.data.lstrip("Pp"), log=False, act=True)
        except AccessDenied as exc:
            audit.record("access.denied", object_type="person", object_id=exc.object_id, result="denied")
            attach_error(form, "No person you can see has that reference", "perp_reference")
            ok = False
        else:
            perps.append(("existing", person, form.perp_relationship.data))
    elif form.perp_surname.data or form.perp_given_names.data:
        data = {"given_names": form.perp_given_names.data, "surname": form.perp_surname.data, "dob": form.perp_dob.data}
        if _new_person(data, confirm, "The perpetrator", form, "perp_surname") is None:
            ok = False
        else:
            perps.append(("new", data, form.perp_relationship.data))
    for entry in form.children.entries:
        child = entry.form
        if child.is_blank:
            continue
        data = {"given_names": child.given_names.data, "surname": child.surname.data, "dob": child.dob.data}
        if _new_person(data, confirm, "A child", child, "surname") is None:
            ok = False
        else:
            details = {
                k: v
                for k, v in (
                    ("school", child.school.data),
                    ("relationship_to_perpetrator", child.relationship_to_perpetrator.data),
                )
                if v
            }
            children.append((data, child.relationship_to_victim.data, details))
    return (perps, children) if ok else None


@bp.route("/referrals/new/<int:person_id>", methods=["GET", "POST"])
@require("marac.referral.create")
def referral_new(person_id: int):
    victim = people.load_person(current_user, person_id, log=request.method == "GET", act=True)
    form = ReferralForm()
    form.dash_id.choices = _dash_choices(victim.id)
    if request.method == "GET":
        form.referral_date.data = date.today()
        form.referrer_name.data = current_user.display_name
        form.referrer_email.data = current_user.email
        for name in ("gender", "ethnicity", "disability", "is_lgbt"):
            form[name].data = getattr(victim, name)
    elif form.validate_on_submit():
        resolved = _collect_people(form)
        if resolved is not None:
            try:
                with db.session.begin_nested():
                    referral = _create_referral(form, victim, *resolved)
            except ServiceError as exc:
                fail(form, exc)
            else:
                flash(f"Referral {referral.case.reference} submitted to the MARAC coordinator.", "success")
                if referral.is_repeat:
                    flash("This looks like a repeat: the coordinator will confirm it.", "info")
                return redirect(url_for("marac.case_view", case_id=referral.case_id))
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("marac/referral_form.html", form=form, victim=victim), status


def _create_referral(form, victim, perps, children):
    people.update_fields(
        current_user,
        victim,
        {k: form[k].data for k in ("gender", "ethnicity", "disability", "is_lgbt")},
        ("gender", "ethnicity", "disability", "is_lgbt"),
    )
    perp_links = []
    for kind, value, relationship in perps:
        person = value if kind == "existing" else people.create_person(current_user, value)
        perp_links.append(referrals.PersonLink(person.id, relationship))
    child_links = []
    for data, relationship, details in children:
        person = people.create_person(current_user, data)
        child_links.append(referrals.PersonLink(person.id, relationship, details))
    data = {name: field.data for name, field in form._fields.items() if name not in ("children", "csrf_token")}
    data["victim_aware"] = form.victim_aware.data
    data["safe_to_call"] = {"yes": True, "no": False}.get(form.safe_to_call.data)
    return referrals.create_referral(current_user, victim, data, perpetrators=perp_links, children=child_links)


# --- the case page ------------------------------------------------------------------------


def _load(case_id: int, *, log: bool = False, edit: bool = False):
    case = cases.load_case(current_user, case_id, kind="marac", log=log, edit=edit)
    return case, referrals.referral_for(case)


def _case_page(case, referral, status: int = 200, **forms):
    user = current_user
    coordinator = user.can("marac.referral.decide")
    plan = db.session.scalar(
        db.select(Plan).where(Plan.case_id == case.id, Plan.kind == "safety", Plan.is_active.is_(True))
    )
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
    }
    defaults.update({k: v for k, v in forms.items() if v is not None})
    if defaults["member_form"] is not None:
        defaults["member_form"].user_id.choices = _member_choices(case)
    defaults["allocate_form"].idva_user_id.choices = choices(
        [(u.id, u.display_name) for u in queries.idvas()], blank="Not allocated"
    )
    defaults["item_form"].owner_agency_id.choices = choices(
        [(a.id, a.name) for a in queries.active_agencies()], blank="Choose"
    )
    repeats = [
        r
        for r in referrals.find_repeats(
            referral.victim_id,
            referral.incident_date or referral.referral_date,
            {p.person_id for p in case.participants if p.role == "perpetrator"},
            exclude_case_id=case.id,
        )
        if can_view_case(user, r.referral.case)
    ]
    # Every rendering shows the case, including a form redrawn with errors: each is recorded.
    audit.record(
        "case.view", object_type="case", object_id=case.id, person_ids=cases.person_ids_of(case), purpose="casework"
    )
    return render_template(
        "marac/case.html",
        case=case,
        referral=referral,
        show_contact=can_see_victim_contact(user),
        contact_visible={p.person_id for p in case.participants if can_see_contact_details(user, p.person)},
        can_edit=can_edit_case(user, case),
        dash_history=dash.history(user, referral.victim_id),
        plan=plan,
        contacts=queries.contacts(case.id) if user.can("marac.idva.casework") else None,
        actions=db.session.scalars(db.select(Action).where(Action.case_id == case.id).order_by(Action.due_on)).all(),
        listings=db.session.scalars(db.select(AgendaItem).where(AgendaItem.case_id == case.id)).all(),
        repeats=repeats,
        **defaults,
    ), status


@bp.route("/cases/<int:case_id>")
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


@bp.route("/cases/<int:case_id>/decision", methods=["POST"])
@require("marac.referral.decide")
def case_decision(case_id: int):
    def act(case, referral, form):
        accept = form.decision.data == "accept"
        referrals.decide(
            current_user, referral, accept=accept, reason=form.reason.data, version=form.submitted_version()
        )
        if accept:
            item = meetings.auto_list(current_user, referral)
            if item is not None:
                flash(f"Listed for the meeting on {item.meeting.starts_at:%d %B %Y}.", "info")

    return _case_post(case_id, "decision_form", DecisionForm(), act, "Decision recorded.")


@bp.route("/cases/<int:case_id>/repeat", methods=["POST"])
@require("marac.referral.decide")
def case_repeat(case_id: int):
    def act(case, referral, form):
        referrals.confirm_repeat(
            current_user, referral, is_repeat=form.is_repeat.data == "yes", version=form.submitted_version()
        )

    return _case_post(case_id, "repeat_form", RepeatForm(), act, "Repeat status confirmed.")


@bp.route("/cases/<int:case_id>/allocate", methods=["POST"])
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


@bp.route("/cases/<int:case_id>/members", methods=["POST"])
@require("marac.referral.decide")
def case_member_add(case_id: int):
    case, _ = _load(case_id)
    form = MemberForm()
    form.user_id.choices = _member_choices(case)

    def act(case, referral, form):
        cases.name_member(current_user, case, form.user_id.data)

    return _case_post(case_id, "member_form", form, act, "User named on the case.")


@bp.route("/cases/<int:case_id>/members/<int:user_id>/remove", methods=["POST"])
@require("marac.referral.decide")
def case_member_remove(case_id: int, user_id: int):
    case, _ = _load(case_id, edit=True)
    return act_and_redirect(
        lambda: cases.unname_member(current_user, case, user_id),
        success="User no longer named on the case.",
        redirect_to=url_for("marac.case_view", case_id=case.id),
    )


@bp.route("/cases/<int:case_id>/contacts", methods=["POST"])
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


@bp.route("/cases/<int:case_id>/plan", methods=["POST"])
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


@bp.route("/plans/<int:plan_id>/items", methods=["POST"])
@require("marac.idva.casework")
def plan_item_add(plan_id: int):
    plan = _plan_for(plan_id)
    form = PlanItemForm()
    form.owner_agency_id.choices = choices([(a.id, a.name) for a in queries.active_agencies()], blank="Choose")

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


@bp.route("/plan-items/<int:item_id>/status", methods=["POST"])
@require("marac.idva.casework")
def plan_item_status(item_id: int):
    item = get_or_404(PlanItem, item_id)
    _plan_for(item.plan_id)
    form = PlanItemStatusForm()

    def act(case, referral, form):
        plans.set_item_status(current_user, item, form.status.data, form.submitted_version())

    return _case_post(item.plan.case_id, "status_form", form, act, "Safety plan updated.")


@bp.route("/plans/<int:plan_id>/review", methods=["POST"])
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


@bp.route("/cases/<int:case_id>/transfer-out", methods=["POST"])
@require("marac.case.edit")
def case_transfer_out(case_id: int):
    def act(case, referral, form):
        referrals.transfer_out(
            current_user,
            referral,
            on=form.on.data,
            area=form.area.data,
            sent=form.sent.data,
            version=form.submitted_version(),
        )

    return _case_post(case_id, "transfer_form", TransferOutForm(), act, "Transfer out recorded and the case closed.")


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@require("marac.case.edit")
def case_close(case_id: int):
    def act(case, referral, form):
        referrals.close_case(
            current_user, referral, on=form.on.data, reason=form.reason.data, version=form.submitted_version()
        )

    return _case_post(case_id, "close_form", CloseForm(), act, "Case closed.")


# --- DASH ---------------------------------------------------------------------------------


@bp.route("/people/<int:person_id>/dash/new", methods=["GET", "POST"])
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


@bp.route("/dash/<int:dash_id>")
@require("marac.case.view")
def dash_view(dash_id: int):
    assessment = _load_dash(dash_id)
    from ..core import audit

    audit.record(
        "marac.dash_viewed", object_type="marac_dash", object_id=assessment.id, person_ids=[assessment.person_id]
    )
    return render_template(
        "marac/dash_view.html",
        a=assessment,
        checklist=dash.checklist(),
        history=dash.history(current_user, assessment.person_id),
    )


@bp.route("/dash/<int:older_id>/compare/<int:newer_id>")
@require("marac.case.view")
def dash_compare(older_id: int, newer_id: int):
    older, newer = _load_dash(older_id), _load_dash(newer_id)
    try:
        changes = dash.compare(older, newer)
    except ServiceError:
        abort(404)
    from ..core import audit

    audit.record(
        "marac.dash_viewed", object_type="marac_dash", object_id=f"{older.id},{newer.id}", person_ids=[newer.person_id]
    )
    return render_template("marac/dash_compare.html", older=older, newer=newer, changes=changes)


from . import views_actions, views_meetings, views_reports  # noqa: E402,F401
