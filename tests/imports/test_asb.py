"""ASB incidents: imported through the ASB services, so repeat victims are found as by hand."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from casework.asb.models import AsbCase, Incident, Victim
from casework.core import imports as im
from casework.extensions import db
from tests.helpers import audit_events

from .conftest import csv_file

HEADER = [
    "external_ref",
    "occurred_on",
    "occurred_time",
    "reported_on",
    "category",
    "type",
    "description",
    "victim_given_names",
    "victim_surname",
    "victim_dob",
    "perpetrator_surname",
    "reported_to",
    "report_reference",
]


def day(ago: int) -> str:
    return (date.today() - timedelta(days=ago)).isoformat()


def row(ref: str, ago: int, surname: str = "Noisevictim", **extra) -> list:
    values = {
        "external_ref": ref,
        "occurred_on": day(ago),
        "occurred_time": "23:30",
        "reported_on": day(ago),
        "category": "nuisance",
        "type": "noise",
        "description": "Loud music until 3am",
        "victim_given_names": "Vic",
        "victim_surname": surname,
        "victim_dob": "1970-03-03",
        "perpetrator_surname": "",
        "reported_to": "council",
        "report_reference": f"C-{ref}",
        **extra,
    }
    return [values[h] for h in HEADER]


def test_incidents_round_trip_and_repeat_victims(app, factory):
    council = factory.agency("council_asb", code="ASBT", name="Test Council ASB")
    officer = factory.user("asb_officer", agency=council)
    data = csv_file(HEADER, [row("I1", 300), row("I2", 200), row("I3", 100), row("I4", 50, surname="Onceonly")])
    check = im.run_import(officer, "asb-incidents", data, "incidents.csv", dry_run=True)
    db.session.commit()
    assert check.ok and check.created == 4, check.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0

    done = im.run_import(officer, "asb-incidents", data, "incidents.csv", dry_run=False)
    db.session.commit()
    assert done.ok and done.created == 4, done.errors
    # One ASB case per victim: the three incidents joined the first one's case.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AsbCase)) == 2
    victims = {v.incident_count: v for v in db.session.scalars(sa.select(Victim))}
    assert set(victims) == {3, 1}
    assert victims[3].repeat_since is not None and victims[1].repeat_since is None
    assert len(audit_events("import.run")) == 1

    again = im.run_import(officer, "asb-incidents", data, "incidents.csv", dry_run=False)
    db.session.commit()
    assert again.ok and again.created == 0 and again.skipped == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 4


def test_asb_rules_apply_to_imported_rows(app, factory):
    council = factory.agency("council_asb", code="ASBT", name="Test Council ASB")
    officer = factory.user("asb_officer", agency=council)
    future = (date.today() + timedelta(days=2)).isoformat()
    bad = csv_file(
        HEADER,
        [
            row("I1", 10, type="fly_tipping_nonexistent"),
            row("I2", 10, occurred_time="25:99"),
            row("I3", 10, occurred_on=future, reported_on=future),
        ],
    )
    result = im.run_import(officer, "asb-incidents", bad, "incidents.csv", dry_run=False)
    db.session.commit()
    found = {(e.row, e.column) for e in result.errors}
    assert {(2, "type"), (3, "occurred_time"), (4, "occurred_on")} <= found
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0
