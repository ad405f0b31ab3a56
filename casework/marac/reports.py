"""The SafeLives quarterly MARAC data return, counted per meeting (domain-notes §3).

Cases discussed include repeats. Referrals are split police / partner agencies.
Victim characteristics counted: Black, Asian or racially minoritised, LGBT+,
disabled, male, aged 16-17 at referral; and children in the households.
Volume is given per 10,000 women aged 16+ when the local population is set
(MARAC_WOMEN_16_PLUS); the SafeLives benchmark is 40. Demographics are
encrypted, so they are decrypted and counted here, in Python, and only counts
leave this function.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from ..core import periods
from ..core.models import Agency, AgendaItem, CaseParticipant, Meeting, Person
from ..core.periods import Period
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
    out = QuarterlyReturn(period=period)
    lo, hi = periods.utc_bounds(period)
    in_period = sa.and_(
        Meeting.kind == "marac", Meeting.status != "cancelled", Meeting.starts_at >= lo, Meeting.starts_at < hi
    )
    out.meetings = db.session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(in_period)) or 0
    rows = db.session.execute(
        sa.select(AgendaItem.case_id, Referral, Person, Agency.kind, Agency.name)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .join(Referral, Referral.case_id == AgendaItem.case_id)
        .join(Person, Person.id == Referral.victim_id)
        .join(Agency, Agency.id == Referral.referring_agency_id)
        .where(in_period, AgendaItem.removed_reason.is_(None))
    ).all()
    case_ids = {r[0] for r in rows}
    child_counts = (
        dict(
            db.session.execute(
                sa.select(CaseParticipant.case_id, sa.func.count())
                .where(CaseParticipant.case_id.in_(case_ids), CaseParticipant.role == "child")
                .group_by(CaseParticipant.case_id)
            ).all()
        )
        if case_ids
        else {}
    )
    for case_id, referral, victim, agency_kind, agency_name in rows:
        out.cases += 1
        out.repeats += referral.is_repeat
        out.by_agency[agency_name] += 1
        if agency_kind == "police":
            out.police_referrals += 1
        else:
            out.partner_referrals += 1
        out.minoritised += victim.ethnicity not in NOT_MINORITISED
        out.lgbt += victim.is_lgbt == "yes"
        out.disabled += victim.disability == "yes"
        out.male += victim.gender == "male"
        age = victim.age_on(referral.referral_date)
        out.aged_16_17 += age in (16, 17)
        out.children += child_counts.get(case_id, 0)
    women = current_app.config.get("MARAC_WOMEN_16_PLUS")
    if women:
        out.per_10k_women = out.cases * (365 / period.days) * 10_000 / women
    return out
