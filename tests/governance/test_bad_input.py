"""Bad input on every governance form is a form error or a 4xx, never a 500."""

from __future__ import annotations

from datetime import date

from casework.extensions import db
from casework.governance import sar as sar_services

from ..helpers import page_token, signed_in


def test_bad_input_is_never_a_500(app, factory):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    dpo = factory.user("dpo")
    person = factory.person(factory.user("idva"))
    sar = sar_services.log_request(dpo, person, {"received_on": date.today(), "requester": "Self", "route": "uk_gdpr"})
    db.session.commit()
    client = signed_in(app, dpo)
    token = page_token(client, "/governance/")
    junk = {"csrf_token": token, "x": "\u202e", "version_id": "not-a-number"}
    posts = {
        "/governance/disclosures/new": {**junk, "requested_on-day": "31", "requested_on-month": "2"},
        "/governance/agreements/new": {**junk, "party_ids": ["abc"], "review_on-year": "99999"},
        "/governance/sars/new": {**junk, "person_ref": "P" + "9" * 30, "route": "nonsense"},
        f"/governance/sars/{sar.id}/extend": {"extend-csrf_token": token, "extend-months": "7", "extend-reason": ""},
        f"/governance/sars/{sar.id}/stop": {"stop-csrf_token": token, "stop-started_on-day": "x"},
        f"/governance/sars/{sar.id}/restart": {"restart-csrf_token": token, "restart-version_id": str(sar.version_id)},
        f"/governance/sars/{sar.id}/exempt": {"exempt-csrf_token": token, "exempt-record_key": "core:nope:1"},
        f"/governance/sars/{sar.id}/unknown": {"csrf_token": token},
        f"/governance/sars/{sar.id}/approve": {"approve-csrf_token": token, "approve-version_id": "0"},
        "/governance/retention/rule": {"rule-csrf_token": token, "rule-case_kind": "zzz", "rule-years": "abc"},
        "/governance/retention/hold": {"hold-csrf_token": token, "hold-case_reference": "NOPE-1", "hold-reason": "x"},
        "/governance/retention/proposals/999999/approve": {"csrf_token": token},
        "/governance/retention/cases/999999/propose": {"csrf_token": token},
        "/governance/disclosures/999999": {"csrf_token": token, "reasons": "x"},
        f"/governance/sars/{sar.id}/pack.zip": {"csrf_token": token},
        "/governance/sars/999999/pack.zip": {"csrf_token": token},
    }
    for url, data in posts.items():
        resp = client.post(url, data=data)
        assert resp.status_code in (400, 404, 409), (url, resp.status_code)
        assert "Traceback" not in resp.text
    gets = [
        "/governance/audit.csv?date_from-day=99",
        "/governance/audit?lawful_basis=nonsense",
        "/governance/disclosures?recipient_agency_id=99999999999",
        "/governance/sars?show=weird&page=-3",
        "/governance/sars/999999",
    ]
    for url in gets:
        resp = client.get(url)
        assert resp.status_code in (200, 400, 404, 409), (url, resp.status_code)
        assert "Traceback" not in resp.text
    # Nothing was created by the bad posts.
    import sqlalchemy as sa

    from casework.governance.models import Destruction, Disclosure, SharingAgreement, SubjectAccessRequest

    for model, expected in ((Disclosure, 0), (SharingAgreement, 0), (Destruction, 0), (SubjectAccessRequest, 1)):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == expected
