"""The MARAC case list finds cases by reference or by the name of anyone in them, only
among the cases the user may see, and never writes the words searched into the audit log."""

from __future__ import annotations

from casework.extensions import db
from casework.marac import referrals
from tests.helpers import audit_events, post_form, signed_in

from .conftest import make_referral


def _case(marac, factory, given: str, surname: str, *, perpetrator: tuple[str, str] | None = None):
    victim = factory.person(marac.idva, given_names=given, surname=surname)
    perps = [factory.person(marac.idva, given_names=perpetrator[0], surname=perpetrator[1])] if perpetrator else []
    ref = make_referral(marac.idva, victim, perpetrators=perps, incidents_12_months=4)
    referrals.decide(marac.coordinator, ref, accept=True, reason=None, version=ref.version_id)
    db.session.commit()
    return ref.case


def _link(case) -> str:
    return f'href="/marac/cases/{case.id}"'


def test_find_by_reference_or_name(app, marac, factory):
    wanted = _case(marac, factory, "Harriet", "Quayle", perpetrator=("Desmond", "Vickers"))
    other = _case(marac, factory, "Imogen", "Ashworth")
    client = signed_in(app, marac.coordinator)

    def listed(find: str) -> set[int]:
        resp = post_form(client, "/marac/cases", {"find": find})
        assert resp.status_code == 200
        return {c.id for c in (wanted, other) if _link(c) in resp.text}

    assert listed(wanted.reference) == {wanted.id}
    assert listed(wanted.reference.lower()) == {wanted.id}
    assert listed(str(int(wanted.reference.rsplit("-", 1)[1]))) == {wanted.id}
    assert listed("Har Quay") == {wanted.id}
    assert listed("vickers") == {wanted.id}  # the perpetrator's name finds the case too
    assert listed("Ashw") == {other.id}
    assert listed("Nobody") == set()
    assert "No case you can see matches" in post_form(client, "/marac/cases", {"find": "Nobody"}).text


def test_search_stays_within_what_the_user_may_see_and_is_audited_without_the_words(app, marac, factory):
    case = _case(marac, factory, "Rosalind", "Penhaligon")
    health = signed_in(app, marac.health_rep)  # no link to the case and not on a meeting
    resp = post_form(health, "/marac/cases", {"find": "Penhaligon"})
    assert resp.status_code == 200 and _link(case) not in resp.text and "PENHALIGON" not in resp.text
    resp = post_form(health, "/marac/cases", {"find": case.reference})
    assert _link(case) not in resp.text and "No case you can see matches" in resp.text
    coordinator = signed_in(app, marac.coordinator)
    assert _link(case) in post_form(coordinator, "/marac/cases", {"find": "Penhal"}).text
    event = audit_events("marac.case.list")[-1]
    assert event.data["details"] == {"searched": True}
    assert "Penhal" not in str(event.data) and "penhal" not in str(event.data).lower()


def test_a_name_search_is_never_taken_from_the_url_and_needs_a_csrf_token(app, marac, factory):
    """Names in a URL reach browser history and server logs: the search is posted."""
    case = _case(marac, factory, "Octavia", "Brindlecombe")
    client = signed_in(app, marac.coordinator)
    other = _case(marac, factory, "Other", "Person")
    resp = client.get("/marac/cases", query_string={"find": "Brindle"})
    assert resp.status_code == 200 and _link(other) in resp.text  # the filter was ignored
    assert 'method="post"' in resp.text and 'name="find"' in resp.text
    resp = client.post("/marac/cases", data={"find": "Brindle"})  # no CSRF token
    assert resp.status_code == 400 and _link(case) not in resp.text
