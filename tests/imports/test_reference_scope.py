"""An external reference is the importing agency's own: another agency's rows with the same
reference are imported, never skipped, and nothing tells one agency what another imported."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa

from casework.asb.models import Incident
from casework.core import imports as im
from casework.extensions import db
from tests.helpers import csrf_token, signed_in

from .conftest import csv_file
from .test_asb import HEADER, row


def _incidents() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Incident))


def test_the_same_reference_from_another_agency_is_imported_not_skipped(app, factory):
    first = factory.user("asb_officer", agency=factory.agency("council_asb", code="ASBA", name="Council A"))
    second = factory.user("asb_officer", agency=factory.agency("council_asb", code="ASBB", name="Council B"))
    # Both councils number their spreadsheet rows from 1.
    mine = csv_file(HEADER, [row("1", 30, surname="Firstcouncil"), row("2", 20, surname="Firstcouncil")])
    result = im.run_import(first, "asb-incidents", mine, "a.csv", dry_run=False)
    db.session.commit()
    assert result.ok and result.created == 2, result.errors

    theirs = csv_file(HEADER, [row("1", 10, surname="Secondcouncil"), row("2", 5, surname="Secondcouncil")])
    # The check and the upload page say nothing about the other council's rows.
    client = signed_in(app, second)
    page = client.get("/imports/asb-incidents")
    resp = client.post(
        "/imports/asb-incidents",
        data={"csrf_token": csrf_token(page.text), "mode": "check", "file": (io.BytesIO(theirs), "b.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.text
    assert "2 would be imported and 0 were imported" in " ".join(resp.text.split())
    result = im.run_import(second, "asb-incidents", theirs, "b.csv", dry_run=False)
    db.session.commit()
    assert result.ok, result.errors
    assert (result.created, result.skipped) == (2, 0)
    assert _incidents() == 4

    # Each agency's own re-import is still skipped.
    again = im.run_import(second, "asb-incidents", theirs, "b.csv", dry_run=False)
    db.session.commit()
    assert (again.created, again.skipped) == (0, 2)
    assert _incidents() == 4


def test_a_file_imported_before_an_index_key_change_is_still_recognised_after_rotation(app, factory):
    from casework.core import crypto

    officer = factory.user("asb_officer", agency=factory.agency("council_asb", code="ASBR", name="Council R"))
    officer_id = officer.id
    sheet = csv_file(HEADER, [row("R-1", 30, surname="Rotated"), row("R-2", 20, surname="Rotated")])
    assert im.run_import(officer, "asb-incidents", sheet, "r.csv", dry_run=False).created == 2
    db.session.commit()
    before = {bytes(i) for i in db.session.scalars(sa.select(im.ImportRecord.ref_index))}

    ring = crypto.add_key(crypto.keyring(), make_index=True)
    app.config["KEYRING_JSON"] = json.dumps(ring.to_dict())
    app.extensions.pop("casework.keyring", None)
    db.session.expunge_all()
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output

    after = {bytes(i) for i in db.session.scalars(sa.select(im.ImportRecord.ref_index))}
    assert after and not after & before  # every reference re-indexed under the new key
    from casework.core.models import User

    again = im.run_import(db.session.get(User, officer_id), "asb-incidents", sheet, "r.csv", dry_run=False)
    db.session.commit()
    assert (again.created, again.skipped) == (0, 2)
    assert _incidents() == 2
