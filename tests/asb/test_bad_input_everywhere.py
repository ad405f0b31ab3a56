"""Every ASB form answers odd input with a message (400), a conflict (409) or a saved change (302),
never a 500; and demo data loads and its pages render."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from casework.asb import perpetrators, risk, support
from casework.extensions import db
from tests.helpers import csrf_token, login, signed_in

from .conftest import log

ODD = ["", " ", "x" * 5000, "\x00", "2025-13-45", "99999999999999999999", "-1", "NaN", "<script>", "0"]


def _fields(html: str) -> list[str]:
    form = html.split("<main", 1)[-1]
    names = re.findall(r'name="([a-z_0-9-]+)"', form)
    return sorted({n for n in names if not n.endswith("csrf_token") and n not in ("version_id", "confirmed")})


@pytest.fixture
def world(app, team, factory):
    victim = factory.person(team.officer)
    perp = factory.person(team.officer)
    _, asb = log(team.officer, victim, date.today() - timedelta(days=3), perpetrator_ids=[perp.id])
    incident, _ = log(team.officer, victim, date.today() - timedelta(days=2), asb=asb)
    risk.assess(
        team.officer,
        asb,
        assessed_on=date.today(),
        answers={q.code: "yes" for q in risk.questionnaire().questions},
    )
    plan = support.start_plan(team.officer, asb, title="Plan")
    action = perpetrators.record_action(
        team.officer,
        asb,
        person_id=perp.id,
        kind="abc",
        status="active",
        agency_id=team.council.id,
        issued_on=date.today(),
        expires_on=None,
        terms=None,
        court_reference=None,
    )
    db.session.commit()
    c = asb.case_id
    return victim, [
        f"/asb/incidents/new/{victim.id}",
        f"/asb/cases/{c}/incidents",
        f"/asb/incidents/{incident.id}/remove",
        f"/asb/cases/{c}/risk",
        f"/asb/cases/{c}/plan/{plan.id}/items",
        f"/asb/cases/{c}/plan/{plan.id}/review",
        f"/asb/cases/{c}/contacts",
        f"/asb/cases/{c}/perpetrator-actions",
        f"/asb/cases/{c}/perpetrator-actions/{action.id}/status",
        f"/asb/cases/{c}/perpetrator-actions/{action.id}/breach",
    ]


def test_odd_input_never_breaks_a_form(app, team, world):
    _, urls = world
    client = signed_in(app, team.officer)
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        token = csrf_token(page.text)
        fields = _fields(page.text)
        assert fields, url
        for odd in ODD:
            data = dict.fromkeys(fields, odd)
            data["csrf_token"] = data["risk-csrf_token"] = token
            resp = client.post(url, data=data)
            assert resp.status_code in (200, 302, 400, 409), (url, odd[:20], resp.status_code)


def test_demo_data_loads_and_pages_render(app, runner, tmp_path):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    import sqlalchemy as sa

    from casework.asb import repeats
    from casework.asb.models import AsbCase
    from casework.core.models import Plan, User

    officer = db.session.scalar(sa.select(User).where(User.email == "asb@example.org"))
    page = repeats.repeat_victims_page(officer, 1)
    assert len(page.items) >= 2
    assert [p for p in support.overdue_reviews_page(officer, 1).items if isinstance(p, Plan)]
    creds = (tmp_path / "instance" / "demo-credentials.txt").read_text().splitlines()
    password = next(ln for ln in creds if ln.startswith("asb@example.org")).split("\t")[1]
    client = app.test_client()
    login(client, officer, password)
    for url in ["/", "/asb/", "/asb/repeat-victims", "/asb/team", "/asb/meetings"] + [
        f"/asb/cases/{a.case_id}" for a in db.session.scalars(sa.select(AsbCase))
    ]:
        assert client.get(url).status_code == 200, url
