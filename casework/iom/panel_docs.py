"""IOM panel papers on the shared PDF writer (``core/pdf.py``): the agenda, the minutes and the
minutes' circulation copy, and the panel outcomes an offender's page lists.

The agenda names each listed offender (the panel decides about people, domain-notes §4:
"Nominations and removals are agreed at a multi-agency panel") with why they are listed,
the nomination's proposed strand, category and selection score with its breakdown, their
current tier and supervision or custody status (with any expected release), the pathways
whose review is due, and the actions still open on them. Pathway details are never printed:
health and substance-misuse details stay on the screen of the roles allowed to see them.

The circulation copy of the minutes identifies people by their initials only and without
dates of birth ("the minimum disclosure required is the maximum permitted", DESIGN §6);
the minutes of each item are reproduced as recorded. A case the reader may not open
(restricted) appears by reference only. Every download is audited by the view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..core import meetings as core_meetings
from ..core import modules
from ..core.localtime import format_local
from ..core.models import Action, AgendaItem, Meeting, User
from ..core.pdf import Document
from ..core.policy import can_view_case
from ..extensions import db
from .common import prepared
from .models import CATEGORIES, SUPERVISION_STATUSES, Nomination, Offender, Pathway, PathwayNeed, Strand, TierLabel

CONFIDENTIALITY_STATEMENT = (
    "These papers are confidential to the IOM panel. Information is shared under section 115 of the Crime and "
    "Disorder Act 1998 only to reduce reoffending and the harm it causes; nothing may be copied or passed on "
    "without the agreement of the agency that supplied it."
)
CIRCULATION_NOTE = (
    "Circulation copy: people are identified by their initials only, without dates of birth. "
    "The minutes of each item are reproduced as recorded."
)
REASONS = {"new": "Nomination to decide", "review": "Due for review"}


@dataclass
class PanelRow:
    item: AgendaItem
    reference: str
    visible: bool
    person_id: int | None = None
    name: str = ""
    dob: date | None = None
    nomination: Nomination | None = None
    decision: Nomination | None = None  # a decision recorded against this meeting
    offender: Offender | None = None
    reviews_due: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


@dataclass
class PanelPapers:
    meeting: Meeting
    rows: list[PanelRow]
    person_ids: list[int]


def build(user: User, meeting: Meeting, *, initials_only: bool = False) -> PanelPapers:
    """What the agenda and minutes show, in a fixed number of queries whatever the agenda's length."""
    items = core_meetings.active_items(meeting)
    visible = {i.case_id for i in items if can_view_case(user, i.case)}
    offenders = {
        o.case_id: o
        for o in db.session.scalars(
            sa.select(Offender).where(Offender.case_id.in_(visible)).options(joinedload(Offender.person))
        )
    }
    nominations = db.session.scalars(
        sa.select(Nomination)
        .where(
            Nomination.case_id.in_(visible),
            sa.or_(Nomination.status == "open", Nomination.meeting_id == meeting.id),
        )
        .order_by(Nomination.id)
    ).all()
    open_nom = {n.case_id: n for n in nominations if n.status == "open"}
    decided = {n.case_id: n for n in nominations if n.meeting_id == meeting.id and n.status != "open"}
    day = meeting.starts_at.date()
    reviews: dict[int, list[str]] = {}
    for case_id, label in db.session.execute(
        sa.select(PathwayNeed.case_id, Pathway.label)
        .join(Pathway, Pathway.code == PathwayNeed.pathway_code)
        .where(PathwayNeed.case_id.in_(visible), PathwayNeed.review_due_on <= day)
        .order_by(Pathway.sort_order)
    ):
        reviews.setdefault(case_id, []).append(label)
    acts: dict[int, list[Action]] = {}
    for action in db.session.scalars(
        sa.select(Action)
        .where(
            Action.case_id.in_(visible),
            sa.or_(Action.meeting_id == meeting.id, Action.status == "open"),
        )
        .options(joinedload(Action.assigned_agency))
        .order_by(Action.due_on, Action.id)
    ):
        acts.setdefault(action.case_id, []).append(action)
    rows = []
    for item in items:
        row = PanelRow(item=item, reference=item.case.reference, visible=item.case_id in visible)
        offender = offenders.get(item.case_id)
        if row.visible and offender is not None:
            person = offender.person
            row.person_id = person.id
            row.name = person.initials if initials_only else person.full_name
            row.dob = None if initials_only else person.dob
            row.offender = offender
            row.nomination = open_nom.get(item.case_id)
            row.decision = decided.get(item.case_id)
            row.reviews_due = reviews.get(item.case_id, [])
            row.actions = acts.get(item.case_id, [])
        rows.append(row)
    person_ids = sorted({r.person_id for r in rows if r.person_id is not None})
    return PanelPapers(meeting=meeting, rows=rows, person_ids=person_ids)


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    strands = dict(db.session.execute(sa.select(Strand.code, Strand.label)).all())
    tiers = dict(db.session.execute(sa.select(TierLabel.code, TierLabel.label)).all())
    return strands, tiers


