"""Spreadsheet import (CSV and XLSX): one mechanism, each module registers its kinds.

Most partnerships hold their MARAC, IOM and ASB records in spreadsheets; this is
how they move them in (issue 13, item 6). A module declares an
:class:`ImportKind` (the documented column layout, the capability it needs and
how one parsed row is applied through the module's own services, so every
business rule and every audit event applies as if the row were entered by hand)
and registers it with ``modules.register_import_kind``. Core names no module.

Rules, whatever the kind:

- The first column is always ``external_ref``: the importing agency's own
  reference for the row. A reference the same agency already imported for the
  kind is skipped, so importing the same file twice creates nothing new; another
  agency's rows with the same reference (both numbering their rows from 1) are
  imported, and nothing tells one agency what another imported. The reference
  is kept as a blind index (HMAC of kind, agency and reference, never the text)
  for that check, and encrypted for display.
- A dry run parses and applies every row inside a transaction that is rolled
  back: it reports every problem (row number, column, what is wrong) and
  imports nothing. A real import is all or nothing: one problem anywhere and
  nothing is kept.
- Malformed files never cause an error page: wrong or missing columns, a bad
  date, an unknown agency or list value, a cell that starts like a formula
  (``=``, ``+``, ``-``, ``@``: OWASP "CSV injection"), a file over the size or
  row limit, text that is not UTF-8, an XLSX workbook with macros, all come
  back as row-level problems.
- Every run, dry or real, successful or not, is audited with its counts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from . import audit, crypto, modules
from .exports import csv_bytes, xlsx_bytes
from .models import Agency, Person, User
from .models.base import RowBoundMixin
from .models.people import surname_dob_index
from .permissions import AccessDenied
from .services import ConflictError, FieldErrors, ServiceError
from .types import EncryptedText, UTCDateTime, is_unreadable, utcnow

REFERENCE_COLUMN = "external_ref"
FORMATS = ("csv", "xlsx")
# Cells that a spreadsheet may run as a formula (core/exports.py neutralises the same ones on the way out).
FORMULA_PREFIXES = ("=", "+", "-", "@")
_PHONE = re.compile(r"\+[0-9 ()]{6,20}")
_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")
# An XLSX file may unpack to at most this many times the file size limit.
XLSX_EXPANSION = 20

# Modules grant ``imports.use`` (the Import page) to the roles that hold one of their import capabilities.
modules.register_core(
    purposes={"import": "Spreadsheet import"},
    declared=frozenset({"imports.use"}),
    menu=((9, modules.MenuEntry("imports.index", "Import", "imports.use")),),
)


class CellError(ValueError):
    """A cell's value is not acceptable; the message says what to write instead."""


# --- column layouts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One documented column of an import layout.

    ``parse`` turns the cell's text (already trimmed, never empty) into the value
    the kind's ``apply`` receives, or raises :class:`CellError`. ``kind`` is a
    word for the documentation ("date", "yes/no", "agency" ...).
    """

    name: str
    description: str
    parse: Callable[[Any], Any]
    required: bool = False
    kind: str = "text"
    allowed: Sequence[str] = ()
    # Formulas are refused everywhere; a phone number may start with "+" and a number with "-".
    allow_sign: bool = False


@dataclass(frozen=True)
class Applied:
    """What one applied row created: the record an external reference now points to."""

    object_type: str
    object_id: int


@dataclass(frozen=True)
class ImportKind:
    """A kind of record a module lets partnerships import from a spreadsheet.

    ``apply(user, values)`` gets the row's parsed values by column name (a column
    left empty is absent) and creates the record through the module's services,
    raising ``ServiceError``/``FieldErrors`` (their ``field`` is mapped to a
    column through ``field_columns``, else shown against the row) to refuse it.
    """

    name: str
    label: str
    module: str
    capability: str
    description: str
    columns: tuple[Column, ...]
    apply: Callable[[User, dict[str, Any]], Applied]
    field_columns: Mapping[str, str] = field(default_factory=dict)
    # Where the imported records are seen: the next step offered after an import.
    records_endpoint: str | None = None

    @property
    def all_columns(self) -> tuple[Column, ...]:
        ref = Column(
            REFERENCE_COLUMN,
            "Your own reference for this row (for example the spreadsheet's row id). "
            "A reference your agency already imported is skipped, so a file can be imported again safely.",
            parse=text(100),
            required=True,
        )
        return (ref, *self.columns)

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.all_columns]


# --- cell parsers (each raises CellError) --------------------------------------------------


def text(max_length: int = 500) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        out = _as_text(value)
        if len(out) > max_length:
            raise CellError(f"Keep this to {max_length} characters or fewer (it has {len(out)})")
        return out

    return parse


def _as_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def a_date(value: Any) -> date:
    """A date as a spreadsheet date, YYYY-MM-DD or DD/MM/YYYY (UK order, never guessed)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            out = datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if out.year < 1900:
            break
        return out
    raise CellError("Enter a real date as YYYY-MM-DD or DD/MM/YYYY, for example 2025-03-31")


