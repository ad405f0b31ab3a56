"""ASB demo data for ``make run``: victims with incidents over the past year.

Six victims of the council ASB team: two have had 3 or more incidents within 12
months (repeat victims), one of them assessed high risk with a support plan whose
review fell due yesterday and a contact cadence that has lapsed; one victim's
incidents are spread too thinly to be a repeat; one incident was reported to the
police and the council separately and the two reports are linked as one event; a
perpetrator has an Acceptable Behaviour Contract with a breach. A multi-agency
meeting next week lists the high-risk case.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from ..core.localtime import to_utc
from ..demo import DemoContext, next_weekday
from ..extensions import db
from ..people.services import create_person
from . import incidents, meetings, perpetrators, risk, support
from .common import asb_case_for

# (given, surname, address, [days ago of each incident], type)
VICTIMS = [
    ("Maureen", "Talbot", "14 Elm Close, Northtown", [300, 120, 40, 12], "harassment"),
    ("Imran", "Qureshi", "3 Station Road, Northtown", [200, 150, 95], "targeted"),
    ("Gary", "Pollard", "22 Mill Lane, Southfield", [350, 170, 5], "noise"),
    ("Sophie", "Nyland", "Flat 2, 9 Park View, Southfield", [60], "vehicle_nuisance"),
    ("Edna", "Marsh", "1 Church Walk, Northtown", [25, 18], "rowdy"),
    ("Tomasz", "Zielinski", "7 Canal Street, Eastbrook", [230], "graffiti"),
]


def _data(victim_id: int, days_ago: int, type_code: str, perps: list[int], **extra) -> incidents.IncidentData:
    on = date.today() - timedelta(days=days_ago)
    itype = next(t for t in incidents.incident_types() if t.code == type_code)
    return incidents.IncidentData(
        occurred_on=on,
        occurred_time=time(21, 30),
        reported_on=on + timedelta(days=1) if days_ago > 1 else on,
        category=itype.category,
        type_code=type_code,
        description=extra.pop("description", "Shouting and banging at the door late at night; victim frightened."),
        location=extra.pop("location", None),
        victim_ids=[victim_id],
        perpetrator_ids=perps,
        perpetrator_unknown=not perps,
        perpetrator_description=None if perps else "Group of young people on bikes",
        reports=[incidents.ReportData("council", f"ASB/{on:%y}/{days_ago:04d}")],
        **extra,
    )


def seed(context: DemoContext) -> None:
    officer = context.users["asb@example.org"]
    today = date.today()
    neighbour = create_person(
        officer, {"given_names": "Darren", "surname": "Kettley", "dob": date(1979, 5, 2), "gender": "male"}, kind="asb"
    )
    cases = {}
    for given, surname, address, days, type_code in VICTIMS:
        person = create_person(
            officer,
            {"given_names": given, "surname": surname, "dob": date(1950 + len(given), 3, 14), "address": address},
            kind="asb",
        )
        asb = None
        for n, days_ago in enumerate(sorted(days, reverse=True)):
            perps = [neighbour.id] if surname == "Talbot" else []
            extra = {}
            if surname == "Qureshi":
                extra = {"is_hate": True, "hate_characteristic": "religion", "hate_details": "Abuse about his faith"}
            incident = incidents.log_incident(
                officer, _data(person.id, days_ago, type_code, perps, location=address, **extra), asb=asb
            )
            asb = asb_case_for(incident.case)
            if surname == "Pollard" and n == 0:
                # The same night reported to the police as well: linked as one event.
                police = _data(person.id, days_ago, type_code, perps, location=address)
                police.reports = [incidents.ReportData("police", "CAD 4471")]
                twin = incidents.log_incident(officer, police, asb=asb)
                incidents.link_incidents(officer, incident, twin)
        cases[surname] = asb
    # The high-risk repeat victim: assessed, plan due for review, contact lapsed.
    talbot = cases["Talbot"]
    q = risk.questionnaire()
    answers = {question.code: "yes" for question in q.questions}
    answers["deprived_area"] = "no"
    risk.assess(officer, talbot, assessed_on=today - timedelta(days=43), answers=answers, notes=None)
    plan = support.start_plan(officer, talbot, title="Individual support plan")
    for kind, details in (
        ("target_hardening", "Door camera and letterbox guard fitted by the housing provider"),
        ("victim_support", "Referred to Victim Support for emotional support"),
        ("mediation", "Mediation offered; the neighbour declined"),
    ):
        support.add_intervention(
            officer,
            plan,
            kind=kind,
            details=details,
            owner_agency_id=context.agencies["HOUS"].id,
            due_on=today + timedelta(days=14),
        )
    plan.review_due_on = today - timedelta(days=1)
    support.log_contact(officer, talbot, contact_on=today - timedelta(days=10), method="visit", notes="Visited at home")
    talbot.next_contact_due_on = today - timedelta(days=3)
    action = perpetrators.record_action(
        officer,
        talbot,
        person_id=neighbour.id,
        kind="abc",
        status="active",
        agency_id=context.agencies["ASB"].id,
        issued_on=today - timedelta(days=90),
        expires_on=today + timedelta(days=90),
        terms="No contact with the residents of Elm Close; no loud music after 11pm",
        court_reference=None,
    )
    perpetrators.record_breach(officer, action, talbot, breached_on=today - timedelta(days=12), details="Loud music")
    risk.assess(
        officer,
        cases["Qureshi"],
        assessed_on=today - timedelta(days=20),
        answers={question.code: ("yes" if question.weight >= 2 else "no") for question in q.questions},
    )
    risk.assess(
        officer,
        cases["Nyland"],
        assessed_on=today - timedelta(days=30),
        answers={question.code: "no" for question in q.questions},
    )
    from ..core import meetings as core_meetings

    meeting = core_meetings.schedule(
        officer,
        kind=meetings.MEETING_KIND,
        starts_at=to_utc(next_weekday(today + timedelta(days=7)), time(10, 0)),
        venue="Civic Centre, Room 4",
        chair_user_id=officer.id,
        agency_ids=[context.agencies[c].id for c in ("ASB", "POL", "HOUS")],
    )
    meetings.list_case(officer, meeting, talbot.case_id)
    db.session.flush()


# ASB Case Review: one application in progress (casework/asb/case_review/demo.py).
_seed_before_case_review = seed


def seed(context: DemoContext) -> None:
    from .case_review.demo import seed as seed_case_review

    _seed_before_case_review(context)
    seed_case_review(context)
