"""People are matched through the blind index, never revealed; references are stored encrypted."""

from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa

from casework.core import imports as im
from casework.core.models import Person
from casework.extensions import db
from casework.marac.models import Referral
from tests.helpers import csrf_token, login
from tests.integration.test_raw_storage import _raw_storage

from .conftest import csv_file

HEADER = [
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
RECENT = (date.today() - timedelta(days=10)).isoformat()


def row(ref: str, given: str, surname: str, dob: str) -> list:
    return [ref, RECENT, "POL", given, surname, dob, 3, "yes", "yes"]


def test_a_person_already_recorded_is_reused(app, factory, world):
    known = factory.person(world.coordinator, given_names="Kate", surname="Knownperson", dob=date(1991, 4, 4))
    for n in range(10):
        factory.person(world.coordinator, given_names="Other", surname=f"Someone{n}", dob=date(1991, 4, 4))
    result = im.run_import(
        world.coordinator,
        "marac-referrals",
        csv_file(
            HEADER, [row("R1", "kate", "KNOWNPERSON", "04/04/1991"), row("R2", "Lena", "Knownperson", "1991-04-04")]
        ),
        "f.csv",
        dry_run=False,
    )
    db.session.commit()
    assert result.ok, result.errors
    victims = [r.victim_id for r in db.session.scalars(sa.select(Referral).order_by(Referral.id))]
    # Same surname and date of birth but other given names (a twin, say): a different person.
    assert victims[0] == known.id and victims[1] != known.id


def test_a_person_the_importer_may_not_see_is_never_reused(app, factory, world):
    hidden = factory.person(world.officer, given_names="Mia", surname="Hiddenrecord", dob=date(1985, 8, 8))
    result = im.run_import(
        world.coordinator,
        "marac-referrals",
        csv_file(HEADER, [row("R1", "Mia", "Hiddenrecord", "1985-08-08")]),
        "f.csv",
        dry_run=False,
    )
    db.session.commit()
    assert result.ok, result.errors
    referral = db.session.scalar(sa.select(Referral))
    assert referral.victim_id != hidden.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2


def test_external_references_are_stored_encrypted(app, world, sqlite_path):
    marker = "ZQXREFMARKER77"
    result = im.run_import(
        world.coordinator,
        "marac-referrals",
        csv_file(HEADER, [row(marker, "Nia", "Storedref", "1979-01-01")]),
        "f.csv",
        dry_run=False,
    )
    db.session.commit()
    assert result.ok
    raw = db.session.execute(sa.text("SELECT external_ref, ref_index FROM import_record")).one()
    assert marker.encode() not in bytes(raw[0]) and marker.encode() not in bytes(raw[1])
    assert db.session.scalar(sa.select(im.ImportRecord)).external_ref == marker
    assert marker.encode() not in _raw_storage(sqlite_path)


def test_upload_page_row_limit(app, client, world):
    app.config["IMPORT_UPLOAD_MAX_ROWS"] = 2
    login(client, world.coordinator)
    data = csv_file(HEADER, [row(f"R{n}", "Ola", f"Limit{n}", "1980-01-01") for n in range(3)])
    page = client.get("/imports/marac-referrals")
    resp = client.post(
        "/imports/marac-referrals",
        data={"csrf_token": csrf_token(page.text), "mode": "import", "file": (io.BytesIO(data), "f.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and "more than 2 rows" in resp.text and "flask import" in resp.text
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