def whole_number(low: int = 0, high: int = 10_000) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise CellError(f"Enter a whole number from {low} to {high}")
        try:
            number = float(value) if isinstance(value, int | float) else float(str(value).strip())
        except ValueError:
            raise CellError(f"Enter a whole number from {low} to {high}") from None
        if not number.is_integer() or not low <= number <= high:
            raise CellError(f"Enter a whole number from {low} to {high}")
        return int(number)

    return parse


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def yes_no(value: Any) -> bool:
    word = _as_text(value).strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellError("Enter Yes or No")


def choice(options: Mapping[str, str]) -> Callable[[Any], str]:
    """One of a fixed list, given as its code or its label (any case)."""
    lookup = {k.casefold(): k for k in options} | {v.casefold(): k for k, v in options.items()}

    def parse(value: Any) -> str:
        found = lookup.get(_as_text(value).strip().casefold())
        if found is None:
            raise CellError("Use one of: " + ", ".join(options))
        return found

    return parse


def agency(value: Any) -> int:
    """An active agency, by its code or its name (as on the administration page)."""
    word = _as_text(value).strip()
    found = db.session.scalar(
        sa.select(Agency.id).where(
            Agency.is_active.is_(True),
            sa.or_(sa.func.lower(Agency.code) == word.lower(), sa.func.lower(Agency.name) == word.lower()),
        )
    )
    if found is None:
        raise CellError(
            f"No active agency has the code or name {word[:60]!r}: use a code from Administration > Agencies"
        )
    return found


def user_email(capability: str) -> Callable[[Any], int]:
    """An active user, by e-mail address, who holds ``capability``."""

    def parse(value: Any) -> int:
        email = _as_text(value).strip().lower()
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is None or not user.is_active or not user.can(capability):
            raise CellError("Enter the e-mail address of an active user who works in this casework")
        return user.id

    return parse


def phone(value: Any) -> str:
    out = _as_text(value).strip()
    if not re.fullmatch(r"\+?[0-9 ()]{6,20}", out):
        raise CellError("Enter a phone number of digits and spaces, for example 07700 900123 or +44 7700 900123")
    return out


# --- the records an import made -------------------------------------------------------------


