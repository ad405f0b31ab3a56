"""ASB Case Review over HTTP: record an application, see the threshold and deadlines, bad input
as form errors, the published figures as CSV, and access only for ASB roles of involved agencies."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from casework.asb.case_review import services
from casework.asb.case_review.models import CaseReview, CaseReviewComplaint
from casework.extensions import db
from tests.helpers import audit_events, csrf_token, marker, signed_in

from .case_review_support import apply, incident, team_fixture  # noqa: F401


def _application(team, incidents, **overrides) -> dict:
    data = {
        "received_on": date.today().isoformat(),
        "applicant_kind": "victim",
        "applicant_name": "Vera Victimson",
        "applicant_contact": "07700 900123",
        "victim_person_id": str(team.victim.id),
        "involvement": "views",
        "spoc_user_id": str(team.officer.id),
        "incident_ids": [str(i.id) for i in incidents],
        **overrides,
    }
    return data


def _post(client, url: str, data: dict, *, page: str | None = None, prefix: str = ""):
    token = csrf_token(client.get(page or url).text)
    if prefix:
        return client.post(url, data={f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in data.items()}})
    return client.post(url, data={"csrf_token": token, **data})


def test_record_an_application_that_meets_the_threshold(app, team):
    today = date.today()
    complaints = [incident(team, today - timedelta(days=d)) for d in (40, 20, 3)]
    officer = signed_in(app, team.officer)
    url = f"/asb/cases/{team.case.id}/case-reviews/new"
    page = officer.get(url)
    assert page.status_code == 200 and "Record an ASB Case Review application" in page.text
    resp = _post(officer, url, _application(team, complaints))
    assert resp.status_code == 302, resp.text
    review = db.session.scalar(sa.select(CaseReview).where(CaseReview.case_id == team.case.id))
    page = officer.get(resp.headers["Location"])
    assert page.status_code == 200
    assert "Threshold met" in page.text and "3 of the 3 complaints needed" in page.text
    decision = next(d for d in services.deadlines(review, today) if d.key == "decision")
    assert f"{decision.due_on:%-d %b %Y}" in page.text and "15 working days left" in page.text
    assert audit_events("asb.case_review.view")


def test_bad_input_gets_clear_errors_and_saves_nothing(app, team):
    complaint = incident(team, date.today() - timedelta(days=5))
    officer = signed_in(app, team.officer)
    url = f"/asb/cases/{team.case.id}/case-reviews/new"
    future = (date.today() + timedelta(days=2)).isoformat()
    resp = _post(officer, url, _application(team, [complaint], received_on=future, applicant_name="x" * 201))
    assert resp.status_code == 400
    assert "must be today or in the past" in resp.text
    assert "must be 200 characters or fewer" in resp.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseReview)) == 0
    # A decision dated before the application, on the review page.
    review = apply(team, date.today(), [complaint])
    page = f"/asb/case-reviews/{review.id}"
    resp = _post(
        officer,
        f"{page}/threshold",
        {
            "decision": "not_met",
            "decided_on": (date.today() - timedelta(days=1)).isoformat(),
            "reasons": "Only one complaint",
            "version_id": str(review.version_id),
        },
        page=page,
        prefix="threshold",
    )
    assert resp.status_code == 400
    assert "The decision cannot be before the application was received" in resp.text
    db.session.expire_all()
    assert db.session.get(CaseReview, review.id).threshold_decision is None


def test_stale_decision_is_a_conflict(app, team):
    review = apply(team, date.today(), [incident(team, date.today())])
    officer = signed_in(app, team.officer)
    page = f"/asb/case-reviews/{review.id}"
    resp = _post(
        officer,
        f"{page}/acknowledge",
        {"acknowledged_on": date.today().isoformat(), "version_id": str(review.version_id - 1)},
        page=page,
        prefix="ack",
    )
    assert resp.status_code == 409


def test_only_asb_roles_of_involved_agencies_see_a_review(app, team, factory):
    secret = marker("APPLICANT")
    review = apply(team, date.today(), [incident(team, date.today())], applicant_name=secret)
    page = f"/asb/case-reviews/{review.id}"
    # The police ASB officer's agency is involved in the case.
    resp = signed_in(app, team.police_officer).get(page)
    assert resp.status_code == 200 and secret in resp.text
    # An ASB officer of an agency not involved: not found, and nothing leaks.
    outsider = signed_in(app, team.outsider)
    resp = outsider.get(page)
    assert resp.status_code == 404 and secret not in resp.text
    resp = outsider.get("/asb/case-reviews")
    assert secret not in resp.text and team.case.reference not in resp.text
    resp = _post(outsider, f"/asb/cases/{team.case.id}/case-reviews/new", {}, page="/asb/case-reviews")
    assert resp.status_code == 404
    # Other modules' roles in the involved agency: refused outright.
    for user in (team.marac_rep, team.iom_officer):
        resp = signed_in(app, user).get(page)
        assert resp.status_code == 403 and secret not in resp.text
    # A restricted case is seen by its named members only.
    restricted = factory.case(
        team.officer, kind="asb", agencies=[team.police], restricted=True, people=[(team.victim, "victim")]
    )
    hidden = services.record_application(
        team.officer,
        restricted,
        received_on=date.today(),
        applicant_kind="victim",
        applicant_name=secret,
        applicant_contact=None,
        victim_person_id=team.victim.id,
        consent_given=False,
        consent_on=None,
        involvement="attend",
        spoc_user_id=team.officer.id,
        summary=None,
        incident_ids=[incident(team, date.today(), case=restricted).id],
    )
    db.session.commit()
    resp = signed_in(app, team.police_officer).get(f"/asb/case-reviews/{hidden.id}")
    assert resp.status_code == 404 and secret not in resp.text


def test_a_reader_without_edit_rights_cannot_decide(app, team):
    review = apply(team, date.today(), [incident(team, date.today())])
    outsider = signed_in(app, team.outsider)
    resp = _post(
        outsider,
        f"/asb/case-reviews/{review.id}/threshold",
        {"decision": "met", "decided_on": date.today().isoformat(), "version_id": str(review.version_id)},
        page="/asb/case-reviews",
        prefix="threshold",
    )
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(CaseReview, review.id).threshold_decision is None


def test_figures_page_and_csv(app, team):
    review = apply(team, date.today(), [incident(team, date.today())])
    services.decide_threshold(
        team.officer,
        review,
        decision="not_met",
        decided_on=date.today(),
        reasons="One complaint",
        version=review.version_id,
    )
    db.session.commit()
    officer = signed_in(app, team.officer)
    page = officer.get("/asb/case-reviews/figures")
    assert page.status_code == 200 and "Applications where the threshold was not met" in page.text
    resp = officer.get("/asb/case-reviews/figures?format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    lines = resp.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Financial year,Measure,Count"
    assert lines[1].endswith("Applications for an ASB Case Review,1")
    assert lines[2].endswith("Applications where the threshold was not met,1")
    assert "Vera" not in resp.data.decode()
    assert signed_in(app, team.marac_rep).get("/asb/case-reviews/figures").status_code == 403
    assert officer.get("/asb/case-reviews/figures?year=abc").status_code == 200  # a bad year falls back


def test_record_that_the_case_review_was_explained(app, team):
    today = date.today()
    incident(team, today - timedelta(days=30))
    incident(team, today)
    assert services.explanation_due(team.case)
    officer = signed_in(app, team.officer)
    url = f"/asb/cases/{team.case.id}/case-review-explained"
    resp = _post(officer, url, {"person_id": str(team.victim.id), "explained_on": today.isoformat(), "how": "Phone"})
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert services.explanation_due(team.case) == []


def test_review_list_and_page_do_not_grow_with_data(app, team):
    from tests.integration.test_query_counts import _statements_for

    today = date.today()
    first = apply(team, today, [incident(team, today - timedelta(days=d)) for d in (1, 2, 3)])
    client = signed_in(app, team.officer)
    few_list = _statements_for(client, "/asb/case-reviews")
    few_page = _statements_for(client, f"/asb/case-reviews/{first.id}")
    for n in range(6):
        apply(team, today - timedelta(days=n), [incident(team, today - timedelta(days=10 + n))])
    for d in range(4, 12):
        extra = incident(team, today - timedelta(days=d))
        db.session.add(CaseReviewComplaint(review_id=first.id, incident_id=extra.id))
    db.session.commit()
    assert _statements_for(client, "/asb/case-reviews") == few_list
    assert _statements_for(client, f"/asb/case-reviews/{first.id}") == few_page
    assert client.get("/asb/case-reviews").text.count(team.case.reference) == 7


def test_partner_worker_reads_but_cannot_decide(app, team, factory):
    partner = factory.user("asb_partner", agency=team.police)
    review = apply(team, date.today(), [incident(team, date.today())])
    client = signed_in(app, partner)
    page = client.get(f"/asb/case-reviews/{review.id}")
    assert page.status_code == 200 and "Record the decision" not in page.text
    resp = client.post(
        f"/asb/case-reviews/{review.id}/threshold",
        data={"threshold-csrf_token": csrf_token(page.text), "threshold-decision": "met"},
    )
    assert resp.status_code == 403


def test_whole_review_over_http(app, team):
    today = date.today()
    review = apply(team, today, [incident(team, today - timedelta(days=d)) for d in (1, 2, 3)])
    client = signed_in(app, team.officer)
    page = f"/asb/case-reviews/{review.id}"

    def step(path: str, prefix: str, data: dict, *, versioned: bool = True):
        db.session.expire_all()
        if versioned:
            data = {**data, "version_id": str(db.session.get(CaseReview, review.id).version_id)}
        resp = _post(client, f"{page}/{path}", data, page=page, prefix=prefix)
        assert resp.status_code == 302, resp.text
        shown = client.get(page)
        assert shown.status_code == 200
        return shown.text

    text = step("acknowledge", "ack", {"acknowledged_on": today.isoformat()})
    assert "Acknowledged on" in text
    text = step("threshold", "threshold", {"decision": "met", "decided_on": today.isoformat()})
    assert "Schedule the review meeting" in text
    later = today + timedelta(days=7)
    text = step(
        "meeting",
        "meeting",
        {"date": later.isoformat(), "time": "10:00", "venue": "Civic Centre", "agency_ids": [str(team.council.id)]},
    )
    assert "Civic Centre" in text and "Add the recommendation" in text
    text = step(
        "recommendations",
        "rec",
        {"assigned_agency_id": str(team.police.id), "description": "Extra patrols", "due_on": later.isoformat()},
        versioned=False,
    )
    assert "Extra patrols" in text
    # The outcome cannot predate the meeting (next week): refused with a clear message.
    resp = _post(
        client,
        f"{page}/outcome",
        {
            "outcome": "recommendations",
            "outcome_on": today.isoformat(),
            "summary": "Patrols agreed",
            "version_id": str(db.session.get(CaseReview, review.id).version_id),
        },
        page=page,
        prefix="outcome",
    )
    assert resp.status_code == 400 and "The outcome cannot be before the review meeting" in resp.text
    # A week later the meeting has been held: the outcome, then an appeal and its decision.
    import time_machine

    with time_machine.travel(datetime.combine(later + timedelta(days=1), time(12), tzinfo=UTC), tick=False):
        client = signed_in(app, team.officer)  # a new day, a new sign-in
        text = step(
            "outcome", "outcome", {"outcome": "recommendations", "outcome_on": later.isoformat(), "summary": "Agreed"}
        )
        assert "Recommendations made" in text and "Record an appeal" in text
        text = step("appeal", "appeal", {"received_on": (later + timedelta(days=1)).isoformat(), "grounds": "Too slow"})
        assert "Answer the appeal" in text and "Record the appeal decision" in text
        text = step(
            "appeal-decision",
            "appealdec",
            {"outcome": "not_upheld", "decided_on": (later + timedelta(days=1)).isoformat(), "notes": "Fair"},
        )
        assert "Not upheld" in text
    db.session.expire_all()
    assert db.session.get(CaseReview, review.id).is_finished
