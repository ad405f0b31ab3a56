"""The SafeLives quarterly MARAC data return, counted per meeting (domain-notes §3).

It counts what happened, not what was planned (SafeLives MARAC data guidance,
"Reviewing your Marac data"; domain-notes §3: collected at meeting level, totals
include repeats):

* meetings held: MARAC meetings marked held whose LOCAL date is in the period;
* cases discussed: hearings, that is agenda items at those meetings with an
  outcome recorded and not removed. A case heard at two meetings is two hearings;
  repeats are included;
* repeat cases: hearings of cases the coordinator confirmed as repeats. The repeat
  rate is repeat hearings / hearings, so both sides count the same thing and a
  repeat case heard twice counts twice in each (SafeLives counts cases per meeting,
  not people);
* referrals by agency, victim characteristics and children: per hearing too.

Referrals are split police / partner agencies.
Victim characteristics counted: Black, Asian or racially minoritised, LGBT+,
disabled, male, aged 16-17 at referral; and children in the households.
Volume is given per 10,000 women aged 16+ when the local population is set
(MARAC_WOMEN_16_PLUS); the SafeLives benchmark is 40. Demographics are
encrypted, so they alone are decrypted and counted here, in Python; everything
else is counted in SQL, and only counts leave this function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

import sqlalchemy as sa
from flask import current_app

from ..core import crypto, periods
from ..core.models import Action, Agency, AgendaItem, Case, CaseParticipant, Meeting, Person
from ..core.models.people import age_on
from ..core.periods import Period
from ..core.reporting import Figure
from ..core.types import UNREADABLE_TEXT
from ..extensions import db
from .models import Referral

# An unreadable value counts as not known.
NOT_MINORITISED = {"white_british", "white_other", "not_known", None, UNREADABLE_TEXT}


@dataclass(frozen=True)
class Measure:
    """One figure of the return: a count, a percentage or a rate (``None`` when it cannot be worked out)."""

    label: str
    value: int | float | None
    unit: str = "count"  # count, percent or rate
    # The count a percentage or rate rests on (for small-number suppression).
    basis: int | None = None


@dataclass
class QuarterlyReturn:
    period: Period
    meetings: int = 0
    cases: int = 0
    repeats: int = 0
    police_referrals: int = 0
    partner_referrals: int = 0
    by_agency: Counter = field(default_factory=Counter)
    police_agencies: set = field(default_factory=set)  # names in ``by_agency`` of kind police
    minoritised: int = 0
    lgbt: int = 0
    disabled: int = 0
    male: int = 0
    aged_16_17: int = 0
    children: int = 0
    per_10k_women: float | None = None

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    @property
    def repeat_rate(self) -> float | None:
        return round(100 * self.repeats / self.cases, 1) if self.cases else None

    def measures(self) -> list[Measure]:
        """Every figure on its own, one value each (a percentage is a separate measure)."""
        out = [
            Measure("Meetings held", self.meetings),
            Measure("Cases discussed (repeats included)", self.cases),
            Measure("Repeat cases", self.repeats),
            Measure("Repeat cases (% of cases discussed)", self.repeat_rate, "percent", basis=self.repeats),
            Measure("Referrals from police", self.police_referrals),
            Measure("Referrals from partner agencies", self.partner_referrals),
            Measure("Victims: Black, Asian or racially minoritised", self.minoritised),
            Measure("Victims: LGBT+", self.lgbt),
            Measure("Victims: disabled", self.disabled),
            Measure("Victims: male", self.male),
            Measure("Victims: aged 16-17", self.aged_16_17),
            Measure("Children in the households", self.children),
        ]
        if self.per_10k_women is not None:
            out.append(
                Measure(
                    "Cases per 10,000 women aged 16+ (annualised)",
                    round(self.per_10k_women, 1),
                    "rate",
                    basis=self.cases,
                )
            )
        return out

    def agency_measures(self) -> list[Measure]:
        """Cases discussed by referring agency, in name order."""
        return [Measure(f"Referrals from {name}", count) for name, count in sorted(self.by_agency.items())]


def quarterly_return(period: Period) -> QuarterlyReturn:
    """The return for the meetings held on the period's LOCAL dates (setting ``TIMEZONE``)."""
    return quarterly_returns([period])[0]


