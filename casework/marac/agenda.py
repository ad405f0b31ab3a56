"""Agenda (case list) and minutes: built per viewer, shared with audit, printed to PDF.

No national agenda template exists (domain-notes §2); the case list carries
what agencies need to research each case: reference, victim and perpetrator
identifiers (as the disclosure policy lets the viewer's agency see them:
marac/disclosure.py), children, referring agency, criteria and DASH score, repeat flag
with the previous date, transfer-in origin, IDVA and research received. Each
generation, download and circulation is an information-sharing event
(DESIGN §4): it names the meeting, recipient agency, people, purpose and
lawful basis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from ..core import actions, audit, cases
from ..core.disclosure import FULL, INITIALS, Disclosure, ShownPerson
from ..core.localtime import format_local, to_local
from ..core.models import Action, Agency, AgendaItem, Case, CaseParticipant, Meeting, Person, User
from ..core.pdf import Document
from ..core.policy import can_view_case, visible_case_clause
from ..core.services import ServiceError
from ..extensions import db
from . import disclosure, meetings, notifications
from .models import Referral, ResearchResponse

CONFIDENTIALITY_STATEMENT = (
    "This meeting is strictly confidential. Information discussed is shared only to reduce the risk of harm "
    "to the people concerned. Nothing discussed may be shared outside the meeting, and these papers may not be "
    "copied or passed on, without the agreement of the agency that supplied the information. Information is "
    "never shared with the perpetrator."
)

DEFAULT_LAWFUL_BASIS = "gdpr_6_1_e_sch1_safeguarding"
LAWFUL_BASIS_BY_AGENCY_KIND = {"police": "dpa2018_part3_sch8_safeguarding"}


@dataclass
class PersonLine:
    """A person on the case list, as the disclosure policy lets the viewer see them."""

    label: str  # full name, or initials where the name is withheld
    dob: date | None
    note: str | None = None
    dob_withheld: bool = False
    aliases: tuple[str, ...] = ()
    address: str | None = None  # only where the policy (or a release) discloses it

    @classmethod
    def of(cls, shown: ShownPerson, note: str | None = None) -> PersonLine:
        address = ", ".join(p for p in (shown.address, shown.postcode) if p) or None
        return cls(shown.name, shown.dob, note, shown.dob_withheld, shown.aliases or (), address)


@dataclass
class AgendaRow:
    item: AgendaItem
    reference: str
    restricted: bool
    victim: PersonLine | None = None
    perpetrators: list[PersonLine] = field(default_factory=list)
    children_ages: list[int | None] = field(default_factory=list)
    children: list[PersonLine] = field(default_factory=list)  # as the disclosure policy allows
    referring_agency: str = ""
    criteria: list[str] = field(default_factory=list)
    dash_score: int | None = None
    dash_level: str | None = None
    repeat: bool = False
    previous_date: date | None = None
    previous_reference: str | None = None
    transfer_from: str | None = None
    idva: str | None = None
    responded: list[str] = field(default_factory=list)
    awaiting: list[str] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)


@dataclass
class AgendaDoc:
    meeting: Meeting
    rows: list[AgendaRow]
    outstanding: list[Action]
    agencies: list[Agency]

    @property
    def person_ids(self) -> list[int]:
        return sorted({p for r in self.rows for p in r.person_ids})


def lawful_basis_for(agency: Agency) -> str:
    mapping = current_app.config.get("MARAC_LAWFUL_BASIS_BY_AGENCY_KIND", LAWFUL_BASIS_BY_AGENCY_KIND)
    return mapping.get(agency.kind, DEFAULT_LAWFUL_BASIS)


def _fill_row(
    row: AgendaRow,
    ref: Referral | None,
    *,
    shown: dict[tuple[int, int], Disclosure],
    on_date: date,
    initials_only: bool = False,
) -> None:
    """The case details a visible row carries: people as the disclosure policy lets the viewer
    see them (``shown``, from :func:`disclosure.for_cases`), and the referral.
    ``initials_only``: the copy for circulation, identifying people by initials alone."""
    case = row.item.case
    row.person_ids = cases.person_ids_of(case)
    limit = INITIALS if initials_only else FULL

    def line(person: Person, note: str | None = None) -> PersonLine:
        return PersonLine.of(ShownPerson.of(person, shown[(case.id, person.id)] & limit), note)

    for p in case.participants:
        if p.role == "victim":
            row.victim = line(p.person)
        elif p.role == "perpetrator":
            row.perpetrators.append(line(p.person, p.relationship_to_victim))
        elif p.role == "child":
            row.children_ages.append(p.person.age_on(on_date))
            row.children.append(line(p.person, p.relationship_to_victim))
    if ref is not None:
        row.referring_agency = ref.referring_agency.name
        row.criteria = ref.criteria
        row.dash_score = ref.dash.score if ref.dash else None
        row.dash_level = ref.dash.final_level if ref.dash else None
        row.repeat = ref.is_repeat
        row.previous_date = ref.previous_marac_date
        row.previous_reference = ref.previous_reference
        row.transfer_from = ref.transfer_from_area if ref.transfer_in else None
        row.idva = ref.idva.display_name if ref.idva else None


def _referral_query():
    return sa.select(Referral).options(
        joinedload(Referral.dash), joinedload(Referral.idva), joinedload(Referral.referring_agency)
    )


def build(user: User, meeting: Meeting, *, initials_only: bool = False) -> AgendaDoc:
    """The case list as this user may see it. Restricted cases show only to their named members.
    ``initials_only``: people identified by initials, without dates of birth (for circulation)."""
    items = list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.removed_reason.is_(None))
            .options(joinedload(AgendaItem.case).selectinload(Case.participants).joinedload(CaseParticipant.person))
            .order_by(AgendaItem.position)
        )
    )
    case_ids = [i.case_id for i in items]
    referrals = {r.case_id: r for r in db.session.scalars(_referral_query().where(Referral.case_id.in_(case_ids)))}
    visible = set(db.session.scalars(sa.select(Case.id).where(Case.id.in_(case_ids), visible_case_clause(user))))
    agencies = sorted((link.agency for link in meeting.agency_links), key=lambda a: a.name)
    research = meetings.research_matrix(meeting)
    on_date = to_local(meeting.starts_at).date()
    shown = disclosure.for_cases(user, [i.case for i in items if i.case_id in visible])
    rows = []
    for item in items:
        row = AgendaRow(item=item, reference=item.case.reference, restricted=item.case_id not in visible)
        rows.append(row)
        if not row.restricted:
            _fill_row(row, referrals.get(item.case_id), shown=shown, on_date=on_date, initials_only=initials_only)
            answered = research.get(item.id, {})
            row.responded = [a.name for a in agencies if a.id in answered]
            row.awaiting = [a.name for a in agencies if a.id not in answered]
    outstanding = actions.outstanding_actions(meeting, user)
    return AgendaDoc(meeting=meeting, rows=rows, outstanding=outstanding, agencies=agencies)


def view_meeting(user: User, meeting: Meeting) -> AgendaDoc:
    """The meeting page's case list. Every rendering shows it (a form redrawn with errors
    included), so each call records a view of everyone on it."""
    doc = build(user, meeting)
    audit.record(
        "marac.meeting.view",
        object_type="meeting",
        object_id=meeting.id,
        person_ids=doc.person_ids,
        purpose="marac_meeting",
    )
    return doc


# --- the chair's running order ------------------------------------------------------


@dataclass
class AgencyResearch:
    """One distribution-list agency's answer for a case: ``response`` is None until it arrives."""

    agency: Agency
    response: ResearchResponse | None


