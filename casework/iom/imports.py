"""IOM cohort spells and offending records from a spreadsheet (issue 13, item 6).

Two kinds, applied through the IOM services so every rule holds as if entered by hand:

- ``iom-spells``: one row per spell on the cohort. The person is matched through
  the surname + date of birth blind index (or created); the spell is a
  nomination adopted by the panel on the start date (``nominations.nominate`` and
  ``nominations.decide``), and, when it has ended, a deselection with its reason
  and exit plan (``nominations.deselect``). Spells that overlap are refused.
- ``iom-offences``: one row per arrest, charge or conviction of a person who
  already has an IOM record (``offending.record_offence``: open nominations are
  rescored). Import the spells first.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..core import imports as im
from ..core import modules
from ..core.models import User
from ..core.services import ServiceError
from ..extensions import db
from . import nominations, offending
from .models import CATEGORIES, DESELECTION_REASONS, OFFENCE_KINDS, OffenceCategory, Strand, TierLabel

KIND = "iom"


def _lookup(model, key, label_attr: str, what: str):
    """A value from one of the partnership's editable lists, by code or label."""

    def parse(value: Any) -> str | int:
        word = str(value).strip().lower()
        found = db.session.scalar(
            sa.select(key).where(sa.or_(sa.func.lower(key) == word, sa.func.lower(getattr(model, label_attr)) == word))
        )
        if found is None:
            codes = db.session.scalars(sa.select(model.code).order_by(model.code)).all()
            raise im.CellError(f"Unknown {what}: use one of {', '.join(codes)}")
        return found

    return parse


def _person_columns() -> tuple[im.Column, ...]:
    return (
        im.Column("given_names", "Offender's given names.", im.text(200), required=True),
        im.Column("surname", "Offender's surname.", im.text(200), required=True),
        im.Column(
            "dob",
            "Offender's date of birth. With the surname it finds the person already recorded.",
            im.a_date,
            required=True,
            kind="date",
        ),
    )


SPELL_COLUMNS = (
    *_person_columns(),
    im.Column(
        "start_on", "Date the panel adopted the offender onto the cohort.", im.a_date, required=True, kind="date"
    ),
    im.Column(
        "strand",
        "Cohort strand: its code or name (Fixed, Flex, Free by default).",
        _lookup(Strand, Strand.code, "label", "strand"),
        required=True,
        kind="strand",
    ),
    im.Column("category", "Category.", im.choice(CATEGORIES), required=True, kind="choice", allowed=tuple(CATEGORIES)),
    im.Column(
        "tier",
        "Management tier: its code or name (red, amber, green by default).",
        _lookup(TierLabel, TierLabel.code, "label", "tier"),
        required=True,
        kind="tier",
    ),
    im.Column(
        "lead_officer_email",
        "E-mail address of the lead officer (an active IOM user).",
        im.user_email("iom.case.view"),
        required=True,
        kind="e-mail",
    ),
    im.Column("reasons", "Reasons for the nomination (default: on the cohort before this system).", im.text(2000)),
    im.Column("end_on", "Date the spell ended (leave empty while on the cohort).", im.a_date, kind="date"),
    im.Column(
        "deselection_reason",
        "Why the spell ended (with end_on).",
        im.choice(DESELECTION_REASONS),
        kind="choice",
        allowed=tuple(DESELECTION_REASONS),
    ),
    im.Column("deselection_note", "Details of the reason (required for 'other').", im.text(2000)),
    im.Column("exit_plan", "The exit plan (required with end_on).", im.text(5000)),
)


def _category(value: Any) -> int:
    word = str(value).strip().lower()
    found = db.session.scalar(
        sa.select(OffenceCategory.id).where(
            OffenceCategory.is_active.is_(True),
            sa.or_(sa.func.lower(OffenceCategory.code) == word, sa.func.lower(OffenceCategory.label) == word),
        )
    )
    if found is None:
        raise im.CellError(
            "Unknown offence category: use a code from the IOM settings page, for example burglary_dwelling"
        )
    return found


