"""Repeat victims (domain-notes §5): a victim is a repeat victim when they have 3 or more
incidents within a rolling 12 months (settings ``ASB_REPEAT_INCIDENTS`` and
``ASB_REPEAT_WINDOW_DAYS``, default 3 and 365).

Window: incidents on days d1 <= ... <= dn fall within one window when dn - d1 is
less than the window length (365 days: 1 January to 31 December of the same year is
within, to the next 1 January is not). The victim is a repeat victim on every day
from the day the threshold is reached until the window opened by the earliest of
those incidents closes (d1 + 364 days). Incidents linked as one event count once,
on their earliest date; an incident removed by correction counts for nothing.

The status is kept on the victim's row (:class:`~casework.asb.models.Victim`) and
recomputed only for the people an incident names, from their own incidents (one
index range per person), whenever an incident is logged, linked or corrected.
Because the row holds the dates the status runs between, it lapses with time
without any recount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from ..core.cases import without_access_links
from ..core.models import Case, Person, User
from ..core.pagination import Page, paginate
from ..core.policy import visible_case_clause
from ..extensions import db
from .common import setting
from .models import IncidentVictim, Victim

# A list shows a victim's name only: load (and decrypt) nothing else of the person.
NAME_ONLY = (Person.id, Person.given_names, Person.surname, Person.row_uid)


@dataclass(frozen=True)
class RepeatStatus:
    incident_count: int
    first_on: date | None
    last_on: date | None
    since: date | None
    until: date | None


def status_from_dates(days: Iterable[date], threshold: int, window_days: int) -> RepeatStatus:
    """The repeat status of a victim with incidents (one per event) on ``days``.

    Returns the latest run of days on which the victim was a repeat victim
    (``since`` to ``until`` inclusive), or none.
    """
    ordered = sorted(days)
    since = until = None
    for i in range(len(ordered) - threshold + 1):
        first, reached = ordered[i], ordered[i + threshold - 1]
        if (reached - first).days >= window_days:
            continue
        start, end = reached, first + timedelta(days=window_days - 1)
        if until is not None and start <= until + timedelta(days=1):
            until = max(until, end)
        else:
            since, until = start, end
    return RepeatStatus(
        incident_count=len(ordered),
        first_on=ordered[0] if ordered else None,
        last_on=ordered[-1] if ordered else None,
        since=since,
        until=until,
    )


def event_days(person_id: int) -> list[date]:
    """One date per event for this victim: linked incidents count once, on their earliest date."""
    rows = db.session.execute(
        sa.select(IncidentVictim.event_key, sa.func.min(IncidentVictim.occurred_on))
        .where(IncidentVictim.person_id == person_id, IncidentVictim.live.is_(True))
        .group_by(IncidentVictim.event_key)
    ).all()
    return [day for _, day in rows]


def refresh(person_ids: Iterable[int], *, case_id: int | None = None) -> dict[int, Victim]:
    """Recompute the repeat status of these people only (after an incident naming them changed).

    ``case_id``: the ASB case the change was made on, which becomes the victim's case in lists.
    """
    threshold = int(setting("ASB_REPEAT_INCIDENTS"))
    window = int(setting("ASB_REPEAT_WINDOW_DAYS"))
    out: dict[int, Victim] = {}
    ids = sorted(set(person_ids))
    existing = {v.person_id: v for v in db.session.scalars(sa.select(Victim).where(Victim.person_id.in_(ids)))}
    for person_id in ids:
        status = status_from_dates(event_days(person_id), threshold, window)
        victim = existing.get(person_id)
        if victim is None:
            victim = Victim(person_id=person_id)
            db.session.add(victim)
        victim.incident_count = status.incident_count
        victim.first_incident_on = status.first_on
        victim.last_incident_on = status.last_on
        victim.repeat_since = status.since
        victim.repeat_until = status.until
        if case_id is not None:
            victim.case_id = case_id
        out[person_id] = victim
    db.session.flush()
    return out


def victim_of(person_id: int) -> Victim | None:
    return db.session.scalar(sa.select(Victim).where(Victim.person_id == person_id))


def victims_of(person_ids: Iterable[int]) -> dict[int, Victim]:
    ids = set(person_ids)
    if not ids:
        return {}
    return {v.person_id: v for v in db.session.scalars(sa.select(Victim).where(Victim.person_id.in_(ids)))}


def is_repeat(victim: Victim | None, today: date | None = None) -> bool:
    return victim is not None and victim.is_repeat_on(today or date.today())


@dataclass(frozen=True)
class RepeatRow:
    victim: Victim
    count: int
    dates: list[date]


def repeat_victims_page(user: User, page: int, per_page: int = 25, today: date | None = None) -> Page:
    """Repeat victims today on ASB cases the user may see, longest-running status first, with the
    number and dates of their incidents in the window ending today (two queries a page)."""
    today = today or date.today()
    window = int(setting("ASB_REPEAT_WINDOW_DAYS"))
    query = (
        sa.select(Victim)
        .join(Case, Case.id == Victim.case_id)
        .where(Victim.repeat_until >= today, Victim.repeat_since <= today, visible_case_clause(user))
        .options(without_access_links(contains_eager(Victim.case)), joinedload(Victim.person).load_only(*NAME_ONLY))
        .order_by(Victim.repeat_until.desc(), Victim.person_id.desc())
    )
    result = paginate(query, page, per_page)
    ids = [v.person_id for v in result.items]
    dates: dict[int, set[tuple[int, date]]] = {i: set() for i in ids}
    if ids:
        rows = db.session.execute(
            sa.select(IncidentVictim.person_id, IncidentVictim.event_key, IncidentVictim.occurred_on).where(
                IncidentVictim.person_id.in_(ids),
                IncidentVictim.live.is_(True),
                IncidentVictim.occurred_on > today - timedelta(days=window),
            )
        ).all()
        for person_id, key, day in rows:
            dates[person_id].add((key, day))
    rows_out = []
    for v in result.items:
        firsts: dict[int, date] = {}
        for key, day in dates[v.person_id]:
            firsts[key] = min(day, firsts.get(key, day))
        days = sorted(firsts.values())
        rows_out.append(RepeatRow(victim=v, count=len(days), dates=days))
    return Page(items=rows_out, page=result.page, per_page=result.per_page, has_next=result.has_next)
