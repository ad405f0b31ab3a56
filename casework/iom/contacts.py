"""The contact log (domain-notes §4): every contact with the offender, and missed appointments.

A contact records its date, type (home visit, office, phone, joint visit, missed
appointment), the officer and agency, the outcome and encrypted notes.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.models import User
from ..core.services import FieldErrors, ServiceError
from ..extensions import db
from .common import editable, past_date, prepared
from .models import CONTACT_OUTCOMES, CONTACT_TYPES, Contact, Offender


def log_contact(
    user: User,
    offender: Offender,
    *,
    contact_on: date | None,
    contact_type: str | None,
    outcome: str | None,
    notes: str | None,
) -> Contact:
    """Record a contact by the user for their agency; a missed appointment is a contact type."""
    editable(user, offender)
    errors: list[tuple[str | None, str]] = []
    try:
        contact_on = past_date(contact_on, "contact_on", "date of the contact")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if contact_type not in CONTACT_TYPES:
        errors.append(("contact_type", "Select the type of contact"))
    if outcome not in CONTACT_OUTCOMES:
        errors.append(("outcome", "Select the outcome"))
    if errors:
        raise FieldErrors(errors)
    contact = Contact(
        case_id=offender.case_id,
        contact_on=contact_on,
        contact_type=contact_type,
        outcome=outcome,
        officer_id=user.id,
        agency_id=user.agency_id,
        notes=(notes or "").strip() or None,
    )
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "iom.contact.create", object_type="case", object_id=offender.case_id, details={"contact_id": contact.id}
    )
    return contact


@prepared
def _contacts_query() -> sa.Select:
    return (
        sa.select(Contact)
        .where(Contact.case_id == sa.bindparam("case_id"))
        .options(
            # The log shows the officer's name only (with the contact's own agency).
            joinedload(Contact.officer).load_only(User.display_name, User.row_uid).lazyload(User.role_rows),
            joinedload(Contact.officer).lazyload(User.agency),
            joinedload(Contact.agency),
        )
        .order_by(Contact.contact_on.desc(), Contact.id.desc())
        .limit(sa.bindparam("limit"))
    )


def contacts_for(offender: Offender, limit: int = 100) -> list[Contact]:
    """The latest contacts, newest first, with the officer's name and the agency."""
    return list(db.session.scalars(_contacts_query(), {"case_id": offender.case_id, "limit": limit}))
