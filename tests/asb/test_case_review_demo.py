"""The ASB demo data holds one Case Review in progress, shown on its case page and on My work's list."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casework.asb.case_review import services
from casework.asb.case_review.models import CaseReview
from casework.core.models import Agency, User
from casework.extensions import db
from tests.helpers import signed_in


def test_demo_has_one_case_review_in_progress(app, factory, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    [review] = db.session.scalars(sa.select(CaseReview)).all()
    assert review.acknowledged_on and review.threshold_decision is None
    assert services.check_threshold(review).met
    assert services.status_label(review) == "Awaiting threshold decision"
    decision = next(d for d in services.deadlines(review, date.today()) if d.key == "decision")
    assert not decision.overdue
    demo_officer = db.session.scalar(sa.select(User).where(User.email == "asb@example.org"))
    officer = factory.user("asb_officer", agency=db.session.get(Agency, demo_officer.agency_id))
    client = signed_in(app, officer)
    page = client.get(f"/asb/cases/{review.case_id}")
    assert page.status_code == 200
    assert "ASB Case Review" in page.text and f"/asb/case-reviews/{review.id}" in page.text
    assert client.get(f"/asb/case-reviews/{review.id}").status_code == 200
    home = client.get("/")
    assert home.status_code == 200 and "ASB Case Review deadlines overdue" in home.text
