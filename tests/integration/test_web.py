"""Request plumbing: security headers, error pages and the health check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.core.access import AccessDenied, authenticated
from casework.core.models import Person
from casework.extensions import db
from tests.helpers import csrf_token, post_form, signed_in

TRACEBACK_SIGNS = ("Traceback", 'File "', "werkzeug", "sqlalchemy", "Exception", "line ")


def _assert_headers(resp) -> None:
    h = resp.headers
    csp = h["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "no-store" in h["Cache-Control"]


def test_security_headers_on_pages(app, factory):
    anon = app.test_client()
    _assert_headers(anon.get("/login"))
    _assert_headers(anon.get("/"))  # the redirect too
    user = factory.user("idva")
    person = factory.person(user)
    client = signed_in(app, user)
    for url in ("/", "/people/", f"/people/{person.id}", "/account/password"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        _assert_headers(resp)
        assert len(resp.headers["X-Request-Id"]) == 36


def test_pages_use_no_inline_script_or_style(app, factory):
    client = signed_in(app, factory.user("idva"))
    for url in ("/", "/people/", "/people/new"):
        html = client.get(url).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html.lower()


def test_static_files_are_cacheable(app):
    with app.test_client().get("/static/css/casework.css") as resp:
        assert resp.status_code == 200
        assert "no-store" not in resp.headers.get("Cache-Control", "")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_no_hsts_in_testing_but_on_in_production_settings(app):
    from config import ProductionConfig

    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    assert ProductionConfig.SEND_HSTS is True
    app.config["SEND_HSTS"] = True
    assert "max-age=" in app.test_client().get("/login").headers["Strict-Transport-Security"]


def _assert_error_page(resp, code: int, title: str) -> None:
    assert resp.status_code == code
    assert title in resp.text
    for sign in TRACEBACK_SIGNS:
        assert sign not in resp.text, sign
    _assert_headers(resp)


def test_error_pages(app, factory):
    user = factory.user("idva")
    client = signed_in(app, user)
    _assert_error_page(client.post("/logout"), 400, "Something was wrong with that request")
    _assert_error_page(client.get("/admin/users"), 403, "You do not have permission to see this page")
    _assert_error_page(client.get("/no/such/page"), 404, "Page not found")
    _assert_error_page(client.get("/people/987654"), 404, "Page not found")
    _assert_error_page(client.get("/logout"), 405, "That action is not allowed here")
    _assert_error_page(app.test_client().get("/no/such/page"), 404, "Page not found")


def test_conflict_page(app, factory):
    """A concurrent write detected at flush time (StaleDataError) becomes the 409 page."""
    user = factory.user("idva")
    pid = factory.person(user, notes="v1").id

    @authenticated
    def race():
        person = db.session.get(Person, pid)
        # Another writer saves between our read and our write (a Core UPDATE bypasses the ORM's bookkeeping).
        table = Person.__table__
        db.session.execute(sa.update(table).where(table.c.id == pid).values(version_id=table.c.version_id + 1))
        person.notes = "v2"
        return "saved"

    app.add_url_rule("/race", "race", race)
    client = signed_in(app, user)
    resp = client.get("/race")
    _assert_error_page(resp, 409, "Someone else changed this record")
    db.session.expire_all()
    assert db.session.get(Person, pid).notes == "v1"


def test_object_denial_is_a_404_page_outside_testing(app, factory):
    """Regression: the AccessDenied handler used to raise inside an error handler, which
    Flask turns into a 500 whenever exceptions are not propagated (that is, in production)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @authenticated
    def forbidden():
        raise AccessDenied("case", 1, hide=False)

    app.add_url_rule("/forbidden-object", "forbidden_object", forbidden)
    owner = factory.user("idva")
    pid = factory.person(owner, surname="Private").id
    client = signed_in(app, factory.user("idva"))
    _assert_error_page(client.get(f"/people/{pid}"), 404, "Page not found")
    _assert_error_page(client.get("/people/424242"), 404, "Page not found")
    _assert_error_page(client.get("/forbidden-object"), 403, "You do not have permission")


