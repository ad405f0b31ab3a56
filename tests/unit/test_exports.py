"""CSV and XLSX downloads: formula injection neutralised, numbers kept numeric, names intact."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from flask import Flask

from casework.core.exports import safe_filename, tabular_response

HEADERS = ["Name", "Count", "Note"]
ROWS = [
    ['=HYPERLINK("http://evil.example","x")', 1, "+44 7700 900000"],
    ["-2+3", -5, "@SUM(A1:A2)"],
    ["\tTabbed", 2.5, "\rReturn"],
    ["Siân Ó Murchú — Zoë", Decimal("3.25"), None],
    ["Plain", 0, date(2025, 3, 31)],
]


@pytest.fixture
def ctx():
    app = Flask(__name__)
    with app.test_request_context():
        yield


def _csv(resp):
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))


def test_csv_neutralises_formulas_and_keeps_numbers(ctx):
    resp = tabular_response(HEADERS, ROWS, "people-count", "csv")
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="people-count.csv"'
    assert resp.get_data().startswith(b"\xef\xbb\xbf")  # byte order mark: spreadsheets read UTF-8
    rows = _csv(resp)
    assert rows[0] == HEADERS
    assert rows[1] == ['\'=HYPERLINK("http://evil.example","x")', "1", "'+44 7700 900000"]
    assert rows[2] == ["'-2+3", "-5", "'@SUM(A1:A2)"]
    assert rows[3] == ["'\tTabbed", "2.5", "'\rReturn"]
    assert rows[4] == ["Siân Ó Murchú — Zoë", "3.25", ""]
    assert rows[5] == ["Plain", "0", "2025-03-31"]


def test_xlsx_writes_formulas_as_text_and_numbers_as_numbers(ctx):
    resp = tabular_response(HEADERS, ROWS, "people-count", "xlsx", sheet_title="Counts: Q1/Q2")
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="people-count.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(resp.get_data()))
    sheet = book.active
    assert sheet.title == "Counts  Q1 Q2"
    assert [c.value for c in sheet[1]] == HEADERS and sheet["A1"].font.bold
    formula = sheet["A2"]
    assert formula.value == '=HYPERLINK("http://evil.example","x")'
    assert formula.data_type == "s" and formula.quotePrefix
    assert sheet["C2"].data_type == "s" and sheet["C2"].value == "+44 7700 900000"
    assert sheet["A3"].data_type == "s" and sheet["C3"].value == "@SUM(A1:A2)"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert [sheet[f"B{r}"].value for r in range(2, 7)] == [1, -5, 2.5, 3.25, 0]
    assert all(sheet[f"B{r}"].data_type == "n" for r in range(2, 7))
    assert sheet["A5"].value == "Siân Ó Murchú — Zoë" and not sheet["A5"].quotePrefix
    assert sheet["C6"].value.date() == date(2025, 3, 31)


def test_xlsx_drops_characters_a_spreadsheet_cannot_hold(ctx):
    resp = tabular_response(["Text"], [["bell\x07 and null\x00"]], "odd", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    assert sheet["A2"].value == "bell and null"


def test_unicode_file_names_are_safe(ctx):
    resp = tabular_response(["A"], [[1]], 'Zoë\'s "report"/../2025', "csv")
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"Zoe-s-report-..-2025.csv\"; filename*=UTF-8''")
    assert "/" not in disposition.split("filename*=")[1] and '"' not in disposition.split("filename*=")[1]
    assert "Zo%C3%AB" in disposition
    assert safe_filename("  ", "csv") == "export.csv"
    assert safe_filename("marac-return-2025-Q1", "xlsx") == "marac-return-2025-Q1.xlsx"


def test_unknown_format_is_refused(ctx):
    with pytest.raises(ValueError):
        tabular_response(["A"], [], "x", "pdf")


def test_rows_may_be_a_generator(ctx):
    resp = tabular_response(["N"], ((n,) for n in range(3)), "numbers", "csv")
    assert _csv(resp) == [["N"], ["0"], ["1"], ["2"]]
