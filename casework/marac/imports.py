"""MARAC referrals and hearings from a spreadsheet (issue 13, item 6).

One row is one referral: the victim (matched through the surname + date of birth
blind index, or created), the perpetrator, the referring agency, the criteria,
consent, the repeat flag and, when the case has been heard, the date of the
MARAC meeting that heard it and the outcome. Each row goes through the same
services as a referral entered by hand (``referrals.create_referral``,
``referrals.confirm_repeat``, ``referrals.decide`` and the core meeting
mechanism), so the SafeLives criteria, the repeat definition and every audit
event apply unchanged.
"""

from __future__ import annotations

from typing import Any

from ..core import imports as im
from ..core import meetings as core_meetings
from ..core import modules
from ..core.models import User
from ..core.models.people import ETHNICITIES, GENDERS, YES_NO_UNKNOWN
from ..core.services import ServiceError
from . import dash, referrals
from .meetings import OUTCOMES

KIND = "marac"
DASH_LETTERS = {"y": "yes", "n": "no", "u": "not_known", "?": "not_known"}


def _dash_answers(value: Any) -> str:
    letters = str(value).strip().lower().replace(" ", "")
    if not letters or any(ch not in DASH_LETTERS for ch in letters):
        raise im.CellError(
            "Write one letter per DASH question, in the checklist's order: Y (yes), N (no) or U (not known)"
        )
    return letters


COLUMNS = (
    im.Column("referral_date", "Date the referral was made.", im.a_date, required=True, kind="date"),
    im.Column("incident_date", "Date of the incident that led to the referral.", im.a_date, kind="date"),
    im.Column(
        "referring_agency",
        "Agency that referred: its code or name as under Administration > Agencies.",
        im.agency,
        required=True,
        kind="agency",
    ),
    im.Column("referrer_name", "Name of the person who referred (default: you).", im.text(200)),
    im.Column("victim_given_names", "Victim's given names.", im.text(200), required=True),
    im.Column("victim_surname", "Victim's surname.", im.text(200), required=True),
    im.Column(
        "victim_dob",
        "Victim's date of birth. With the surname it finds a person already recorded.",
        im.a_date,
        required=True,
        kind="date",
    ),
    im.Column("victim_gender", "Victim's gender.", im.choice(GENDERS), kind="choice", allowed=tuple(GENDERS)),
    im.Column(
        "victim_ethnicity", "Victim's ethnicity.", im.choice(ETHNICITIES), kind="choice", allowed=tuple(ETHNICITIES)
    ),
    im.Column(
        "victim_disability",
        "Whether the victim has a disability.",
        im.choice(YES_NO_UNKNOWN),
        kind="choice",
        allowed=tuple(YES_NO_UNKNOWN),
    ),
    im.Column(
        "victim_lgbt",
        "Whether the victim is LGBT+.",
        im.choice(YES_NO_UNKNOWN),
        kind="choice",
        allowed=tuple(YES_NO_UNKNOWN),
    ),
    im.Column("victim_phone", "Victim's phone number.", im.phone, kind="phone", allow_sign=True),
    im.Column("safe_to_call", "Whether it is safe to call the victim.", im.yes_no, kind="yes/no"),
    im.Column("perpetrator_given_names", "Perpetrator's given names.", im.text(200)),
    im.Column("perpetrator_surname", "Perpetrator's surname (leave empty if not known).", im.text(200)),
    im.Column("perpetrator_dob", "Perpetrator's date of birth.", im.a_date, kind="date"),
    im.Column("perpetrator_relationship", "Perpetrator's relationship to the victim.", im.text(100)),
    im.Column(
        "dash_completed_on", "Date the DASH risk checklist was completed (with dash_answers).", im.a_date, kind="date"
    ),
    im.Column(
        "dash_answers",
        "The DASH answers, one letter per question in the checklist's order: Y, N or U (not known). "
        "A score of 14 or more meets the visible high risk criterion.",
        _dash_answers,
        kind="letters",
    ),
    im.Column(
        "professional_judgement_reason",
        "Reasons, when the case was referred on professional judgement.",
        im.text(2000),
    ),
    im.Column(
        "incidents_12_months",
        "Incidents in the 12 months before the referral (potential escalation).",
        im.whole_number(0, 1000),
        kind="whole number",
    ),
    im.Column(
        "repeat",
        "Yes if this is a repeat MARAC case. An earlier imported referral of the same victim and "
        "perpetrator is found and confirmed; otherwise give previous_marac_date.",
        im.yes_no,
        kind="yes/no",
    ),
    im.Column("previous_marac_date", "Date of the previous MARAC referral (for a repeat).", im.a_date, kind="date"),
    im.Column("victim_aware", "Whether the victim knows about the referral.", im.yes_no, required=True, kind="yes/no"),
    im.Column("consent", "Whether the victim consented to sharing.", im.yes_no, required=True, kind="yes/no"),
    im.Column("consent_override_reason", "Why information was shared without consent.", im.text(2000)),
    im.Column("summary", "Summary of the referral.", im.text(5000)),
    im.Column(
        "meeting_date",
        "Date of the MARAC meeting that heard the case (today or earlier). The referral is "
        "accepted and recorded as heard; leave empty for a referral still awaiting a decision.",
        im.a_date,
        kind="date",
    ),
    im.Column(
        "outcome",
        "Outcome at that meeting (default: actions agreed).",
        im.choice(OUTCOMES),
        kind="choice",
        allowed=tuple(OUTCOMES),
    ),
)