@dataclass
class RunningOrderPage:
    """One listed case as the chair runs it: summary, research, actions, place in the order."""

    meeting: Meeting
    position: int  # 1-based place in the running order as it stands now
    order: list[tuple[int, AgendaItem]]  # (position, item) for every listed case, for the case menu
    row: AgendaRow
    referrer_name: str | None = None
    research: list[AgencyResearch] = field(default_factory=list)
    outstanding: list[Action] = field(default_factory=list)
    agreed: list[Action] = field(default_factory=list)

    @property
    def item(self) -> AgendaItem:
        return self.row.item

    @property
    def total(self) -> int:
        return len(self.order)

    @property
    def previous(self) -> AgendaItem | None:
        return self.order[self.position - 2][1] if self.position > 1 else None

    @property
    def next(self) -> AgendaItem | None:
        return self.order[self.position][1] if self.position < self.total else None


def running_order_items(meeting: Meeting) -> list[AgendaItem]:
    """The listed (not removed) cases in running order, with only their references loaded."""
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.removed_reason.is_(None))
            .options(joinedload(AgendaItem.case).load_only(Case.reference, Case.is_restricted))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def position_of(item: AgendaItem) -> int | None:
    """Where a listed case stands in its meeting's running order (1-based), None if removed."""
    for n, other in enumerate(running_order_items(item.meeting), start=1):
        if other.id == item.id:
            return n
    return None


