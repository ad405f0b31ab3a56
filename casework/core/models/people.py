"""Person: one row per human being, shared by every module (DESIGN §2).

Every personal and special-category field is encrypted. Two blind indexes
allow exact-match duplicate checks: surname + date of birth, and phone; search
tokens (core/search.py) find people by part of a name, an alias or a date of birth.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ...extensions import db
from .. import crypto, search
from ..types import EncryptedDate, EncryptedJSON, EncryptedText, is_unreadable
from .base import RowBoundMixin, TimestampMixin, VersionedMixin

GENDERS = {"female": "Female", "male": "Male", "non_binary": "Non-binary", "other": "Other", "not_known": "Not known"}
ETHNICITIES = {
    "white_british": "White British",
    "white_other": "White other",
    "mixed": "Mixed or multiple ethnic groups",
    "asian": "Asian or Asian British",
    "black": "Black, Black British, Caribbean or African",
    "arab": "Arab",
    "other": "Other ethnic group",
    "not_known": "Not known",
}
YES_NO_UNKNOWN = {"yes": "Yes", "no": "No", "not_known": "Not known"}
SEXUALITIES = {
    "heterosexual": "Heterosexual",
    "gay_lesbian": "Gay or lesbian",
    "bisexual": "Bisexual",
    "other": "Other",
    "not_known": "Not known",
}


# Every code of the enumerated fields fits in this many bytes, so all their ciphertexts have one length.
CODE_SIZE = 32


def age_on(dob: date | None, when: date) -> int | None:
    """Age in whole years on ``when`` for a date of birth (None if unknown or unreadable)."""
    if not dob or is_unreadable(dob):
        return None
    return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


def surname_dob_index(surname: str | None, dob: date | None) -> bytes | None:
    if not surname or not dob:
        return None
    return crypto.blind_index("person.surname_dob", crypto.normalise_text(surname), dob.isoformat())


def phone_index(phone: str | None) -> bytes | None:
    if not phone:
        return None
    normalised = crypto.normalise_phone(phone)
    return crypto.blind_index("person.phone", normalised) if normalised else None


def person_id_from_reference(text: str | None) -> int | None:
    """A person reference as shown on screen ("P000123", "p123") to its id (None: not one)."""
    match = re.fullmatch(r"\s*[Pp]?0*(\d{1,9})\s*", text or "")
    return int(match.group(1)) if match else None


class Person(RowBoundMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "person"
    __history__ = True
    __blind_indexes__ = {
        "bi_surname_dob": lambda p: surname_dob_index(p.surname, p.dob),
        "bi_phone": lambda p: phone_index(p.phone),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str | None] = mapped_column(EncryptedText("person.given_names"))
    surname: Mapped[str | None] = mapped_column(EncryptedText("person.surname"))
    aliases: Mapped[list | None] = mapped_column(EncryptedJSON("person.aliases"))
    dob: Mapped[date | None] = mapped_column(EncryptedDate("person.dob"))
    address: Mapped[str | None] = mapped_column(EncryptedText("person.address"))
    postcode: Mapped[str | None] = mapped_column(EncryptedText("person.postcode"))
    phone: Mapped[str | None] = mapped_column(EncryptedText("person.phone"))
    email: Mapped[str | None] = mapped_column(EncryptedText("person.email"))
    notes: Mapped[str | None] = mapped_column(EncryptedText("person.notes"))
    # Demographics for statutory returns: special-category data, encrypted and aggregated in Python.
    gender: Mapped[str | None] = mapped_column(EncryptedText("person.gender", fixed=CODE_SIZE))
    ethnicity: Mapped[str | None] = mapped_column(EncryptedText("person.ethnicity", fixed=CODE_SIZE))
    disability: Mapped[str | None] = mapped_column(EncryptedText("person.disability", fixed=CODE_SIZE))
    sexuality: Mapped[str | None] = mapped_column(EncryptedText("person.sexuality", fixed=CODE_SIZE))
    is_lgbt: Mapped[str | None] = mapped_column(EncryptedText("person.is_lgbt", fixed=CODE_SIZE))

    bi_surname_dob: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16), index=True)
    bi_phone: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16), index=True)

    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_by_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    # The casework (a module's case kind) the record was made for. While the person is in
    # no case, only that module's roles in the recording agency see the record.
    created_for_kind: Mapped[str | None] = mapped_column(sa.String(20), index=True)

    @property
    def reference(self) -> str:
        return f"P{self.id:06d}"

    @property
    def full_name(self) -> str:
        surname = (self.surname or "").upper()
        return " ".join(p for p in (self.given_names, surname) if p) or "(no name recorded)"

    @property
    def initials(self) -> str:
        parts = (self.given_names or "").split() + (self.surname or "").split()
        return "".join(p[0].upper() for p in parts if p) or "?"

    def age_on(self, when: date) -> int | None:
        return age_on(self.dob, when)

    def search_tokens(self) -> set[bytes]:
        """The blind tokens this person is found by (core/search.py); none from unreadable values."""

        def readable(value):
            return None if value is None or is_unreadable(value) else value

        return search.person_tokens(
            readable(self.given_names), readable(self.surname), readable(self.aliases), readable(self.dob)
        )

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


class PersonSearchToken(db.Model):
    """One blind token a person is found by (core/search.py). Kept in step with the
    person's names, aliases and date of birth at every flush, and rebuilt by key rotation."""

    __tablename__ = "person_search_token"

    token: Mapped[bytes] = mapped_column(sa.LargeBinary(16), primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True)


SEARCHED_FIELDS = ("given_names", "surname", "aliases", "dob")


def replace_search_tokens(connection: sa.Connection, people: list[Person]) -> int:
    """Rewrite the search tokens of these (flushed) people; returns the rows written."""
    if not people:
        return 0
    ids = [p.id for p in people]
    table = PersonSearchToken.__table__
    connection.execute(sa.delete(table).where(table.c.person_id.in_(ids)))
    rows = [{"token": t, "person_id": p.id} for p in people for t in p.search_tokens()]
    if rows:
        connection.execute(sa.insert(table), rows)
    return len(rows)


@event.listens_for(Session, "after_flush")
def _refresh_search_tokens(session: Session, flush_context) -> None:
    changed = [
        obj
        for obj in list(session.new) + list(session.dirty)
        if isinstance(obj, Person)
        and (obj in session.new or any(sa.inspect(obj).attrs[f].history.has_changes() for f in SEARCHED_FIELDS))
    ]
    replace_search_tokens(session.connection(), changed)
