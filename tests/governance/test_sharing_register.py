"""Manual disclosures (ICO request template, emergency path) and data sharing agreements."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import audit
from casework.extensions import db
from casework.governance.models import Disclosure, SharingAgreement

from ..helpers import audit_events, marker, post_form, signed_in


def _disclosure(person, recipient, **overrides) -> dict:
    today = date.today()
    data = {
        "person_ref": f"P{person.id:06d}",
        "requested_on": today.isoformat(),
        "recipient_agency_id": str(recipient.id),
        "requester_name": "Dana Requester",
        "requester_role": "Housing officer",
        "data_items": "Current address",
        "purpose": "Safeguarding visit",
        "lawful_basis": "cda1998_s115",
        "necessity": "Risk of harm without a visit",
        "condition": "sch1_para18_safeguarding",
        "legal_power": "cda1998_s115",
        "consent": "not_sought",
        "without_consent_reason": "Seeking consent would increase the risk",
        "method": "secure_email",
        "decision": "disclose",
        "decided_on": today.isoformat(),
        "decision_maker": "Pat DPO, data protection officer",
        "reasons": "Necessary to protect the victim",
    }
    for key in ("requested_on", "decided_on"):
        d = date.fromisoformat(overrides.pop(key, data[key]))
        data.pop(key)
        data.update({f"{key}-day": d.day, f"{key}-month": d.month, f"{key}-year": d.year})
    data.update(overrides)
    return data


def test_disclosure_is_recorded_encrypted_and_in_the_register(app, factory, sqlite_path):
    housing = factory.agency("housing")
    dpo = factory.user("dpo")
    idva = factory.user("idva")
    person = factory.person(idva)
    secret = marker()
    client = signed_in(app, dpo)
    resp = post_form(client, "/governance/disclosures/new", _disclosure(person, housing, purpose=secret))
    assert resp.status_code == 302, resp.text
    d = db.session.scalar(sa.select(Disclosure))
    assert d.purpose == secret and d.reasons_recorded_at is not None
    (event,) = audit_events("governance.disclosure.record")
    assert event.recipient_agency_id == housing.id and event.lawful_basis == "cda1998_s115"
    assert event.data["person_ids"] == [person.id] and secret not in event.payload
    # The register (shared with an agency) lists it.
    today = date.today()
    page = client.get(
        f"/governance/sharing?agency_id={housing.id}&date_from-day={today.day}&date_from-month={today.month}"
        f"&date_from-year={today.year}&date_to-day={today.day}&date_to-month={today.month}&date_to-year={today.year}"
    )
    assert page.status_code == 200 and "governance.disclosure.record" in page.text
    if sqlite_path:
        raw = sqlite_path.read_bytes()
        assert secret.encode() not in raw
    view = client.get(f"/governance/disclosures/{d.id}")
    assert secret in view.text
    assert audit_events("governance.disclosure.view")[-1].data["person_ids"] == [person.id]


def test_template_rules_give_field_errors(app, factory):
    housing = factory.agency("housing")
    dpo = factory.user("dpo")
    person = factory.person(factory.user("idva"))
    client = signed_in(app, dpo)
    data = _disclosure(person, housing, legal_power="other", without_consent_reason="", reasons="")
    resp = post_form(client, "/governance/disclosures/new", data)
    assert resp.status_code == 400
    assert "Describe the legal power relied on" in resp.text
    assert "Enter why the information was shared without consent" in resp.text
    assert "Enter the reasons for the decision, or choose the emergency path" in resp.text
    resp = post_form(client, "/governance/disclosures/new", _disclosure(person, housing, person_ref="P999999"))
    assert resp.status_code == 400 and "Enter the reference of a person on the system" in resp.text
    later = (date.today() - timedelta(days=3)).isoformat()
    resp = post_form(client, "/governance/disclosures/new", _disclosure(person, housing, decided_on=later))
    assert resp.status_code == 400 and "on or after the date of the request" in resp.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Disclosure)) == 0


def test_emergency_path_records_reasons_afterwards(app, factory):
    housing = factory.agency("housing")
    dpo = factory.user("dpo")
    person = factory.person(factory.user("idva"))
    client = signed_in(app, dpo)
    resp = post_form(client, "/governance/disclosures/new", _disclosure(person, housing, emergency="y", reasons=""))
    assert resp.status_code == 302
    d = db.session.scalar(sa.select(Disclosure))
    assert d.reasons_outstanding
    assert "1 awaiting reasons" in client.get("/governance/").text
    url = f"/governance/disclosures/{d.id}"
    assert post_form(client, url, {"reasons": "", "version_id": d.version_id}).status_code == 400
    resp = post_form(client, url, {"reasons": "Life at risk", "version_id": d.version_id})
    assert resp.status_code == 302
    db.session.expire_all()
    d = db.session.get(Disclosure, d.id)
    assert d.reasons == "Life at risk" and not d.reasons_outstanding
    assert audit_events("governance.disclosure.reasons")


def test_agreements_register_flags_past_review_and_links_shares(app, factory):
    police, housing, health = factory.agency("police"), factory.agency("housing"), factory.agency("health")
    dpo = factory.user("dpo")
    client = signed_in(app, dpo)
    past = date.today() - timedelta(days=1)
    data = {
        "title": "MARAC information sharing protocol",
        "party_ids": [str(police.id), str(housing.id)],
        "purpose": "MARAC",
        "data_items": "Names, addresses, risk",
        "lawful_basis": "cda1998_s115",
        "review_on-day": past.day,
        "review_on-month": past.month,
        "review_on-year": past.year,
        "is_active": "y",
    }
    assert post_form(client, "/governance/agreements/new", {**data, "party_ids": [str(police.id)]}).status_code == 400
    assert post_form(client, "/governance/agreements/new", data).status_code == 302
    page = client.get("/governance/agreements")
    assert "Past review" in page.text and "MARAC information sharing protocol" in page.text
    assert "1 past review" in client.get("/governance/").text
    agreement = db.session.scalar(sa.select(SharingAgreement))
    # An in-system share from police to housing falls under it; one to health does not.
    from casework.governance import sharing

    audit.record("marac.agenda.share", actor_agency_id=police.id, recipient_agency_id=housing.id)
    audit.record("marac.agenda.share", actor_agency_id=police.id, recipient_agency_id=health.id)
    db.session.commit()
    events = audit_events("marac.agenda.share")
    linked = sharing.agreements_for_events(events)
    assert linked[events[0].seq].id == agreement.id and linked[events[1].seq] is None
    # A stale edit is a visible conflict.
    url = f"/governance/agreements/{agreement.id}/edit"
    stale = {**data, "version_id": agreement.version_id - 1, "title": "Changed"}
    assert post_form(client, url, stale).status_code == 409
    ok = {**data, "version_id": agreement.version_id, "title": "Changed"}
    assert post_form(client, url, ok).status_code == 302


def test_only_dpo_may_record_or_read_disclosures(app, factory):
    housing = factory.agency("housing")
    dpo = factory.user("dpo")
    person = factory.person(factory.user("idva"))
    secret = marker()
    post_form(signed_in(app, dpo), "/governance/disclosures/new", _disclosure(person, housing, purpose=secret))
    d = db.session.scalar(sa.select(Disclosure))
    for role in ("analyst", "marac_coordinator", "admin", "iom_manager"):
        client = signed_in(app, factory.user(role))
        for url in (f"/governance/disclosures/{d.id}", "/governance/disclosures", "/governance/agreements"):
            resp = client.get(url)
            assert resp.status_code == 403 and secret not in resp.text
        assert client.get("/governance/disclosures/new").status_code == 403
