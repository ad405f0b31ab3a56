"""ASB Case Review pages, registered on the ASB blueprint.

Views are thin: parse the request, call a service in ``services.py``, render. Each declares
its capability with ``require``; the services load the review through its ASB case, so a
user who may not see the case gets a 404 (audited) and learns nothing.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, render_template, request, url_for
from flask_login import current_user

from ...core import audit, cases
from ...core.access import require
from ...core.exports import tabular_response
from ...core.forms import choices, page_arg
from ...core.models import Agency, User
from ...core.periods import financial_year
from ...core.views import submit
from ...extensions import db
from .. import bp
from . import services
from .forms import (
    AcknowledgeForm,
    AppealDecisionForm,
    AppealForm,
    ApplicationForm,
    ExplainedForm,
    FiguresForm,
    OutcomeForm,
    RecommendationForm,
    ReviewMeetingForm,
    ThresholdForm,
)
from .models import APPLICANT_KINDS, INVOLVEMENT, CaseReview

KIND = "asb"


def _agencies():
    rows = db.session.execute(
        sa.select(Agency.id, Agency.name).where(Agency.is_active.is_(True)).order_by(Agency.name)
    ).all()
    return rows


def _asb_officers() -> list[User]:
    users = db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.display_name))
    return [u for u in users if u.can("asb.case.view")]


def _chairs():
    return choices(
        [(str(u.id), u.display_name) for u in _asb_officers() if u.can("asb.meeting.manage")], blank="Choose"
    )


def _victims(case):
    return [(str(p.person_id), p.person.full_name) for p in case.participants_in("victim")]


def _application_choices(form: ApplicationForm, case) -> list:
    form.victim_person_id.choices = choices(_victims(case), blank="Choose the victim")
    form.spoc_user_id.choices = choices(
        [(str(u.id), f"{u.display_name} ({u.agency.name})") for u in _asb_officers()], blank="Choose an officer"
    )
    incidents = services.case_incidents(case)
    form.incident_ids.choices = choices(
        [
            (
                i.id,
                f"Incident on {i.occurred_on:%-d %b %Y}, reported {i.reported_on:%-d %b %Y} ({i.incident_type.label})",
            )
            for i in incidents
        ]
    )
    return incidents


@require("asb.case.edit")
def review_new(case_id: int):
    case = cases.load_case(current_user, case_id, kind=KIND, edit=True, purpose=services.PURPOSE)
    form = ApplicationForm()
    incidents = _application_choices(form, case)
    if request.method == "GET":
        form.incident_ids.data = [i.id for i in incidents]
    return submit(
        form,
        lambda: services.record_application(
            current_user,
            case,
            received_on=form.received_on.data,
            applicant_kind=form.applicant_kind.data,
            applicant_name=form.applicant_name.data,
            applicant_contact=form.applicant_contact.data,
            victim_person_id=form.victim_person_id.data,
            consent_given=form.consent_given.data,
            consent_on=form.consent_on.data,
            involvement=form.involvement.data,
            spoc_user_id=form.spoc_user_id.data,
            summary=form.summary.data,
            incident_ids=form.incident_ids.data or [],
        ),
        success="Case Review application recorded",
        redirect_to=lambda r: url_for("asb.case_review_view", review_id=r.id),
        render=lambda status: (
            render_template("asb/case_review/new.html", form=form, case=case, incidents=incidents),
            200 if request.method == "GET" else status,
        ),
    )


def _page(review: CaseReview, status: int = 200, **given):
    today = date.today()
    forms = {
        "acknowledge": given.get("acknowledge") or AcknowledgeForm(formdata=None, prefix="ack"),
        "threshold": given.get("threshold") or ThresholdForm(formdata=None, prefix="threshold"),
        "meeting": given.get("meeting") or ReviewMeetingForm(formdata=None, prefix="meeting"),
        "recommendation": given.get("recommendation") or RecommendationForm(formdata=None, prefix="rec"),
        "outcome": given.get("outcome") or OutcomeForm(formdata=None, prefix="outcome"),
        "appeal": given.get("appeal") or AppealForm(formdata=None, prefix="appeal"),
        "appeal_decision": given.get("appeal_decision") or AppealDecisionForm(formdata=None, prefix="appealdec"),
    }
    for name, form in forms.items():
        if hasattr(form, "version_id") and name not in given:
            form.version_id.data = str(review.version_id)
    agencies = _agencies()
    forms["meeting"].agency_ids.choices = choices(agencies)
    forms["meeting"].chair_user_id.choices = _chairs()
    if "meeting" not in given:
        forms["meeting"].agency_ids.data = sorted(review.case.agency_ids)
    forms["recommendation"].assigned_agency_id.choices = choices(
        [(str(a), n) for a, n in agencies], blank="Choose the agency"
    )
    result = services.check_threshold(review)
    incidents = {c.incident_id: c for c in result.complaints}
    return (
        render_template(
            "asb/case_review/review.html",
            review=review,
            case=review.case,
            result=result,
            incidents=incidents,
            deadlines=services.deadlines(review, today),
            recommendations=services.recommendations(review),
            status_label=services.status_label(review),
            applicant_kinds=APPLICANT_KINDS,
            involvement=INVOLVEMENT,
            forms=forms,
            may_edit=current_user.can("asb.case.edit") and cases.can_edit_case(current_user, review.case),
        ),
        status,
    )


@require("asb.case.view")
def review_view(review_id: int):
    review = services.load_review(current_user, review_id)
    return _page(review)


def _step(review_id: int, name: str, form_class, prefix: str, action, success: str):
    review = services.load_review(current_user, review_id, edit=True, log=False)
    form = form_class(prefix=prefix)
    if name == "meeting":
        form.agency_ids.choices = choices(_agencies())
        form.chair_user_id.choices = _chairs()
    if name == "recommendation":
        form.assigned_agency_id.choices = choices([(str(a), n) for a, n in _agencies()], blank="Choose the agency")
    return submit(
        form,
        lambda: action(review, form),
        success=success,
        redirect_to=url_for("asb.case_review_view", review_id=review.id) + f"#{name}",
        render=lambda status: _page(review, status, **{name: form}),
    )


@require("asb.case.edit")
def review_acknowledge(review_id: int):
    return _step(
        review_id,
        "acknowledge",
        AcknowledgeForm,
        "ack",
        lambda r, f: services.acknowledge(
            current_user, r, acknowledged_on=f.acknowledged_on.data, version=f.submitted_version()
        ),
        "Acknowledgement recorded",
    )


@require("asb.case.edit")
def review_threshold(review_id: int):
    return _step(
        review_id,
        "threshold",
        ThresholdForm,
        "threshold",
        lambda r, f: services.decide_threshold(
            current_user,
            r,
            decision=f.decision.data,
            decided_on=f.decided_on.data,
            reasons=f.reasons.data,
            version=f.submitted_version(),
        ),
        "Threshold decision recorded",
    )


@require("asb.meeting.manage")
def review_meeting(review_id: int):
    return _step(
        review_id,
        "meeting",
        ReviewMeetingForm,
        "meeting",
        lambda r, f: services.schedule_meeting(
            current_user,
            r,
            starts_at=f.starts_at(),
            venue=f.venue.data,
            chair_user_id=f.chair_user_id.data,
            agency_ids=f.agency_ids.data or [],
            version=f.submitted_version(),
        ),
        "Review meeting scheduled",
    )


@require("asb.case.edit")
def review_recommendation(review_id: int):
    return _step(
        review_id,
        "recommendation",
        RecommendationForm,
        "rec",
        lambda r, f: services.add_recommendation(
            current_user, r, agency_id=f.assigned_agency_id.data, description=f.description.data, due_on=f.due_on.data
        ),
        "Recommendation recorded as an action for the agency",
    )


@require("asb.case.edit")
def review_outcome(review_id: int):
    return _step(
        review_id,
        "outcome",
        OutcomeForm,
        "outcome",
        lambda r, f: services.record_outcome(
            current_user,
            r,
            outcome=f.outcome.data,
            outcome_on=f.outcome_on.data,
            summary=f.summary.data,
            version=f.submitted_version(),
        ),
        "Outcome recorded",
    )


@require("asb.case.edit")
def review_appeal(review_id: int):
    return _step(
        review_id,
        "appeal",
        AppealForm,
        "appeal",
        lambda r, f: services.record_appeal(
            current_user, r, received_on=f.received_on.data, grounds=f.grounds.data, version=f.submitted_version()
        ),
        "Appeal recorded",
    )


@require("asb.case.edit")
def review_appeal_decision(review_id: int):
    return _step(
        review_id,
        "appeal_decision",
        AppealDecisionForm,
        "appealdec",
        lambda r, f: services.decide_appeal(
            current_user,
            r,
            outcome=f.outcome.data,
            decided_on=f.decided_on.data,
            notes=f.notes.data,
            version=f.submitted_version(),
        ),
        "Appeal decision recorded",
    )


@require("asb.case.view")
def review_list():
    result = services.open_reviews_page(current_user, page_arg(), current_app.config["PAGE_SIZE"])
    reviews = result.items
    today = date.today()
    rows = [(r, services.deadlines(r, today), services.status_label(r)) for r in reviews]
    audit.record(
        "asb.case_review.list",
        object_type="asb_case_review",
        person_ids=cases.person_ids_of_cases([r.case_id for r in reviews]),
        purpose=services.PURPOSE,
    )
    return render_template("asb/case_review/list.html", rows=rows, page=result)


@require("asb.case.edit")
def review_explained(case_id: int):
    case = cases.load_case(current_user, case_id, kind=KIND, edit=True, log=False)
    form = ExplainedForm()
    form.person_id.choices = choices(_victims(case), blank="Choose the victim")
    if request.method == "GET":
        form.person_id.data = request.args.get("person_id", type=int)
    return submit(
        form,
        lambda: services.record_explained(
            current_user, case, person_id=form.person_id.data, explained_on=form.explained_on.data, how=form.how.data
        ),
        success="Recorded that the ASB Case Review was explained",
        redirect_to=url_for("asb.case_view", case_id=case.id),
        render=lambda status: (
            render_template("asb/case_review/explained.html", form=form, case=case),
            200 if request.method == "GET" else status,
        ),
    )


def _figures_year() -> tuple[FiguresForm, int]:
    form = FiguresForm(request.args)
    today = date.today()
    current = today.year if today.month >= 4 else today.year - 1
    years = list(range(current, current - 6, -1))
    form.year.choices = choices([(str(y), f"April {y} to March {y + 1}") for y in years])
    try:
        year = int(form.year.data) if form.year.data else current
    except ValueError:
        year = current
    if year not in years:
        year = current
    form.year.data = str(year)
    return form, year


@require("asb.case.view")
def review_figures():
    form, year = _figures_year()
    figures = services.annual_figures(financial_year(year))
    if request.args.get("format") == "csv":
        audit.record("asb.case_review.figures_export", object_type="report", object_id="asb_case_review_figures")
        return tabular_response(
            ["Financial year", "Measure", "Count"],
            [(figures.period.label, label, value) for label, value in figures.rows()],
            f"asb-case-review-figures-{year}",
            "csv",
        )
    return render_template("asb/case_review/figures.html", form=form, figures=figures, year=year)


bp.add_url_rule("/case-reviews", "case_review_list", review_list)
bp.add_url_rule("/case-reviews/figures", "case_review_figures", review_figures)
bp.add_url_rule("/cases/<int:case_id>/case-reviews/new", "case_review_new", review_new, methods=["GET", "POST"])
bp.add_url_rule(
    "/cases/<int:case_id>/case-review-explained", "case_review_explained", review_explained, methods=["GET", "POST"]
)
bp.add_url_rule("/case-reviews/<int:review_id>", "case_review_view", review_view)
for _path, _endpoint, _view in (
    ("acknowledge", "case_review_acknowledge", review_acknowledge),
    ("threshold", "case_review_threshold", review_threshold),
    ("meeting", "case_review_meeting", review_meeting),
    ("recommendations", "case_review_recommendation", review_recommendation),
    ("outcome", "case_review_outcome", review_outcome),
    ("appeal", "case_review_appeal", review_appeal),
    ("appeal-decision", "case_review_appeal_decision", review_appeal_decision),
):
    bp.add_url_rule(f"/case-reviews/<int:review_id>/{_path}", _endpoint, _view, methods=["POST"])


@bp.app_template_global("case_review_block")
def case_review_block(case) -> SimpleNamespace:
    """What the ASB case page shows about the Case Review (the page already checked access)."""
    may_edit = cases.can_edit_case(current_user, case)
    return SimpleNamespace(
        prompts=services.explanation_due(case),
        months=services.prompt_months(),
        reviews=services.reviews_for_case(case),
        status=services.status_label,
        may_edit=may_edit,
    )
