"""What IOM holds about an offender, for a subject access pack (UK GDPR Art 15, or DPA 2018
Part 3 s45 where the police hold it for law enforcement).

The offender receives their nominations and decisions, spells on the cohort, tier and
supervision history, pathway needs, contacts and offending record. Police source
references are withheld from the pack for the reviewer to consider (DPA 2018 s45(4):
they can identify intelligence); the reviewer can mark any record exempt.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..core import subject_access as sar
from ..core.models import Person
from ..core.modules import SubjectAccessRecord
from ..extensions import db
from .models import (
    CATEGORIES,
    CONTACT_OUTCOMES,
    CONTACT_TYPES,
    DESELECTION_REASONS,
    NEED_LEVELS,
    NOMINATION_STATUSES,
    OFFENCE_KINDS,
    SUPERVISION_STATUSES,
    Contact,
    Nomination,
    Offence,
    Offender,
    PathwayNeed,
    Spell,
    SupervisionChange,
    TierChange,
)


def records(person: Person) -> list[SubjectAccessRecord]:
    t = sar.text
    out: list[SubjectAccessRecord] = []
    offender = db.session.scalar(sa.select(Offender).where(Offender.person_id == person.id))
    case_ids = [offender.case_id] if offender else []
    others = sar.other_people_names(case_ids, person)

    def add(kind: str, record_id: int, title: str, fields, third_party=frozenset()) -> None:
        out.append(
            SubjectAccessRecord(
                module="iom",
                kind=kind,
                record_id=record_id,
                title=title,
                fields=tuple(fields),
                third_party=frozenset(third_party),
                third_party_names=others,
            )
        )

    for o in db.session.scalars(sa.select(Offence).where(Offence.person_id == person.id).order_by(Offence.offence_on)):
        add(
            "offence",
            o.id,
            f"{t(o.kind, OFFENCE_KINDS)} of {t(o.offence_on)}",
            [
                ("Date", t(o.offence_on)),
                ("Kind", t(o.kind, OFFENCE_KINDS)),
                ("Offence", o.category.label),
                ("Outcome", t(o.outcome)),
                ("Notes", t(o.notes)),
                ("Source reference", t(o.source_ref)),
            ],
            {"Source reference"},
        )
    if not offender:
        return out
    cid = offender.case_id
    for n in db.session.scalars(sa.select(Nomination).where(Nomination.case_id == cid).order_by(Nomination.id)):
        add(
            "nomination",
            n.id,
            f"IOM nomination of {t(n.nominated_on)}",
            [
                ("Nominated", t(n.nominated_on)),
                ("Nominating agency", n.nominating_agency.name),
                ("Reasons", t(n.reasons)),
                ("Category", t(n.category, CATEGORIES)),
                ("Selection score", str(n.score)),
                ("Decision", t(n.status, NOMINATION_STATUSES)),
                ("Decided", t(n.decided_on)),
                ("Reasons for the decision", t(n.decision_reason)),
            ],
        )
    for s in db.session.scalars(sa.select(Spell).where(Spell.person_id == person.id).order_by(Spell.start_on)):
        add(
            "spell",
            s.id,
            f"On the IOM cohort from {t(s.start_on)}",
            [
                ("From", t(s.start_on)),
                ("To", t(s.end_on)),
                ("Strand", t(s.strand)),
                ("Category", t(s.category, CATEGORIES)),
                ("Lead agency", s.lead_agency.name),
                ("Reason for leaving", t(s.deselection_reason, DESELECTION_REASONS)),
                ("Note on leaving", t(s.deselection_note)),
                ("Exit plan", t(s.exit_plan)),
            ],
        )
    for c in db.session.scalars(sa.select(TierChange).where(TierChange.case_id == cid).order_by(TierChange.id)):
        add("tier", c.id, f"Tier set on {t(c.changed_on)}", [("Tier", t(c.tier)), ("Reason", t(c.reason))])
    for c in db.session.scalars(
        sa.select(SupervisionChange).where(SupervisionChange.case_id == cid).order_by(SupervisionChange.id)
    ):
        add(
            "supervision",
            c.id,
            f"Supervision from {t(c.from_on)}",
            [
                ("Status", t(c.status, SUPERVISION_STATUSES)),
                ("Expected release", t(c.expected_release_on)),
                ("Note", t(c.note)),
            ],
        )
    for p in db.session.scalars(sa.select(PathwayNeed).where(PathwayNeed.case_id == cid).order_by(PathwayNeed.id)):
        add(
            "pathway",
            p.id,
            f"Pathway: {p.pathway.label}",
            [
                ("Need", t(p.need, NEED_LEVELS)),
                ("Assessed", t(p.assessed_on)),
                ("Details", t(p.details)),
            ],
        )
    for c in db.session.scalars(sa.select(Contact).where(Contact.case_id == cid).order_by(Contact.contact_on)):
        add(
            "contact",
            c.id,
            f"Contact of {t(c.contact_on)}",
            [
                ("Type", t(c.contact_type, CONTACT_TYPES)),
                ("Outcome", t(c.outcome, CONTACT_OUTCOMES)),
                ("Notes", t(c.notes)),
            ],
        )
    return out
