"""Subject access requests: the clock, the pack (contents, redactions, exemptions), approval, access."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.governance import sar as sar_services
from casework.governance.models import SubjectAccessRequest
from casework.iom import offending

from ..helpers import audit_events, marker, page_token, post_form, signed_in
from ..iom.conftest import Team, adopt, category, nominate, offender_of
from ..marac.conftest import make_referral, marac, record_dash  # noqa: F401 (fixture)

# --- the clock -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "extension", "pauses", "due"),
    [
        (date(2026, 3, 3), 0, [], date(2026, 4, 3)),  # the corresponding date next month
        (date(2026, 1, 31), 0, [], date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), 0, [], date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 2, [], date(2026, 4, 30)),  # extended by two months
        (date(2026, 3, 3), 1, [], date(2026, 5, 3)),
        # Clarification asked on 5 March and received on 12 March: 7 days on the clock.
        (date(2026, 3, 3), 0, [(date(2026, 3, 5), date(2026, 3, 12))], date(2026, 4, 10)),
        # Two stops, and an extension.
        (
            date(2026, 3, 3),
            1,
            [(date(2026, 3, 5), date(2026, 3, 6)), (date(2026, 3, 20), date(2026, 3, 23))],
            date(2026, 5, 7),
        ),
        # Still waiting on 20 March: the days so far count, and keep counting.
        (date(2026, 3, 3), 0, [(date(2026, 3, 10), None)], date(2026, 4, 13)),
    ],
)
def test_due_date_arithmetic(received, extension, pauses, due):
    assert sar_services.due_date(received, extension, pauses, today=date(2026, 3, 20)) == due


def _log(client, person, **overrides):
    today = date.today()
    received = overrides.pop("received_on", today)
    data = {
        "person_ref": person.reference,
        "received_on-day": received.day,
        "received_on-month": received.month,
        "received_on-year": received.year,
        "requester": "The person themselves",
        "route": "uk_gdpr",
        "identity_checked": "y",
        "identity_evidence": "Passport seen",
        **overrides,
    }
    return post_form(client, "/governance/sars/new", data)


def _step(client, sar_id, step, data, prefix=None):
    token = page_token(client, f"/governance/sars/{sar_id}")
    prefix = prefix or step
    payload = {f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in data.items()}}
    return client.post(f"/governance/sars/{sar_id}/{step}", data=payload)


def _release(client, sar_id):
    """The DPO's "Download the pack" button: a POST with the session's CSRF token."""
    return client.post(f"/governance/sars/{sar_id}/pack.zip", data={"csrf_token": page_token(client)})


def _sar() -> SubjectAccessRequest:
    db.session.expire_all()
    return db.session.scalar(sa.select(SubjectAccessRequest).order_by(SubjectAccessRequest.id.desc()))


def test_extension_and_clock_stop_through_the_page(app, factory):
    dpo = factory.user("dpo")
    person = factory.person(factory.user("idva"))
    client = signed_in(app, dpo)
    received = date.today() - timedelta(days=10)
    assert _log(client, person, received_on=received).status_code == 302
    sar = _sar()
    base_due = sar_services.sar_due(sar)
    listing = client.get("/governance/sars")
    assert f"SAR {sar.id}" in listing.text and str((base_due - date.today()).days) in listing.text
    # More than two months in all is refused, with the reason next to the field.
    resp = _step(client, sar.id, "extend", {"months": "2", "reason": "Complex", "version_id": sar.version_id})
    assert resp.status_code == 302
    resp = _step(client, sar.id, "extend", {"months": "1", "reason": "More", "version_id": _sar().version_id})
    assert resp.status_code == 400 and "extended by 0 more months at most" in resp.text
    assert _sar().extension_months == 2
    stop_on = date.today() - timedelta(days=4)
    resp = _step(
        client,
        sar.id,
        "stop",
        {
            "started_on-day": stop_on.day,
            "started_on-month": stop_on.month,
            "started_on-year": stop_on.year,
            "note": "Which years?",
            "version_id": _sar().version_id,
        },
    )
    assert resp.status_code == 302
    assert "Clock stopped" in client.get(f"/governance/sars/{sar.id}").text
    today = date.today()
    resp = _step(
        client,
        sar.id,
        "restart",
        {
            "ended_on-day": today.day,
            "ended_on-month": today.month,
            "ended_on-year": today.year,
            "version_id": _sar().version_id,
        },
    )
    assert resp.status_code == 302
    assert sar_services.sar_due(_sar()) == sar_services.due_date(received, 2, [], today) + timedelta(days=4)
    actions = [e.action for e in audit_events() if e.action.startswith("governance.sar.")]
    for step in ("log", "extend", "clock_stop", "clock_restart"):
        assert f"governance.sar.{step}" in actions


def test_extension_must_be_decided_within_the_first_month(app, factory):
    dpo = factory.user("dpo")
    person = factory.person(factory.user("idva"))
    client = signed_in(app, dpo)
    _log(client, person, received_on=date.today() - timedelta(days=45))
    sar = _sar()
    resp = _step(client, sar.id, "extend", {"months": "1", "reason": "Late", "version_id": sar.version_id})
    assert resp.status_code == 400 and "within the first month" in resp.text
    assert "Overdue by" in client.get("/governance/sars").text


def test_pack_holds_marac_and_iom_records_with_other_people_redacted(app, factory, marac):  # noqa: F811
    probation = factory.agency("probation")
    team = Team(
        police=marac.police,
        probation=probation,
        health=marac.health,
        officer=factory.user("iom_officer", agency=marac.police),
        manager=factory.user("iom_manager", agency=probation),
        partner=factory.user("iom_partner", agency=marac.health),
        marac_rep=marac.police_rep,
        idva=marac.idva,
    )
    dpo = factory.user("dpo")
    victim = factory.person(marac.idva, given_names="Vera", surname="Victim")
    partner = factory.person(team.officer, given_names="Percy", surname="Perpetrator")
    # The perpetrator is also an IOM offender.
    adopt(team, nominate(team, partner, date.today() - timedelta(days=30)), date.today() - timedelta(days=20))
    offending.record_offence(
        team.officer,
        offender_of(partner),
        {
            "kind": "conviction",
            "offence_on": date.today() - timedelta(days=60),
            "category_id": category("robbery").id,
            "notes": "Robbed a shop",
            "source_ref": "INTEL-77",
        },
    )
    db.session.commit()
    summary = marker("SUMMARY")
    dash_a = record_dash(marac.idva, victim, 15)
    make_referral(
        marac.idva,
        victim,
        dash_assessment=dash_a,
        perpetrators=[partner],
        summary=f"{summary}: Percy Perpetrator threatened her; PERPETRATOR has a knife",
        referrer_phone="07700 900123",
    )

    client = signed_in(app, dpo)
    _log(client, victim)
    victim_sar = _sar()
    pack = sar_services.assemble(victim_sar)
    kinds = {(i.record.module, i.record.kind) for i in pack.items}
    assert {("core", "person"), ("core", "case"), ("marac", "referral"), ("marac", "dash")} <= kinds
    referral = next(i for i in pack.items if i.record.kind == "referral")
    fields = dict(referral.fields)
    assert summary in fields["Summary"]
    assert "Percy" not in fields["Summary"] and "PERPETRATOR" not in fields["Summary"]
    assert sar_services.REDACTED_NAME in fields["Summary"]
    assert fields["Referrer phone"] == sar_services.REDACTED_FIELD
    listed = {(r.record_key, r.field) for r in pack.redactions}
    assert (referral.record.key, "Summary") in listed and (referral.record.key, "Referrer phone") in listed
    # The victim's own name is never redacted.
    person_fields = dict(next(i for i in pack.items if i.record.kind == "person").fields)
    assert person_fields["Given names"] == "Vera"

    # The perpetrator's pack: the case and its dates, but not what the victim's referral says.
    _log(client, partner)
    partner_pack = sar_services.assemble(_sar())
    p_referral = dict(next(i for i in partner_pack.items if i.record.kind == "referral").fields)
    assert p_referral["Summary"] == sar_services.REDACTED_FIELD and summary not in json.dumps(partner_pack.as_json())
    assert "Vera" not in json.dumps(partner_pack.as_json())
    assert any(i.record.module == "iom" and i.record.kind == "nomination" for i in partner_pack.items)
    assert any(i.record.module == "iom" and i.record.kind == "spell" for i in partner_pack.items)
    offence = dict(next(i for i in partner_pack.items if i.record.kind == "offence").fields)
    assert offence["Notes"] == "Robbed a shop" and offence["Source reference"] == sar_services.REDACTED_FIELD


def test_exempt_record_approval_gate_and_release_zip(app, factory, marac):  # noqa: F811
    dpo = factory.user("dpo")
    victim = factory.person(marac.idva, given_names="Vera", surname="Victim")
    secret = marker("RESEARCH")
    make_referral(marac.idva, victim, summary=f"Summary {secret}", incidents_12_months=3)
    client = signed_in(app, dpo)
    _log(client, victim, identity_checked="", identity_evidence="")
    sar = _sar()
    # No release before approval.
    resp = _release(client, sar.id)
    assert resp.status_code == 409 and resp.mimetype != "application/zip"
    # No approval before the identity check.
    resp = _step(client, sar.id, "approve", {"version_id": sar.version_id})
    assert resp.status_code == 400 and "Check the requester&#39;s identity" in resp.text
    _step(client, sar.id, "identity", {"identity_evidence": "Driving licence", "version_id": _sar().version_id})
    # Mark the referral exempt (serious harm), then approve.
    key = next(i.record.key for i in sar_services.assemble(_sar()).items if i.record.kind == "referral")
    resp = _step(client, sar.id, "exempt", {"record_key": key, "exemption": "serious_harm", "reason": "Risk to victim"})
    assert resp.status_code == 302
    assert _step(client, sar.id, "approve", {"version_id": _sar().version_id}).status_code == 302
    assert _sar().status == "approved"
    resp = _release(client, sar.id)
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
        names = sorted(z.namelist())
        assert names == [f"subject-access-{sar.id}.json", f"subject-access-{sar.id}.pdf"]
        data = json.loads(z.read(f"subject-access-{sar.id}.json"))
        assert z.read(f"subject-access-{sar.id}.pdf").startswith(b"%PDF")
    exempt = [r for r in data["records"] if r["exempt"]]
    assert len(exempt) == 1 and "Serious harm" in exempt[0]["exempt"] and exempt[0]["fields"] == []
    assert secret not in json.dumps(data)
    assert _sar().status == "released"
    (release,) = audit_events("governance.sar.release")
    assert release.data["person_ids"] == [victim.id] and release.purpose == "subject_access"
    for step in ("log", "review", "identity", "exempt", "approve"):
        assert audit_events(f"governance.sar.{step}")


def test_a_pack_that_changed_after_approval_is_not_released(app, factory, marac):  # noqa: F811
    dpo = factory.user("dpo")
    victim = factory.person(marac.idva, given_names="Vera", surname="Victim")
    client = signed_in(app, dpo)
    _log(client, victim)
    sar = _sar()
    assert _step(client, sar.id, "approve", {"version_id": sar.version_id}).status_code == 302
    make_referral(marac.idva, victim, summary="New information", incidents_12_months=3)
    resp = _release(client, sar.id)
    assert resp.status_code == 409
    assert not audit_events("governance.sar.release")


def test_only_the_dpo_reaches_requests_and_packs(app, factory, marac):  # noqa: F811
    dpo = factory.user("dpo")
    secret = marker("SARSECRET")
    victim = factory.person(marac.idva, given_names="Vera", surname=secret)
    client = signed_in(app, dpo)
    _log(client, victim)
    sar = _sar()
    _step(client, sar.id, "approve", {"version_id": sar.version_id})
    urls = [
        "/governance/sars",
        f"/governance/sars/{sar.id}",
        f"/governance/sars/{sar.id}/pack.zip",
        "/governance/sars/new",
    ]
    for role in ("analyst", "idva", "marac_coordinator", "admin", "iom_manager"):
        other = signed_in(app, factory.user(role))
        for url in urls:
            resp = other.post(url, data={"csrf_token": page_token(other)}) if url.endswith(".zip") else other.get(url)
            assert resp.status_code == 403, (role, url)
            assert secret not in resp.text and resp.data[:2] != b"PK"
        token = page_token(other)
        resp = other.post(f"/governance/sars/{sar.id}/approve", data={"approve-csrf_token": token})
        assert resp.status_code == 403
    assert _sar().status != "released" and not audit_events("governance.sar.release")
    # Not even the DPO releases a pack by following a link (a GET): the button posts.
    assert client.get(f"/governance/sars/{sar.id}/pack.zip").status_code == 405
    assert _sar().status != "released" and not audit_events("governance.sar.release")


def test_perpetrators_pack_withholds_the_victims_safety_plan_in_actions_and_minutes(app, factory, marac):  # noqa: F811
    """A MARAC case's actions and minutes are the victim's safety planning: a perpetrator (or
    anyone else in the case) gets the fact of them, not what they say; each is listed for the
    reviewer. The victim's own pack has them in full."""
    from casework.core import actions
    from casework.marac import referrals

    from ..marac.conftest import schedule

    dpo = factory.user("dpo")
    victim = factory.person(marac.idva, given_names="Vera", surname="Victim")
    partner = factory.person(marac.idva, given_names="Percy", surname="Perpetrator")
    refuge, minutes = marker("REFUGE"), marker("MINUTES")
    referral = make_referral(marac.idva, victim, perpetrators=[partner], incidents_12_months=3)
    case = referral.case
    actions.create_action(
        marac.coordinator,
        case,
        agency_id=marac.housing.id,
        description=f"Refuge place arranged at {refuge}",
        due_on=date.today() + timedelta(days=7),
    )
    meeting = schedule(marac.coordinator, agencies=[marac.police, marac.housing])
    item = referrals.decide(
        marac.coordinator, referral, accept=True, reason=None, version=referral.version_id, meeting=meeting
    )
    item.minutes = f"Vera moved to {minutes}; panic alarm fitted"
    db.session.commit()

    client = signed_in(app, dpo)
    assert _log(client, partner).status_code == 302
    partner_sar = _sar()
    pack = sar_services.assemble(partner_sar)
    body = json.dumps(pack.as_json())
    assert refuge not in body and minutes not in body
    kinds = {i.record.kind for i in pack.items}
    assert {"action", "minutes"} <= kinds  # the fact of them stays in the pack
    withheld = {(r.record_key, r.field) for r in pack.redactions}
    for item_ in pack.items:
        if item_.record.kind == "action":
            assert (item_.record.key, "Action") in withheld
        if item_.record.kind == "minutes":
            assert (item_.record.key, "Minutes") in withheld
    # Nor on the reviewer's screen as released text, nor in the released pack.
    resp = _step(client, partner_sar.id, "approve", {"version_id": partner_sar.version_id})
    assert resp.status_code == 302
    released = _release(client, partner_sar.id)
    assert released.status_code == 200
    with zipfile.ZipFile(io.BytesIO(released.data)) as z:
        data = z.read(f"subject-access-{partner_sar.id}.json").decode()
    assert refuge not in data and minutes not in data

    # The victim's own pack has them.
    assert _log(client, victim).status_code == 302
    own = json.dumps(sar_services.assemble(_sar()).as_json())
    assert refuge in own and minutes in own
