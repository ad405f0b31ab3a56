"""The ASB report on the reports hub (domain-notes §5; DESIGN §6), counted from the case data.

For each period (the one chosen and the one before it), on LOCAL dates:

* **incidents by category**: incidents that occurred in the period and were not removed
  by correction, by their category; incidents linked as one event (reported to several
  agencies) count once;
* **repeat callers**: distinct victims who reported at least one incident in the period
  and had ``ASB_REPEAT_INCIDENTS`` (default 3) or more incidents in the 12 months up to and
  including that incident, the window as the module's repeat-victim rule counts it
  (``ASB_REPEAT_WINDOW_DAYS``, default 365: an incident 365 days after the first is
  outside it). Each event counts once, on its earliest date;
* **victims by risk level**: distinct victims with an incident in the period, by their
  current risk band (standard, medium, high, or not assessed);
* **support plan reviews overdue**: active individual support plans on open ASB cases
  whose review was due before the end of the period (today, if the period has not
  ended), from each plan's current review date;
* **ASB Case Review**: the four published figures for the period, from the Case Review's
  own service (``case_review.services.annual_figures``).

Nothing is decrypted: every figure is counted from clear columns. Counts only.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import timedelta
from itertools import groupby

import sqlalchemy as sa

from ..core import periods as core_periods
from ..core.models import Case, Plan
from ..core.periods import Period
from ..core.reporting import Figure
from ..extensions import db
from .case_review.services import annual_figures
from .common import setting
from .models import CATEGORIES, RISK_BANDS, Incident, IncidentVictim, Victim

CATEGORY_GROUP = "Incidents by category"
RISK_GROUP = "Victims by risk level"
REVIEW_GROUP = "ASB Case Review"


def incidents_by_category(period: Period) -> dict[str, int]:
    """Live incidents that occurred in the period, by category, a linked event counted once."""
    event = sa.case((Incident.group_id.is_not(None), Incident.group_id), else_=-Incident.id)
    rows = db.session.execute(
        sa.select(Incident.category, sa.func.count(sa.distinct(event)))
        .where(
            Incident.deleted_at.is_(None),
            Incident.occurred_on >= period.start,
            Incident.occurred_on <= period.end,
        )
        .group_by(Incident.category)
    ).all()
    return {category: int(n) for category, n in rows}


def repeat_callers(period: Period, threshold: int | None = None, window_days: int | None = None) -> int:
    """Distinct victims with an incident in the period that was at least their ``threshold``-th
    within the window ending on it (see the module docstring)."""
    threshold = int(setting("ASB_REPEAT_INCIDENTS")) if threshold is None else threshold
    window_days = int(setting("ASB_REPEAT_WINDOW_DAYS")) if window_days is None else window_days
    since = period.start - timedelta(days=window_days - 1)
    events = (
        sa.select(IncidentVictim.person_id, IncidentVictim.event_key, sa.func.min(IncidentVictim.occurred_on))
        .where(
            IncidentVictim.live.is_(True), IncidentVictim.occurred_on >= since, IncidentVictim.occurred_on <= period.end
        )
        .group_by(IncidentVictim.person_id, IncidentVictim.event_key)
        .order_by(IncidentVictim.person_id)
        .execution_options(yield_per=2000)
    )
    count = 0
    for _, rows in groupby(db.session.execute(events), key=lambda row: row[0]):
        days = sorted(day for _, _, day in rows)
        for day in days[bisect_left(days, period.start) : bisect_right(days, period.end)]:
            earliest = day - timedelta(days=window_days - 1)
            if bisect_right(days, day) - bisect_left(days, earliest) >= threshold:
                count += 1
                break
    return count


def victims_by_risk(period: Period) -> dict[str | None, int]:
    """Distinct victims with a live incident in the period, by their current risk band."""
    heard = (
        sa.select(IncidentVictim.person_id)
        .where(
            IncidentVictim.live.is_(True),
            IncidentVictim.occurred_on >= period.start,
            IncidentVictim.occurred_on <= period.end,
        )
        .distinct()
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Victim.risk_band, sa.func.count())
        .select_from(heard)
        .outerjoin(Victim, Victim.person_id == heard.c.person_id)
        .group_by(Victim.risk_band)
    ).all()
    return {band: int(n) for band, n in rows}


def overdue_reviews(period: Period) -> int:
    """Active support plans on open ASB cases with a review due before the end of the period."""
    as_at = min(period.end, core_periods.local_today())
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Plan)
            .join(Case, Case.id == Plan.case_id)
            .where(
                Case.kind == "asb",
                Case.closed_on.is_(None),
                Plan.kind == "support",
                Plan.is_active.is_(True),
                Plan.review_due_on < as_at,
            )
        )
        or 0
    )


def figures_for(wanted: Sequence[Period]) -> list[list[Figure]]:
    """The report's figures for each period (see the module docstring)."""
    out = []
    for period in wanted:
        by_category = incidents_by_category(period)
        figures = [Figure("Incidents", sum(by_category.values()), chart=True, total_of=(CATEGORY_GROUP,))]
        figures += [
            Figure(label, by_category.get(code, 0), group=CATEGORY_GROUP, chart=True)
            for code, label in CATEGORIES.items()
        ]
        figures.append(Figure("Repeat callers", repeat_callers(period), chart=True))
        figures.append(Figure("Support plan reviews overdue (at the end of the period)", overdue_reviews(period)))
        risk = victims_by_risk(period)
        figures += [Figure(label, risk.get(code, 0), group=RISK_GROUP) for code, label in RISK_BANDS.items()]
        figures.append(Figure("Not assessed", risk.get(None, 0), group=RISK_GROUP))
        figures += [Figure(label, n, group=REVIEW_GROUP) for label, n in annual_figures(period).rows()]
        out.append(figures)
    return out
