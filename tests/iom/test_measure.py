"""The reoffending measure on hand-built data, worked by hand (issue 10 §10)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from casework.core.periods import calendar_quarter, custom
from casework.extensions import db
from casework.iom import measure as m
from casework.iom import pathways
from casework.iom.measure import months_on_cohort

from .conftest import deselect, offence, on_cohort

Q1 = calendar_quarter(2025, 1)  # 1 January to 31 March 2025


def test_months_on_cohort_counts_calendar_months_with_fractions():
    assert months_on_cohort(date(2025, 1, 1), date(2025, 3, 31)) == 3
    assert months_on_cohort(date(2025, 4, 1), date(2025, 4, 15)) == Fraction(1, 2)
    assert months_on_cohort(date(2025, 2, 15), date(2025, 3, 31)) == Fraction(3, 2)  # 14/28 + 1
    assert months_on_cohort(date(2025, 1, 1), date(2025, 1, 15)) == Fraction(15, 31)
    assert months_on_cohort(date(2024, 2, 1), date(2024, 2, 29)) == 1  # a leap February is one month
    assert months_on_cohort(date(2025, 1, 1), date(2025, 12, 31)) == 12
    assert months_on_cohort(date(2025, 3, 2), date(2025, 3, 1)) == 0


@pytest.fixture
def cohort(team, factory):
    """Four offenders, worked by hand for Q1 2025 (see each line)."""
    # A: on the cohort all quarter (adopted 1 June 2024): 3.0 months. Baseline window
    # 1 Jun 2023 - 31 May 2024 holds 4 dwelling burglaries: baseline 4 x 3/12 = 1.0.
    # Actual: one shoplifting conviction on 10 Feb 2025 (1 Dec 2024 is before the period).
    _, a = on_cohort(team, factory, date(2024, 6, 1), surname="Alpha")
    for day in (date(2023, 6, 1), date(2023, 9, 1), date(2024, 1, 1), date(2024, 5, 31)):
        offence(team, a, day, "burglary_dwelling")
    offence(team, a, date(2023, 5, 31), "burglary_dwelling")  # a day too early for the baseline
    offence(team, a, date(2024, 12, 1))
    offence(team, a, date(2025, 2, 10))
    # B: joins mid-period on 15 Feb 2025: 14/28 + 1 = 1.5 months. Baseline window
    # 15 Feb 2024 - 14 Feb 2025 holds 6 convictions: 6 x 1.5/12 = 0.75. Actual: 5 Mar only
    # (the 10 Feb conviction is before joining and sits in the baseline window).
    _, b = on_cohort(team, factory, date(2025, 2, 15), surname="Bravo")
    for day in (date(2024, 2, 15), date(2024, 4, 1), date(2024, 6, 1), date(2024, 8, 1), date(2024, 10, 1)):
        offence(team, b, day, "robbery")
    offence(team, b, date(2025, 2, 10), "robbery")
    offence(team, b, date(2025, 3, 5), "vehicle_theft")
    # C: deselected mid-period on 15 Jan 2025 (adopted 10 Jan 2024): 15/31 months. Baseline
    # window 10 Jan 2023 - 9 Jan 2024 holds 3 convictions: 3 x (15/31)/12 = 15/124.
    # Actual: 15 Jan (the last day on the cohort) counts, 20 Jan does not.
    _, c = on_cohort(team, factory, date(2024, 1, 10), surname="Charlie")
    for day in (date(2023, 1, 10), date(2023, 6, 1), date(2024, 1, 9)):
        offence(team, c, day)
    offence(team, c, date(2025, 1, 15))
    offence(team, c, date(2025, 1, 20))
    deselect(team, c, date(2025, 1, 15))
    # D: no convictions before adoption (1 Oct 2024): zero baseline. One arrest in the quarter.
    _, d = on_cohort(team, factory, date(2024, 10, 1), surname="Delta", nominated=date(2024, 9, 1))
    offence(team, d, date(2025, 3, 1), "burglary_dwelling", kind="arrest")
    return a, b, c, d


def _row(result, offender):
    return next(o for o in result.offenders if o.case_id == offender.case_id)


def test_measure_by_hand(team, cohort):
    a, b, c, d = cohort
    result = m.measure(Q1)
    assert result.cohort_size == 4
    assert (_row(result, a).months, _row(result, a).baseline, _row(result, a).actual) == (3, 1, 1)
    assert (_row(result, b).months, _row(result, b).baseline, _row(result, b).actual) == (
        Fraction(3, 2),
        Fraction(3, 4),
        1,
    )
    assert (_row(result, c).months, _row(result, c).baseline, _row(result, c).actual) == (
        Fraction(15, 31),
        Fraction(15, 124),
        1,
    )
    assert (_row(result, d).months, _row(result, d).baseline, _row(result, d).actual) == (3, 0, 0)
    # Cohort: baseline 1 + 3/4 + 15/124 = 58/31; actual 3; difference -35/31; impact -35/58 = -60.34%.
    assert result.baseline == Fraction(58, 31)
    assert result.actual == 3
    assert result.difference == Fraction(-35, 31)
    assert result.impact == Decimal("-60.34")
    # A on their own: baseline 1, actual 1: no change.
    assert _row(result, a).impact == Decimal("0.00")


def test_zero_baseline_has_no_percentage(team, cohort):
    *_, d = cohort
    row = _row(m.measure(Q1), d)
    assert row.baseline == 0 and row.impact is None
    alone = m.offender_measure(d, Q1)
    assert alone.impact is None and alone.difference == 0


def test_arrests_switch_and_neighbourhood_variant(team, cohort):
    a, b, c, d = cohort
    arrests = m.measure(Q1, count="arrest")
    assert arrests.actual == 1 and _row(arrests, d).actual == 1 and arrests.baseline == 0
    assert arrests.impact is None
    # Neighbourhood crime only: A's dwelling burglaries (baseline 1.0) but not the shoplifting;
    # B's robberies and vehicle theft (0.75, actual 1); C's shoplifting drops out.
    nc = m.measure(Q1, neighbourhood_only=True)
    assert _row(nc, a).baseline == 1 and _row(nc, a).actual == 0
    assert _row(nc, b).baseline == Fraction(3, 4) and _row(nc, b).actual == 1
    assert _row(nc, c).baseline == 0 and _row(nc, c).actual == 0
    assert nc.baseline == Fraction(7, 4) and nc.actual == 1
    assert nc.impact == Decimal("42.86")  # (1.75 - 1) / 1.75


def test_cost_of_crime_uses_the_unit_cost_table(team, cohort):
    a, *_ = cohort
    row = _row(m.measure(Q1), a)
    # Baseline: 4 dwelling burglaries at the seeded 5,930 x 3/12; actual: one shoplifting at 130.
    assert row.baseline_cost == 5930 and row.actual_cost == 130
    assert row.baseline_cost - row.actual_cost == 5800


def test_filters_sizes_and_a_whole_year(team, cohort, factory):
    a, b, c, d = cohort
    result = m.measure(Q1)
    assert result.by_strand == {"fixed": 4} and result.by_category == {"ppo": 4}
    assert m.measure(Q1, strand="flex").cohort_size == 0
    year = m.measure(custom(date(2025, 1, 1), date(2025, 12, 31)))
    assert _row(year, a).months == 12  # still on the cohort all year


def test_pathway_percentages(team, cohort):
    a, b, c, d = cohort
    review = date(2099, 1, 1)
    for offender, need in ((a, "high"), (b, "medium")):
        pathways.assess(
            team.officer,
            offender,
            pathway_code="accommodation",
            need=need,
            rag="red",
            owner_agency_id=None,
            review_due_on=review,
            details=None,
            version=None,
        )
    db.session.commit()
    result = m.measure(Q1)
    by_code = {p.code: (n, pct) for p, n, pct in result.pathway_need}
    assert by_code["accommodation"] == (2, Decimal("50.00"))  # 2 of the 4 offenders
    assert by_code["ete"] == (0, Decimal("0.00"))
    assert "abuse" not in by_code  # the women's pathways are off by default


def test_empty_cohort_measure(team):
    result = m.measure(Q1)
    assert result.cohort_size == 0 and result.baseline == 0 and result.impact is None


def test_two_spells_in_one_period_by_hand(team, factory):
    """One offender deselected and re-adopted within Q2 2025 (1 April to 30 June), worked by hand.

    Spell 1: adopted 1 Oct 2024, deselected 15 Apr 2025: 1-15 April = 15/30 = 1/2 month.
    Its baseline window, 1 Oct 2023 - 30 Sep 2024, holds 4 convictions (30 Sep 2023 is a day
    too early): 4 x (1/2)/12 = 1/6.
    Spell 2: adopted 1 Jun 2025, still open: June = 1 month. Its baseline window, 1 Jun 2024 -
    31 May 2025, holds 30 Sep 2024, 10 Apr 2025, 20 May 2025 and 31 May 2025: 4 x 1/12 = 1/3.
    Months 1/2 + 1 = 3/2; baseline 1/6 + 1/3 = 1/2.
    Actual: 10 Apr (spell 1) and 1 Jun and 30 Jun (spell 2, its first day included) = 3; 20 May
    and 31 May fall between the spells and 1 Jul after the period, so they do not count.
    Difference 1/2 - 3 = -5/2; impact -5/2 / (1/2) x 100 = -500.00 (an increase).
    The offender counts once, under the strand and category of the later spell.
    """
    from .conftest import adopt, nominate

    person, o = on_cohort(team, factory, date(2024, 10, 1), nominated=date(2024, 9, 20))
    for day in (date(2023, 9, 30), date(2023, 11, 1), date(2024, 2, 1), date(2024, 5, 1), date(2024, 9, 30)):
        offence(team, o, day)
    for day in (date(2025, 4, 10), date(2025, 5, 20), date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 30)):
        offence(team, o, day)
    offence(team, o, date(2025, 7, 1))
    deselect(team, o, date(2025, 4, 15))
    adopt(team, nominate(team, person, date(2025, 5, 20)), date(2025, 6, 1), strand="flex", category="repeat")

    q2 = calendar_quarter(2025, 2)
    result = m.measure(q2)
    (row,) = result.offenders
    assert row.months == Fraction(3, 2)
    assert row.baseline == Fraction(1, 2)
    assert row.actual == 3
    assert row.difference == Fraction(-5, 2)
    assert row.impact == Decimal("-500.00")
    assert (row.strand, row.category) == ("flex", "repeat")
    assert result.by_strand == {"flex": 1} and result.by_category == {"repeat": 1}
    assert result.cohort_size == 1 and result.baseline == Fraction(1, 2) and result.actual == 3
    # Seen from the offender's page: the same figures.
    assert m.offender_measure(o, q2).baseline == Fraction(1, 2)
