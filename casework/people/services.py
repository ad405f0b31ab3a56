"""Person records: duplicate matching, create, edit, display (with audit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from ..core import audit
from ..core import search as search_tokens
from ..core.access import (
    AccessDenied,
    can_act_on_person,
    can_see_contact_details,
    can_view_person,
    person_access,
    visible_case_clause,
    visible_person_clause,
)
from ..core.crypto import normalise_phone, normalise_text
from ..core.disclosure import ShownPerson, disclosures
from ..core.models import Case, CaseParticipant, Person, PersonSearchToken, User
from ..core.models.people import person_id_from_reference, phone_index, surname_dob_index
from ..core.pagination import paginate
from ..core.policy import working_kinds
from ..core.services import ServiceError, apply_changes, check_version, get_or_404
from ..extensions import db

PERSON_FIELDS = (
    "given_names",
    "surname",
    "aliases",
    "dob",
    "address",
    "postcode",
    "phone",
    "email",
    "notes",
    "gender",
    "ethnicity",
    "disability",
    "sexuality",
    "is_lgbt",
)
CONTACT_FIELDS = ("address", "postcode", "phone", "email")


@dataclass
class Match:
    person: Person
    reasons: list[str] = field(default_factory=list)


@dataclass
class DuplicateCheck:
    matches: list[Match]
    # Records that match but which this user may not see. Counted for the audit log
    # only: telling the user would reveal that another agency knows the person.
    withheld: int

    @property
    def any(self) -> bool:
        return bool(self.matches)


def find_duplicates(user: User, *, surname: str | None, dob: date | None, phone: str | None) -> DuplicateCheck:
    """Exact matches on the surname+DOB and phone blind indexes, confirmed by decryption.

    Matches the user may not see are counted, never shown, so the check cannot
    be used to read another agency's records. The search is audited.
    """
    conditions = []
    sd = surname_dob_index(surname, dob)
    ph = phone_index(phone)
    if sd is not None:
        conditions.append(Person.bi_surname_dob == sd)
    if ph is not None:
        conditions.append(Person.bi_phone == ph)
    if not conditions:
        return DuplicateCheck([], 0)
    candidates = db.session.scalars(sa.select(Person).where(sa.or_(*conditions)).order_by(Person.id).limit(50)).all()
    visible_ids = set(
        db.session.scalars(
            sa.select(Person.id).where(
                Person.id.in_([p.id for p in candidates]),
                # offered for reuse, so only people this user may act on
                visible_person_clause(user, via_meetings=False),
            )
        ).all()
    )
    matches, withheld, concerned = [], 0, []
    for person in candidates:
        reasons = _match_reasons(person, surname, dob, phone)
        if not reasons:
            continue  # a blind-index collision: decryption shows it is someone else
        concerned.append(person.id)
        if person.id in visible_ids:
            matches.append(Match(person, reasons))
        else:
            withheld += 1
    if concerned:
        audit.record(
            "people.person.search",
            object_type="person",
            person_ids=concerned,
            purpose="duplicate_check",
            details={"shown": len(matches), "withheld": withheld},
        )
    return DuplicateCheck(matches, withheld)


def _match_reasons(person: Person, surname: str | None, dob: date | None, phone: str | None) -> list[str]:
    """Decrypt and compare: a blind index only proposes candidates."""
    reasons = []
    same_dob = bool(surname and dob and person.surname and person.dob == dob)
    if same_dob and normalise_text(person.surname) == normalise_text(surname):
        reasons.append("same surname and date of birth")
    if phone and person.phone and normalise_phone(person.phone) == normalise_phone(phone):
        reasons.append("same phone number")
    return reasons


def _visible(user: User):
    return visible_person_clause(user)


def create_person(user: User, data: dict[str, Any], *, kind: str | None = None) -> Person:
    """A new person record, made for one kind of casework (``kind``; by default the only one
    the user works in). Until the person is in a case, only that casework's roles in the
    user's agency see the record (SECURITY.md, "People")."""
    kinds = working_kinds(user)
    kind = kind or (kinds[0] if len(kinds) == 1 else None)
    if kind not in kinds:
        raise ServiceError("Choose which casework this record is for", "kind")
    person = Person(created_by_id=user.id, created_by_agency_id=user.agency_id, created_for_kind=kind)
    apply_changes(person, data, PERSON_FIELDS)
    db.session.add(person)
    db.session.flush()
    audit.record("people.person.create", object_type="person", object_id=person.id, person_ids=[person.id])
    return person


