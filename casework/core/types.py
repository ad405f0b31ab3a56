"""SQLAlchemy column types: UTC datetimes and encrypted values (DESIGN §3).

Module code reads and writes plain Python values. Encrypted columns refuse
``==``, ``in_`` and ``like``: a filter on ciphertext would silently match
nothing, so exact search goes through a blind index instead.
"""

from __future__ import annotations

import json
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

    def __init__(self, aad: str):
        super().__init__()
        if "." not in aad:
            raise ValueError("aad must name the column as 'table.column'")
        self.aad = aad

    def serialise(self, value: Any) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def deserialise(self, data: bytes) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect) -> bytes | None:
        if value is None:
            return None
        return crypto.encrypt(self.serialise(value), self.aad)

    def process_result_value(self, value: bytes | None, dialect) -> Any:
        if value is None:
            return None
        return self.deserialise(crypto.decrypt(bytes(value), self.aad))


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

    def serialise(self, value: date) -> bytes:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise TypeError(f"{self.aad} takes a date")
        return value.isoformat().encode()

    def deserialise(self, data: bytes) -> date:
        return date.fromisoformat(data.decode())


class EncryptedJSON(_Encrypted):
    cache_ok = True

    def serialise(self, value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()

    def deserialise(self, data: bytes) -> Any:
        return json.loads(data)


def encrypted_columns(model) -> list[tuple[str, _Encrypted]]:
    """(attribute name, type) of every encrypted column on a mapped class."""
    return [(c.key, c.type) for c in model.__table__.columns if isinstance(c.type, _Encrypted)]