def running_order(user: User, meeting: Meeting, position: int) -> RunningOrderPage | None:
    """The ``position``-th case of the running order as ``user`` may see it (None: no such place).

    The same disclosure as the agenda (:func:`build`): people as the disclosure policy lets
    the user's agency see them, a restricted case's details only for its named members. Showing the case is a
    view of everyone in it, recorded like every other case view.
    """
    order = list(enumerate(running_order_items(meeting), start=1))
    if not 1 <= position <= len(order):
        return None
    item = order[position - 1][1]
    case = db.session.scalar(
        sa.select(Case)
        .where(Case.id == item.case_id)
        .options(selectinload(Case.participants).joinedload(CaseParticipant.person))
    )
    row = AgendaRow(item=item, reference=case.reference, restricted=not can_view_case(user, case))
    page = RunningOrderPage(meeting=meeting, position=position, order=order, row=row)
    if row.restricted:
        return page
    ref = db.session.scalar(_referral_query().where(Referral.case_id == case.id))
    _fill_row(row, ref, shown=disclosure.for_cases(user, [case]), on_date=meeting.starts_at.date())
    page.referrer_name = ref.referrer_name if ref is not None else None
    answered = meetings.research_matrix(meeting).get(item.id, {})
    agencies = sorted((link.agency for link in meeting.agency_links), key=lambda a: a.name)
    page.research = [AgencyResearch(a, answered.get(a.id)) for a in agencies]
    # Answers from agencies taken off the distribution list since are still research received.
    listed = {a.id for a in agencies}
    page.research += [AgencyResearch(r.agency, r) for aid, r in answered.items() if aid not in listed]
    row.responded = [r.agency.name for r in page.research if r.response is not None]
    row.awaiting = [r.agency.name for r in page.research if r.response is None]
    page.outstanding = [a for a in actions.outstanding_actions(meeting, user) if a.case_id == case.id]
    page.agreed = actions.actions_for_item(meeting.id, case.id)
    cases.record_view(case, "marac_meeting")
    return page


def circulate(user: User, meeting: Meeting) -> int:
    """Circulate the agenda: one disclosure per agency on the distribution list."""
    if meeting.status != "scheduled":
        raise ServiceError("Only the agenda of a meeting still to be held can be circulated")
    doc = build(user, meeting)
    recipients = sorted((lk.agency for lk in meeting.agency_links), key=lambda a: a.name)
    record_share(user, doc, "marac.agenda.circulate", recipients)
    notifications.agenda_circulated(user, meeting)
    return len(recipients)


def record_share(user: User, doc: AgendaDoc, action: str, recipients: list[Agency] | None = None) -> None:
    """One sharing event per recipient agency, so "what went to agency X" is a plain query."""
    for agency in recipients or [user.agency]:
        audit.record(
            action,
            object_type="meeting",
            object_id=doc.meeting.id,
            person_ids=doc.person_ids,
            purpose="marac_meeting",
            lawful_basis=lawful_basis_for(agency),
            recipient_agency_id=agency.id,
            details={"cases": len([r for r in doc.rows if not r.restricted])},
        )


def _person_text(line: PersonLine | None) -> str:
    if line is None:
        return "—"
    text = line.label
    if not line.dob_withheld:
        text += f" ({line.dob.strftime('%d/%m/%Y') if line.dob else 'DOB not known'})"
    if line.aliases:
        text += f", also known as {', '.join(line.aliases)}"
    if line.note:
        text += f", {line.note}"
    if line.address:
        text += f"\n  Address: {line.address}"
    return text


def _meeting_details(doc: Document, meeting: Meeting) -> None:
    doc.key_values(
        [
            ("Date and time", format_local(meeting.starts_at, "%A %-d %B %Y, %H:%M")),
            ("Venue", meeting.venue),
            ("Chair", meeting.chair.display_name if meeting.chair else "—"),
            (
                "Circulated to",
                ", ".join(a.name for a in sorted((lk.agency for lk in meeting.agency_links), key=lambda a: a.name)),
            ),
        ]
    )
    doc.heading("Confidentiality statement", 3)
    doc.paragraph(CONFIDENTIALITY_STATEMENT, size=9)