def update_person(user: User, person: Person, data: dict[str, Any], version: int | None) -> list[str]:
    if not can_act_on_person(user, person) or not user.can("people.edit"):
        raise AccessDenied("person", person.id)
    check_version(person, version)
    allowed = (
        PERSON_FIELDS
        if can_see_contact_details(user, person)
        else tuple(f for f in PERSON_FIELDS if f not in CONTACT_FIELDS)
    )
    return update_fields(user, person, data, allowed)


def ensure_can_act_on(user: User, person: Person) -> None:
    """Services that change or link a person re-check that the user may act on them."""
    if not can_act_on_person(user, person):
        raise AccessDenied("person", person.id)


def update_fields(user: User, person: Person, data: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    """Update a few fields as part of another form (e.g. diversity on a referral); audited by name."""
    ensure_can_act_on(user, person)
    changed = apply_changes(person, data, fields)
    if changed:
        db.session.flush()
        audit.record(
            "people.person.update",
            object_type="person",
            object_id=person.id,
            person_ids=[person.id],
            details={"fields": changed},
        )
    return changed


def load_person(
    user: User, person_id: Any, *, purpose: str = "casework", log: bool = True, act: bool = False
) -> Person:
    """Load a person for display (or, with ``act``, to edit, refer or link): checks access
    and records the view."""
    person = get_or_404(Person, person_id)
    if not (can_act_on_person(user, person) if act else can_view_person(user, person)):
        raise AccessDenied("person", person.id)
    if log:
        _record_view(person, purpose)
    return person


def load_person_page(user: User, person_id: Any) -> tuple[Person, bool]:
    """A person's own page: the person (view checked, view recorded) and whether the user
    may also act on them (edit, refer, link), both settled in one query."""
    person = get_or_404(Person, person_id)
    may_view, may_act = person_access(user, person)
    if not may_view:
        raise AccessDenied("person", person.id)
    _record_view(person, "casework")
    return person, may_act


def _record_view(person: Person, purpose: str) -> None:
    audit.record(
        "people.person.view", object_type="person", object_id=person.id, person_ids=[person.id], purpose=purpose
    )


def visible_cases_of(user: User, person: Person) -> list[tuple[Case, str]]:
    rows = db.session.execute(
        sa.select(Case, CaseParticipant.role)
        .join(CaseParticipant, CaseParticipant.case_id == Case.id)
        .where(CaseParticipant.person_id == person.id, visible_case_clause(user))
        .options(lazyload(Case.agency_links), lazyload(Case.member_links))  # visibility is in the query
        .order_by(Case.opened_on.desc())
    ).all()
    return [(case, role) for case, role in rows]


def people_page(user: User, page: int, per_page: int):
    """People this user may see, newest first, one page decrypted at a time."""
    query = sa.select(Person).where(_visible(user)).order_by(Person.id.desc())
    result = paginate(query, page, per_page, max_per_page=100)
    if result.items:
        audit.record(
            "people.person.list", object_type="person", person_ids=[p.id for p in result.items], purpose="casework"
        )
    return result


SEARCH_LIMIT = 50


@dataclass
class Found:
    person: Person
    reasons: tuple[str, ...]  # why a match that is not a plain name match was shown


@dataclass
class SearchResult:
    found: list[Found]
    more: bool  # more people match than are shown: narrow the search
    shown: dict[int, ShownPerson] = field(default_factory=dict)  # each person as the user may see them

    @property
    def people(self) -> list[Person]:
        return [f.person for f in self.found]


# At most this many people matching the tokens are checked against what the user may see;
# a search that matches more says so ("add a date of birth or more of the name").
CANDIDATE_CAP = 1000


def _holding_any(tokens) -> sa.Select:
    return sa.select(PersonSearchToken.person_id).where(PersonSearchToken.token.in_(tokens))


def _token_sets(words: list[str], dob: date | None = None) -> list[sa.Select]:
    sets = [_holding_any(search_tokens.word_tokens(word)) for word in words]
    if dob is not None:
        sets.append(_holding_any([search_tokens.dob_token(dob)]))
    return sets


def _newest_holding_all(sets: list[sa.Select], cap: int) -> sa.Select:
    """The ids holding a token from every set, newest first, at most ``cap``: the sets are
    intersected first (index range scans on the token), so visibility is checked on these
    few people only, however common the names are."""
    combined = (sets[0].distinct() if len(sets) == 1 else sa.intersect(*sets)).subquery()
    return sa.select(combined.c.person_id).order_by(combined.c.person_id.desc()).limit(cap)


def person_ids_named(words: list[str], cap: int = CANDIDATE_CAP) -> sa.Select:
    """Ids of people holding a search token for every word (core/search.py): each word begins
    one of their name or alias words (its first ten letters) or sounds like one; the newest
    ``cap``. No visibility here: the caller joins this to what the user may see."""
    return _newest_holding_all(_token_sets(words), cap)


def search(
    user: User,
    *,
    name: str | None = None,
    dob: date | None = None,
    phone: str | None = None,
    reference: str | None = None,
) -> SearchResult:
    """People the user may see matching every detail given: part of a name or alias (each
    word typed begins a name word, or sounds like one), date of birth, phone, reference.

    The database narrows by blind tokens (core/search.py) first, then by visibility; only
    those candidates are decrypted and checked, so a search never reads the whole table.
    Exact name matches come before sound-alikes. Audited as a search.
    """
    words = search_tokens.name_words(name)
    if not (words or dob or phone or reference):
        return SearchResult([], False)
    query = sa.select(Person).where(_visible(user))
    capped = False
    if sets := _token_sets(words, dob):
        ids = list(db.session.scalars(_newest_holding_all(sets, CANDIDATE_CAP + 1)))
        capped = len(ids) > CANDIDATE_CAP
        query = query.where(Person.id.in_(ids[:CANDIDATE_CAP]))
    if phone:
        query = query.where(Person.bi_phone == phone_index(phone))
    if reference:
        query = query.where(Person.id == person_id_from_reference(reference))
    candidates = db.session.scalars(query.order_by(Person.id.desc()).limit(SEARCH_LIMIT + 1)).all()
    ranked: list[tuple[bool, Found]] = []
    for person in candidates[:SEARCH_LIMIT]:
        if dob is not None and person.dob != dob:
            continue  # decryption shows a token collision
        if phone and not (person.phone and normalise_phone(person.phone) == normalise_phone(phone)):
            continue
        match = search_tokens.match_name(words, person.given_names, person.surname, person.aliases)
        if match is not None:
            ranked.append((match.exact, Found(person, match.reasons)))
    # A person is found only by identifiers the disclosure policy lets the user see, so a
    # search cannot confirm a withheld name, date of birth or phone number.
    rules = disclosures(user, [f.person for _, f in ranked])
    ranked = [
        (exact, f)
        for exact, f in ranked
        if (not words or rules[f.person.id].name or rules[f.person.id].aliases)
        and (dob is None or rules[f.person.id].dob)
        and (not phone or rules[f.person.id].contact)
    ]
    ranked.sort(key=lambda pair: not pair[0])  # exact first; stable, so newest first within each
    result = SearchResult(
        [f for _, f in ranked],
        capped or len(candidates) > SEARCH_LIMIT,
        {f.person.id: ShownPerson.of(f.person, rules[f.person.id]) for _, f in ranked},
    )
    if result.found:
        audit.record(
            "people.person.search", object_type="person", person_ids=[p.id for p in result.people], purpose="casework"
        )
    return result
