"""Key status and rotation over every encrypted column (DESIGN §3).

Rotation walks each table with encrypted columns in primary-key batches,
re-encrypts values written under an older key, in the older unpadded format
or bound to no row, recomputes blind indexes (and people's search tokens, and the
indexes a model lists in ``__rotation_indexes__``), and
commits per batch. Each value
carries its key id, format and row uid, so a run that stops part-way resumes by
simply running again. Values that cannot be read are left as they are and
counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..extensions import db
from . import crypto
from .models.people import Person, replace_search_tokens
from .types import _Encrypted, bind_value, is_unreadable


def encrypted_tables() -> list[tuple[type, list[str]]]:
    """(model, encrypted column names) for every mapped class that has any."""
    out = []
    for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.class_.__name__):
        cls = mapper.class_
        cols = [c.key for c in mapper.columns if isinstance(c.type, _Encrypted)]
        if cols:
            out.append((cls, cols))
    return out


def key_usage(session: Session) -> dict[str, int]:
    """How many stored values each key id encrypted (reads raw bytes; decrypts nothing)."""
    counts: Counter[str] = Counter()
    for model, cols in encrypted_tables():
        table = model.__table__
        for name in cols:
            raw = sa.type_coerce(table.c[name], sa.LargeBinary)
            for (blob,) in session.execute(sa.select(raw).where(table.c[name].is_not(None))):
                try:
                    counts[crypto.key_id_of(bytes(blob))] += 1
                except crypto.DecryptionError:
                    counts["(unreadable)"] += 1
    return dict(counts)


def needs_rewrite(blob: bytes, row_uid: str | None, ring: crypto.Keyring) -> bool:
    """True if a stored value is not in the current format, under the current key, bound to ``row_uid``."""
    try:
        env = crypto.parse(blob)
    except crypto.DecryptionError:
        return False  # unreadable: nothing to re-encrypt it from
    return env.version != crypto.FORMAT_VERSION or env.key_id != ring.current or env.row_uid != row_uid


@dataclass
class RotationReport:
    rows_scanned: int = 0
    values_reencrypted: int = 0
    indexes_updated: int = 0
    values_unreadable: int = 0
    per_table: dict[str, int] = field(default_factory=dict)


def rotate(session: Session, batch_size: int = 500, progress: Callable[[str], None] | None = None) -> RotationReport:
    ring = crypto.keyring()
    report = RotationReport()
    for model, cols in encrypted_tables():
        table = model.__table__
        pk = next(iter(table.primary_key.columns))
        last = None
        table_count = 0
        while True:
            query = sa.select(model).order_by(pk).limit(batch_size)
            if last is not None:
                query = query.where(pk > last)
            objs = list(session.scalars(query))
            if not objs:
                break
            raw_rows = {
                row[0]: row[1:]
                for row in session.execute(
                    sa.select(pk, *[sa.type_coerce(table.c[c], sa.LargeBinary) for c in cols]).where(
                        pk.in_([getattr(o, pk.key) for o in objs])
                    )
                )
            }
            for obj in objs:
                report.rows_scanned += 1
                values = {}
                raw = raw_rows[getattr(obj, pk.key)]
                for name, blob in zip(cols, raw, strict=True):
                    if blob is None or not needs_rewrite(bytes(blob), obj.row_uid, ring):
                        continue
                    value = getattr(obj, name)  # decrypted, and checked against this row
                    if is_unreadable(value):
                        report.values_unreadable += 1
                        continue
                    values[name] = bind_value(value, obj.row_uid)  # re-encrypted on write
                indexes = {**getattr(model, "__blind_indexes__", {}), **getattr(model, "__rotation_indexes__", {})}
                for column, compute in indexes.items():
                    index = compute(obj)
                    if getattr(obj, column) != index:
                        values[column] = index
                        report.indexes_updated += 1
                if values:
                    report.values_reencrypted += sum(1 for k in values if k in cols)
                    table_count += sum(1 for k in values if k in cols)
                    # A Core UPDATE: rotation rewrites ciphertext, not content, so it must not
                    # bump record versions (that would turn every open edit form into a conflict).
                    session.execute(sa.update(table).where(pk == getattr(obj, pk.key)).values(**values))
            if model is Person:
                # Search tokens are blind indexes too: rebuilt under the current index key.
                replace_search_tokens(session.connection(), objs)
            last = getattr(objs[-1], pk.key)
            session.commit()
            session.expunge_all()
        report.per_table[table.name] = table_count
        if progress:
            progress(f"{table.name}: {table_count} values re-encrypted")
    return report
