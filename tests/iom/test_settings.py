"""Editing the partnership's IOM lists on screen: tier labels, strands and the scoring matrix."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core.models import AuditEvent
from casework.core.services import ConflictError, FieldErrors
from casework.extensions import db
from casework.iom import offending, settings
from casework.iom.models import ScoreFactor, Strand, TierLabel
from tests.helpers import csrf_token, signed_in

from .conftest import nominate, offence, offender_of

TODAY = date.today()


def _matrix_form(client) -> dict[str, str]:
    """Every field of the scoring page as the browser would send it."""
    html = client.get("/iom/settings/scoring").text
    data = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            data[name.group(1)] = value.group(1) if value else ""
    data["csrf_token"] = csrf_token(html)
    return data


def _entries(**overrides) -> dict[str, settings.FactorEntry]:
    out = {}
    for factor in settings.scoring_factors():
        bands = [settings.BandRow(b.low, b.high, b.points) for b in factor.bands]
        out[factor.code] = settings.FactorEntry(factor.weight, factor.lookback_months, bands)
    out.update(overrides)
    return out


def test_scoring_matrix_edit_rescores_open_nominations(app, team, factory):
    person = factory.person(team.officer)
    nomination = nominate(team, person, TODAY)
    offence(team, offender_of(person), TODAY - timedelta(days=40))  # one conviction, a month ago
    db.session.expire_all()
    before = nomination.score
    # Hand-worked under the seeded matrix: recency 1 month -> 5 points x 3; frequency 1 -> 1 x 2; gravity.
    assert before == offending.selection_score(person.id, TODAY).total
    manager = signed_in(app, team.manager)
    data = _matrix_form(manager)
    assert data["recency-weight"] == "3" and data["recency-bands-0-low"] == "0"
    data["recency-weight"] = "10"  # recency now counts 10 x 5 = 50
    resp = manager.post("/iom/settings/scoring", data=data)
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert db.session.get(ScoreFactor, "recency").weight == 10
    assert nomination.score == before + 7 * 5
    assert nomination.score_breakdown["factors"][0]["weight"] == 10
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "iom_score_matrix").order_by(AuditEvent.seq.desc())
    ).first()
    assert event.data["details"]["fields"] == ["recency.weight"] and event.data["details"]["rescored"] == 1
    # The form opened before that save is stale: a visible conflict, nothing saved.
    data["frequency-weight"] = "9"
    resp = manager.post("/iom/settings/scoring", data=data)
    assert resp.status_code == 409 and "Someone else changed this record" in resp.text
    db.session.expire_all()
    assert db.session.get(ScoreFactor, "frequency").weight == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"recency-weight": "-1"}, "recency-weight", "Weight must be a whole number from 0 to 100"),
        ({"frequency-weight": "two"}, "frequency-weight", "must be a whole number"),
        ({"recency-bands-0-low": "1"}, "recency-bands-0-low", "Recency band 1 must start at 0"),
        ({"recency-bands-1-low": "2"}, "recency-bands-1-low", "must start at 3, one after the previous band ends"),
        ({"recency-bands-1-low": "9"}, "recency-bands-1-low", "no gaps or overlaps"),
        ({"recency-bands-1-high": ""}, "recency-bands-1-high", "only the last band can have no upper limit"),
        ({"recency-bands-0-points": ""}, "recency-bands-0-points", "points must be a whole number"),
    ],
)
def test_scoring_matrix_refuses_bad_weights_and_disordered_bands(app, team, change, field, message):
    manager = signed_in(app, team.manager)
    data = {**_matrix_form(manager), **change}
    resp = manager.post("/iom/settings/scoring", data=data)
    assert resp.status_code == 400 and message in resp.text
    assert f'href="#{field}"' in resp.text  # the error summary links to the field
    db.session.expire_all()
    assert db.session.get(ScoreFactor, "recency").weight == 3


def test_matrix_service_rules(team):
    bands = [settings.BandRow(0, 4, 1), settings.BandRow(5, None, 2)]
    changed = settings.update_matrix(
        team.manager,
        _entries(gravity=settings.FactorEntry(0, 12, bands)),
        settings.matrix_fingerprint(),
    )
    assert changed == ["gravity.weight", "gravity.lookback_months", "gravity.bands"]
    gravity = db.session.get(ScoreFactor, "gravity")
    assert [(b.low, b.high, b.points) for b in gravity.bands] == [(0, 4, 1), (5, None, 2)]
    # The last band must be open-ended, so every value scores.
    with pytest.raises(FieldErrors, match="leave the last band's upper limit blank"):
        settings.update_matrix(
            team.manager,
            _entries(gravity=settings.FactorEntry(1, 12, [settings.BandRow(0, 4, 1)])),
            settings.matrix_fingerprint(),
        )
    with pytest.raises(ConflictError):
        settings.update_matrix(team.manager, _entries(), "stale")


def test_tier_labels_and_strands_edit_with_conflicts(app, team, factory):
    manager = signed_in(app, team.manager)
    html = manager.get("/iom/settings").text
    token = csrf_token(html)
    fp = re.search(r'name="tiers-fingerprint"[^>]*value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "tiers-fingerprint": fp, "tiers-red": "Tier 1: Control"}
    data |= {"tiers-amber": "Tier 2: Change", "tiers-green": "Tier 3: Help"}
    resp = manager.post("/iom/settings/tiers", data=data)
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert db.session.get(TierLabel, "red").label == "Tier 1: Control"
    # The offender page shows the new label for the same tier.
    person = factory.person(team.officer)
    from .conftest import adopt

    adopt(team, nominate(team, person, TODAY), TODAY, tier="red")
    assert "Tier 1: Control" in manager.get(f"/iom/cases/{offender_of(person).case_id}").text
    # Stale: conflict; duplicate and blank labels: errors next to the fields.
    resp = manager.post("/iom/settings/tiers", data={**data, "tiers-red": "Other"})
    assert resp.status_code == 409
    html = manager.get("/iom/settings").text
    fp = re.search(r'name="tiers-fingerprint"[^>]*value="([^"]+)"', html).group(1)
    resp = manager.post(
        "/iom/settings/tiers",
        data={**data, "tiers-fingerprint": fp, "tiers-amber": "tier 1: control", "tiers-green": ""},
    )
    assert resp.status_code == 400
    assert "Two tiers cannot both be called" in resp.text and "Enter a label for every tier" in resp.text
    # Strand name and description.
    strand = db.session.get(Strand, "flex")
    prefix = "strand-flex"
    sfp = settings.strand_fingerprint(strand)
    resp = manager.post(
        "/iom/settings/strands/flex",
        data={
            f"{prefix}-csrf_token": token,
            f"{prefix}-fingerprint": sfp,
            f"{prefix}-label": "Flex (local)",
            f"{prefix}-description": "Serious violence",
        },
    )
    assert resp.status_code == 302, resp.text
    db.session.expire_all()
    assert (strand.label, strand.description) == ("Flex (local)", "Serious violence")
    resp = manager.post(
        "/iom/settings/strands/flex",
        data={
            f"{prefix}-csrf_token": token,
            f"{prefix}-fingerprint": sfp,
            f"{prefix}-label": "X",
            f"{prefix}-description": "Y",
        },
    )
    assert resp.status_code == 409
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "iom.settings.update")).all()
    assert {e.object_type for e in events} >= {"iom_tier", "iom_strand"}
    assert not any("Serious violence" in e.payload or "Tier 1" in e.payload for e in events)


def test_settings_for_managers_and_administrators_only(app, team, factory):
    admin = factory.user("admin")
    client = signed_in(app, admin)
    assert client.get("/iom/settings").status_code == 200
    assert client.get("/iom/settings/scoring").status_code == 200
    assert client.get("/iom/").status_code == 403  # no offender data for an administrator
    for user in (team.officer, team.partner, team.marac_rep):
        other = signed_in(app, user)
        assert other.get("/iom/settings/scoring").status_code == 403
        data = _matrix_form(signed_in(app, team.manager))
        data["recency-weight"] = "50"
        assert other.post("/iom/settings/scoring", data=data).status_code in (400, 403)
    db.session.expire_all()
    assert db.session.get(ScoreFactor, "recency").weight == 3


def test_changing_a_category_gravity_rescores_open_nominations(team, factory):
    from .conftest import category

    person = factory.person(team.officer)
    nomination = nominate(team, person, TODAY)
    offence(team, offender_of(person), TODAY - timedelta(days=40), "robbery")
    db.session.expire_all()
    before = nomination.score_breakdown["factors"][2]
    robbery = category("robbery")
    new_gravity = 1 if robbery.gravity > 2 else 9
    settings.update_category(
        team.manager,
        robbery,
        {"gravity": new_gravity, "neighbourhood": robbery.neighbourhood, "unit_cost": robbery.unit_cost},
        robbery.version_id,
    )
    db.session.commit()
    db.session.expire_all()
    after = nomination.score_breakdown["factors"][2]
    assert after["code"] == "gravity" and after["value"] == new_gravity != before["value"]
    assert nomination.score == offending.selection_score(person.id, TODAY).total
