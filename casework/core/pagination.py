"""One page of a list, at a cost that does not grow with the table.

Every list page in the product goes through :func:`paginate`. Flask-SQLAlchemy's
``db.paginate`` counts every matching row on each request: at 100,000 cases that count
was the slowest statement on the page, and for a user who sees cases through their
agency it meant checking visibility on every case in the system. Here a page fetches one
row more than it shows, which is all the "Next" link needs; lists say "Page 3", not
"Page 3 of 4,000" (GOV.UK pagination for long lists). Where a page does show a number,
:func:`capped_count` counts up to a cap ("more than 1,000"); :func:`capped_counts` several at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..extensions import db

COUNT_CAP = 1000
MAX_PER_PAGE = 200


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def paginate(
    query: sa.Select, page: int, per_page: int, *, max_per_page: int = MAX_PER_PAGE, scalars: bool = True
) -> Page:
    """Page ``page`` (from 1) of ``query``, which must be ordered on a unique key.

    ``scalars=False`` returns rows (for a query that selects columns, not entities).
    """
    per_page = max(1, min(int(per_page), max_per_page))
    page = max(1, int(page))
    result = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page))
    rows = list(result.unique().scalars() if scalars else result.all())
    return Page(items=rows[:per_page], page=page, per_page=per_page, has_next=len(rows) > per_page)


def capped_count(query: sa.Select, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(rows matching ``query`` up to ``cap``, whether there are more)."""
    return capped_counts([query], cap)[0]


def capped_counts(queries: list[sa.Select], cap: int = COUNT_CAP) -> list[tuple[int, bool]]:
    """:func:`capped_count` of each query, all in one statement (one round trip for a page's figures)."""
    counts = [
        sa.select(sa.func.count()).select_from(q.order_by(None).limit(cap + 1).subquery()).scalar_subquery()
        for q in queries
    ]
    row = db.session.execute(sa.select(*counts)).one()
    return [(min(n or 0, cap), (n or 0) > cap) for n in row]
