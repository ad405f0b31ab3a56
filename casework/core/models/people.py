"""Person: one row per human being, shared by every module (DESIGN §2).

Every personal and special-category field is encrypted. Two blind indexes
allow exact-match duplicate checks: surname + date of birth, and phone.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from .. import crypto
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


def surname_dob_index(surname: str | None, dob: date | None) -> bytes | None:
    if not surname or not dob:
        return None
    return crypto.blind_index("person.surname_dob", crypto.normalise_text(surname), dob.isoformat())


def phone_index(phone: str | None) -> bytes | None:
    if not phone:
        return None
    normalised = crypto.normalise_phone(phone)
    return crypto.blind_index("person.phone", normalised) if normalised else None


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
        if not self.dob or is_unreadable(self.dob):
            return None
        return when.year - self.dob.year - ((when.month, when.day) < (self.dob.month, self.dob.day))

    def __repr__(self) -> str:
        return f"<Person {self.id}>"
