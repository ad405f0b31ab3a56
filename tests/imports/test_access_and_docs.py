"""Who may import what; CSRF; the documented layouts match the registered kinds."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from casework.core import imports as im
from casework.core import modules
from casework.core.models import Person
from casework.extensions import db
from casework.marac.models import Referral
from tests.helpers import audit_events, csrf_token, login

from .conftest import csv_file

ROW_HEADER = [
    "external_ref",
    "referral_date",
    "referring_agency",
    "victim_given_names",
    "victim_surname",
    "victim_dob",
    "incidents_12_months",
    "victim_aware",
    "consent",
]
MARKER = "Zqxsecretsurname"


def marac_file() -> bytes:
    return csv_file(ROW_HEADER, [["R1", "2025-01-06", "POL", "Jo", MARKER, "1990-01-01", 3, "yes", "yes"]])


def nothing_imported() -> bool:
    db.session.expire_all()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
        and db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
    )


def test_roles_without_an_import_capability_are_refused(app, factory, world):
    for user in (world.rep, factory.user("analyst"), factory.user("dpo"), factory.user("admin")):
        client = app.test_client()
        login(client, user)
        assert client.get("/imports/").status_code == 403
        assert client.get("/imports/marac-referrals").status_code == 403
        assert client.get("/imports/marac-referrals/template.csv").status_code == 403
        token = csrf_token(client.get("/account/password").text)
        resp = client.post(
            "/imports/marac-referrals",
            data={"csrf_token": token, "mode": "import", "file": (io.BytesIO(marac_file()), "f.csv")},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 403 and MARKER not in resp.text
    assert nothing_imported()
    assert audit_events("access.denied")


def test_each_module_imports_only_its_own_kinds(app, client, world):
    login(client, world.manager)
    index = client.get("/imports/")
    assert index.status_code == 200
    assert "IOM cohort spells" in index.text and "MARAC referrals" not in index.text
    assert client.get("/imports/marac-referrals").status_code == 403
    token = csrf_token(index.text)
    resp = client.post(
        "/imports/marac-referrals",
        data={"csrf_token": token, "mode": "import", "file": (io.BytesIO(marac_file()), "f.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 403 and MARKER not in resp.text
    assert client.get("/imports/no-such-kind").status_code == 404
    assert client.get("/imports/iom-spells/template.pdf").status_code == 404
    assert nothing_imported()
    # The service checks the capability too, whoever calls it.
    try:
        im.run_import(world.manager, "marac-referrals", marac_file(), "f.csv", dry_run=False)
    except im.AccessDenied:
        pass
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("an IOM manager imported MARAC referrals")
    db.session.rollback()
    assert nothing_imported()


def test_upload_without_csrf_token_is_refused(app, client, world):
    login(client, world.coordinator)
    resp = client.post(
        "/imports/marac-referrals",
        data={"mode": "import", "file": (io.BytesIO(marac_file()), "f.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert nothing_imported()


def test_command_refuses_a_user_without_the_capability(app, world, tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(marac_file())
    out = app.test_cli_runner().invoke(args=["import", "marac-referrals", str(path), "--as", world.manager.email])
    assert out.exit_code != 0 and "may not import" in out.output
    out = app.test_cli_runner().invoke(args=["import", "nonsense", str(path), "--as", world.coordinator.email])
    assert out.exit_code != 0 and "unknown import kind" in out.output
    assert nothing_imported()


def test_a_failed_import_is_audited_with_its_counts(app, world):
    bad = csv_file(ROW_HEADER, [["R1", "not a date", "POL", "Jo", MARKER, "1990-01-01", 3, "yes", "yes"]])
    result = im.run_import(world.coordinator, "marac-referrals", bad, "f.csv", dry_run=False)
    db.session.commit()
    assert not result.ok
    event = audit_events("import.run")[-1]
    assert event.actor_user_id == world.coordinator.id and event.purpose == "import"
    details = event.data["details"]
    assert (details["rows"], details["created"], details["errors"], details["kept"]) == (1, 0, 1, False)
    assert MARKER not in event.payload  # ids and counts only, never a value from the file


def test_documented_layouts_match_the_registered_kinds(app):
    docs = Path(__file__).resolve().parents[2] / "docs" / "imports.md"
    assert docs.read_text(encoding="utf-8").strip() == im.layout_markdown(modules.import_kinds()).strip(), (
        "docs/imports.md is out of date: run `flask import layouts > docs/imports.md`"
    )


def test_templates_carry_every_documented_column(app, world):
    from openpyxl import load_workbook

    for kind in modules.import_kinds():
        book = load_workbook(io.BytesIO(im.template_bytes(kind, "xlsx")), read_only=True)
        header = [c.value for c in next(book.worksheets[0].iter_rows())]
        assert header == kind.headers
        assert im.template_bytes(kind, "csv").decode("utf-8-sig").strip() == ",".join(kind.headers)
