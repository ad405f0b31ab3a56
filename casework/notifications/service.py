"""Notifications: rows written with the change that causes them, read in the app, mailed.

One mechanism for every module (DESIGN §1, §7). A module registers its kinds and a scan
(``core/modules.py``); events call :func:`notify` inside the transaction of the change,
so a notification exists exactly when its change committed. Recipients are resolved in
SQL: named users, or the users of some agencies who hold a capability (a role within the
agency), plus the agency's shared mailbox. The e-mail mode of each row (immediate, daily
summary, none) is fixed when the row is written, from the user's preference, the kind's
default and whether an administrator made the kind mandatory.

Nothing here reads a name or any free text: a notification names ids only, and the
wording of a mail is the kind's fixed text with a count and the recipient's agency name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date

import sqlalchemy as sa
from flask import url_for

from ..core import modules
from ..core.models import Agency, Case, User, UserRole
from ..core.modules import NotificationKind, Reminder
from ..core.types import utcnow
from ..extensions import db
from .models import MODES, AgencyMailbox, Notification, NotificationKindSetting, NotificationPreference


class UnknownKind(LookupError):
    pass


def kinds() -> dict[str, NotificationKind]:
    return modules.notification_kinds()


def kind(code: str) -> NotificationKind:
    try:
        return kinds()[code]
    except KeyError:
        raise UnknownKind(code) from None


def default_mode(k: NotificationKind) -> str:
    if not k.default_on:
        return "none"
    return "immediate" if k.urgent else "digest"


def mandatory_kinds() -> set[str]:
    return set(
        db.session.scalars(sa.select(NotificationKindSetting.kind).where(NotificationKindSetting.mandatory.is_(True)))
    )


def effective_mode(k: NotificationKind, chosen: str | None, mandatory: bool) -> str:
    """The user's choice, else the kind's default; a mandatory kind is always e-mailed."""
    mode = chosen if chosen in MODES else default_mode(k)
    if mandatory and mode == "none":
        return "immediate" if k.urgent else "digest"
    return mode


# --- recipients -------------------------------------------------------------------------


def roles_with(capability: str) -> list[str]:
    return sorted(role for role, caps in modules.capabilities().items() if capability in caps)


def _users_in_agencies(agency_ids: Iterable[int], capability: str | None) -> list[tuple[int, int]]:
    """(user id, agency id) of the active users of the agencies holding the capability."""
    ids = sorted(set(agency_ids))
    if not ids:
        return []
    query = sa.select(User.id, User.agency_id).where(User.agency_id.in_(ids), User.is_active.is_(True))
    if capability is not None:
        roles = roles_with(capability)
        if not roles:
            return []
        query = query.where(sa.exists().where(UserRole.user_id == User.id, UserRole.role.in_(roles)))
    return [(r[0], r[1]) for r in db.session.execute(query)]


def _users_with_capability(capability: str) -> list[tuple[int, int]]:
    roles = roles_with(capability)
    if not roles:
        return []
    query = sa.select(User.id, User.agency_id).where(
        User.is_active.is_(True), sa.exists().where(UserRole.user_id == User.id, UserRole.role.in_(roles))
    )
    return [(r[0], r[1]) for r in db.session.execute(query)]


def _named_users(user_ids: Iterable[int]) -> list[tuple[int, int]]:
    ids = sorted({int(i) for i in user_ids if i})
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.agency_id).where(User.id.in_(ids), User.is_active.is_(True))
    ).all()
    return [(r[0], r[1]) for r in rows]


def _modes_for(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """{(user id, kind): chosen mode} for the users and kinds in ``pairs``."""
    if not pairs:
        return {}
    user_ids = sorted({u for u, _ in pairs})
    codes = sorted({k for _, k in pairs})
    out: dict[tuple[int, str], str] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        for uid, code, mode in db.session.execute(
            sa.select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id.in_(chunk), NotificationPreference.kind.in_(codes)
            )
        ):
            out[(uid, code)] = mode
    return out


def _mailboxes(agency_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(agency_ids))
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(AgencyMailbox.agency_id, AgencyMailbox.mode).where(AgencyMailbox.agency_id.in_(ids))
        ).all()
    )


def _key(code: str, object_id: int, occasion: str | None, recipient: str) -> str | None:
    if occasion is None:
        return None
    return f"{code}|{object_id}|{occasion}|{recipient}"[:160]


def _build_rows(items: list[tuple[NotificationKind, int, int | None, str | None, list[tuple[int, int]], list[int]]]):
    """Rows for (kind, object, case, occasion, [(user, agency)], [mailbox agency ids])."""
    mandatory = mandatory_kinds()
    pairs = {(uid, k.code) for k, _, _, _, users, _ in items for uid, _ in users}
    chosen = _modes_for(pairs)
    boxes = _mailboxes({a for *_, agencies in items for a in agencies})
    now = utcnow()
    rows = []
    for k, object_id, case_id, occasion, users, agencies in items:
        for uid, agency_id in users:
            mode = effective_mode(k, chosen.get((uid, k.code)), k.code in mandatory)
            rows.append(
                {
                    "kind": k.code,
                    "object_id": object_id,
                    "case_id": case_id,
                    "user_id": uid,
                    "agency_id": agency_id,
                    "occasion": occasion,
                    "dedupe_key": _key(k.code, object_id, occasion, f"u{uid}"),
                    "created_at": now,
                    "mode": mode,
                    "mail_state": "none" if mode == "none" else "pending",
                }
            )
        for agency_id in agencies:
            if agency_id not in boxes:
                continue
            rows.append(
                {
                    "kind": k.code,
                    "object_id": object_id,
                    "case_id": case_id,
                    "user_id": None,
                    "agency_id": agency_id,
                    "occasion": occasion,
                    "dedupe_key": _key(k.code, object_id, occasion, f"a{agency_id}"),
                    "created_at": now,
                    "mode": boxes[agency_id],
                    "mail_state": "none" if boxes[agency_id] == "none" else "pending",
                    # A mailbox has no in-app list.
                    "read_at": now,
                }
            )
    return rows


def _insert_ignoring_duplicates(rows: list[dict]) -> int:
    """Insert, skipping rows whose dedupe key exists (also when two scans race)."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return _insert_unnest(rows)
    from sqlalchemy.dialects.sqlite import insert

    table = Notification.__table__
    full = [{"read_at": None, **row} for row in rows]
    inserted = 0
    for start in range(0, len(full), 1000):
        stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
        inserted += len(db.session.execute(stmt, full[start : start + 1000]).all())
    return inserted


