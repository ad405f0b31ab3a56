"""Shared column helpers, mixins and session listeners for all models."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Mapper, Session, declared_attr, mapped_column

from ...extensions import db
from .. import crypto
from ..types import UNREADABLE, UTCDateTime, _Encrypted, bind_value, is_unreadable, row_uid_of, utcnow

log = logging.getLogger("casework.crypto")


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


# --- row-bound encryption -----------------------------------------------------


def row_uid_column() -> Mapped[str]:
    """The per-row random identity that encrypted values are bound to (never changes)."""
    return mapped_column(sa.String(32), nullable=False, unique=True, default=crypto.new_row_uid)


class RowBoundMixin:
    """For every model with encrypted columns: each value is bound to this row's ``row_uid``.

    The uid is assigned when the object is constructed, written into each
    encrypted value's header and authenticated with it; a value whose uid is
    not this row's (copied from another row) reads as unreadable.
    """

    row_uid: Mapped[str] = row_uid_column()


_encrypted_keys_cache: dict[Mapper, tuple[str, ...]] = {}


def encrypted_keys(mapper: Mapper) -> tuple[str, ...]:
    """Attribute names of the mapper's encrypted columns."""
    keys = _encrypted_keys_cache.get(mapper)
    if keys is None:
        keys = _encrypted_keys_cache[mapper] = tuple(
            prop.key for prop in mapper.column_attrs if isinstance(prop.columns[0].type, _Encrypted)
        )
    return keys


@event.listens_for(db.Model, "init", propagate=True)
def _assign_row_uid(target: Any, args: Any, kwargs: Any) -> None:
    if encrypted_keys(sa.inspect(type(target))) and kwargs.get("row_uid") is None:
        target.row_uid = crypto.new_row_uid()


def _bind_pending_values(mapper: Mapper, connection: Any, target: Any) -> None:
    """Before INSERT/UPDATE: bind each new encrypted value to its row's uid."""
    keys = encrypted_keys(mapper)
    if not keys:
        return
    state = sa.inspect(target)
    if state.has_identity and "row_uid" in state.committed_state:
        raise ValueError(f"{mapper.class_.__name__}.row_uid cannot change: its encrypted values are bound to it")
    if target.row_uid is None:
        target.row_uid = crypto.new_row_uid()
    uid = target.row_uid
    for key in keys:
        added = state.attrs[key].history.added
        if added and added[0] is not None and row_uid_of(added[0]) != uid:
            setattr(target, key, bind_value(added[0], uid))


event.listen(db.Model, "before_insert", _bind_pending_values, propagate=True)
event.listen(db.Model, "before_update", _bind_pending_values, propagate=True)


def _check_row_binding(target: Any, keys: Iterable[str] | None = None) -> None:
    """After a load: any encrypted value bound to another row becomes unreadable."""
    state = sa.inspect(target)
    mapper = state.mapper
    bound_keys = encrypted_keys(mapper)
    if not bound_keys:
        return
    loaded = state.dict
    uid = loaded.get("row_uid")
    for key in bound_keys if keys is None else (k for k in keys if k in bound_keys):
        value = loaded.get(key)
        if value is None or is_unreadable(value):
            continue
        carried = row_uid_of(value)
        if carried is None:
            continue  # format 1, written before values were bound to rows: read as it is
        if uid is None or carried != uid:
            log.warning(
                "unreadable value in %s.%s id=%s: %s",
                mapper.local_table.name,
                key,
                loaded.get("id"),
                "bound to another row" if uid else "row uid not loaded",
            )
            loaded[key] = mapper.column_attrs[key].columns[0].type.unreadable


@event.listens_for(db.Model, "load", propagate=True)
def _on_load(target: Any, context: Any) -> None:
    _check_row_binding(target)


@event.listens_for(db.Model, "refresh", propagate=True)
def _on_refresh(target: Any, context: Any, attrs: Iterable[str] | None) -> None:
    _check_row_binding(target, attrs)


def require_row_binding(registry: Any) -> None:
    """Refuse a model that has encrypted columns but no row uid to bind them to."""
    for mapper in registry.mappers:
        if encrypted_keys(mapper) and "row_uid" not in mapper.column_attrs:
            raise TypeError(f"{mapper.class_.__name__} has encrypted columns: add RowBoundMixin to its bases")


@event.listens_for(Mapper, "after_configured")
def _require_row_binding() -> None:
    require_row_binding(db.Model.registry)


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

_SKIP_FIELDS = {"version_id", "updated_at", "created_at", "row_uid"}


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


__all__ = [
    "UNREADABLE",
    "RowBoundMixin",
    "TimestampMixin",
    "VersionedMixin",
    "db",
    "encrypted_keys",
    "enum_column",
    "refresh_blind_indexes",
    "row_uid_column",
    "utcnow",
]
