"""Every ASB Case Review form answers odd input with a message (400), a conflict (409) or a saved
change (302), never a 500; odd query strings on its pages never break them either."""

from __future__ import annotations

import re
from datetime import date

from casework.asb.case_review import services
from casework.extensions import db
from tests.helpers import csrf_token, signed_in

from .case_review_support import apply, incident, team_fixture  # noqa: F401

ODD = ["", " ", "x" * 5000, "\x00", "2025-13-45", "99999999999999999999", "-1", "NaN", "1e400", "<script>", "0"]
STEPS = {
    "acknowledge": "ack",
    "threshold": "threshold",
    "meeting": "meeting",
    "recommendations": "rec",
    "outcome": "outcome",
    "appeal": "appeal",
    "appeal-decision": "appealdec",
}


def _fields(html: str, prefix: str) -> list[str]:
    names = re.findall(rf'name="({prefix}-[a-z_]+)"', html)
    return sorted({n for n in names if not n.endswith("csrf_token")})


def test_odd_input_never_breaks_a_case_review_form(app, team):
    today = date.today()
    complaints = [incident(team, today) for _ in range(3)]
    met = apply(team, today, complaints)
    services.decide_threshold(team.officer, met, decision="met", decided_on=today, reasons=None, version=met.version_id)
    not_met = apply(team, today, complaints[:1])
    services.decide_threshold(
        team.officer, not_met, decision="not_met", decided_on=today, reasons="One", version=not_met.version_id
    )
    fresh = apply(team, today, complaints)
    db.session.commit()
    client = signed_in(app, team.officer)
    checked = 0
    for review in (fresh, met, not_met):
        page = client.get(f"/asb/case-reviews/{review.id}")
        assert page.status_code == 200
        token = csrf_token(page.text)
        for path, prefix in STEPS.items():
            fields = _fields(page.text, prefix) or [f"{prefix}-version_id"]
            for odd in ODD:
                data = dict.fromkeys(fields, odd) | {f"{prefix}-csrf_token": token}
                resp = client.post(f"/asb/case-reviews/{review.id}/{path}", data=data)
                assert resp.status_code in (302, 400, 409), (path, odd[:20], resp.status_code)
                checked += 1
    assert checked == 3 * len(STEPS) * len(ODD)
    for url in (f"/asb/cases/{team.case.id}/case-reviews/new", f"/asb/cases/{team.case.id}/case-review-explained"):
        page = client.get(url)
        assert page.status_code == 200
        fields = sorted(set(re.findall(r'name="([a-z_]+(?:-[a-z]+)?)"', page.text)) - {"csrf_token"})
        for odd in ODD:
            data = dict.fromkeys(fields, odd) | {"csrf_token": csrf_token(page.text)}
            resp = client.post(url, data=data)
            assert resp.status_code in (302, 400), (url, odd[:20], resp.status_code)


def test_odd_query_strings(app, team):
    client = signed_in(app, team.officer)
    for odd in ODD:
        for url in ("/asb/case-reviews", "/asb/case-reviews/figures"):
            resp = client.get(url, query_string={"year": odd[:300], "format": odd[:30], "page": odd[:30]})
            assert resp.status_code < 500, (url, odd[:20], resp.status_code)
        resp = client.get(f"/asb/cases/{team.case.id}/case-review-explained", query_string={"person_id": odd[:30]})
        assert resp.status_code < 500