# PostgreSQL: one array per column, so a batch of thousands of rows is a statement with a dozen
# parameters (a multi-row VALUES list of as many parameters costs the driver more than the insert).
_UNNEST_COLUMNS = (
    "kind",
    "object_id",
    "case_id",
    "user_id",
    "agency_id",
    "occasion",
    "dedupe_key",
    "read_at",
    "mode",
    "mail_state",
)
_UNNEST_INSERT = sa.text(
    """
    INSERT INTO notification
        (kind, object_id, case_id, user_id, agency_id, occasion, dedupe_key, read_at, mode, mail_state, created_at)
    SELECT u.*, :created_at FROM unnest(
        CAST(:kind AS varchar[]), CAST(:object_id AS integer[]), CAST(:case_id AS integer[]),
        CAST(:user_id AS integer[]), CAST(:agency_id AS integer[]), CAST(:occasion AS varchar[]),
        CAST(:dedupe_key AS varchar[]), CAST(:read_at AS timestamp[]), CAST(:mode AS varchar[]),
        CAST(:mail_state AS varchar[])
    ) AS u
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
    """
)


def _naive_utc(moment):
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _insert_unnest(rows: list[dict]) -> int:
    inserted = 0
    for start in range(0, len(rows), 20000):
        chunk = rows[start : start + 20000]
        params = {c: [_naive_utc(r.get(c)) if c == "read_at" else r.get(c) for r in chunk] for c in _UNNEST_COLUMNS}
        params["created_at"] = _naive_utc(chunk[0]["created_at"])
        inserted += len(db.session.execute(_UNNEST_INSERT, params).all())
    return inserted


