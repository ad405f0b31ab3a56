"""Import fixtures: a MARAC coordinator and an IOM manager, and files built from the templates."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from openpyxl import Workbook, load_workbook

from casework.core.models import Agency, User


@dataclass
class World:
    police: Agency
    idva_service: Agency
    probation: Agency
    coordinator: User
    manager: User
    officer: User
    rep: User


@pytest.fixture
def world(factory) -> World:
    police = factory.agency("police", code="POL", name="Test Police")
    idva_service = factory.agency("idva_service", code="IDVA", name="Test IDVA Service")
    probation = factory.agency("probation", code="PROB", name="Test Probation")
    return World(
        police=police,
        idva_service=idva_service,
        probation=probation,
        coordinator=factory.user("marac_coordinator", agency=idva_service),
        manager=factory.user("iom_manager", agency=probation, email="manager@example.org"),
        officer=factory.user("iom_officer", agency=police, email="officer@example.org"),
        rep=factory.user("marac_rep", agency=police),
    )


def fill_xlsx(template: bytes, rows: list[dict]) -> bytes:
    """The downloaded template with ``rows`` (column name -> value) appended under its header."""
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(name) for name in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fill_csv(template: bytes, rows: list[dict]) -> bytes:
    text = template.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in header])
    return out.getvalue().encode("utf-8")


def csv_file(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_file(header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
