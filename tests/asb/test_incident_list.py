"""The partnership's ASB incident list: most recent first, only on cases the reader may see,
removed incidents left out, filtered by period, category and hate motivation; recorded."""

from __future__ import annotations

import re
from datetime import date, timedelta

from casework.asb import incidents
from casework.extensions import db
from tests.helpers import audit_events, marker, signed_in

from .conftest import log


def _rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def test_most_recent_first_on_visible_cases_without_removed_ones(app, factory, team):
    today = date.today()
    recent, older, removed = marker("RECENTLOC"), marker("OLDERLOC"), marker("REMOVEDLOC")
    victim = factory.person(team.officer)
    _, asb = log(team.officer, victim, today - timedelta(days=10), location=older)
    log(team.officer, victim, today - timedelta(days=2), asb=asb, location=recent)
    gone, _ = log(team.officer, victim, today - timedelta(days=1), asb=asb, location=removed)
    incidents.delete_incident(team.officer, gone, reason="Logged twice", version=gone.version_id)
    db.session.commit()
    # Another council's case, not shared with this officer's agency.
    elsewhere = marker("ELSEWHERELOC")
    log(team.other_officer, factory.person(team.other_officer), today - timedelta(days=1), location=elsewhere)

    resp = signed_in(app, team.officer).get("/asb/incidents")
    assert resp.status_code == 200
    rows = _rows(resp.text)
    assert len(rows) == 2
    assert recent in rows[0] and older in rows[1]
    assert asb.case.reference in rows[0]
    assert removed not in resp.text and elsewhere not in resp.text

    (event,) = [e for e in audit_events("asb.incident.list") if e.actor_user_id == team.officer.id]
    assert event.data["person_ids"] == [victim.id] and event.purpose == "casework"

    # The other council's officer sees theirs only.
    other = signed_in(app, team.other_officer).get("/asb/incidents")
    assert elsewhere in other.text and recent not in other.text and older not in other.text


def test_filters_period_category_and_hate(app, factory, team):
    today = date.today()
    victim = factory.person(team.officer)
    a, b, c = marker("NUISANCE40"), marker("PERSONAL5"), marker("HATE3")
    _, asb = log(team.officer, victim, today - timedelta(days=40), location=a)
    personal = {"category": "personal", "type_code": "harassment"}
    log(team.officer, victim, today - timedelta(days=5), asb=asb, location=b, **personal)
    log(
        team.officer, victim, today - timedelta(days=3), asb=asb, location=c,
        is_hate=True, hate_characteristic="race",
    )  # fmt: skip
    client = signed_in(app, team.officer)

    default = client.get("/asb/incidents").text  # the last 28 days
    assert b in default and c in default and a not in default
    assert "Hate-motivated" in _rows(default)[0]
    assert a in client.get("/asb/incidents?period=91").text
    assert a in client.get("/asb/incidents?period=").text  # any time
    personal = client.get("/asb/incidents?period=91&category=personal").text
    assert b in personal and a not in personal and c not in personal
    hate = client.get("/asb/incidents?period=91&hate=y").text
    assert c in hate and a not in hate and b not in hate
    # The 7-day period holds today and the six days before it.
    week = client.get("/asb/incidents?period=7").text
    assert c in week and b in week


def test_period_edges(app, factory, team):
    today = date.today()
    victim = factory.person(team.officer)
    inside, outside = marker("SIXDAYS"), marker("SEVENDAYS")
    _, asb = log(team.officer, victim, today - timedelta(days=6), location=inside)
    log(team.officer, victim, today - timedelta(days=7), asb=asb, location=outside)
    week = signed_in(app, team.officer).get("/asb/incidents?period=7").text
    assert inside in week and outside not in week


def test_access_and_bad_filters(app, factory, team):
    secret = marker("SECRETLOC")
    log(team.officer, factory.person(team.officer), date.today() - timedelta(days=1), location=secret)
    # A MARAC representative in the same council holds no ASB role.
    resp = signed_in(app, team.marac_rep).get("/asb/incidents")
    assert resp.status_code == 403 and secret not in resp.text
    client = signed_in(app, team.officer)
    for query in ("period=3", "category=bogus", "period=%00"):
        resp = client.get(f"/asb/incidents?{query}")
        assert resp.status_code == 400, query
        assert secret not in resp.text