def notify(
    code: str,
    *,
    object_id: int,
    case_id: int | None = None,
    user_ids: Iterable[int] = (),
    agency_ids: Iterable[int] = (),
    capability: str | None = None,
    occasion: str | None = None,
    exclude_user_id: int | None = None,
) -> int:
    """Notify of one event, in the current transaction (it commits or rolls back with the change).

    ``user_ids``: named users. ``agency_ids`` with ``capability``: those agencies' users who
    hold it, and their shared mailboxes; ``capability`` alone: everyone holding it. The user
    who made the change (``exclude_user_id``) is not told about it.
    """
    k = kind(code)
    db.session.flush()
    users = dict(_named_users(user_ids))
    agency_list = sorted({int(a) for a in agency_ids if a})
    if agency_list:
        users.update(_users_in_agencies(agency_list, capability))
    elif capability is not None and not user_ids:
        users.update(_users_with_capability(capability))
    users.pop(exclude_user_id, None)
    rows = _build_rows([(k, object_id, case_id, occasion, sorted(users.items()), agency_list)])
    return _insert_ignoring_duplicates(rows)


def add_reminders(reminders: Iterable[Reminder]) -> int:
    """Write the scan's reminders: recipients resolved per (agencies, capability) group in one
    query each, preferences in one query, then bulk inserts that skip what exists already."""
    reminders = list(reminders)
    all_kinds = kinds()
    wanted_agencies: dict[str | None, set[int]] = defaultdict(set)
    named: set[int] = set()
    for r in reminders:
        named.update(r.user_ids)
        wanted_agencies[r.capability].update(r.agency_ids)
    agency_users: dict[tuple[int, str | None], list[tuple[int, int]]] = defaultdict(list)
    for capability, ids in wanted_agencies.items():
        for uid, agency_id in _users_in_agencies(ids, capability):
            agency_users[(agency_id, capability)].append((uid, agency_id))
    named_users = dict(_named_users(named))
    items = []
    for r in reminders:
        k = all_kinds.get(r.kind)
        if k is None:
            continue
        users = {uid: named_users[uid] for uid in r.user_ids if uid in named_users}
        for agency_id in r.agency_ids:
            users.update(agency_users.get((agency_id, r.capability), []))
        items.append((k, r.object_id, r.case_id, r.occasion, sorted(users.items()), list(r.agency_ids)))
    total = 0
    for start in range(0, len(items), 2000):
        total += _insert_ignoring_duplicates(_build_rows(items[start : start + 2000]))
    return total


