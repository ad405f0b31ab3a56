"""ASB incidents from a spreadsheet (issue 13, item 6).

One row is one incident: when and where it happened, its category and type, what
happened, who it was reported to, the victim (matched through the surname + date
of birth blind index, or created) and the alleged perpetrator (or "not known").
The incident is logged through ``incidents.log_incident`` on the victim's open ASB
case (or a new one, as when logged by hand), so the repeat-victim status of the
victim is refreshed and every audit event is written as if the incident were
entered on the page. Put a victim's incidents in date order.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..core import imports as im
from ..core import modules
from ..core.models import Case, User
from ..extensions import db
from . import incidents
from .common import KIND
from .models import CATEGORIES, HATE_CHARACTERISTICS, REPORTED_TO, AsbCase, IncidentType


def _incident_type(value: Any) -> str:
    """A type from the partnership's list, by code or label."""
    word = str(value).strip().lower()
    found = db.session.scalar(
        sa.select(IncidentType.code).where(
            IncidentType.is_active.is_(True),
            sa.or_(sa.func.lower(IncidentType.code) == word, sa.func.lower(IncidentType.label) == word),
        )
    )
    if found is None:
        raise im.CellError("Unknown incident type: use a type code from the ASB incident types list")
    return found


def _time(value: Any):
    from datetime import datetime, time

    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    try:
        return datetime.strptime(str(value).strip(), "%H:%M").time()
    except ValueError:
        raise im.CellError("Enter the time as HH:MM on the 24-hour clock, for example 21:30") from None


COLUMNS = (
    im.Column("occurred_on", "Date of the incident.", im.a_date, required=True, kind="date"),
    im.Column("occurred_time", "Time of the incident (HH:MM, local time).", _time, kind="time"),
    im.Column("reported_on", "Date the incident was first reported.", im.a_date, required=True, kind="date"),
    im.Column("category", "Category.", im.choice(CATEGORIES), required=True, kind="choice", allowed=tuple(CATEGORIES)),
    im.Column(
        "type",
        "Incident type: its code or name from the partnership's list.",
        _incident_type,
        required=True,
        kind="type",
    ),
    im.Column("description", "What happened.", im.text(4000), required=True),
    im.Column("location", "Where it happened (an address finds other cases at the same place).", im.text(200)),
    im.Column("is_hate", "Whether the incident was hate-motivated.", im.yes_no, kind="yes/no"),
    im.Column(
        "hate_characteristic",
        "The protected characteristic it was aimed at (with is_hate).",
        im.choice(HATE_CHARACTERISTICS),
        kind="choice",
        allowed=tuple(HATE_CHARACTERISTICS),
    ),
    im.Column("victim_given_names", "Victim's given names.", im.text(200), required=True),
    im.Column("victim_surname", "Victim's surname.", im.text(200), required=True),
    im.Column(
        "victim_dob",
        "Victim's date of birth. With the surname it finds a person already recorded.",
        im.a_date,
        required=True,
        kind="date",
    ),
    im.Column("perpetrator_given_names", "Alleged perpetrator's given names.", im.text(200)),
    im.Column("perpetrator_surname", "Alleged perpetrator's surname (empty: not known).", im.text(200)),
    im.Column("perpetrator_dob", "Alleged perpetrator's date of birth.", im.a_date, kind="date"),
    im.Column("perpetrator_description", "Description of a perpetrator who is not known.", im.text(200)),
    im.Column(
        "reported_to",
        "Who the incident was reported to.",
        im.choice(REPORTED_TO),
        kind="choice",
        allowed=tuple(REPORTED_TO),
    ),
    im.Column("report_reference", "Their reference number.", im.text(60)),
)


def _open_case_of(victim_id: int) -> AsbCase | None:
    """The victim's open ASB case, if any: an incident for a victim joins their case."""
    return db.session.scalar(
        sa.select(AsbCase)
        .join(Case, Case.id == AsbCase.case_id)
        .where(AsbCase.victim_person_id == victim_id, Case.status == "open")
        .order_by(AsbCase.case_id.desc())
        .limit(1)
    )


def apply_incident(user: User, row: dict[str, Any]) -> im.Applied:
    victim = im.find_or_create_person(
        user,
        KIND,
        {"given_names": row["victim_given_names"], "surname": row["victim_surname"], "dob": row["victim_dob"]},
    )
    perpetrator_ids = []
    if row.get("perpetrator_surname"):
        perpetrator = im.find_or_create_person(
            user,
            KIND,
            {
                "given_names": row.get("perpetrator_given_names"),
                "surname": row["perpetrator_surname"],
                "dob": row.get("perpetrator_dob"),
            },
        )
        perpetrator_ids.append(perpetrator.id)
    reports = []
    if row.get("reported_to"):
        reports.append(incidents.ReportData(row["reported_to"], row.get("report_reference"), row["reported_on"]))
    incident = incidents.log_incident(
        user,
        incidents.IncidentData(
            occurred_on=row["occurred_on"],
            occurred_time=row.get("occurred_time"),
            reported_on=row["reported_on"],
            category=row["category"],
            type_code=row["type"],
            description=row["description"],
            location=row.get("location"),
            is_hate=bool(row.get("is_hate")),
            hate_characteristic=row.get("hate_characteristic"),
            victim_ids=[victim.id],
            perpetrator_ids=perpetrator_ids,
            perpetrator_unknown=not perpetrator_ids,
            perpetrator_description=row.get("perpetrator_description"),
            reports=reports,
        ),
        asb=_open_case_of(victim.id),
    )
    return im.Applied("asb_incident", incident.id)


INCIDENTS = modules.register_import_kind(
    im.ImportKind(
        name="asb-incidents",
        label="ASB incidents",
        module="asb",
        capability="asb.import",
        description=(
            "One row per incident: date, category and type, what happened, who it was reported to, the "
            "victim and the alleged perpetrator. An incident joins its victim's open ASB case (or opens "
            "one). Put each victim's incidents in date order."
        ),
        columns=COLUMNS,
        apply=apply_incident,
        field_columns={
            "type_code": "type",
            "victim_ids": "victim_surname",
            "perpetrator_ids": "perpetrator_surname",
            "reference": "report_reference",
        },
        records_endpoint="asb.index",
    )
)
