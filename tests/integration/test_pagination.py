"""Pages of a list: one row more than the page decides "Next"; counts stop at a cap."""

from __future__ import annotations

import sqlalchemy as sa

from casework.core.models import Person
from casework.core.pagination import capped_count, paginate


def test_pages_walk_the_list_in_order_without_counting(app, factory):
    user = factory.user("idva")
    made = [factory.person(user, surname=f"Paged{n}") for n in range(7)]
    query = sa.select(Person).order_by(Person.id)
    first, second, third = (paginate(query, n, 3) for n in (1, 2, 3))
    assert [p.id for p in first.items] == [p.id for p in made[:3]]
    assert first.has_next and not first.has_prev and first.next_num == 2
    assert [p.id for p in second.items] == [p.id for p in made[3:6]]
    assert second.has_prev and second.prev_num == 1 and second.has_next
    assert [p.id for p in third.items] == [made[6].id] and not third.has_next
    past_the_end = paginate(query, 9, 3)
    assert past_the_end.items == [] and not past_the_end.has_next and past_the_end.has_prev
    # Out-of-range arguments are clamped, not errors.
    assert paginate(query, 0, 3).page == 1 and paginate(query, 1, 10_000, max_per_page=5).per_page == 5


def test_capped_count_stops_at_the_cap(app, factory):
    user = factory.user("idva")
    for n in range(6):
        factory.person(user, surname=f"Counted{n}")
    query = sa.select(Person.id)
    assert capped_count(query, cap=10) == (6, False)
    assert capped_count(query, cap=6) == (6, False)
    assert capped_count(query, cap=5) == (5, True)
