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
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from ..core.models import Agency, AgendaItem, CaseParticipant, Meeting, Person
from ..core.types import UNREADABLE_TEXT
from ..extensions import db
from .models import Referral

# An unreadable value counts as not known.
NOT_MINORITISED = {"white_british", "white_other", "not_known", None, UNREADABLE_TEXT}


@dataclass
class QuarterlyReturn:
    start: date
    end: date
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
    def repeat_rate(self) -> float | None:
        return round(100 * self.repeats / self.cases, 1) if self.cases else None

    def rows(self) -> list[tuple[str, str]]:
        pct = f" ({self.repeat_rate}%)" if self.repeat_rate is not None else ""
        rows = [
            ("Period", f"{self.start:%d %b %Y} to {self.end:%d %b %Y}"),
            ("Meetings held", str(self.meetings)),
            ("Cases discussed (repeats included)", str(self.cases)),
            ("Repeat cases", f"{self.repeats}{pct}"),
            ("Referrals from police", str(self.police_referrals)),
            ("Referrals from partner agencies", str(self.partner_referrals)),
            ("Victims: Black, Asian or racially minoritised", str(self.minoritised)),
            ("Victims: LGBT+", str(self.lgbt)),
            ("Victims: disabled", str(self.disabled)),
            ("Victims: male", str(self.male)),
            ("Victims: aged 16-17", str(self.aged_16_17)),
            ("Children in the households", str(self.children)),
        ]
        if self.per_10k_women is not None:
            rows.append(("Cases per 10,000 women aged 16+ (annualised)", f"{self.per_10k_women:.1f}"))
        return rows


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, next_start - timedelta(days=1)


def quarterly_return(start: date, end: date) -> QuarterlyReturn:
    out = QuarterlyReturn(start=start, end=end)
    lo = datetime.combine(start, time.min, tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
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
    days = (end - start).days + 1
    if women:
        out.per_10k_women = out.cases * (365 / days) * 10_000 / women
    return out