def _yes_no_code(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _dash(user: User, victim, row: dict[str, Any]):
    letters = row.get("dash_answers")
    if letters is None:
        return None
    codes = dash.checklist().codes
    if len(letters) != len(codes):
        raise ServiceError(f"Give {len(codes)} DASH answers, one per question (found {len(letters)})", "dash_answers")
    completed_on = row.get("dash_completed_on") or row.get("incident_date") or row["referral_date"]
    answers = {code: {"answer": DASH_LETTERS[letter]} for code, letter in zip(codes, letters, strict=True)}
    return dash.record_assessment(user, victim, completed_on=completed_on, answers=answers)


def apply_referral(user: User, row: dict[str, Any]) -> im.Applied:
    """Create one referral (and its hearing) through the MARAC services."""
    victim = im.find_or_create_person(
        user,
        KIND,
        {
            "given_names": row["victim_given_names"],
            "surname": row["victim_surname"],
            "dob": row["victim_dob"],
            "gender": row.get("victim_gender"),
            "ethnicity": row.get("victim_ethnicity"),
            "disability": row.get("victim_disability"),
            "is_lgbt": row.get("victim_lgbt"),
            "phone": row.get("victim_phone"),
        },
    )
    perpetrators = []
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
        perpetrators.append(referrals.PersonLink(perpetrator.id, row.get("perpetrator_relationship")))
    assessment = _dash(user, victim, row)
    reason = row.get("professional_judgement_reason")
    referral = referrals.create_referral(
        user,
        victim,
        {
            "referral_date": row["referral_date"],
            "incident_date": row.get("incident_date"),
            "referring_agency_id": row["referring_agency"],
            "referrer_name": row.get("referrer_name"),
            "dash_id": assessment.id if assessment else None,
            "crit_professional_judgement": bool(reason),
            "judgement_reason": reason,
            "incidents_12_months": row.get("incidents_12_months"),
            "crit_repeat": bool(row.get("repeat")),
            "previous_marac_date": row.get("previous_marac_date"),
            "victim_aware": _yes_no_code(row["victim_aware"]),
            "consent": _yes_no_code(row["consent"]),
            "consent_override_reason": row.get("consent_override_reason"),
            "safe_to_call": row.get("safe_to_call"),
            "summary": row.get("summary"),
        },
        perpetrators=perpetrators,
        children=[],
    )
    # The spreadsheet records the MARAC's own decision on a repeat: confirm or reject detection's proposal.
    if referral.repeat_to_confirm:
        flagged = row.get("repeat")
        if flagged is False:
            referrals.confirm_repeat(
                user,
                referral,
                is_repeat=False,
                reason="Not a repeat in the partnership's earlier record",
                version=referral.version_id,
            )
        elif flagged or referral.repeat_of_case_id is not None:
            referrals.confirm_repeat(user, referral, is_repeat=True, version=referral.version_id)
    if row.get("meeting_date") is not None:
        referrals.decide(user, referral, accept=True, reason=None, version=referral.version_id)
        core_meetings.record_past_hearing(user, KIND, row["meeting_date"], referral.case, outcome=row.get("outcome"))
    elif row.get("outcome") is not None:
        raise ServiceError("Give the meeting date the outcome was decided at", "meeting_date")
    return im.Applied("case", referral.case_id)


REFERRALS = modules.register_import_kind(
    im.ImportKind(
        name="marac-referrals",
        label="MARAC referrals and hearings",
        module="marac",
        capability="marac.import",
        description=(
            "One row per referral: victim, perpetrator, referring agency, criteria, consent, the repeat "
            "flag and, for a case that has been heard, the meeting date and outcome. Rows are applied in "
            "order, so put a victim's earlier referral above its repeat."
        ),
        columns=COLUMNS,
        apply=apply_referral,
        records_endpoint="marac.dashboard",
        field_columns={
            "referral_date": "referral_date",
            "incident_date": "incident_date",
            "dash_id": "dash_answers",
            "judgement_reason": "professional_judgement_reason",
            "judgement_level": "dash_answers",
            "completed_on": "dash_completed_on",
            "consent_override_reason": "consent_override_reason",
            "previous_marac_date": "previous_marac_date",
            "perpetrators": "perpetrator_surname",
            "surname": "victim_surname",
            "reason": "repeat",
        },
    )
)
