"""What MARAC holds about a person, for a subject access pack (UK GDPR Art 15).

A victim receives their referral, risk assessments, the IDVA's contacts and the
agencies' research on their case, with other people's names removed from the free
text. Anyone else in a MARAC case (a perpetrator, a child, another household member)
receives the fact of the case and the referral's dates, but not what the referral
says: it is the victim's information (DPA 2018 Sch 2 para 16; the reviewer sees each
field withheld and may also mark a record exempt, for example where disclosure would
put the victim at risk of serious harm).
"""

from __future__ import annotations

import sqlalchemy as sa

from ..core import subject_access as sar
from ..core.models import AgendaItem, Person
from ..core.modules import SubjectAccessRecord
from ..extensions import db
from .models import (
    CONTACT_METHODS,
    CONTACT_OUTCOMES,
    RISK_LEVELS,
    YES_NO,
    ContactLog,
    DashAssessment,
    Referral,
    ResearchResponse,
)

# Referral fields that describe the victim's situation, in the order the pack lists them.
_REFERRAL_TEXT = (
    ("Summary", "summary"),
    ("Who the victim fears", "victim_fears"),
    ("Safe contact arrangements", "safe_contact"),
    ("Reason for professional judgement", "judgement_reason"),
    ("Reason for sharing without consent", "consent_override_reason"),
    ("Previous reference", "previous_reference"),
    ("Transferred from", "transfer_from_area"),
    ("Transferred to", "transfer_out_area"),
    ("Reason declined", "decline_reason"),
)
_REFERRER_CONTACT = frozenset({"Referrer phone", "Referrer email"})


def records(person: Person) -> list[SubjectAccessRecord]:
    t = sar.text
    out: list[SubjectAccessRecord] = []
    parts = sar.participations(person.id, "marac")
    case_ids = [p.case_id for p in parts]
    victim_cases = {p.case_id for p in parts if p.role == "victim"}
    others = sar.other_people_names(case_ids, person)
    referrals = (
        list(db.session.scalars(sa.select(Referral).where(Referral.case_id.in_(case_ids)).order_by(Referral.id)))
        if case_ids
        else []
    )
    for r in referrals:
        about_subject = r.case_id in victim_cases and r.victim_id == person.id
        fields = [
            ("Case", r.case.reference),
            ("Referral date", t(r.referral_date)),
            ("Incident date", t(r.incident_date)),
            ("Referring agency", r.referring_agency.name),
            ("Referrer", t(r.referrer_name)),
            ("Referrer phone", t(r.referrer_phone)),
            ("Referrer email", t(r.referrer_email)),
            ("Victim aware of referral", t(r.victim_aware, YES_NO)),
            ("Consent", t(r.consent, YES_NO)),
        ] + [(label, t(getattr(r, attr))) for label, attr in _REFERRAL_TEXT]
        withheld = set(_REFERRER_CONTACT)
        if not about_subject:
            withheld |= {"Victim aware of referral", "Consent"} | {label for label, _ in _REFERRAL_TEXT}
        out.append(
            SubjectAccessRecord(
                module="marac",
                kind="referral",
                record_id=r.id,
                title=f"MARAC referral, case {r.case.reference}",
                fields=tuple(fields),
                third_party=frozenset(withheld),
                third_party_names=others,
            )
        )
    for d in db.session.scalars(
        sa.select(DashAssessment).where(DashAssessment.person_id == person.id).order_by(DashAssessment.id)
    ):
        answers = d.answers if isinstance(d.answers, dict) else {}
        yes = sorted(k for k, v in answers.items() if (v.get("answer") if isinstance(v, dict) else v) == "yes")
        notes = [f"{k}: {v.get('note')}" for k, v in sorted(answers.items()) if isinstance(v, dict) and v.get("note")]
        out.append(
            SubjectAccessRecord(
                module="marac",
                kind="dash",
                record_id=d.id,
                title=f"Risk assessment ({d.tool}) of {t(d.completed_on)}",
                fields=(
                    ("Tool", f"{d.tool} {d.tool_version}"),
                    ("Completed", t(d.completed_on)),
                    ("Score", str(d.score)),
                    ("Risk level", t(d.final_level, RISK_LEVELS)),
                    ("Risk factors answered yes", ", ".join(yes)),
                    ("Notes", "\n".join(notes)),
                    ("Reason for professional judgement", t(d.judgement_reason)),
                ),
                third_party_names=others,
            )
        )
    if victim_cases:
        ids = sorted(victim_cases)
        for c in db.session.scalars(
            sa.select(ContactLog).where(ContactLog.case_id.in_(ids)).order_by(ContactLog.contact_on, ContactLog.id)
        ):
            out.append(
                SubjectAccessRecord(
                    module="marac",
                    kind="contact",
                    record_id=c.id,
                    title=f"IDVA contact of {t(c.contact_on)}",
                    fields=(
                        ("Date", t(c.contact_on)),
                        ("Method", t(c.method, CONTACT_METHODS)),
                        ("Outcome", t(c.outcome, CONTACT_OUTCOMES)),
                        ("Notes", t(c.notes)),
                    ),
                    third_party_names=others,
                )
            )
        research = db.session.scalars(
            sa.select(ResearchResponse)
            .join(AgendaItem, AgendaItem.id == ResearchResponse.agenda_item_id)
            .where(AgendaItem.case_id.in_(ids))
            .order_by(ResearchResponse.id)
        )
        for r in research:
            out.append(
                SubjectAccessRecord(
                    module="marac",
                    kind="research",
                    record_id=r.id,
                    title=f"Research by {r.agency.name} for a MARAC meeting",
                    fields=(
                        ("Agency", r.agency.name),
                        ("No trace", t(r.no_trace)),
                        ("Findings", t(r.findings)),
                        ("Risks", t(r.risks)),
                        ("Held back by the agency", t(r.withheld)),
                    ),
                    third_party=frozenset({"Held back by the agency"}),
                    third_party_names=others,
                )
            )
    return out