def _who(row: PanelRow) -> str:
    if row.dob is None:
        return row.name
    return f"{row.name} ({row.dob:%d/%m/%Y})"


def _details(doc: Document, meeting: Meeting) -> None:
    doc.key_values(
        [
            ("Date and time", format_local(meeting.starts_at, "%A %-d %B %Y, %H:%M")),
            ("Venue", meeting.venue),
            ("Chair", meeting.chair.display_name if meeting.chair else "—"),
            (
                "Circulated to",
                ", ".join(sorted(link.agency.name for link in meeting.agency_links)) or "—",
            ),
        ]
    )
    doc.heading("Confidentiality", 3)
    doc.paragraph(CONFIDENTIALITY_STATEMENT, size=9)


def _nomination_text(n: Nomination | None, strands: dict[str, str]) -> str:
    if n is None:
        return "—"
    text = f"{strands.get(n.proposed_strand, n.proposed_strand)}, {CATEGORIES.get(n.category, n.category)}"
    text += f"\nScore {n.score}"
    factors = (n.score_breakdown or {}).get("factors") or []
    if factors:
        text += " (" + "; ".join(f"{f['code']} {f['points']}×{f['weight']}" for f in factors) + ")"
    if n.ogrs is not None or n.rsr is not None:
        text += f"\nOGRS {n.ogrs if n.ogrs is not None else '—'}, RSR {n.rsr if n.rsr is not None else '—'}"
    return text


def _status_text(o: Offender | None, strands: dict[str, str], tiers: dict[str, str]) -> str:
    if o is None:
        return "—"
    parts = []
    if o.on_cohort:
        parts.append(f"On the cohort: {strands.get(o.strand, '—')}, tier {tiers.get(o.tier, '—')}")
    else:
        parts.append("Not on the cohort")
    if o.supervision:
        status = SUPERVISION_STATUSES.get(o.supervision, o.supervision)
        if o.expected_release_on:
            status += f", expected release {o.expected_release_on:%d/%m/%Y}"
        parts.append(status)
    return "\n".join(parts)


def agenda_pdf(papers: PanelPapers) -> bytes:
    meeting = papers.meeting
    strands, tiers = _labels()
    doc = Document(f"IOM panel agenda {format_local(meeting.starts_at, '%d %B %Y')}")
    _details(doc, meeting)
    doc.heading("Agenda", 2)
    rows = []
    for r in papers.rows:
        if not r.visible:
            rows.append([str(r.item.position), r.reference, "Restricted case: details withheld", "", "", ""])
            continue
        rows.append(
            [
                str(r.item.position),
                r.reference,
                f"{_who(r)}\n{REASONS.get(r.item.reason, r.item.reason.capitalize())}",
                _nomination_text(r.nomination, strands),
                _status_text(r.offender, strands, tiers),
                ", ".join(r.reviews_due) or "—",
            ]
        )
    doc.table(
        ["#", "Reference", "Offender and why listed", "Nomination", "Cohort and supervision", "Pathway reviews due"],
        rows,
        widths=[6, 30, 44, 44, 40, 30],
    )
    open_actions = [(r, a) for r in papers.rows for a in r.actions if a.status == "open"]
    if open_actions:
        doc.heading("Open actions on listed offenders", 2)
        doc.table(
            ["Case", "Agency", "Action", "Due"],
            [
                [r.reference, a.assigned_agency.name, a.description, a.due_on.strftime("%d/%m/%Y")]
                for r, a in open_actions
            ],
            widths=[30, 40, 100, 24],
        )
    return doc.output()


