"""Malformed files give row-level problems, never an error page and never a partial import."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.core import imports as im
from casework.core.imports import ImportRecord
from casework.core.models import Person
from casework.extensions import db
from casework.marac.models import Referral
from tests.helpers import audit_events, csrf_token, login

from .conftest import csv_file, xlsx_file

KIND = "marac-referrals"
HEADER = [
    "external_ref",
    "referral_date",
    "referring_agency",
    "victim_given_names",
    "victim_surname",
    "victim_dob",
    "victim_phone",
    "incidents_12_months",
    "victim_aware",
    "consent",
]
RECENT = (date.today() - timedelta(days=30)).isoformat()


def good(ref: str, surname: str = "Goodrow") -> list:
    return [ref, RECENT, "POL", "Dana", surname, "1980-05-06", "07700 900123", 3, "Yes", "Yes"]


def run(world, data: bytes, filename: str = "file.csv", dry_run: bool = False) -> im.ImportResult:
    result = im.run_import(world.coordinator, KIND, data, filename, dry_run=dry_run)
    db.session.commit()
    return result


def nothing_imported() -> bool:
    db.session.expire_all()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
        and db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
        and db.session.scalar(sa.select(sa.func.count()).select_from(ImportRecord)) == 0
    )


def problems(result: im.ImportResult) -> set[tuple]:
    return {(e.row, e.column) for e in result.errors}


def test_wrong_columns(app, world):
    header = [h for h in HEADER if h != "victim_dob"] + ["victim_shoe_size"]
    result = run(world, csv_file(header, [good("R1")[:5] + good("R1")[6:] + ["9"]]))
    assert problems(result) == {(1, "victim_dob"), (1, "victim_shoe_size")}
    assert "Required column missing" in " ".join(e.problem for e in result.errors)
    assert nothing_imported()


def test_bad_dates_and_numbers(app, world):
    bad = good("R2")
    bad[1] = "31/02/2024"
    bad[5] = "05/06/80"
    bad[7] = "three"
    result = run(world, csv_file(HEADER, [good("R1"), bad]))
    assert problems(result) == {(3, "referral_date"), (3, "victim_dob"), (3, "incidents_12_months")}
    assert "YYYY-MM-DD or DD/MM/YYYY" in result.errors[0].problem
    assert nothing_imported()


def test_unknown_agency(app, world):
    bad = good("R2")
    bad[2] = "Atlantis Constabulary"
    result = run(world, csv_file(HEADER, [good("R1"), bad]))
    assert problems(result) == {(3, "referring_agency")}
    assert "No active agency" in result.errors[0].problem
    assert nothing_imported()


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "@SUM(A1)", "+cmd", "-2+3"])
def test_formula_text_is_refused(app, world, cell):
    bad = good("R1")
    bad[4] = cell
    result = run(world, csv_file(HEADER, [bad]))
    assert problems(result) == {(2, "victim_surname")}
    assert "formula" in result.errors[0].problem
    assert nothing_imported()


def test_neutralised_text_and_phone_numbers_are_accepted(app, world):
    row = good("R1", surname="'=Odd")
    row[6] = "+44 7700 900123"
    result = run(world, csv_file(HEADER, [row]))
    assert result.ok, result.errors
    person = db.session.scalar(sa.select(Person))
    assert person.surname == "=Odd" and person.phone == "+44 7700 900123"


def test_xlsx_formula_cell_is_refused(app, world):
    row = good("R1")
    row[4] = '=UPPER("goodrow")'
    result = run(world, xlsx_file(HEADER, [row]), "file.xlsx")
    assert problems(result) == {(2, "victim_surname")}
    assert nothing_imported()


def test_over_large_file(app, world):
    app.config["IMPORT_MAX_BYTES"] = 200
    result = run(world, csv_file(HEADER, [good(f"R{n}") for n in range(5)]))
    assert [(e.row, e.column) for e in result.errors] == [(None, None)]
    assert "larger than" in result.errors[0].problem
    assert nothing_imported()


def test_too_many_rows(app, world):
    app.config["IMPORT_MAX_ROWS"] = 2
    result = run(world, csv_file(HEADER, [good(f"R{n}", f"Row{n}") for n in range(3)]))
    assert "more than 2 rows" in result.errors[0].problem
    assert nothing_imported()


def test_wrong_encoding(app, world):
    data = csv_file(HEADER, [good("R1", surname="Muñoz")]).decode().encode("latin-1")
    result = run(world, data)
    assert result.errors[0].row is None and "not UTF-8" in result.errors[0].problem
    assert nothing_imported()


def test_macros_and_other_workbooks_are_refused(app, world):
    buffer = io.BytesIO(xlsx_file(HEADER, [good("R1")]))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00macro")
    assert "macros" in run(world, buffer.getvalue(), "file.xlsx").errors[0].problem
    assert "Upload a .csv or .xlsx" in run(world, xlsx_file(HEADER, [good("R1")]), "file.xlsm").errors[0].problem
    assert "not an XLSX workbook" in run(world, b"just text, not a zip", "file.xlsx").errors[0].problem
    assert "cannot be read" in run(world, _zip_without_workbook(), "file.xlsx").errors[0].problem
    assert nothing_imported()


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def test_empty_and_header_only_files(app, world):
    assert "empty" in run(world, b"").errors[0].problem
    assert "no records" in run(world, csv_file(HEADER, [])).errors[0].problem
    assert nothing_imported()


def test_one_refused_row_imports_nothing(app, world):
    """Rows 2 and 3 are fine; row 4 fails a MARAC rule (no criterion met): nothing is kept."""
    no_criteria = good("R3", "Third")
    no_criteria[7] = 1
    future = good("R4", "Fourth")
    future[1] = (date.today() + timedelta(days=5)).isoformat()
    result = run(world, csv_file(HEADER, [good("R1", "First"), good("R2", "Second"), no_criteria, future]))
    assert not result.ok
    assert (4, None) in problems(result) or (4, "dash_answers") in problems(result)
    assert (5, "referral_date") in problems(result)
    assert "MARAC criteria" in " ".join(e.problem for e in result.errors)
    assert nothing_imported()
    event = audit_events("import.run")[-1]
    assert event.data["details"]["errors"] == 2 and event.data["details"]["kept"] is False
    # The referrals made for rows 2 and 3 before the refusal left no audit event behind.
    assert audit_events("marac.referral.create") == []


def test_duplicate_reference_in_one_file(app, world):
    result = run(world, csv_file(HEADER, [good("R1", "First"), good("R1", "Second")]))
    assert problems(result) == {(3, "external_ref")}
    assert "row 2" in result.errors[0].problem
    assert nothing_imported()


def test_bad_files_through_the_page_are_400_not_500(app, client, world):
    login(client, world.coordinator)
    cases = [
        (b"\xff\xfe\x00garbage", "file.csv"),
        (b"PK\x03\x04broken", "file.xlsx"),
        (csv_file(["nonsense"], [["x"]]), "file.csv"),
        (b"", "file.csv"),
        (b"abc", "file.exe"),
    ]
    for data, name in cases:
        page = client.get(f"/imports/{KIND}")
        resp = client.post(
            f"/imports/{KIND}",
            data={"csrf_token": csrf_token(page.text), "mode": "import", "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 400, (name, resp.status_code)
        assert "Nothing has been imported" in resp.text or "Choose the spreadsheet" in resp.text
    # Over the request size limit: refused before the file is read.
    page = client.get(f"/imports/{KIND}")
    token = csrf_token(page.text)
    body = (
        (
            f'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        ).encode()
        + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
        + b"\r\n--B--\r\n"
    )
    resp = client.post(f"/imports/{KIND}", data=body, content_type="multipart/form-data; boundary=B")
    assert resp.status_code == 413
    assert nothing_imported()


def test_missing_file_is_a_form_error(app, client, world):
    login(client, world.coordinator)
    page = client.get(f"/imports/{KIND}")
    resp = client.post(f"/imports/{KIND}", data={"csrf_token": csrf_token(page.text), "mode": "check"})
    assert resp.status_code == 400 and "Choose the spreadsheet file to import" in resp.text


def test_workbook_that_unpacks_too_large_is_refused(app, world):
    app.config["IMPORT_MAX_BYTES"] = 20_000
    buffer = io.BytesIO(xlsx_file(HEADER, [good("R1")]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.xml", b"0" * 500_000)
    assert len(buffer.getvalue()) < 20_000
    result = run(world, buffer.getvalue(), "file.xlsx")
    assert "too large once unpacked" in result.errors[0].problem
    assert nothing_imported()


def test_empty_formatted_rows_are_not_counted(app, world):
    app.config["IMPORT_MAX_ROWS"] = 2
    result = run(world, xlsx_file(HEADER, [good("R1")] + [[None] * len(HEADER)] * 5 + [good("R2", "Later")]), "f.xlsx")
    assert result.ok and result.created == 2, result.errors


def test_odd_form_values_are_400(app, client, world):
    login(client, world.coordinator)
    for mode in ["", "delete", "x" * 5000, "<script>"]:
        page = client.get(f"/imports/{KIND}")
        resp = client.post(
            f"/imports/{KIND}",
            data={
                "csrf_token": csrf_token(page.text),
                "mode": mode,
                "file": (io.BytesIO(csv_file(HEADER, [good("R1")])), "f.csv"),
            },
            content_type="multipart/form-data",
        )
        assert resp.status_code == 400, mode
        assert "<script>" not in resp.text
    assert nothing_imported()