class ImportBatch(db.Model):
    """One import that was kept: who ran it, what it held and what it made (no file content)."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    file_format: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    file_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    rows: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    skipped: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ImportRecord(RowBoundMixin, db.Model):
    """The external reference of one imported row and the record it made.

    ``ref_index`` (a blind index of the kind, the importing agency and the
    reference) is unique per kind: the same agency never imports the same
    reference twice, and agencies' references never clash. The reference itself
    may be another system's number, so it is stored encrypted.
    """

    __tablename__ = "import_record"
    # Recomputed by key rotation (core/keys.py) under the new index key, so a file imported
    # before the rotation is still recognised after it. Not a ``__blind_indexes__`` entry
    # (those run at every flush): it needs the batch's agency, and the import sets it itself.
    __rotation_indexes__ = {"ref_index": lambda r: _current_ref_index(r)}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ref_index: Mapped[bytes] = mapped_column(sa.LargeBinary(16), nullable=False)
    external_ref: Mapped[str] = mapped_column(EncryptedText("import_record.external_ref"), nullable=False)
    object_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    object_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batch.id", ondelete="CASCADE"), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("kind", "ref_index", name="uq_import_record_kind_ref"),
        sa.Index("ix_import_record_object", "object_type", "object_id"),
    )


def reference_index(kind: str, ref: str, *, agency_id: int | None) -> bytes:
    """The blind index of one agency's reference: each agency's references are its own."""
    return crypto.blind_index("import.external_ref", kind, str(agency_id or 0), ref.strip())


def _current_ref_index(record: ImportRecord) -> bytes:
    """A record's index under the current index key; a reference wiped by a destruction
    (or unreadable) keeps the index it has, which is all that is left of it."""
    if is_unreadable(record.external_ref) or not (record.external_ref or "").strip():
        return record.ref_index
    agency_id = db.session.scalar(sa.select(ImportBatch.agency_id).where(ImportBatch.id == record.batch_id))
    return reference_index(record.kind, record.external_ref, agency_id=agency_id)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (1 is the header row; None: the whole file), the column, what is wrong."""

    row: int | None
    column: str | None
    problem: str


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def kept(self) -> bool:
        return self.ok and not self.dry_run


class ImportFileError(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.problem for e in errors))
        self.errors = errors


# --- reading files ---------------------------------------------------------------------------


def file_format(filename: str) -> str | None:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix in FORMATS else None


