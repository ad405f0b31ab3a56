"""Shared column helpers, mixins and session listeners for all models."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from ...extensions import db
from ..types import UTCDateTime, utcnow


def enum_column(values: Iterable[str], name: str, **kwargs: Any) -> sa.Column:
    """A short text column limited to ``values`` by a named CHECK constraint."""
    values = list(values)
    length = max(len(v) for v in values)
    return sa.Column(sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length), **kwargs)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class VersionedMixin:
    """Optimistic locking: a stale UPDATE raises StaleDataError (DESIGN §5)."""

    version_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version_id}


# --- blind indexes -----------------------------------------------------------

BlindSpec = dict[str, Callable[[Any], bytes | None]]


def refresh_blind_indexes(obj: Any) -> bool:
    """Recompute the object's blind indexes; True if any value changed."""
    changed = False
    for column, compute in getattr(obj, "__blind_indexes__", {}).items():
        value = compute(obj)
        if getattr(obj, column) != value:
            setattr(obj, column, value)
            changed = True
    return changed


# --- change history ------------------------------------------------------------

_SKIP_FIELDS = {"version_id", "updated_at", "created_at"}


def _changed_fields(obj: Any) -> list[str]:
    state = sa.inspect(obj)
    fields = []
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIP_FIELDS or key.startswith("bi_"):
            continue
        if state.attrs[key].history.has_changes():
            fields.append(key)
    return sorted(fields)


def _current_user_id() -> int | None:
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    pending = session.info.setdefault("casework.history", [])
    for obj in list(session.new) + list(session.dirty):
        if getattr(obj, "__blind_indexes__", None):
            refresh_blind_indexes(obj)
    for obj in session.new:
        if getattr(obj, "__history__", False):
            pending.append((obj, "created", _changed_fields(obj)))
    for obj in session.dirty:
        if getattr(obj, "__history__", False) and session.is_modified(obj, include_collections=False):
            fields = _changed_fields(obj)
            if fields:
                pending.append((obj, "updated", fields))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop("casework.history", [])
    if not pending:
        return
    from .history import ChangeEvent

    user_id = _current_user_id()
    rows = [
        {
            "at": utcnow(),
            "user_id": user_id,
            "object_type": obj.__tablename__,
            "object_id": obj.id,
            "action": action,
            "fields": fields,
        }
        for obj, action, fields in pending
    ]
    session.connection().execute(sa.insert(ChangeEvent), rows)


__all__ = ["TimestampMixin", "VersionedMixin", "db", "enum_column", "refresh_blind_indexes", "utcnow"]