def quarterly_returns(wanted: Sequence[Period]) -> list[QuarterlyReturn]:
    """The return for each of several periods that do not overlap (a period and the one
    before it, for a comparison), for the meetings held on their LOCAL dates.

    A meeting counts only once marked held (a scheduled or cancelled one never), and a
    listed case only once its outcome is recorded at a held meeting: see the module
    docstring for each definition.

    Everything not encrypted is counted by the database (hearings, repeats, referring
    agencies, children). The victims' demographic columns are the only values
    decrypted: one streamed query over every period at once gives each victim's
    hearings grouped by referral date and period, ordered by victim, and each victim's
    columns are decrypted once, however many hearings (in however many of the periods)
    they have. Memory stays flat; only counts leave this function.
    """
    outs = [QuarterlyReturn(period=p) for p in wanted]
    bounds = [periods.utc_bounds(p) for p in wanted]
    ordered = sorted(bounds)
    if any(later[0] < earlier[1] for earlier, later in pairwise(ordered)):
        raise ValueError("the periods of one computation must not overlap")
    if not outs:
        return outs

    def held_in(lo, hi):
        return sa.and_(
            Meeting.kind == "marac", Meeting.status == "held", Meeting.starts_at >= lo, Meeting.starts_at < hi
        )

    def hearings(where, *columns) -> sa.Select:
        return (
            sa.select(*columns)
            .select_from(AgendaItem)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .join(Referral, Referral.case_id == AgendaItem.case_id)
            .where(where, AgendaItem.removed_reason.is_(None), AgendaItem.outcome.is_not(None))
        )

    for out, (lo, hi) in zip(outs, bounds, strict=True):
        in_period = held_in(lo, hi)
        out.meetings = db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(in_period)) or 0
        by_agency = (
            hearings(
                in_period,
                Agency.name,
                Agency.kind,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((Referral.repeat_clause(), 1), else_=0)), 0),
            )
            .join(Agency, Agency.id == Referral.referring_agency_id)
            .group_by(Agency.id, Agency.name, Agency.kind)
        )
        for name, kind, count, repeats in db.session.execute(by_agency):
            out.cases += count
            out.repeats += repeats
            out.by_agency[name] += count
            if kind == "police":
                out.police_referrals += count
                out.police_agencies.add(name)
            else:
                out.partner_referrals += count
        out.children = (
            db.session.scalar(
                hearings(in_period, sa.func.count())
                .join(CaseParticipant, CaseParticipant.case_id == AgendaItem.case_id)
                .where(CaseParticipant.role == "child")
            )
            or 0
        )
    _count_victims(outs, bounds, held_in, hearings)
    women = current_app.config.get("MARAC_WOMEN_16_PLUS")
    if women:
        for out in outs:
            out.per_10k_women = out.cases * (365 / out.period.days) * 10_000 / women
    return outs


DEMOGRAPHICS = ("gender", "ethnicity", "disability", "is_lgbt", "dob")


def _count_victims(outs: list[QuarterlyReturn], bounds, held_in, hearings) -> None:
    """Victim characteristics per hearing, each victim's columns decrypted once (see above)."""
    which = sa.case(*((held_in(lo, hi), i) for i, (lo, hi) in enumerate(bounds)), else_=None)
    anywhere = sa.or_(*(held_in(lo, hi) for lo, hi in bounds))
    # One row a hearing, then grouped outside: PostgreSQL binds the CASE's parameters
    # afresh in a GROUP BY, so the CASE itself is never grouped on.
    each = hearings(
        anywhere, Referral.victim_id.label("victim_id"), Referral.referral_date.label("on"), which.label("which")
    ).subquery()
    heard = (
        sa.select(each.c.victim_id, each.c.on.label("referral_date"), each.c.which, sa.func.count().label("n"))
        .group_by(each.c.victim_id, each.c.on, each.c.which)
        .subquery()
    )
    table = Person.__table__
    raw = [sa.type_coerce(table.c[name], sa.LargeBinary) for name in DEMOGRAPHICS]
    types = [table.c[name].type for name in DEMOGRAPHICS]
    query = (
        sa.select(heard.c.victim_id, table.c.row_uid, *raw, heard.c.referral_date, heard.c.which, heard.c.n)
        .join(table, table.c.id == heard.c.victim_id)
        .order_by(heard.c.victim_id)
        .execution_options(yield_per=1000)
    )
    ring = crypto.keyring()
    current_id, values = None, None
    for row in db.session.execute(query):
        victim_id, row_uid = row[0], row[1]
        if victim_id != current_id:
            current_id = victim_id
            values = [t.read_raw(blob, row_uid, ring) for t, blob in zip(types, row[2:7], strict=True)]
        gender, ethnicity, disability, is_lgbt, dob = values
        referral_date, which_period, n = row[7], row[8], row[9]
        out = outs[which_period]
        out.minoritised += n * (ethnicity not in NOT_MINORITISED)
        out.lgbt += n * (is_lgbt == "yes")
        out.disabled += n * (disability == "yes")
        out.male += n * (gender == "male")
        out.aged_16_17 += n * (age_on(dob, referral_date) in (16, 17))


