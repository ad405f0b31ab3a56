"""The ASB case page, with incidents logged through the ASB services: the 2025 guidance prompt
appears at the victim's second report within 6 months, and the Case Review list follows."""

from __future__ import annotations

from datetime import date, timedelta

from tests.helpers import csrf_token, signed_in

from .conftest import log


def test_prompt_at_the_second_report_and_record_it(app, team, factory):
    victim = factory.person(team.officer, given_names="Nora", surname="Prompt")
    today = date.today()
    _, asb = log(team.officer, victim, today - timedelta(days=40))
    officer = signed_in(app, team.officer)
    page = officer.get(f"/asb/cases/{asb.case_id}")
    assert page.status_code == 200 and "Tell the victim about the ASB Case Review" not in page.text
    log(team.officer, victim, today - timedelta(days=1), asb=asb)
    page = officer.get(f"/asb/cases/{asb.case_id}")
    assert "Tell the victim about the ASB Case Review" in page.text
    assert f"/asb/cases/{asb.case_id}/case-review-explained?person_id={victim.id}" in page.text
    assert f"/asb/cases/{asb.case_id}/case-reviews/new" in page.text
    form = officer.get(f"/asb/cases/{asb.case_id}/case-review-explained?person_id={victim.id}")
    assert form.status_code == 200
    resp = officer.post(
        f"/asb/cases/{asb.case_id}/case-review-explained",
        data={"csrf_token": csrf_token(form.text), "person_id": str(victim.id), "explained_on": today.isoformat()},
    )
    assert resp.status_code == 302
    page = officer.get(f"/asb/cases/{asb.case_id}")
    assert "Tell the victim about the ASB Case Review" not in page.text
    # The case's own ASB staff see the block; an ASB officer elsewhere does not see the case at all.
    assert signed_in(app, team.other_officer).get(f"/asb/cases/{asb.case_id}").status_code == 404
