"""SQLAlchemy column types: UTC datetimes and encrypted values (DESIGN §3).

Module code reads and writes plain Python values. Encrypted columns refuse
``==``, ``in_`` and ``like``: a filter on ciphertext would silently match
nothing, so exact search goes through a blind index instead.

Values are bound to their row: a value read from the database carries the row
uid it was encrypted for (``row_uid`` on a str/date/dict/list subclass), which
the ORM checks against the row on load; a value is written only once the
ORM has bound it to its row's uid (``core/models/base.py``). A value that
cannot be decrypted or verified reads as an ``unreadable`` sentinel, never
raises, and is logged without its content.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.types import TypeDecorator, TypeEngine

from . import crypto


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes, stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


log = logging.getLogger("casework.crypto")

UNREADABLE_TEXT = "[unreadable]"


# --- unreadable values --------------------------------------------------------------


class UnreadableText(str):
    """Stands in for a text value that could not be decrypted or verified."""

    def __new__(cls) -> UnreadableText:
        return super().__new__(cls, UNREADABLE_TEXT)

    def _self(self, *args: Any, **kwargs: Any) -> UnreadableText:
        return self

    upper = lower = title = capitalize = casefold = strip = lstrip = rstrip = _self  # type: ignore[assignment]


class UnreadableDate(date):
    """Stands in for a date that could not be decrypted or verified; prints as the marker."""

    def __new__(cls) -> UnreadableDate:
        return super().__new__(cls, 1, 1, 1)

    def __str__(self) -> str:
        return UNREADABLE_TEXT

    def strftime(self, fmt: str) -> str:
        return UNREADABLE_TEXT

    def isoformat(self) -> str:
        return UNREADABLE_TEXT

    def __format__(self, fmt: str) -> str:
        return UNREADABLE_TEXT


class UnreadableJSON(dict):
    """Stands in for a JSON value that could not be decrypted or verified.

    Iterating, joining or listing it shows the marker; ``get`` finds nothing.
    """

    def __init__(self) -> None:
        super().__init__({UNREADABLE: UNREADABLE})

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def __str__(self) -> str:
        return UNREADABLE_TEXT


UNREADABLE = UnreadableText()
UNREADABLE_DATE = UnreadableDate()


def is_unreadable(value: Any) -> bool:
    return isinstance(value, UnreadableText | UnreadableDate | UnreadableJSON)


# --- values bound to a row ---------------------------------------------------------------


class _BoundStr(str):
    row_uid: str | None


class _BoundDate(date):
    row_uid: str | None


class _BoundDict(dict):
    row_uid: str | None


class _BoundList(list):
    row_uid: str | None


def bind_value(value: Any, row_uid: str | None) -> Any:
    """The value as a str/date/dict/list subclass carrying ``row_uid`` (None: an unbound legacy value)."""
    if is_unreadable(value):
        raise ValueError("an unreadable value cannot be written back")
    bound: Any
    if isinstance(value, str):
        bound = _BoundStr(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        bound = _BoundDate(value.year, value.month, value.day)
    elif isinstance(value, dict):
        bound = _BoundDict(value)
    elif isinstance(value, list):
        bound = _BoundList(value)
    else:
        raise TypeError(f"{type(value).__name__} values cannot be bound to a row")
    bound.row_uid = row_uid
    return bound


_NOT_BOUND = object()


def row_uid_of(value: Any) -> Any:
    """The row uid a value carries (None for a legacy unbound value), or a marker if it carries none."""
    return (
        getattr(value, "row_uid", _NOT_BOUND)
        if isinstance(value, _BoundStr | _BoundDate | _BoundDict | _BoundList)
        else _NOT_BOUND
    )


def verify_row(value: Any, row_uid: str | None, column_type: _Encrypted | None = None) -> Any:
    """A value read by a column-only query, checked against the uid of the row it came from.

    Entities are checked on load; a query selecting encrypted columns on their
    own must select ``row_uid`` too and pass each value through this.
    """
    if value is None or is_unreadable(value):
        return value
    carried = row_uid_of(value)
    if carried is None or (row_uid is not None and carried == row_uid):
        return value
    log.warning("unreadable value in %s: bound to another row", column_type.aad if column_type else "a column")
    return column_type.unreadable if column_type is not None else UNREADABLE


class EncryptedComparisonError(TypeError):
    """Raised when a query tries to compare an encrypted column."""


class _RefusingComparator(TypeEngine.Comparator):
    def _refuse(self, *args: Any, **kwargs: Any):
        raise EncryptedComparisonError("encrypted columns cannot be compared in SQL; search through a blind index")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore[assignment]
    in_ = not_in = like = ilike = notlike = notilike = _refuse
    contains = startswith = endswith = _refuse
    __hash__ = TypeEngine.Comparator.__hash__


class _Encrypted(TypeDecorator):
    impl = LargeBinary
    cache_ok = True
    comparator_factory = _RefusingComparator
    unreadable: Any = UNREADABLE

    def __init__(self, aad: str, fixed: int | None = None):
        """``aad`` names the column as ``table.column``; ``fixed`` pads every value to that
        many bytes (enumerated codes: all codes then have one ciphertext length)."""
        super().__init__()
        if "." not in aad:
            raise ValueError("aad must name the column as 'table.column'")
        if fixed is not None and fixed < 2:
            raise ValueError("fixed size must be at least 2 bytes")
        self.aad = aad
        self.fixed = fixed

    def serialise(self, value: Any) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def deserialise(self, data: bytes) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def encrypt(self, value: Any, row_uid: str) -> bytes:
        """Serialise, pad and encrypt ``value`` bound to ``row_uid``."""
        if is_unreadable(value):
            raise ValueError(f"an unreadable value cannot be written back to {self.aad}")
        return crypto.encrypt(self.serialise(value), self.aad, row_uid=row_uid, pad_to=self.fixed or crypto.PAD_BLOCK)

    def process_bind_param(self, value: Any, dialect) -> bytes | None:
        if value is None:
            return None
        row_uid = row_uid_of(value)
        if row_uid is _NOT_BOUND or row_uid is None:
            raise ValueError(f"{self.aad}: encrypted values are written through the ORM, bound to their row")
        return self.encrypt(value, row_uid)

    def read_raw(self, value: bytes | None, row_uid: str | None, ring: crypto.Keyring) -> Any:
        """Decrypt a stored value read without the ORM (selected as
        ``type_coerce(column, LargeBinary)``), checking its row binding as a load does. For
        bulk reads that decrypt a few columns of many rows: the key ring is looked up once.
        None stays None; a value that cannot be read, or is bound to another row, is unreadable."""
        if value is None:
            return None
        try:
            plaintext, bound_to = crypto.open_value(bytes(value), self.aad, ring)
            if bound_to is not None and bound_to != row_uid:
                log.warning("unreadable value in %s: bound to another row", self.aad)
                return self.unreadable
            return self.deserialise(plaintext)
        except crypto.DecryptionError as exc:
            log.warning("unreadable value in %s: %s", self.aad, exc)
        except (ValueError, TypeError) as exc:
            log.warning("unreadable value in %s: %s", self.aad, type(exc).__name__)
        return self.unreadable

    def process_result_value(self, value: bytes | None, dialect) -> Any:
        if value is None:
            return None
        ring = crypto.keyring()  # no key ring at all is a configuration error, not an unreadable value
        try:
            plaintext, row_uid = crypto.open_value(bytes(value), self.aad, ring)
            return bind_value(self.deserialise(plaintext), row_uid)
        except crypto.DecryptionError as exc:
            log.warning("unreadable value in %s: %s", self.aad, exc)
        except (ValueError, TypeError) as exc:
            # Decrypted but malformed: the message may quote plaintext, so log its type only.
            log.warning("unreadable value in %s: %s", self.aad, type(exc).__name__)
        return self.unreadable


class EncryptedText(_Encrypted):
    cache_ok = True

    def serialise(self, value: str) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.aad} takes text")
        return value.encode("utf-8")

    def deserialise(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedDate(_Encrypted):
    cache_ok = True
    unreadable = UNREADABLE_DATE

    def serialise(self, value: date) -> bytes:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise TypeError(f"{self.aad} takes a date")
        return value.isoformat().encode()

    def deserialise(self, data: bytes) -> date:
        return date.fromisoformat(data.decode())


class EncryptedJSON(_Encrypted):
    """A JSON object or array (a top-level scalar could not carry its row binding)."""

    cache_ok = True

    @property
    def unreadable(self) -> Any:  # type: ignore[override]
        return UnreadableJSON()

    def serialise(self, value: Any) -> bytes:
        if not isinstance(value, dict | list):
            raise TypeError(f"{self.aad} takes a JSON object or array")
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()

    def deserialise(self, data: bytes) -> Any:
        value = json.loads(data)
        if not isinstance(value, dict | list):
            raise TypeError("not a JSON object or array")
        return value


def encrypted_columns(model) -> list[tuple[str, _Encrypted]]:
    """(attribute name, type) of every encrypted column on a mapped class."""
    return [(c.key, c.type) for c in model.__table__.columns if isinstance(c.type, _Encrypted)]
