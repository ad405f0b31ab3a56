"""Every IOM form answers odd input with a message (400) or a saved change (302), never a 500."""

from __future__ import annotations

import re
from datetime import date

import pytest

from casework.extensions import db
from casework.iom.models import Nomination
from tests.helpers import csrf_token, signed_in

from .conftest import nominate, on_cohort

ODD = ["", " ", "x" * 5000, "\x00", "2025-13-45", "99999999999999999999", "-1", "NaN", "1e400", "<script>", "0"]
KEYS = ["decision", "offences", "contacts", "pathways", "interventions", "tier", "supervision", "deselect"]


def _fields(html: str) -> list[str]:
    names = re.findall(r'name="([a-z_]+-[a-z_]+)"', html)
    return sorted({n for n in names if not n.endswith("csrf_token")})


@pytest.mark.parametrize("key", KEYS)
def test_odd_input_never_breaks_a_form(app, team, factory, key):
    person, offender = on_cohort(team, factory, date(2025, 1, 1))
    if key == "decision":
        from casework.iom import nominations

        nominations.deselect(
            team.manager,
            offender,
            on=date(2025, 6, 1),
            reason="desistance",
            note=None,
            exit_plan="x",
            version=offender.version_id,
        )
        db.session.commit()
        nominate(team, person, date(2025, 7, 1))
    client = signed_in(app, team.manager)
    url = f"/iom/cases/{offender.case_id}/{key}"
    page = client.get(url)
    assert page.status_code == 200, (key, page.status_code)
    token = csrf_token(page.text)
    fields = _fields(page.text)
    assert fields, key
    for odd in ODD:
        data = dict.fromkeys(fields, odd)
        prefix = fields[0].split("-")[0]
        data[f"{prefix}-csrf_token"] = token
        resp = client.post(url, data=data)
        assert resp.status_code in (302, 400, 409), (key, odd[:20], resp.status_code)
    assert db.session.query(Nomination).count() >= 1


def test_odd_input_on_nomination_and_measure(app, team, factory):
    person = factory.person(team.officer)
    client = signed_in(app, team.officer)
    url = f"/iom/nominate/{person.id}"
    token = csrf_token(client.get(url).text)
    for odd in ODD:
        resp = client.post(
            url,
            data={
                "csrf_token": token,
                "nominated_on": odd,
                "reasons": odd,
                "proposed_strand": odd,
                "category": odd,
                "ogrs": odd,
                "rsr": odd,
            },
        )
        assert resp.status_code in (302, 400), (odd[:20], resp.status_code)
    manager = signed_in(app, team.manager)
    for odd in ODD:
        resp = manager.get("/iom/measure", query_string={"start": odd, "end": odd, "count": odd, "strand": odd})
        assert resp.status_code in (200, 400), (odd[:20], resp.status_code)  # NUL: refused by the app
        resp = manager.get("/iom/", query_string={"state": odd, "tier": odd, "lead_user_id": odd, "page": odd})
        assert resp.status_code in (200, 400), (odd[:20], resp.status_code)  # NUL: refused by the app
