"""Reoffending measurement and the cost of crime (issue 10 §10-11; domain-notes §4, "IDIOM").

For a measurement period [start, end] (both dates included):

* every offender on the cohort at any time in the period counts. For each of their
  spells on the cohort that overlaps the period, the **months on cohort** within the
  period are counted in calendar months, a partial month counting as the fraction of
  that month's days covered (a full quarter is exactly 3.0, 1-15 April is 15/30 = 0.5);
* **baseline** = convictions dated in the 12 months before the start of that spell
  (from the same day a year earlier up to the day before the spell began) × (months on
  cohort within the period / 12). An offender with one spell has exactly the issue's
  "current spell"; an offender deselected and re-adopted within the period has each
  spell's months weighted by the record before that spell began;
* **actual** = convictions dated within the period on a day the offender was on the
  cohort (from the spell's start to its end, inclusive);
* cohort figures are the sums; **difference** = baseline − actual; **% impact** =
  difference / baseline × 100 to two decimals (a positive figure is a reduction),
  **undefined when the baseline is 0** (never divided);
* ``count="arrest"`` counts arrests instead of convictions; ``neighbourhood_only``
  counts only categories flagged as neighbourhood crime;
* cohort size by category and by strand (each offender once, under their latest spell
  in the period), and the percentage of that cohort with a medium or high need on
  each pathway (their current assessment);
* **cost of crime**: baseline and actual offences priced at each category's unit cost
  (the partnership's editable table), and the cost avoided (baseline − actual).

Arithmetic is exact (fractions); figures are rounded only for display.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..core.periods import Period
from ..extensions import db
from .common import years_before
from .models import CATEGORIES, Offence, OffenceCategory, Offender, Pathway, PathwayNeed, Spell, Strand

if TYPE_CHECKING:
    from .offending import OffenceRow

COUNTS = {"conviction": "Convictions", "arrest": "Arrests"}


def months_on_cohort(first: date, last: date) -> Fraction:
    """Calendar months from ``first`` to ``last`` inclusive, a partial month as its fraction of days."""
    if last < first:
        return Fraction(0)
    total = Fraction(0)
    day = first
    while day <= last:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        month_end = date(day.year, day.month, days_in_month)
        stop = min(month_end, last)
        total += Fraction((stop - day).days + 1, days_in_month)
        day = month_end + timedelta(days=1)
    return total


def percent(numerator: Fraction, denominator: Fraction) -> Decimal | None:
    """numerator / denominator × 100 to two decimals (half up); None when the denominator is 0."""
    if denominator == 0:
        return None
    value = Fraction(numerator) * 100 / Fraction(denominator)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def two_places(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class OffenderMeasure:
    case_id: int
    person_id: int
    strand: str
    category: str
    months: Fraction = Fraction(0)
    baseline: Fraction = Fraction(0)
    actual: int = 0
    baseline_cost: Fraction = Fraction(0)
    actual_cost: Fraction = Fraction(0)

    @property
    def difference(self) -> Fraction:
        return self.baseline - self.actual

    @property
    def impact(self) -> Decimal | None:
        return percent(self.difference, self.baseline)


@dataclass
class Measure:
    period: Period
    count: str
    neighbourhood_only: bool
    strand: str | None
    category: str | None
    offenders: list[OffenderMeasure]
    by_category: dict[str, int] = field(default_factory=dict)
    by_strand: dict[str, int] = field(default_factory=dict)
    pathway_need: list[tuple[Pathway, int, Decimal | None]] = field(default_factory=list)

    @property
    def cohort_size(self) -> int:
        return len(self.offenders)

    @property
    def months(self) -> Fraction:
        return sum((o.months for o in self.offenders), Fraction(0))

    @property
    def baseline(self) -> Fraction:
        return sum((o.baseline for o in self.offenders), Fraction(0))

    @property
    def actual(self) -> int:
        return sum(o.actual for o in self.offenders)

    @property
    def difference(self) -> Fraction:
        return self.baseline - self.actual

    @property
    def impact(self) -> Decimal | None:
        return percent(self.difference, self.baseline)

    @property
    def baseline_cost(self) -> Fraction:
        return sum((o.baseline_cost for o in self.offenders), Fraction(0))

    @property
    def actual_cost(self) -> Fraction:
        return sum((o.actual_cost for o in self.offenders), Fraction(0))

    @property
    def cost_avoided(self) -> Fraction:
        return self.baseline_cost - self.actual_cost


def measure(
    period: Period,
    *,
    count: str = "conviction",
    neighbourhood_only: bool = False,
    strand: str | None = None,
    category: str | None = None,
    case_ids: list[int] | None = None,
    with_pathways: bool = True,
) -> Measure:
    """The reoffending measure for the cohort (or the offenders in ``case_ids``): see module doc."""
    if count not in COUNTS:
        raise ValueError(f"unknown count {count!r}")
    spell_query = sa.select(
        Spell.id, Spell.case_id, Spell.person_id, Spell.start_on, Spell.end_on, Spell.strand, Spell.category
    ).where(Spell.start_on <= period.end, sa.or_(Spell.end_on.is_(None), Spell.end_on >= period.start))
    if strand:
        spell_query = spell_query.where(Spell.strand == strand)
    if category:
        spell_query = spell_query.where(Spell.category == category)
    if case_ids is not None:
        spell_query = spell_query.where(Spell.case_id.in_(case_ids))
    spells = db.session.execute(spell_query.order_by(Spell.start_on, Spell.id)).all()
    result = Measure(period, count, neighbourhood_only, strand, category, [])
    if not spells:
        result.pathway_need = _pathway_need([], 0) if with_pathways else []
        return result

    costs, flagged = _category_costs()
    # Every counted offence of these people from the earliest baseline window to the period's end.
    earliest = min(years_before(s.start_on) for s in spells)
    person_ids = sorted({s.person_id for s in spells})
    offences: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for chunk_start in range(0, len(person_ids), 900):
        chunk = person_ids[chunk_start : chunk_start + 900]
        query = sa.select(Offence.person_id, Offence.offence_on, Offence.category_id).where(
            Offence.person_id.in_(chunk),
            Offence.kind == count,
            Offence.offence_on >= earliest,
            Offence.offence_on <= period.end,
        )
        for person_id, offence_on, category_id in db.session.execute(query):
            if neighbourhood_only and category_id not in flagged:
                continue
            offences[person_id].append((offence_on, category_id))
    _count(result, spells, offences, costs)
    if with_pathways:
        result.pathway_need = _pathway_need([o.case_id for o in result.offenders], len(result.offenders))
    return result


def _category_costs() -> tuple[dict[int, Fraction], set[int]]:
    """Each offence category's unit cost, and the categories flagged as neighbourhood crime."""
    costs: dict[int, Fraction] = {}
    flagged: set[int] = set()
    for cat_id, unit_cost, neighbourhood in db.session.execute(
        sa.select(OffenceCategory.id, OffenceCategory.unit_cost, OffenceCategory.neighbourhood)
    ):
        costs[cat_id] = Fraction(str(unit_cost or 0))
        if neighbourhood:
            flagged.add(cat_id)
    return costs, flagged