def minutes_pdf(papers: PanelPapers, *, circulation: bool = False) -> bytes:
    """Attendance, then each item's decision, outcome, minutes and the actions agreed."""
    meeting = papers.meeting
    outcomes = modules.meeting_rules(meeting.kind).outcomes
    title = f"IOM panel minutes {format_local(meeting.starts_at, '%d %B %Y')}"
    doc = Document(title + (" (circulation copy)" if circulation else ""))
    if circulation:
        doc.paragraph(CIRCULATION_NOTE, size=9)
    _details(doc, meeting)
    doc.heading("Attendance", 2)
    doc.table(
        ["Agency", "Name", "Status", "Confidentiality acknowledged"],
        [
            [
                a.agency.name if a.agency else "—",
                a.name,
                a.status,
                "Yes" if a.confidentiality_ack else "No",
            ]
            for a in meeting.attendance
        ],
        widths=[45, 45, 30, 40],
    )
    for r in papers.rows:
        doc.heading(f"{r.item.position}. {r.reference}", 3)
        if not r.visible:
            doc.paragraph("Restricted case: minutes held by named members only.")
            continue
        doc.paragraph(f"Offender: {_who(r)}. {REASONS.get(r.item.reason, r.item.reason.capitalize())}.")
        if r.decision is not None:
            doc.paragraph(f"Panel decision: {decision_text(r.decision)}")
        doc.paragraph(f"Outcome: {outcomes.get(r.item.outcome or '', 'not recorded')}")
        doc.paragraph(r.item.minutes or "No minutes recorded.")
        agreed = [a for a in r.actions if a.meeting_id == meeting.id]
        if agreed:
            doc.table(
                ["Agency", "Action", "Deadline", "Status"],
                [
                    [a.assigned_agency.name, a.description, a.due_on.strftime("%d/%m/%Y"), a.status.replace("_", " ")]
                    for a in agreed
                ],
                widths=[40, 90, 25, 35],
            )
    return doc.output()


def decision_text(n: Nomination) -> str:
    if n.status == "adopted":
        return "adopted onto the cohort"
    if n.status == "rejected":
        return "not adopted"
    return "awaiting the panel"


# --- the offender page --------------------------------------------------------------------------


@dataclass
class PanelOutcome:
    meeting: Meeting
    item: AgendaItem
    outcome: str | None
    decision: str | None
    actions: list[Action]


@prepared
def _listings_query() -> sa.Select:
    return (
        sa.select(AgendaItem, Meeting)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.case_id == sa.bindparam("case_id"),
            AgendaItem.removed_reason.is_(None),
            Meeting.kind == sa.bindparam("kind"),
        )
        .order_by(Meeting.starts_at.desc())
    )


def outcomes_for(offender: Offender) -> list[PanelOutcome]:
    """Every IOM panel the offender was listed at, newest first, with the outcome, the decision
    recorded there and the actions agreed (three queries, whatever the history's length)."""
    kind = modules.for_case_kind("iom").meeting_kind
    items = db.session.execute(_listings_query(), {"case_id": offender.case_id, "kind": kind}).all()
    if not items:
        return []
    meeting_ids = [m.id for _, m in items]
    decisions = {
        n.meeting_id: n
        for n in db.session.scalars(
            sa.select(Nomination).where(Nomination.case_id == offender.case_id, Nomination.meeting_id.in_(meeting_ids))
        )
    }
    acts: dict[int, list[Action]] = {}
    for action in db.session.scalars(
        sa.select(Action)
        .where(Action.case_id == offender.case_id, Action.meeting_id.in_(meeting_ids))
        .options(joinedload(Action.assigned_agency))
        .order_by(Action.id)
    ):
        acts.setdefault(action.meeting_id, []).append(action)
    outcomes = modules.meeting_rules(kind).outcomes
    return [
        PanelOutcome(
            meeting=meeting,
            item=item,
            outcome=outcomes.get(item.outcome) if item.outcome else None,
            decision=decision_text(decisions[meeting.id]) if meeting.id in decisions else None,
            actions=acts.get(meeting.id, []),
        )
        for item, meeting in items
    ]
