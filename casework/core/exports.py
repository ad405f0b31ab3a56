"""CSV and XLSX downloads for every report: one response builder, safe by default.

Spreadsheet formula injection (OWASP "CSV injection"): a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run as a
formula when the file is opened in a spreadsheet. Such text gets a leading
apostrophe in CSV, and is written as plain text (with Excel's quote prefix) in
XLSX. Numbers stay numbers in both.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from flask import Response

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold (openpyxl refuses them); dropped from XLSX text.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Cell = str | int | float | Decimal | date | datetime | bool | None


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def risky_text(value: str) -> bool:
    """True for text a spreadsheet could take for a formula."""
    return value.startswith(FORMULA_PREFIXES)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_cell(value: Cell) -> str | int | float | Decimal:
    """A value as written to CSV: numbers unchanged, risky text with a leading apostrophe."""
    if is_number(value):
        return value  # type: ignore[return-value]
    text = _text(value)
    return "'" + text if risky_text(text) else text


def safe_filename(stem: str, fmt: str) -> str:
    """An ASCII file name: letters, digits, dot, hyphen and underscore only."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem).strip(".-_")[:100] or "export"
    return f"{ascii_stem}.{fmt}"


def _disposition(stem: str, fmt: str) -> str:
    """``attachment`` with an ASCII name and, for other characters, the RFC 6266 UTF-8 form."""
    fallback = safe_filename(stem, fmt)
    full = f"{unicodedata.normalize('NFC', stem).strip()}.{fmt}"
    header = f'attachment; filename="{fallback}"'
    if full != fallback:
        clean = "".join("-" if ch in '/\\"' else ch for ch in full if unicodedata.category(ch)[0] != "C")
        header += f"; filename*=UTF-8''{quote(clean, safe='')}"
    return header


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV with a byte order mark, so spreadsheet programs read accents and £ correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Cell]], sheet_title: str = "Report") -> bytes:
    """One worksheet: a bold, frozen header row, then the rows; text never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: Cell, header: bool = False) -> WriteOnlyCell:
        if is_number(value):
            out = WriteOnlyCell(sheet, value=value)
        elif isinstance(value, datetime):
            # A spreadsheet has no time zones: write the moment as text rather than guess one.
            out = WriteOnlyCell(sheet, value=value.isoformat())
            out.data_type = "s"
        elif isinstance(value, date):
            out = WriteOnlyCell(sheet, value=value)
            out.number_format = "yyyy-mm-dd"
        else:
            text = _XML_ILLEGAL.sub("", _text(value))
            out = WriteOnlyCell(sheet, value=text)
            # openpyxl takes any text starting with "=" for a formula: force plain text.
            out.data_type = "s"
            if risky_text(text):
                out.quotePrefix = True
        if header:
            out.font = bold
        return out

    sheet.append([cell(h, header=True) for h in headers])
    for row in rows:
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Report"


def tabular_response(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    filename_stem: str,
    fmt: str,
    *,
    sheet_title: str = "Report",
) -> Response:
    """A download of a table as CSV or XLSX (``fmt``), built in memory.

    ``headers`` are the column names; each row holds one value per column.
    Numbers are kept as numbers; text is neutralised against formula injection.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == "csv":
        body = csv_bytes(headers, rows)
    else:
        body = xlsx_bytes(headers, rows, sheet_title=sheet_title)
    response = Response(body, mimetype=FORMATS[fmt].split(";")[0])
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Content-Disposition"] = _disposition(filename_stem, fmt)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF download named ``filename``."""
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def suppress_small(value: int | float | None, threshold: int, *, basis: int | None = None) -> int | float | str | None:
    """Small-number suppression for published figures: a count from 1 to ``threshold`` - 1
    becomes "<threshold" (ONS and NHS Digital disclosure control: counts of 1 to 4 are
    shown as "<5"). A figure derived from a count (a percentage, a rate) is suppressed
    when that count (``basis``) is; 0 stays 0, since an absence discloses nobody."""
    count = value if basis is None else basis
    if isinstance(count, int | float) and 0 < count < threshold:
        return f"<{threshold}"
    return value


# --- list downloads ------------------------------------------------------------------


class TooManyRows(Exception):
    """A list download would exceed the configured row limit (setting ``EXPORT_MAX_ROWS``)."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit

    @property
    def message(self) -> str:
        return (
            f"This list has more than {self.limit:,} rows, the most one download holds. "
            "Filter the list to fewer rows and download again."
        )


def row_limit() -> int:
    from flask import current_app

    return int(current_app.config["EXPORT_MAX_ROWS"])


def capped(items: Iterable, limit: int | None = None) -> list:
    """The items of a list download, at most ``limit`` (setting ``EXPORT_MAX_ROWS``): one
    more raises :class:`TooManyRows`, so a download is never silently cut short. Pass a
    query limited to ``limit + 1`` rows so the database stops there too."""
    limit = row_limit() if limit is None else limit
    out = []
    for item in items:
        out.append(item)
        if len(out) > limit:
            raise TooManyRows(limit)
    return out


def requested_format(args) -> str | None:
    """The download format asked for (``format`` in the query or form), or None for the page.
    An unknown format is a ``ValueError`` (the view answers 400)."""
    fmt = args.get("format") or None
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(fmt)
    return fmt
