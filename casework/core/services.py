"""Service helpers shared by every module: conflicts, applying form data, lookups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from ..extensions import db
from .permissions import AccessDenied

T = TypeVar("T")


class ConflictError(Exception):
    """The record changed since the user opened it; nothing was saved.

    ``current_version`` lets the form offer the latest version, so that after
    reading the current record the user can save deliberately.
    """

    def __init__(self, message: str = "", current_version: int | None = None):
        super().__init__(message)
        self.current_version = current_version


class ServiceError(ValueError):
    """A domain rule refused the change; ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class FieldErrors(ServiceError):
    """Several refusals at once, each for its own field (shown together, GOV.UK style)."""

    def __init__(self, errors: list[tuple[str | None, str]]):
        super().__init__("; ".join(message for _, message in errors), errors[0][0] if errors else None)
        self.errors = errors


def check_version(obj: Any, submitted: int | None) -> None:
    if submitted is None or submitted != obj.version_id:
        raise ConflictError(
            f"{type(obj).__name__} {obj.id} changed (have {submitted}, now {obj.version_id})", obj.version_id
        )


def apply_changes(obj: Any, data: dict[str, Any], fields: Iterable[str]) -> list[str]:
    """Set each field that differs; return the names that changed (never the values)."""
    changed = []
    for name in fields:
        if name in data and getattr(obj, name) != data[name]:
            setattr(obj, name, data[name])
            changed.append(name)
    return changed


def get_or_404(model: type[T], object_id: Any, *, options: Sequence[Any] = ()) -> T:
    """Load by primary key; a missing or malformed id is a 404 that is audited like a denial.
    ``options`` are loader options for the same query (relationships the caller reads next)."""
    try:
        obj = db.session.get(model, int(object_id), options=options)
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise AccessDenied(model.__tablename__, object_id, hide=True)
    return obj