OFFENCE_COLUMNS = (
    *_person_columns(),
    im.Column(
        "kind",
        "Arrest, charge or conviction.",
        im.choice(OFFENCE_KINDS),
        required=True,
        kind="choice",
        allowed=tuple(OFFENCE_KINDS),
    ),
    im.Column("offence_on", "Date of the arrest, charge or conviction.", im.a_date, required=True, kind="date"),
    im.Column(
        "category",
        "Offence category: its code or name from the partnership's list (IOM settings).",
        _category,
        required=True,
        kind="offence category",
    ),
    im.Column("outcome", "Outcome (for example the sentence).", im.text(500)),
    im.Column("source_ref", "Source reference (for example the PNC or court reference).", im.text(200)),
    im.Column("notes", "Police and probation notes.", im.text(5000)),
)


def _person(user: User, row: dict[str, Any], *, create: bool):
    fields = {"given_names": row["given_names"], "surname": row["surname"], "dob": row["dob"]}
    if create:
        return im.find_or_create_person(user, KIND, fields)
    person = im.match_person(user, given_names=row["given_names"], surname=row["surname"], dob=row["dob"])
    if person is None:
        raise ServiceError("No IOM record found for this person: import their cohort spell first", "surname")
    return person


def apply_spell(user: User, row: dict[str, Any]) -> im.Applied:
    """One spell: nominated and adopted on the start date, deselected on the end date if it ended."""
    person = _person(user, row, create=True)
    nomination = nominations.nominate(
        user,
        person,
        {
            "nominated_on": row["start_on"],
            "reasons": row.get("reasons") or "On the cohort before this system: imported from the partnership's record",
            "proposed_strand": row["strand"],
            "category": row["category"],
        },
    )
    spell = nominations.decide(
        user,
        nomination,
        adopt=True,
        decision=nominations.Adoption(
            decided_on=row["start_on"],
            strand=row["strand"],
            category=row["category"],
            lead_user_id=row["lead_officer_email"],
            tier=row["tier"],
        ),
        version=nomination.version_id,
    )
    if row.get("end_on") is not None:
        offender = nominations.offender_of_person(person.id)
        nominations.deselect(
            user,
            offender,
            on=row["end_on"],
            reason=row.get("deselection_reason"),
            note=row.get("deselection_note"),
            exit_plan=row.get("exit_plan"),
            version=offender.version_id,
        )
    elif row.get("deselection_reason") or row.get("exit_plan"):
        raise ServiceError("Give the end date of the spell", "end_on")
    return im.Applied("iom_spell", spell.id)


def apply_offence(user: User, row: dict[str, Any]) -> im.Applied:
    """One arrest, charge or conviction on an existing IOM record."""
    person = _person(user, row, create=False)
    offender = nominations.offender_of_person(person.id)
    if offender is None:
        raise ServiceError("No IOM record found for this person: import their cohort spell first", "surname")
    offence = offending.record_offence(
        user,
        offender,
        {
            "kind": row["kind"],
            "offence_on": row["offence_on"],
            "category_id": row["category"],
            "outcome": row.get("outcome"),
            "source_ref": row.get("source_ref"),
            "notes": row.get("notes"),
        },
    )
    return im.Applied("iom_offence", offence.id)


SPELL_FIELDS = {
    "nominated_on": "start_on",
    "decided_on": "start_on",
    "proposed_strand": "strand",
    "lead_user_id": "lead_officer_email",
    "on": "end_on",
    "reason": "deselection_reason",
    "note": "deselection_note",
}

SPELLS = modules.register_import_kind(
    im.ImportKind(
        name="iom-spells",
        label="IOM cohort spells",
        module="iom",
        capability="iom.import",
        description=(
            "One row per spell on the cohort: the offender, the adoption date, strand, category, tier and "
            "lead officer and, for a spell that has ended, the end date, reason and exit plan. Put a "
            "person's spells in date order."
        ),
        columns=SPELL_COLUMNS,
        apply=apply_spell,
        records_endpoint="iom.index",
        field_columns=SPELL_FIELDS,
    )
)

OFFENCES = modules.register_import_kind(
    im.ImportKind(
        name="iom-offences",
        label="IOM offending records",
        module="iom",
        capability="iom.import",
        description=(
            "One row per arrest, charge or conviction of an offender who already has an IOM record "
            "(import the cohort spells first)."
        ),
        columns=OFFENCE_COLUMNS,
        apply=apply_offence,
        records_endpoint="iom.index",
        field_columns={"category_id": "category", "offence_on": "offence_on", "notes": "notes"},
    )
)