def _count(
    result: Measure,
    spells: Sequence[Any],
    offences: dict[int, list[tuple[date, int]]],
    costs: dict[int, Fraction],
) -> None:
    """Fill ``result`` from the spells overlapping its period (ordered by start, then id) and each
    person's counted offences as (date, category id): the arithmetic of the module doc."""
    period = result.period
    per_case: dict[int, OffenderMeasure] = {}
    for s in spells:
        row = per_case.get(s.case_id)
        if row is None:
            row = per_case[s.case_id] = OffenderMeasure(s.case_id, s.person_id, s.strand, s.category)
        else:  # counted under the latest spell in the period
            row.strand, row.category = s.strand, s.category
        first = max(s.start_on, period.start)
        last = min(s.end_on or period.end, period.end)
        months = months_on_cohort(first, last)
        window_start = years_before(s.start_on)
        prior: Counter[int] = Counter()
        for offence_on, category_id in offences.get(s.person_id, ()):
            if window_start <= offence_on < s.start_on:
                prior[category_id] += 1
            elif first <= offence_on <= last:
                row.actual += 1
                row.actual_cost += costs.get(category_id, Fraction(0))
        row.months += months
        scale = months / 12
        row.baseline += sum(prior.values()) * scale
        row.baseline_cost += sum((n * costs.get(c, Fraction(0)) for c, n in prior.items()), Fraction(0)) * scale

    result.offenders = sorted(per_case.values(), key=lambda o: o.case_id)
    result.by_category = dict(Counter(o.category for o in result.offenders))
    result.by_strand = dict(Counter(o.strand for o in result.offenders))


