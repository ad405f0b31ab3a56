"""The IOM report on the reports hub: the reoffending measure by category and strand, cohort
size and pathway needs, from one run of :func:`measure.measure` (issue 10 §10; domain-notes §4).

Each offender counts once, under the strand and category of their latest spell on the
cohort in the period (as the measure's own cohort-size breakdown does); their baseline
and actual convictions are summed within that group, and the group's % impact is
(baseline − actual) / baseline × 100, undefined when the baseline is 0 (shown as "no data").
Pathway needs: offenders with a medium or high need on each enabled pathway (their current
assessment) and that as a percentage of the cohort. Counts only: no offender is named.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from ..core.periods import Period
from ..core.reporting import Figure
from . import measure
from .models import CATEGORIES

CATEGORY_GROUP = "By category"
STRAND_GROUP = "By strand"
PATHWAY_GROUP = "Pathway needs (medium or high)"


def _group_figures(group: str, name: str, offenders: list[measure.OffenderMeasure]) -> list[Figure]:
    size = len(offenders)
    baseline = sum((o.baseline for o in offenders), Fraction(0))
    actual = sum(o.actual for o in offenders)
    return [
        Figure(f"{name}: offenders", size, group=group, chart=True),
        Figure(f"{name}: baseline", measure.two_places(baseline), "number", basis=size, group=group),
        Figure(f"{name}: actual", actual, basis=size, group=group),
        Figure(f"{name}: difference", measure.two_places(baseline - actual), "number", basis=size, group=group),
        Figure(f"{name}: % impact", measure.percent(baseline - actual, baseline), "percent", basis=size, group=group),
    ]


def _by(offenders: Iterable[measure.OffenderMeasure], attr: str) -> dict[str, list[measure.OffenderMeasure]]:
    out: dict[str, list[measure.OffenderMeasure]] = {}
    for o in offenders:
        out.setdefault(getattr(o, attr), []).append(o)
    return out


COHORT = "Offenders on the cohort"
BASELINE = "Baseline convictions (12 months before joining, pro rata)"
ACTUAL = "Actual convictions while on the cohort"
DIFFERENCE = "Difference (baseline − actual)"
# The cohort's figures are the totals of each breakdown (by category, and by strand).
BREAKDOWNS = (CATEGORY_GROUP, STRAND_GROUP)


def report_figures(period: Period) -> list[Figure]:
    """Cohort totals, then by category, by strand and pathway needs (see the module docstring).

    What each figure is made of, so that none gives a suppressed count away
    (``core/reporting.py``): the cohort's offenders, baseline, actual and difference are
    the totals of the figures by category and, separately, by strand; the % impact is
    worked out from the baseline and the difference; a pathway's percentage from the
    cohort size."""
    result = measure.measure(period)
    size = result.cohort_size
    out = [
        Figure(COHORT, size, chart=True, total_of=BREAKDOWNS),
        Figure("Months on the cohort", measure.two_places(result.months), "number", basis=size),
        Figure(BASELINE, measure.two_places(result.baseline), "number", basis=size, total_of=BREAKDOWNS),
        Figure(ACTUAL, result.actual, basis=size, total_of=BREAKDOWNS),
        Figure(
            DIFFERENCE,
            measure.two_places(result.difference),
            "number",
            basis=size,
            total_of=BREAKDOWNS,
            derived_from=(BASELINE, ACTUAL),
        ),
        Figure(
            "% impact (a positive figure is a reduction)",
            result.impact,
            "percent",
            basis=size,
            derived_from=(BASELINE, DIFFERENCE),
        ),
    ]
    by_category = _by(result.offenders, "category")
    for code, label in CATEGORIES.items():
        out += _group_figures(CATEGORY_GROUP, label, by_category.get(code, []))
    by_strand = _by(result.offenders, "strand")
    for code, label in measure.strand_labels().items():
        out += _group_figures(STRAND_GROUP, label, by_strand.get(code, []))
    for pathway, count, share in result.pathway_need:
        out.append(Figure(f"{pathway.label}: offenders", count, group=PATHWAY_GROUP, chart=True))
        out.append(
            Figure(
                f"{pathway.label}: % of the cohort",
                share,
                "percent",
                basis=count,
                group=PATHWAY_GROUP,
                derived_from=(COHORT,),
            )
        )
    return out


REPORT_DEFINITIONS = (
    "Offenders on the cohort: everyone on the cohort at any time in the period, once each, under the strand and "
    "category of their latest spell in the period.",
    "Baseline: convictions in the 12 months before each spell began, times the months on the cohort within the "
    "period divided by 12.",
    "Actual: convictions dated within the period on a day the offender was on the cohort.",
    "Difference = baseline − actual; % impact = difference / baseline × 100, to two decimals. A positive figure is "
    "a reduction. With a baseline of 0 the impact cannot be worked out and shows as no data.",
    "Pathway needs: offenders with a medium or high need on each pathway at their current assessment, and that as a "
    "percentage of the cohort.",
)