def test_unhandled_error_is_a_plain_500_page(app, factory):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @authenticated
    def boom():
        raise RuntimeError("secret detail ZQXBOOM")

    app.add_url_rule("/boom", "boom", boom)
    resp = signed_in(app, factory.user("idva")).get("/boom")
    assert resp.status_code == 500
    assert "ZQXBOOM" not in resp.text
    assert "Traceback" not in resp.text


def test_healthz(app):
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.is_json
    assert resp.get_json() == {"status": "ok", "database": "ok"}
    _assert_headers(resp)


def test_healthz_reports_database_failure(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(db.session, "execute", broken)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "degraded", "database": "unavailable"}


def test_request_ids_differ(app):
    client = app.test_client()
    a = client.get("/login").headers["X-Request-Id"]
    b = client.get("/login").headers["X-Request-Id"]
    assert a != b and len(a) == 36


@pytest.mark.parametrize("size", [3 * 1024 * 1024])
def test_oversized_request_is_refused(app, size):
    client = app.test_client()
    page = client.get("/login")
    resp = client.post("/login", data={"csrf_token": csrf_token(page.text), "email": "x" * size, "password": "y"})
    assert resp.status_code == 413
    assert "Traceback" not in resp.text


BIG = "99999999999999999999"  # beyond any database integer
INT4_PLUS = "3000000000"  # beyond a 32-bit integer column


OUT_OF_RANGE = [
    ("idva", f"/people/{BIG}", 404),
    ("idva", f"/people/{INT4_PLUS}", 404),
    ("idva", f"/people/{BIG}/edit", 404),
    ("admin", f"/admin/users/{BIG}", 404),
    ("admin", f"/admin/agencies/{INT4_PLUS}", 404),
    ("dpo", f"/governance/people/{BIG}/access", 404),
    ("dpo", f"/governance/audit?actor_user_id={BIG}", 400),
    ("dpo", f"/governance/audit?person_id={INT4_PLUS}", 400),
    ("dpo", "/governance/audit?date_to=9999-12-31", 200),
    ("dpo", "/governance/audit?date_from=0001-01-01", 200),
    ("dpo", "/governance/audit?date_from=2024-02-30", 400),
    ("dpo", f"/governance/audit?page={BIG}", 200),
    ("dpo", "/governance/audit?page=-5", 200),
    ("idva", f"/people/?page={BIG}", 200),
    ("admin", f"/admin/users?page={BIG}", 200),
    ("dpo", "/governance/sharing?agency_id=1&date_to=9999-12-31", 200),
]


def test_out_of_range_input_is_never_a_500(app, factory):
    """Regression: huge ids and page numbers overflowed in SQL, and a date_to of 31 December 9999
    overflowed in Python; each was a 500."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    factory.agency("police")
    clients = {role: signed_in(app, factory.user(role)) for role in {r for r, _, _ in OUT_OF_RANGE}}
    results = {url: clients[role].get(url) for role, url, _ in OUT_OF_RANGE}
    assert {url: r.status_code for url, r in results.items()} == {url: code for _, url, code in OUT_OF_RANGE}
    assert not any("Traceback" in r.text for r in results.values())


def test_nul_characters_are_a_bad_request(app, factory):
    """Regression: PostgreSQL text cannot hold NUL, so a NUL in the sign-in email (or any plain
    text field) was a database error and a 500, for anyone, signed in or not."""
    from casework.core.models import Agency

    app.config["PROPAGATE_EXCEPTIONS"] = False
    anon = app.test_client()
    resp = post_form(anon, "/login", {"email": "a\x00b@example.org", "password": "whatever it is"})
    assert resp.status_code == 400 and "Traceback" not in resp.text
    assert anon.get("/login?next=/\x00").status_code == 400

    admin = signed_in(app, factory.user("admin"))
    resp = post_form(admin, "/admin/agencies/new", {"code": "NUL1", "name": "bad\x00name", "kind": "police"})
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(Agency).where(Agency.code == "NUL1")) is None
    dpo = signed_in(app, factory.user("dpo"))
    assert dpo.get("/governance/audit?action=a%00b").status_code == 400
    # The same requests without the NUL work.
    resp = post_form(admin, "/admin/agencies/new", {"code": "NUL1", "name": "good name", "kind": "police"})
    assert resp.status_code == 302
    assert dpo.get("/governance/audit?action=ab").status_code == 200