def _pathway_need(case_ids: list[int], size: int) -> list[tuple[Pathway, int, Decimal | None]]:
    """(pathway, offenders with a medium or high need, % of the cohort) for each enabled pathway."""
    pathways = list(
        db.session.scalars(sa.select(Pathway).where(Pathway.is_enabled.is_(True)).order_by(Pathway.sort_order))
    )
    counts: Counter[str] = Counter()
    for start in range(0, len(case_ids), 900):
        chunk = case_ids[start : start + 900]
        for code, n in db.session.execute(
            sa.select(PathwayNeed.pathway_code, sa.func.count())
            .where(PathwayNeed.case_id.in_(chunk), PathwayNeed.need.in_(("medium", "high")))
            .group_by(PathwayNeed.pathway_code)
        ):
            counts[code] += n
    return [(p, counts[p.code], percent(Fraction(counts[p.code]), Fraction(size))) for p in pathways]


def strand_labels() -> dict[str, str]:
    return dict(db.session.execute(sa.select(Strand.code, Strand.label).order_by(Strand.sort_order)).all())


def category_labels() -> dict[str, str]:
    return dict(CATEGORIES)


def offender_measure(
    offender: Offender,
    period: Period,
    *,
    count: str = "conviction",
    neighbourhood_only: bool = False,
    strand: str | None = None,
    category: str | None = None,
    spells: Sequence[Spell] | None = None,
    offences: Sequence[OffenceRow] | None = None,
) -> OffenderMeasure | None:
    """The measure for one offender (None if they were not on the cohort in the period).

    A page that has already read every spell of the offender's case and every offence of the
    person (``offending.offences_for``) passes them in, and the measure is worked out from
    them without reading anything again; the arithmetic is the cohort measure's."""
    if spells is None or offences is None or any(s.person_id != offender.person_id for s in spells):
        result = measure(
            period,
            count=count,
            neighbourhood_only=neighbourhood_only,
            strand=strand,
            category=category,
            case_ids=[offender.case_id],
            with_pathways=False,
        )
        return result.offenders[0] if result.offenders else None
    if count not in COUNTS:
        raise ValueError(f"unknown count {count!r}")
    overlapping = sorted(
        (
            s
            for s in spells
            if s.case_id == offender.case_id
            and s.start_on <= period.end
            and (s.end_on is None or s.end_on >= period.start)
            and (not strand or s.strand == strand)
            and (not category or s.category == category)
        ),
        key=lambda s: (s.start_on, s.id),
    )
    if not overlapping:
        return None
    earliest = min(years_before(s.start_on) for s in overlapping)
    counted = [
        o
        for o in offences
        if o.kind == count
        and earliest <= o.offence_on <= period.end
        and (o.category.neighbourhood or not neighbourhood_only)
    ]
    costs = {o.category_id: Fraction(str(o.category.unit_cost or 0)) for o in counted}
    result = Measure(period, count, neighbourhood_only, strand, category, [])
    _count(result, overlapping, {offender.person_id: [(o.offence_on, o.category_id) for o in counted]}, costs)
    return result.offenders[0]


def visible_rows(user, offenders: list[OffenderMeasure], limit: int | None = None) -> list[OffenderMeasure]:
    """The per-offender rows of cases the user may open (cohort totals cover everyone), checked
    in chunks and stopping at ``limit``."""
    from ..core.policy import visible_case_ids

    out: list[OffenderMeasure] = []
    for start in range(0, len(offenders), 500):
        chunk = offenders[start : start + 500]
        visible = visible_case_ids(user, [o.case_id for o in chunk])
        out.extend(o for o in chunk if o.case_id in visible)
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


__all__ = ["COUNTS", "Measure", "OffenderMeasure", "measure", "months_on_cohort", "offender_measure"]