def agenda_pdf(agenda: AgendaDoc) -> bytes:
    doc = Document(f"MARAC agenda {format_local(agenda.meeting.starts_at, '%d %B %Y')}")
    _meeting_details(doc, agenda.meeting)
    doc.heading("Cases", 2)
    rows = []
    for r in agenda.rows:
        if r.restricted:
            rows.append([str(r.item.position), r.reference, "Restricted case: details withheld", "", "", "", ""])
            continue
        children = f"{len(r.children_ages)}" + (
            f" (ages {', '.join(str(a) if a is not None else '?' for a in r.children_ages)})" if r.children_ages else ""
        )
        children += "".join(f"\n{_person_text(c)}" for c in r.children)
        repeat = "Yes" + (f", previous {r.previous_date:%d/%m/%Y}" if r.previous_date else "") if r.repeat else "No"
        if r.transfer_from:
            repeat += f"; transfer in from {r.transfer_from}"
        rows.append(
            [
                str(r.item.position),
                r.reference,
                f"V: {_person_text(r.victim)}\n" + "\n".join(f"P: {_person_text(p)}" for p in r.perpetrators),
                children,
                f"{r.referring_agency}\n"
                + "; ".join(r.criteria)
                + (f"\nDASH {r.dash_score}" if r.dash_score is not None else ""),
                repeat,
                f"IDVA: {r.idva or 'not allocated'}\nResearch: {len(r.responded)}/{len(r.responded) + len(r.awaiting)}",
            ]
        )
    doc.table(
        ["#", "Reference", "People", "Children", "Referral", "Repeat", "IDVA / research"],
        rows,
        widths=[6, 34, 44, 30, 30, 22, 24],
    )
    if agenda.outstanding:
        doc.heading("Outstanding actions from earlier meetings", 2)
        doc.table(
            ["Case", "Agency", "Action", "Due", "Status"],
            [
                [
                    a.case.reference,
                    a.assigned_agency.name,
                    a.description,
                    a.due_on.strftime("%d/%m/%Y"),
                    a.status.replace("_", " "),
                ]
                for a in agenda.outstanding
            ],
            widths=[26, 34, 80, 20, 30],
        )
    return doc.output()


CIRCULATION_NOTE = (
    "Circulation copy: people are identified by their initials only, without dates of birth. "
    "The minutes of each case are reproduced as recorded."
)


def minutes_pdf(user: User, meeting: Meeting, *, circulation: bool = False) -> tuple[bytes, list[int]]:
    """Minutes: attendance, then per visible case the discussion, outcome and actions.
    ``circulation``: the initials-only copy sent round after the meeting (SafeLives: minutes
    identify people no more than their purpose needs)."""
    agenda = build(user, meeting, initials_only=circulation)
    title = f"MARAC minutes {format_local(meeting.starts_at, '%d %B %Y')}" + (
        " (circulation copy)" if circulation else ""
    )
    doc = Document(title)
    if circulation:
        doc.paragraph(CIRCULATION_NOTE, size=9)
    _meeting_details(doc, meeting)
    doc.heading("Attendance", 2)
    doc.table(
        ["Agency", "Name", "Status", "Confidentiality acknowledged", "Information sent"],
        [
            [
                a.agency.name if a.agency else "—",
                a.name,
                a.status,
                "Yes" if a.confidentiality_ack else "No",
                "Yes" if a.information_sent else "No",
            ]
            for a in meeting.attendance
        ],
        widths=[40, 40, 30, 40, 30],
    )
    actions_by_case: dict[int, list[Action]] = {}
    for action in db.session.scalars(sa.select(Action).where(Action.meeting_id == meeting.id).order_by(Action.id)):
        actions_by_case.setdefault(action.case_id, []).append(action)
    for row in agenda.rows:
        doc.heading(f"{row.item.position}. {row.reference}", 3)
        if row.restricted:
            doc.paragraph("Restricted case: minutes held by named members only.")
            continue
        doc.paragraph(f"Victim: {_person_text(row.victim)}")
        doc.paragraph(row.item.minutes or "No minutes recorded.")
        doc.paragraph(f"Outcome: {meetings.OUTCOMES.get(row.item.outcome or '', 'not recorded')}")
        acts = actions_by_case.get(row.item.case_id, [])
        if acts:
            doc.table(
                ["Agency", "Action", "Deadline", "Status"],
                [
                    [a.assigned_agency.name, a.description, a.due_on.strftime("%d/%m/%Y"), a.status.replace("_", " ")]
                    for a in acts
                ],
                widths=[40, 90, 25, 35],
            )
    return doc.output(), agenda.person_ids