def not_reminded(code: str, object_id: sa.ColumnElement, occasion: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL for a module's scan: no reminder of this kind, object and occasion was written yet,
    so a second scan the same day reads only what is new (an index probe per candidate)."""
    return ~sa.exists().where(
        Notification.kind == code, Notification.object_id == object_id, Notification.occasion == occasion
    )


def scan(today: date | None = None) -> int:
    """Every module's time-based reminders for ``today``; run twice, the second adds nothing."""
    today = today or date.today()
    found: list[Reminder] = []
    for module_scan in modules.notification_scans():
        found.extend(module_scan(today))
    return add_reminders(found)


# --- in the app ---------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    url: str
    created_at: object
    unread: bool
    reference: str | None


def _visible(user: User, rows: list[Notification]) -> set[int]:
    """Notification ids the user may still follow: each kind's own check (or the case's)."""
    from flask import current_app

    from ..core.policy import visible_case_ids

    by_kind: dict[str, list[Notification]] = defaultdict(list)
    for n in rows:
        by_kind[n.kind].append(n)
    ok: set[int] = set()
    registered = kinds()
    for code, group in by_kind.items():
        k = registered.get(code)
        if k is None or k.endpoint not in current_app.view_functions:
            continue
        if k.visible is not None:
            seen = k.visible(user, [n.object_id for n in group])
            ok.update(n.id for n in group if n.object_id in seen)
        else:
            seen = visible_case_ids(user, [n.case_id for n in group if n.case_id is not None])
            ok.update(n.id for n in group if n.case_id in seen)
    return ok


def page_for(user: User, page: int, per_page: int = 25):
    """The user's notifications, newest first, showing only what they may still see.

    Access is checked again now (a case may have left the agency's view since): an entry
    the user may no longer follow is not shown and counts as read.
    """
    from ..core.pagination import paginate

    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    result = paginate(query, page, per_page)
    rows = list(result.items)
    visible = _visible(user, rows)
    hidden = [n.id for n in rows if n.id not in visible and n.read_at is None]
    if hidden:
        db.session.execute(sa.update(Notification).where(Notification.id.in_(hidden)).values(read_at=utcnow()))
    case_ids = {n.case_id for n in rows if n.id in visible and n.case_id}
    refs = dict(db.session.execute(sa.select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all())
    registered = kinds()
    entries = []
    for n in rows:
        if n.id not in visible:
            continue
        k = registered[n.kind]
        entries.append(
            Entry(
                id=n.id,
                text=k.one.format(n=1, agency=user.agency.name),
                url=url_for(k.endpoint, **{k.id_arg: n.object_id}),
                created_at=n.created_at,
                unread=n.read_at is None,
                reference=refs.get(n.case_id),
            )
        )
    return result, entries


def open_entry(user: User, notification_id: int) -> str | None:
    """Mark one of the user's notifications read and return its link, if still visible."""
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != user.id:
        return None
    if n.read_at is None:
        n.read_at = utcnow()
    if n.id not in _visible(user, [n]):
        return None
    k = kinds()[n.kind]
    return url_for(k.endpoint, **{k.id_arg: n.object_id})


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


# --- preferences ------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceRow:
    kind: NotificationKind
    mode: str
    mandatory: bool


def preferences(user: User) -> list[PreferenceRow]:
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    mandatory = mandatory_kinds()
    return [
        PreferenceRow(k, effective_mode(k, chosen.get(code), code in mandatory), code in mandatory)
        for code, k in kinds().items()
        if relevant_to(user, k)
    ]


def relevant_to(user: User, k: NotificationKind) -> bool:
    """Kinds of a module the user works in (``{case kind}.case.view``)."""
    prefix = k.code.split(".", 1)[0]
    return user.can(f"{prefix}.case.view")


def set_preferences(user: User, choices: dict[str, str]) -> list[str]:
    """Save the user's choice per kind; "none" is refused for a mandatory kind."""
    from ..core.services import FieldErrors

    mandatory = mandatory_kinds()
    errors = []
    registered = kinds()
    for code, mode in choices.items():
        if code not in registered or mode not in MODES:
            errors.append((code, "Select how you want to hear about this"))
        elif mode == "none" and code in mandatory:
            errors.append((code, "Your administrator requires e-mails about this: choose straight away or daily"))
    if errors:
        raise FieldErrors(errors)
    existing = {
        p.kind: p
        for p in db.session.scalars(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    changed = []
    for code, mode in choices.items():
        pref = existing.get(code)
        if pref is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=code, mode=mode))
            changed.append(code)
        elif pref.mode != mode:
            pref.mode = mode
            changed.append(code)
    db.session.flush()
    return changed


def set_mandatory(codes: set[str]) -> None:
    registered = set(kinds())
    rows = {s.kind: s for s in db.session.scalars(sa.select(NotificationKindSetting))}
    for code in registered:
        row = rows.get(code)
        if row is None:
            db.session.add(NotificationKindSetting(kind=code, mandatory=code in codes))
        else:
            row.mandatory = code in codes
    db.session.flush()


def set_mailbox(agency: Agency, email: str | None, mode: str = "digest") -> None:
    row = db.session.get(AgencyMailbox, agency.id)
    if not email:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(AgencyMailbox(agency_id=agency.id, email=email, mode=mode))
    else:
        row.email, row.mode = email, mode
    db.session.flush()
