"""What identifiers of a person one user may see (DESIGN §5, domain-notes §6: "the minimum
disclosure required is the maximum permitted").

A person can appear in cases of several kinds. Each module answers for the people in its
own cases through the registry's ``person_disclosure`` hook (a module without one lets
everyone who may open its cases see names and dates of birth, and contact details only to
its ``contact_detail_agency_kinds``). Core combines the answers: a user sees an identifier
only where every kind of case the person is in allows it. Pages never decide: they show a
:class:`ShownPerson`, in which withheld identifiers are simply absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from . import modules
from .models import Case, CaseParticipant, Person, User
from .types import is_unreadable


@dataclass(frozen=True)
class Disclosure:
    """Which identifiers are shown: ``name`` (otherwise initials), ``aliases``, ``dob``,
    ``address`` (address and postcode) and ``contact`` (phone, e-mail and other contact
    details). The record's notes go with the name: they are about someone named."""

    name: bool = True
    aliases: bool = True
    dob: bool = True
    address: bool = True
    contact: bool = True

    def __and__(self, other: Disclosure) -> Disclosure:
        return Disclosure(**{f.name: getattr(self, f.name) and getattr(other, f.name) for f in fields(self)})

    def __or__(self, other: Disclosure) -> Disclosure:
        return Disclosure(**{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)})


FULL = Disclosure()
# Identity for research, no contact details.
IDENTITY = Disclosure(address=False, contact=False)
# Initials only: the circulation copy of the minutes.
INITIALS = Disclosure(name=False, aliases=False, dob=False, address=False, contact=False)


def _readable(value):
    return None if value is None or is_unreadable(value) else value


@dataclass(frozen=True)
class ShownPerson:
    """A person as one user may see them. Withheld identifiers are None and flagged, so a
    page can say "withheld" without knowing the rule; ``name`` is the full name or initials."""

    id: int
    reference: str
    name: str
    initials: str
    name_withheld: bool
    given_names: str | None
    surname: str | None
    aliases: tuple[str, ...] | None
    dob: date | None
    dob_withheld: bool
    address: str | None
    postcode: str | None
    address_withheld: bool
    phone: str | None
    email: str | None
    notes: str | None
    contact_withheld: bool

    @classmethod
    def of(cls, person: Person, disclosure: Disclosure) -> ShownPerson:
        d = disclosure
        return cls(
            id=person.id,
            reference=person.reference,
            name=person.full_name if d.name else person.initials,
            initials=person.initials,
            name_withheld=not d.name,
            given_names=person.given_names if d.name else None,
            surname=person.surname if d.name else None,
            aliases=tuple(person.aliases or ()) if d.aliases else None,
            dob=_readable(person.dob) if d.dob else None,
            dob_withheld=not d.dob,
            address=person.address if d.address else None,
            postcode=person.postcode if d.address else None,
            address_withheld=not d.address,
            phone=person.phone if d.contact else None,
            email=person.email if d.contact else None,
            notes=person.notes if d.name else None,
            contact_withheld=not d.contact,
        )


def _own_record(user: User, person: Person) -> bool:
    from .policy import working_kinds

    return person.created_by_agency_id == user.agency_id and person.created_for_kind in working_kinds(user)


def _default_for_module(user: User, module: modules.Module | None, person_ids: list[int]) -> dict[int, Disclosure]:
    """A module with no disclosure rule of its own: identity to everyone who may see the
    person; contact details to its ``contact_detail_agency_kinds``, on a case the user can see."""
    from .policy import visible_case_clause

    allowed = module is not None and user.agency.kind in module.contact_detail_agency_kinds
    in_visible: set[int] = set()
    if allowed:
        in_visible = set(
            db.session.scalars(
                sa.select(CaseParticipant.person_id)
                .join(Case, Case.id == CaseParticipant.case_id)
                .where(CaseParticipant.person_id.in_(person_ids), visible_case_clause(user))
            )
        )
    return {pid: FULL if pid in in_visible else IDENTITY for pid in person_ids}


def disclosures(user: User, people: Iterable[Person]) -> dict[int, Disclosure]:
    """Person id to what ``user`` may see of them, for every person given (one query for the
    kinds of case they are in, then one answer per kind)."""
    people = list(people)
    if not people:
        return {}
    ids = [p.id for p in people]
    by_kind: dict[str, list[int]] = {}
    in_cases: set[int] = set()
    for pid, kind in db.session.execute(
        sa.select(CaseParticipant.person_id, Case.kind)
        .join(Case, Case.id == CaseParticipant.case_id)
        .where(CaseParticipant.person_id.in_(ids))
        .distinct()
    ):
        by_kind.setdefault(kind, []).append(pid)
        in_cases.add(pid)
    out: dict[int, Disclosure] = {
        p.id: (FULL if _own_record(user, p) else IDENTITY) for p in people if p.id not in in_cases
    }
    for kind, pids in by_kind.items():
        module = modules.for_case_kind(kind)
        answers: Mapping[int, Disclosure]
        if module is not None and module.person_disclosure is not None:
            answers = module.person_disclosure(user, pids)
        else:
            answers = _default_for_module(user, module, pids)
        for pid in pids:
            answer = answers.get(pid, INITIALS)
            out[pid] = out[pid] & answer if pid in out else answer
    return out


def disclosure(user: User, person: Person) -> Disclosure:
    return disclosures(user, [person])[person.id]


def shown(user: User, person: Person) -> ShownPerson:
    """One person as ``user`` may see them."""
    return ShownPerson.of(person, disclosure(user, person))


def shown_all(user: User, people: Iterable[Person]) -> dict[int, ShownPerson]:
    """Several people as ``user`` may see them (for lists and search results)."""
    people = list(people)
    rules = disclosures(user, people)
    return {p.id: ShownPerson.of(p, rules[p.id]) for p in people}
