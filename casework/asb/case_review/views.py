"""ASB Case Review pages, registered on the ASB blueprint.

Views are thin: parse the request, call a service in ``services.py``, render. Each declares
its capability with ``require``; the services load the review through its ASB case, so a
user who may not see the case gets a 404 (audited) and learns nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ...core import audit, cases, directory
from ...core.access import require
from ...core.exports import tabular_response
from ...core.forms import VersionedForm, choices, page_arg
from ...core.models import User
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


@dataclass(frozen=True)
class _Step:
    """One step of a review recorded from its page: the form, the service that records it
    (given the review and the form's values) and what the page says afterwards."""

    name: str  # the form's name on the page, the anchor returned to and the endpoint's suffix
    form: type[FlaskForm]
    prefix: str
    service: str  # the function in ``services``
    fields: tuple[str, ...]  # form fields passed to the service under the same name
    success: str
    values: Callable[[Any], dict[str, Any]] = lambda form: {}  # arguments that are not plain fields
    path: str | None = None  # the address's last part, if not the name
    capability: str = "asb.case.edit"

    def arguments(self, form) -> dict[str, Any]:
        out = {name: getattr(form, name).data for name in self.fields} | self.values(form)
        if isinstance(form, VersionedForm):
            out["version"] = form.submitted_version()
        return out


def _meeting_values(form) -> dict[str, Any]:
    return {"starts_at": form.starts_at(), "agency_ids": form.agency_ids.data or []}


_STEPS = (
    _Step("acknowledge", AcknowledgeForm, "ack", "acknowledge", ("acknowledged_on",), "Acknowledgement recorded"),
    _Step(
        "threshold",
        ThresholdForm,
        "threshold",
        "decide_threshold",
        ("decision", "decided_on", "reasons"),
        "Threshold decision recorded",
    ),
    _Step(
        "meeting",
        ReviewMeetingForm,
        "meeting",
        "schedule_meeting",
        ("venue", "chair_user_id"),
        "Review meeting scheduled",
        _meeting_values,
        capability="asb.meeting.manage",
    ),
    _Step(
        "recommendation",
        RecommendationForm,
        "rec",
        "add_recommendation",
        ("description", "due_on"),
        "Recommendation recorded as an action for the agency",
        lambda form: {"agency_id": form.assigned_agency_id.data},
        path="recommendations",
    ),
    _Step(
        "outcome", OutcomeForm, "outcome", "record_outcome", ("outcome", "outcome_on", "summary"), "Outcome recorded"
    ),
    _Step("appeal", AppealForm, "appeal", "record_appeal", ("received_on", "grounds"), "Appeal recorded"),
    _Step(
        "appeal_decision",
        AppealDecisionForm,
        "appealdec",
        "decide_appeal",
        ("outcome", "decided_on", "notes"),
        "Appeal decision recorded",
        path="appeal-decision",
    ),
)


def _set_choices(forms: dict) -> None:
    """Options of the step forms that have selects (the meeting's and the recommendation's)."""
    if "meeting" not in forms and "recommendation" not in forms:
        return
    agencies = directory.agency_pairs()
    if "meeting" in forms:
        forms["meeting"].agency_ids.choices = choices(agencies)
        forms["meeting"].chair_user_id.choices = _chairs()
    if "recommendation" in forms:
        forms["recommendation"].assigned_agency_id.choices = choices(
            [(str(a), n) for a, n in agencies], blank="Choose the agency"
        )


def _page(review: CaseReview, status: int = 200, **given):
    today = date.today()
    forms = {step.name: given.get(step.name) or step.form(formdata=None, prefix=step.prefix) for step in _STEPS}
    for name, form in forms.items():
        if hasattr(form, "version_id") and name not in given:
            form.version_id.data = str(review.version_id)
    _set_choices(forms)
    if "meeting" not in given:
        forms["meeting"].agency_ids.data = sorted(review.case.agency_ids)
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


def _step_view(step: _Step):
    """The POST view that records ``step`` and shows the review again, at that step."""

    def view(review_id: int):
        review = services.load_review(current_user, review_id, edit=True, log=False)
        form = step.form(prefix=step.prefix)
        _set_choices({step.name: form})
        return submit(
            form,
            lambda: getattr(services, step.service)(current_user, review, **step.arguments(form)),
            success=step.success,
            redirect_to=url_for("asb.case_review_view", review_id=review.id) + f"#{step.name}",
            render=lambda status: _page(review, status, **{step.name: form}),
        )

    view.__name__ = view.__qualname__ = f"review_{step.name}"
    return require(step.capability)(view)


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
for _step in _STEPS:
    bp.add_url_rule(
        f"/case-reviews/<int:review_id>/{_step.path or _step.name}",
        f"case_review_{_step.name}",
        _step_view(_step),
        methods=["POST"],
    )


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
