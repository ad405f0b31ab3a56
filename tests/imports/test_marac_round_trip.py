"""Round trip through the upload page: download a template, fill it, check, import, import again."""

from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa

from casework.core.imports import ImportBatch, ImportRecord
from casework.core.models import AgendaItem, Case, Meeting, Person
from casework.extensions import db
from casework.marac.models import Referral
from tests.helpers import audit_events, csrf_token, login

from .conftest import fill_csv, fill_xlsx

TODAY = date.today()


def rows() -> list[dict]:
    first = TODAY - timedelta(days=200)
    return [
        {
            "external_ref": "SHEET-1",
            "referral_date": first.isoformat(),
            "incident_date": (first - timedelta(days=2)).isoformat(),
            "referring_agency": "POL",
            "victim_given_names": "Alice",
            "victim_surname": "Importwood",
            "victim_dob": "14/02/1990",
            "victim_gender": "female",
            "victim_phone": "+44 7700 900123",
            "perpetrator_given_names": "Bob",
            "perpetrator_surname": "Importwood",
            "perpetrator_dob": "1988-01-01",
            "perpetrator_relationship": "Husband",
            "professional_judgement_reason": "Escalating threats",
            "victim_aware": "Yes",
            "consent": "Yes",
            "meeting_date": (first + timedelta(days=10)).isoformat(),
            "outcome": "actions_agreed",
        },
        {
            # The same victim and perpetrator within 12 months: a repeat, heard again.
            "external_ref": "SHEET-2",
            "referral_date": (first + timedelta(days=100)).isoformat(),
            "referring_agency": "Test IDVA Service",
            "victim_given_names": "Alice",
            "victim_surname": "IMPORTWOOD",
            "victim_dob": "1990-02-14",
            "perpetrator_given_names": "Bob",
            "perpetrator_surname": "Importwood",
            "perpetrator_dob": "1988-01-01",
            "incidents_12_months": 4,
            "repeat": "Yes",
            "victim_aware": "No",
            "consent": "No",
            "consent_override_reason": "Risk to life",
            "meeting_date": (first + timedelta(days=110)).isoformat(),
        },
        {
            "external_ref": "SHEET-3",
            "referral_date": (TODAY - timedelta(days=3)).isoformat(),
            "referring_agency": "pol",
            "victim_given_names": "Carol",
            "victim_surname": "Newcomer",
            "victim_dob": "1975-07-01",
            "incidents_12_months": 3,
            "victim_aware": "yes",
            "consent": "y",
        },
    ]


def upload(client, kind: str, data: bytes, filename: str, mode: str):
    page = client.get(f"/imports/{kind}")
    assert page.status_code == 200
    return client.post(
        f"/imports/{kind}",
        data={"csrf_token": csrf_token(page.text), "mode": mode, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Referral)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Person)),
        db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)),
    )


def test_xlsx_round_trip(app, client, world):
    login(client, world.coordinator)
    index = client.get("/imports/")
    assert index.status_code == 200 and "MARAC referrals and hearings" in index.text
    template = client.get("/imports/marac-referrals/template.xlsx")
    assert template.status_code == 200
    assert template.headers["Content-Disposition"].startswith("attachment")
    data = fill_xlsx(template.data, rows())

    check = upload(client, "marac-referrals", data, "history.xlsx", "check")
    assert check.status_code == 200, check.text
    assert "ready to import" in check.text and "3 would be imported" in check.text
    db.session.expire_all()
    assert counts() == (0, 0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportRecord)) == 0

    done = upload(client, "marac-referrals", data, "history.xlsx", "import")
    assert done.status_code == 200, done.text
    assert "Import complete" in done.text and "3 imported" in done.text
    db.session.expire_all()
    referrals = db.session.scalars(sa.select(Referral).order_by(Referral.referral_date)).all()
    assert len(referrals) == 3
    first, repeat, pending = referrals
    # People matched through the blind index: one Alice, one Bob, one Carol.
    assert counts()[1] == 3
    assert repeat.victim_id == first.victim_id
    assert repeat.is_repeat and repeat.repeat_of_case_id == first.case_id
    assert repeat.consent == "no" and repeat.consent_override_reason == "Risk to life"
    assert first.referring_agency_id == world.police.id
    assert repeat.referring_agency_id == world.idva_service.id
    assert first.case.status == "heard" and repeat.case.status == "heard"
    assert pending.case.status == "submitted"
    held = db.session.scalars(sa.select(Meeting).where(Meeting.kind == "marac")).all()
    assert len(held) == 2 and {m.status for m in held} == {"held"}
    assert db.session.get(Case, first.case_id).reference.startswith("MARAC-")
    victim = db.session.get(Person, first.victim_id)
    assert victim.phone == "+44 7700 900123" and victim.gender == "female"

    again = upload(client, "marac-referrals", data, "history.xlsx", "import")
    assert again.status_code == 200 and "0 imported, 3 imported before and skipped" in again.text
    db.session.expire_all()
    assert counts() == (3, 3, 2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 2

    # Each referral was audited as if entered by hand, and every run with its counts.
    assert len(audit_events("marac.referral.create")) == 3
    runs = audit_events("import.run")
    assert [e.data["details"]["created"] for e in runs] == [3, 0]
    assert [e.data["details"]["skipped"] for e in runs] == [0, 3]
    check_event = audit_events("import.check")[0]
    assert check_event.data["details"]["rows"] == 3 and check_event.data["details"]["kept"] is False


def test_csv_round_trip_with_the_command(app, client, world, tmp_path):
    login(client, world.coordinator)
    template = client.get("/imports/marac-referrals/template.csv")
    assert template.status_code == 200
    path = tmp_path / "history.csv"
    path.write_bytes(fill_csv(template.data, rows()))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "marac-referrals", str(path), "--dry-run", "--as", world.coordinator.email])
    assert dry.exit_code == 0, dry.output
    assert "would import 3" in dry.output
    db.session.expire_all()
    assert counts() == (0, 0, 0)
    real = runner.invoke(args=["import", "marac-referrals", str(path), "--as", world.coordinator.email])
    assert real.exit_code == 0, real.output
    assert "imported 3" in real.output
    again = runner.invoke(args=["import", "marac-referrals", str(path), "--as", world.coordinator.email])
    assert again.exit_code == 0 and "imported 0, skipped 3" in again.output
    db.session.expire_all()
    assert counts() == (3, 3, 2)
    # The command acts as the named user: the import and each referral are audited as theirs.
    assert {e.actor_user_id for e in audit_events("marac.referral.create")} == {world.coordinator.id}
    assert [e.actor_user_id for e in audit_events("import.run")] == [world.coordinator.id] * 2
