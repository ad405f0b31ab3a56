"""What ASB holds about a person, for a subject access pack (UK GDPR Art 15).

A victim receives the incidents they reported or were a victim of, their case (address
and summary), risk assessments and contacts. Someone recorded as a perpetrator receives
the incidents and the formal actions against them (warnings, agreements, orders) with
their breaches; where an incident was reported, its location is withheld from them
because it can identify the victim (DPA 2018 Sch 2 para 16). Everyone else's names
are removed from free text; the reviewer can mark any record exempt.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..core import subject_access as sar
from ..core.models import Person
from ..core.modules import SubjectAccessRecord
from ..extensions import db
from .models import (
    CATEGORIES,
    CONTACT_METHODS,
    HATE_CHARACTERISTICS,
    PERPETRATOR_ACTION_KINDS,
    PERPETRATOR_ACTION_STATUSES,
    RISK_BANDS,
    AsbCase,
    Contact,
    Incident,
    IncidentPerpetrator,
    IncidentVictim,
    PerpetratorAction,
    RiskAssessment,
)


def _others(case_ids: set[int], incident_ids: set[int], subject: Person) -> tuple[str, ...]:
    """Names of the other people in these cases and incidents (victims and perpetrators)."""
    names = set(sar.other_people_names(case_ids, subject))
    if incident_ids:
        ids = sorted(incident_ids)
        people = set(
            db.session.scalars(sa.select(IncidentVictim.person_id).where(IncidentVictim.incident_id.in_(ids)))
        ) | set(
            db.session.scalars(
                sa.select(IncidentPerpetrator.person_id).where(
                    IncidentPerpetrator.incident_id.in_(ids), IncidentPerpetrator.person_id.is_not(None)
                )
            )
        )
        people.discard(subject.id)
        own = {n.casefold() for n in sar.names_of(subject)}
        for p in db.session.scalars(sa.select(Person).where(Person.id.in_(sorted(people)))) if people else []:
            names |= {n for n in sar.names_of(p) if n.casefold() not in own}
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def records(person: Person) -> list[SubjectAccessRecord]:
    t = sar.text
    out: list[SubjectAccessRecord] = []
    as_victim = set(
        db.session.scalars(sa.select(IncidentVictim.incident_id).where(IncidentVictim.person_id == person.id))
    )
    as_perpetrator = set(
        db.session.scalars(sa.select(IncidentPerpetrator.incident_id).where(IncidentPerpetrator.person_id == person.id))
    )
    cases = list(db.session.scalars(sa.select(AsbCase).where(AsbCase.victim_person_id == person.id)))
    actions = list(
        db.session.scalars(
            sa.select(PerpetratorAction).where(PerpetratorAction.person_id == person.id).order_by(PerpetratorAction.id)
        )
    )
    incident_ids = as_victim | as_perpetrator
    incidents = (
        list(
            db.session.scalars(
                sa.select(Incident)
                .where(Incident.id.in_(sorted(incident_ids)), Incident.deleted_at.is_(None))
                .order_by(Incident.occurred_at, Incident.id)
            )
        )
        if incident_ids
        else []
    )
    case_ids = {c.case_id for c in cases} | {i.case_id for i in incidents} | {a.case_id for a in actions}
    others = _others(case_ids, incident_ids, person)

    for c in cases:
        out.append(
            SubjectAccessRecord(
                module="asb",
                kind="case",
                record_id=c.id,
                title=f"ASB case {c.case.reference}",
                fields=(
                    ("Case", c.case.reference),
                    ("Address", t(c.address)),
                    ("Summary", t(c.summary)),
                    ("Risk", t(c.risk_band, RISK_BANDS)),
                    ("Last contact", t(c.last_contact_on)),
                ),
                third_party_names=others,
            )
        )
    for i in incidents:
        victim = i.id in as_victim
        out.append(
            SubjectAccessRecord(
                module="asb",
                kind="incident",
                record_id=i.id,
                title=f"ASB incident of {t(i.occurred_on)}",
                fields=(
                    ("Date", t(i.occurred_on)),
                    ("Your part", "Victim or reporter" if victim else "Recorded as responsible"),
                    ("Category", t(i.category, CATEGORIES)),
                    ("Type", i.incident_type.label if i.incident_type else t(i.type_code)),
                    ("Location", t(i.location)),
                    ("What happened", t(i.description)),
                    ("Hate incident", t(i.is_hate)),
                    ("Characteristic", t(i.hate_characteristic, HATE_CHARACTERISTICS)),
                    ("Hate incident details", t(i.hate_details)),
                ),
                third_party=frozenset() if victim else frozenset({"Location"}),
                third_party_names=others,
            )
        )
    for r in db.session.scalars(
        sa.select(RiskAssessment).where(RiskAssessment.person_id == person.id).order_by(RiskAssessment.assessed_on)
    ):
        out.append(
            SubjectAccessRecord(
                module="asb",
                kind="risk",
                record_id=r.id,
                title=f"ASB risk assessment of {t(r.assessed_on)}",
                fields=(
                    ("Assessed", t(r.assessed_on)),
                    ("Tool", f"{r.tool} {r.tool_version}"),
                    ("Score", str(r.score)),
                    ("Risk", t(r.band, RISK_BANDS)),
                    ("Notes", t(r.notes)),
                ),
                third_party_names=others,
            )
        )
    if cases:
        ids = sorted(c.case_id for c in cases)
        for c in db.session.scalars(
            sa.select(Contact).where(Contact.case_id.in_(ids)).order_by(Contact.contact_on, Contact.id)
        ):
            out.append(
                SubjectAccessRecord(
                    module="asb",
                    kind="contact",
                    record_id=c.id,
                    title=f"Contact of {t(c.contact_on)}",
                    fields=(("Date", t(c.contact_on)), ("Method", t(c.method, CONTACT_METHODS)), ("Notes", t(c.notes))),
                    third_party_names=others,
                )
            )
    for a in actions:
        out.append(
            SubjectAccessRecord(
                module="asb",
                kind="action",
                record_id=a.id,
                title=f"{t(a.kind, PERPETRATOR_ACTION_KINDS)} of {t(a.issued_on)}",
                fields=(
                    ("Action", t(a.kind, PERPETRATOR_ACTION_KINDS)),
                    ("Status", t(a.status, PERPETRATOR_ACTION_STATUSES)),
                    ("Agency", a.agency.name),
                    ("Issued", t(a.issued_on)),
                    ("Expires", t(a.expires_on)),
                    ("Court reference", t(a.court_reference)),
                    ("Terms", t(a.terms)),
                    ("Breaches", "\n".join(f"{t(b.breached_on)}: {t(b.details)}" for b in a.breaches)),
                ),
                third_party_names=others,
            )
        )
    return out