def outstanding_actions(period: Period) -> list[tuple[str, int, int]]:
    """(agency, outstanding, overdue) for actions on MARAC cases, as at the end of the period
    (today, if the period has not ended), counted in SQL.

    Outstanding: created by then and open then (still open, or completed only after it);
    actions marked not done or cancelled are closed. Overdue: outstanding and past their
    deadline on that day (DESIGN §2: overdue = open past due). Actions belong to the agency
    that owns them (SafeLives: the MARAC does not manage the case).
    """
    as_at = min(period.end, periods.local_today())
    _, hi = periods.utc_bounds(periods.custom(as_at, as_at))
    open_then = sa.or_(Action.status == "open", sa.and_(Action.status == "done", Action.completed_at >= hi))
    overdue = sa.func.coalesce(sa.func.sum(sa.case((Action.due_on < as_at, 1), else_=0)), 0)
    query = (
        sa.select(Agency.name, sa.func.count(), overdue)
        .select_from(Action)
        .join(Case, Case.id == Action.case_id)
        .join(Agency, Agency.id == Action.assigned_agency_id)
        .where(Case.kind == "marac", Action.created_at < hi, open_then)
        .group_by(Agency.id, Agency.name)
        .order_by(Agency.name)
    )
    return [(name, count, late) for name, count, late in db.session.execute(query)]


ACTIONS_GROUP = "Outstanding actions by agency (at the end of the period)"
AGENCY_GROUP = "Cases discussed by referring agency"
CHARTED = {
    "Cases discussed (repeats included)",
    "Repeat cases",
    "Referrals from police",
    "Referrals from partner agencies",
    "Victims: Black, Asian or racially minoritised",
    "Victims: LGBT+",
    "Victims: disabled",
    "Victims: male",
    "Victims: aged 16-17",
    "Children in the households",
}


def report_figures(period: Period) -> list[Figure]:
    """The report's figures for one period (see :func:`figures_for`)."""
    return figures_for([period])[0]


CASES = "Cases discussed (repeats included)"
REPEATS = "Repeat cases"
POLICE = "Referrals from police"
PARTNERS = "Referrals from partner agencies"


def figures_for(wanted: Sequence[Period]) -> list[list[Figure]]:
    """The quarterly return as figures for the reports hub, for each period: the return's own
    measures (one computation for all the periods, :func:`quarterly_returns`), cases by
    referring agency, and outstanding and overdue actions by agency.

    What each figure is made of, so that none gives a suppressed count away
    (``core/reporting.py``): cases discussed are the total of the cases by referring
    agency; police referrals the total of the police agencies' and partner referrals of
    the others'; the repeat rate is worked out from repeat cases and cases discussed, and
    the rate per 10,000 women from cases discussed."""
    out = []
    for data in quarterly_returns(wanted):
        agencies = sorted(data.by_agency.items())
        police = tuple(f"{AGENCY_GROUP}: {name}" for name, _ in agencies if name in data.police_agencies)
        partners = tuple(f"{AGENCY_GROUP}: {name}" for name, _ in agencies if name not in data.police_agencies)
        made_of = {
            CASES: {"total_of": (AGENCY_GROUP,)},
            POLICE: {"total_of": (police,)},
            PARTNERS: {"total_of": (partners,)},
            "Repeat cases (% of cases discussed)": {"derived_from": (REPEATS, CASES)},
            "Cases per 10,000 women aged 16+ (annualised)": {"derived_from": (CASES,)},
        }
        figures = [
            Figure(m.label, m.value, m.unit, m.basis, chart=m.label in CHARTED, **made_of.get(m.label, {}))
            for m in data.measures()
        ]
        figures += [Figure(name, count, group=AGENCY_GROUP) for name, count in agencies]
        for name, count, late in outstanding_actions(data.period):
            figures.append(Figure(f"{name}: outstanding", count, group=ACTIONS_GROUP))
            figures.append(Figure(f"{name}: overdue", late, group=ACTIONS_GROUP))
        out.append(figures)
    return out


REPORT_DEFINITIONS = (
    "Meetings held: MARAC meetings marked as held. Scheduled and cancelled meetings are not counted.",
    "Cases discussed: cases with an outcome recorded at a held meeting, repeats included. "
    "A case heard at two meetings counts twice.",
    "Repeat cases: cases discussed that the coordinator confirmed as repeats (a further incident with the same "
    "victim and perpetrator within 12 months of the last MARAC referral). Proposed repeats that have not been "
    "confirmed are not counted. The repeat rate is repeat cases / cases discussed × 100, to one decimal.",
    "Referrals, victims and children: counted for each case discussed. Police referrals are those from an agency "
    "of kind police; every other agency is a partner agency.",
    "Cases per 10,000 women aged 16+: cases discussed, annualised, per 10,000 women aged 16+ in the area "
    "(shown when the population is configured; the SafeLives benchmark is 40).",
    "Outstanding actions: actions on MARAC cases open at the end of the period (or today); overdue ones were "
    "past their deadline on that day.",
)
