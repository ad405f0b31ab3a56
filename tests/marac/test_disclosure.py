"""The one disclosure policy: every page that shows a person in a MARAC case shows what the
viewer's agency kind may see, the coordinator's address release is audited, and only an
administrator sets the policy."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from pypdf import PdfReader

from casework.core import meetings as core_meetings
from casework.extensions import db
from casework.marac import referrals
from casework.marac.models import AddressRelease, DisclosureRule
from tests.helpers import audit_events, csrf_token, login

from .conftest import REFERRAL_DEFAULTS, record_dash, schedule

ADDRESS = "41 Quietwater Close QXZ"
NAMES = ("Marigold", "QUILLFEATHER", "Quillfeather", "Thaddeus", "BRACKENRIDGE", "Brackenridge", "Wren")
ALIAS = "Goldie Q"
DOB = "14/07/1988"


def _listed(marac, factory):
    victim = factory.person(
        marac.idva,
        given_names="Marigold",
        surname="Quillfeather",
        aliases=[ALIAS],
        dob=date(1988, 7, 14),
        address=ADDRESS,
        phone="07700 900321",
    )
    perp = factory.person(marac.idva, given_names="Thaddeus", surname="Brackenridge", dob=date(1979, 2, 3))
    child = factory.person(marac.idva, given_names="Wren", surname="Quillfeather", dob=date(2018, 5, 6))
    ref = referrals.create_referral(
        marac.idva,
        victim,
        {
            **REFERRAL_DEFAULTS,
            "referral_date": date.today(),
            "dash_id": record_dash(marac.idva, victim, 16).id,
        },
        perpetrators=[referrals.PersonLink(perp.id, "Partner")],
        children=[referrals.PersonLink(child.id, "Daughter")],
    )
    db.session.commit()
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    meeting = schedule(marac.coordinator, days_ahead=20, agencies=[marac.police, marac.idva_service, marac.housing])
    item = core_meetings.list_case(marac.coordinator, meeting, ref.case, reason="new")
    core_meetings.record_minutes(
        marac.coordinator, item, minutes="Agreed QXZMINUTE", outcome="actions_agreed", version=item.version_id
    )
    db.session.commit()
    return ref, meeting, victim, perp, child


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _pdf_text(data: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def _pages(client, ref, meeting, victim) -> dict[str, str]:
    """Every page a distribution-list agency sees a person on, as text (PDFs extracted)."""
    out = {}
    for name, url in (
        ("agenda", f"/marac/meetings/{meeting.id}/agenda"),
        ("case", f"/marac/cases/{ref.case_id}"),
        ("person", f"/people/{victim.id}"),
        ("people", "/people/"),
    ):
        resp = client.get(url)
        assert resp.status_code == 200, (name, resp.status_code)
        out[name] = resp.text
    for name, url in (
        ("agenda.pdf", f"/marac/meetings/{meeting.id}/agenda.pdf"),
        ("minutes.pdf", f"/marac/meetings/{meeting.id}/minutes.pdf"),
    ):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf", name
        out[name] = _pdf_text(resp.data)
    return out


def _release(app, marac, ref, reason="Housing needs the address to find the tenancy"):
    coordinator = _client(app, marac.coordinator)
    page = coordinator.get(f"/marac/cases/{ref.case_id}")
    assert "Victim&#39;s address for research" in page.text or "Victim's address for research" in page.text
    return coordinator, coordinator.post(
        f"/marac/cases/{ref.case_id}/address-release",
        data={"csrf_token": csrf_token(page.text), "reason": reason},
    )


def test_default_policy_names_for_housing_address_only_after_release(app, factory, marac):
    ref, meeting, victim, perp, child = _listed(marac, factory)
    housing = _client(app, marac.housing_rep)
    before = _pages(housing, ref, meeting, victim)
    for name, text in before.items():
        assert ADDRESS not in text, name
        assert "07700 900321" not in text, name
    # Names, aliases and dates of birth of victim, perpetrator and children by default.
    assert "Marigold QUILLFEATHER" in before["agenda"] and ALIAS in before["agenda"] and DOB in before["agenda"]
    assert "Marigold QUILLFEATHER" in before["agenda.pdf"] and DOB in before["agenda.pdf"]
    assert "Wren QUILLFEATHER" in before["agenda"]
    assert "WrenQUILLFEATHER(06/05/2018)" in before["agenda.pdf"].replace(" ", "")  # a narrow column may wrap
    assert "Thaddeus BRACKENRIDGE" in before["case"] and "Wren QUILLFEATHER" in before["case"]
    assert "Marigold QUILLFEATHER" in before["person"] and ALIAS in before["person"]
    assert "Marigold QUILLFEATHER" in before["people"]
    assert "Withheld from your agency" in before["person"]
    # The police see the address without a release.
    police = _pages(_client(app, marac.police_rep), ref, meeting, victim)
    for name in ("agenda", "case", "person", "agenda.pdf", "minutes.pdf"):
        assert ADDRESS in police[name], name

    coordinator, resp = _release(app, marac, ref)
    assert resp.status_code == 302
    after = _pages(housing, ref, meeting, victim)
    for name in ("agenda", "case", "person", "agenda.pdf", "minutes.pdf"):
        assert ADDRESS in after[name], name
    assert "07700 900321" not in after["case"] + after["person"]  # a release is of the address alone
    # The chair's running order follows the same release (the coordinator's agency sees no
    # addresses of its own).
    order = coordinator.get(f"/marac/meetings/{meeting.id}/running-order/1")
    assert order.status_code == 200 and ADDRESS in order.text
    # The perpetrator's address is not released.
    perp_page = housing.get(f"/people/{perp.id}")
    assert perp_page.status_code == 200 and "Withheld from your agency" in perp_page.text

    released = audit_events("marac.case.release_address")
    assert len(released) == 1
    assert released[0].object_id == str(ref.case_id) and released[0].actor_user_id == marac.coordinator.id
    assert released[0].data["person_ids"] == [victim.id]
    assert "tenancy" not in str(released[0].data)  # the reason is kept encrypted on the release, not in the log

    page = coordinator.get(f"/marac/cases/{ref.case_id}")
    assert "Withdraw the release" in page.text and "find the tenancy" in page.text
    release = db.session.scalar(sa.select(AddressRelease))
    resp = coordinator.post(
        f"/marac/cases/{ref.case_id}/address-release/withdraw",
        data={"csrf_token": csrf_token(page.text), "release_id": str(release.id)},
    )
    assert resp.status_code == 302
    assert len(audit_events("marac.case.withdraw_address")) == 1
    for name, text in _pages(housing, ref, meeting, victim).items():
        assert ADDRESS not in text, name


def test_release_is_refused_to_others_and_needs_a_reason(app, factory, marac):
    ref, meeting, victim, *_ = _listed(marac, factory)
    housing = _client(app, marac.housing_rep)
    page = housing.get(f"/marac/cases/{ref.case_id}")
    assert page.status_code == 200 and "address-release" not in page.text
    resp = housing.post(
        f"/marac/cases/{ref.case_id}/address-release", data={"csrf_token": csrf_token(page.text), "reason": "x"}
    )
    assert resp.status_code == 403 and ADDRESS not in resp.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AddressRelease)) == 0

    coordinator, resp = _release(app, marac, ref, reason="   ")
    assert resp.status_code == 400
    assert "Enter why the address is needed for research" in resp.text and 'class="error-summary' in resp.text
    # Without the CSRF token nothing is released.
    resp = coordinator.post(f"/marac/cases/{ref.case_id}/address-release", data={"reason": "Needed"})
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AddressRelease)) == 0
    assert audit_events("marac.case.release_address") == []


def _set_rule(client, kind: str, ticked: set[str], version: str | None = None):
    page = client.get("/marac/settings/disclosure")
    assert page.status_code == 200
    rule = db.session.scalar(sa.select(DisclosureRule).where(DisclosureRule.agency_kind == kind))
    data = {
        "csrf_token": csrf_token(page.text),
        f"{kind}-version_id": version if version is not None else (str(rule.version_id) if rule else ""),
    }
    data.update({f"{kind}-{col}": "y" for col in ticked})
    return client.post(f"/marac/settings/disclosure/{kind}", data=data)


def test_initials_only_agency_kind_sees_no_names_anywhere(app, factory, marac):
    ref, meeting, victim, perp, child = _listed(marac, factory)
    admin = _client(app, factory.user("admin"))
    resp = _set_rule(admin, "housing", set())  # nothing ticked: initials only
    assert resp.status_code == 302
    assert audit_events("marac.settings.update_disclosure")[-1].object_id == "housing"

    housing = _client(app, marac.housing_rep)
    pages = _pages(housing, ref, meeting, victim)
    for name, text in pages.items():
        for identifying in (*NAMES, ALIAS, DOB, ADDRESS):
            assert identifying not in text, (name, identifying)
    assert "MQ" in pages["agenda"] and "TB" in pages["agenda"] and "WQ" in pages["agenda"]
    assert "MQ" in pages["agenda.pdf"] and "WQ" in pages["agenda.pdf"]
    assert "MQ" in pages["case"] and "WQ" in pages["case"] and "MQ" in pages["person"]
    assert f'/people/{victim.id}">MQ</a>' in pages["people"]  # listed, by initials
    # The DASH assessment behind the case is headed the same way.
    dash_page = housing.get(f"/marac/dash/{ref.dash_id}")
    assert dash_page.status_code in (200, 404)
    assert "Quillfeather" not in dash_page.text and "QUILLFEATHER" not in dash_page.text
    # Nor can a search by name or date of birth confirm who someone is.
    page = housing.get("/people/")
    for search in ({"name": "Quillfeather"}, {"dob-day": "14", "dob-month": "7", "dob-year": "1988"}):
        resp = housing.post("/people/", data={"csrf_token": csrf_token(page.text), **search})
        assert resp.status_code == 200 and "No one you can see matches those details" in resp.text

    # Police keep their own rule: full names.
    police = _pages(_client(app, marac.police_rep), ref, meeting, victim)
    assert "Marigold QUILLFEATHER" in police["agenda"] and "Marigold QUILLFEATHER" in police["agenda.pdf"]
    # The coordinator runs the list: always names.
    assert "Marigold QUILLFEATHER" in _client(app, marac.coordinator).get(f"/marac/meetings/{meeting.id}/agenda").text


def test_settings_are_admin_only_with_csrf_and_conflicts(app, factory, marac):
    for user in (marac.coordinator, marac.housing_rep, factory.user("dpo")):
        client = _client(app, user)
        assert client.get("/marac/settings/disclosure").status_code == 403
        resp = client.post("/marac/settings/disclosure/housing", data={"housing-victim_name": "y"})
        assert resp.status_code in (400, 403)
    admin = _client(app, factory.user("admin"))
    page = admin.get("/marac/settings/disclosure")
    assert page.status_code == 200 and "What each kind of agency sees for research" in page.text
    # Without the CSRF token: refused, nothing saved.
    resp = admin.post("/marac/settings/disclosure/housing", data={"housing-version_id": ""})
    assert resp.status_code == 400
    assert audit_events("marac.settings.update_disclosure") == []
    # Two administrators open the page; the second save is a conflict and changes nothing.
    first = _set_rule(admin, "housing", {"victim_name"})
    assert first.status_code == 302
    stored = db.session.scalar(sa.select(DisclosureRule).where(DisclosureRule.agency_kind == "housing"))
    assert stored.victim_name and not stored.perpetrator_name and not stored.victim_address
    stale = _set_rule(admin, "housing", {"victim_address"}, version=str(stored.version_id - 1))
    assert stale.status_code == 409 and "Someone else changed" in stale.text
    db.session.expire_all()
    stored = db.session.scalar(sa.select(DisclosureRule).where(DisclosureRule.agency_kind == "housing"))
    assert not stored.victim_address
    assert admin.post("/marac/settings/disclosure/nonsense", data={}).status_code in (400, 404)