def read_table(data: bytes, fmt: str, max_rows: int) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header row and the data rows ((spreadsheet row number, cells)) of a file.

    Raises :class:`ImportFileError` for a file that cannot be read at all.
    """
    if fmt == "csv":
        return _read_csv(data, max_rows)
    if fmt == "xlsx":
        return _read_xlsx(data, max_rows)
    raise ImportFileError([RowError(None, None, "Upload a .csv or .xlsx file")])


def _too_many(max_rows: int) -> ImportFileError:
    return ImportFileError(
        [
            RowError(
                None,
                None,
                f"The file has more than {max_rows:,} rows: split it into smaller files "
                "(an administrator can import larger files with the flask import command)",
            )
        ]
    )


def _read_csv(data: bytes, max_rows: int) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            [
                RowError(
                    None,
                    None,
                    f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read): "
                    "save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'",
                )
            ]
        ) from None
    if "\x00" in content:
        raise ImportFileError([RowError(None, None, "The file holds binary data: upload a CSV text file")])
    try:
        lines = list(csv.reader(io.StringIO(content, newline="")))
    except csv.Error as exc:
        raise ImportFileError([RowError(None, None, f"The file is not valid CSV ({exc})")]) from None
    if not lines:
        raise ImportFileError([RowError(None, None, "The file is empty: start with the header row of the template")])
    if len(lines) - 1 > max_rows:
        raise _too_many(max_rows)
    return list(lines[0]), [(n, row) for n, row in enumerate(lines[1:], start=2)]


def _read_xlsx(data: bytes, max_rows: int) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportFileError(
            [RowError(None, None, "The file is not an XLSX workbook: save it as .xlsx or .csv")]
        ) from None
    # A small workbook can expand to gigabytes of XML (a "zip bomb"): bound what is unpacked.
    if expanded > XLSX_EXPANSION * current_app.config["IMPORT_MAX_BYTES"]:
        raise ImportFileError(
            [RowError(None, None, "The workbook is too large once unpacked: split it into smaller files")]
        )
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ImportFileError(
            [RowError(None, None, "The workbook contains macros, which are refused: save it as a plain .xlsx")]
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise ImportFileError([RowError(None, None, "The workbook cannot be read: save it again as .xlsx")]) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        header: list[str] | None = None
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = [_xlsx_value(c) for c in row]
            if header is None:
                header = ["" if v is None else str(v) for v in cells]
                continue
            if _is_blank(cells):
                continue  # formatted but empty rows, often thousands of them
            if len(rows) >= max_rows:
                raise _too_many(max_rows)
            rows.append((number, cells))
    finally:
        workbook.close()
    if header is None:
        raise ImportFileError(
            [RowError(None, None, "The workbook is empty: start with the header row of the template")]
        )
    return header, rows


class _Formula(str):
    """A cell that holds a formula (refused, whatever it starts with)."""


def _xlsx_value(cell) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
        return _Formula(str(value))
    return value


# --- running an import ------------------------------------------------------------------------


def _clean(value: Any, column: Column) -> Any:
    """The cell value to parse: text trimmed; None for an empty cell; formulas refused."""
    if isinstance(value, _Formula):
        raise CellError("Formulas are not imported: replace the formula by its value")
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if value.startswith("'") and value[1:2] in FORMULA_PREFIXES:
            return value[1:]  # neutralised by a spreadsheet or by our own export: plain text
        if value.startswith(FORMULA_PREFIXES):
            signed_ok = column.allow_sign and (_PHONE.fullmatch(value) or _NUMBER.fullmatch(value))
            if not signed_ok:
                raise CellError(
                    f"The cell starts with {value[0]!r}, which a spreadsheet runs as a formula: "
                    "remove the character or put an apostrophe (') before it"
                )
    return value


def check_header(kind: ImportKind, header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    """Map each column name to its position; report unknown, repeated and missing columns."""
    errors: list[RowError] = []
    known = {c.name for c in kind.all_columns}
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = (raw or "").strip().lstrip("\ufeff").lower()
        if not name:
            continue
        if name not in known:
            errors.append(RowError(1, name[:60], "Unknown column: use the column names of the template"))
        elif name in positions:
            errors.append(RowError(1, name, "This column appears twice"))
        else:
            positions[name] = index
    for column in kind.all_columns:
        if column.required and column.name not in positions:
            errors.append(RowError(1, column.name, "Required column missing: add it (see the template)"))
    return positions, errors


def _parse_row(
    kind: ImportKind, positions: dict[str, int], number: int, cells: list[Any]
) -> tuple[dict[str, Any], list[RowError]]:
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    extra = [i for i, v in enumerate(cells) if i not in positions.values() and v not in (None, "")]
    if extra:
        errors.append(RowError(number, None, f"Values in {len(extra)} cell(s) under no column heading"))
    for column in kind.all_columns:
        index = positions.get(column.name)
        raw = cells[index] if index is not None and index < len(cells) else None
        try:
            value = _clean(raw, column)
            if value is None:
                if column.required:
                    raise CellError("Enter a value: this column is required")
                continue
            values[column.name] = column.parse(value)
        except CellError as exc:
            errors.append(RowError(number, column.name, str(exc)))
    return values, errors


def _is_blank(cells: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


def _service_errors(kind: ImportKind, number: int, exc: Exception) -> list[RowError]:
    def column_for(name: str | None) -> str | None:
        if name is None:
            return None
        return kind.field_columns.get(name, name if name in kind.headers else None)

    if isinstance(exc, FieldErrors) and exc.errors:
        return [RowError(number, column_for(f), message) for f, message in exc.errors]
    if isinstance(exc, ServiceError):
        return [RowError(number, column_for(exc.field), str(exc))]
    if isinstance(exc, AccessDenied):
        return [RowError(number, None, "You may not create or change this record")]
    return [RowError(number, None, "This record changed while the row was applied: run the import again")]


def run_import(
    user: User, kind_name: str, data: bytes, filename: str, *, dry_run: bool, max_rows: int | None = None
) -> ImportResult:
    """Check (``dry_run``) or import one file. All or nothing; audited with its counts.

    ``max_rows`` (default setting ``IMPORT_MAX_ROWS``) bounds the data rows read.

    On success of a real import the work is left in the session for the caller's
    commit (one commit per request). Otherwise everything is rolled back and only
    the audit event remains, for the caller to commit.
    """
    kind = modules.import_kind(kind_name)
    if kind is None:
        raise ServiceError("Choose a kind of import")
    if not user.can(kind.capability):
        raise AccessDenied("import", kind_name, hide=False)
    result = ImportResult(kind=kind.name, dry_run=dry_run)
    fmt = file_format(filename)
    digest = hashlib.sha256(data).hexdigest()
    records: list[ImportRecord] = []
    try:
        limit = min(max_rows or current_app.config["IMPORT_MAX_ROWS"], current_app.config["IMPORT_MAX_ROWS"])
        records = _run(user, kind, data, fmt, result, limit)
    except ImportFileError as exc:
        result.errors.extend(exc.errors)
    if result.kept:
        batch = ImportBatch(
            kind=kind.name,
            user_id=user.id,
            agency_id=user.agency_id,
            file_format=fmt or "",
            file_sha256=digest,
            rows=result.rows,
            created=result.created,
            skipped=result.skipped,
        )
        db.session.add(batch)
        db.session.flush()
        for record in records:
            record.batch_id = batch.id
        db.session.add_all(records)
        db.session.flush()
        result.batch_id = batch.id
    else:
        db.session.rollback()
    audit.record(
        "import.run" if not dry_run else "import.check",
        object_type="import_batch" if result.batch_id else "import",
        object_id=result.batch_id,
        purpose="import",
        actor_user_id=user.id,
        actor_agency_id=user.agency_id,
        details={
            "kind": kind.name,
            "format": fmt,
            "sha256": digest,
            "rows": result.rows,
            "created": result.created,
            "skipped": result.skipped,
            "errors": len(result.errors),
            "kept": result.kept,
        },
    )
    return result


def _run(
    user: User, kind: ImportKind, data: bytes, fmt: str | None, result: ImportResult, max_rows: int
) -> list[ImportRecord]:
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if fmt is None:
        raise ImportFileError([RowError(None, None, "Upload a .csv or .xlsx file (an .xlsm or .xls file is refused)")])
    if len(data) > limit:
        raise ImportFileError(
            [RowError(None, None, f"The file is larger than {limit // 1024:,} KB: split it into smaller files")]
        )
    if not data:
        raise ImportFileError([RowError(None, None, "The file is empty: start with the header row of the template")])
    header, rows = read_table(data, fmt, max_rows)
    positions, header_errors = check_header(kind, header)
    if header_errors:
        raise ImportFileError(header_errors)
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[bytes, int] = {}
    for number, cells in rows:
        if _is_blank(cells):
            continue
        result.rows += 1
        values, errors = _parse_row(kind, positions, number, cells)
        ref = values.get(REFERENCE_COLUMN)
        if ref is not None:
            index = reference_index(kind.name, ref, agency_id=user.agency_id)
            if index in seen:
                errors.append(RowError(number, REFERENCE_COLUMN, f"The same reference is on row {seen[index]}"))
            else:
                seen[index] = number
            values["_ref_index"] = index
        result.errors.extend(errors)
        if not errors:
            parsed.append((number, values))
    if result.rows == 0:
        raise ImportFileError([RowError(None, None, "The file has a header row but no records")])
    done = _already_imported(kind.name, [v["_ref_index"] for _, v in parsed])
    records: list[ImportRecord] = []
    for number, values in parsed:
        if values["_ref_index"] in done:
            result.skipped += 1
            continue
        row = {k: v for k, v in values.items() if not k.startswith("_")}
        try:
            with db.session.begin_nested():
                applied = kind.apply(user, row)
        except (ServiceError, AccessDenied, ConflictError) as exc:
            result.errors.extend(_service_errors(kind, number, exc))
            continue
        except (sa.exc.IntegrityError, sa.exc.DataError):
            # The savepoint is rolled back; the database refused the row (a value too long, a clash).
            result.errors.append(RowError(number, None, "The database refused this row: check its values"))
            continue
        result.created += 1
        records.append(
            ImportRecord(
                kind=kind.name,
                ref_index=values["_ref_index"],
                external_ref=row[REFERENCE_COLUMN],
                object_type=applied.object_type,
                object_id=applied.object_id,
            )
        )
    return records


def _already_imported(kind: str, indexes: list[bytes]) -> set[bytes]:
    out: set[bytes] = set()
    for start in range(0, len(indexes), 500):
        chunk = indexes[start : start + 500]
        out.update(
            db.session.scalars(
                sa.select(ImportRecord.ref_index).where(ImportRecord.kind == kind, ImportRecord.ref_index.in_(chunk))
            )
        )
    return out


# --- matching people through the blind index -------------------------------------------------


def match_person(user: User, *, given_names: str | None, surname: str, dob: date) -> Person | None:
    """The one person the user may act on with this surname and date of birth (and given names).

    Candidates come from the surname + date of birth blind index and are confirmed by
    decrypting only them (``people.services.find_duplicates``, audited as a duplicate
    check), never by decrypting everyone. A record the user may not see is never
    reused or revealed: a new one is made, as when the referral is entered by hand.
    Raises ``ServiceError`` when several records match.
    """
    from ..people.services import find_duplicates

    if surname_dob_index(surname, dob) is None:
        return None
    found = find_duplicates(user, surname=surname, dob=dob, phone=None)
    wanted = crypto.normalise_text(given_names) if given_names else None
    matches = [
        m.person
        for m in found.matches
        if "same surname and date of birth" in m.reasons
        and (wanted is None or not m.person.given_names or crypto.normalise_text(m.person.given_names) == wanted)
    ]
    if len(matches) > 1:
        raise ServiceError(
            f"{len(matches)} person records have this name and date of birth: merge them before importing",
            "surname",
        )
    return matches[0] if matches else None


def find_or_create_person(user: User, kind: str, fields: dict[str, Any]) -> Person:
    """The person these fields describe: matched through the blind index, else created."""
    from ..people.services import create_person

    person = None
    if fields.get("surname") and fields.get("dob"):
        person = match_person(user, given_names=fields.get("given_names"), surname=fields["surname"], dob=fields["dob"])
    if person is None:
        person = create_person(user, {k: v for k, v in fields.items() if v is not None}, kind=kind)
    return person


# --- templates and documentation ------------------------------------------------------------


def template_bytes(kind: ImportKind, fmt: str) -> bytes:
    """An empty template (the header row only), generated from the layout."""
    if fmt == "csv":
        return csv_bytes(kind.headers, [])
    if fmt == "xlsx":
        return xlsx_bytes(kind.headers, [], sheet_title=kind.label)
    raise ValueError(f"unknown template format {fmt!r}")


def layout_markdown(kinds: Sequence[ImportKind]) -> str:
    """The documented column layouts (docs/imports.md is this text; a test keeps them in step)."""
    out = [
        "# Spreadsheet import: column layouts",
        "",
        "Generated from the import kinds the modules register (`flask import layouts`).",
        "Download each template (CSV or XLSX) from the Import page, or write the header row",
        "below. Column names are not case-sensitive and may come in any order; optional",
        "columns may be left out. Dates are YYYY-MM-DD or DD/MM/YYYY. A cell must not start",
        "with `=`, `+`, `-` or `@` (a formula) unless it is a phone number or a number.",
        "",
    ]
    # By module (whatever order the modules were loaded in), each module's kinds in its own order.
    for kind in sorted(kinds, key=lambda k: k.module):
        out += [f"## {kind.label} (`{kind.name}`)", "", kind.description, ""]
        out += [f"Needs the capability `{kind.capability}`.", ""]
        out += ["| Column | Required | Type | Description |", "| --- | --- | --- | --- |"]
        for column in kind.all_columns:
            desc = column.description
            if column.allowed:
                desc += " One of: " + ", ".join(f"`{a}`" for a in column.allowed) + "."
            out.append(f"| `{column.name}` | {'yes' if column.required else 'no'} | {column.kind} | {desc} |")
        out.append("")
    return "\n".join(out)
