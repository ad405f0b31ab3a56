"""The cohort: tiers, supervision and custody status, the cohort list, caseloads, the offender's
timeline and the other casework the same person appears in (domain-notes §4, "Tiering").

Tier labels are the partnership's (default red / amber / green); each change keeps its
date and reason. Supervision status (on licence, community order, post-sentence
supervision, unsupervised, in custody with an expected release date) is kept with
its history, so releases coming up reach "My work" and the panel agenda.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from ..core import audit, cases, crypto, modules
from ..core.exports import capped
from ..core.models import Agency, Case, CaseParticipant, Person, User, UserRole
from ..core.pagination import Page, paginate
from ..core.policy import visible_case_clause
from ..core.services import FieldErrors, ServiceError, check_version
from ..extensions import db
from .common import KIND, editable, past_date, prepared, required_text
from .models import (
    NEED_LEVELS,
    SUPERVISION_STATUSES,
    Contact,
    Nomination,
    Offender,
    Pathway,
    PathwayChange,
    PathwayNeed,
    Spell,
    SupervisionChange,
    TierChange,
    TierLabel,
)
from .offending import OffenceRow, offences_for


@prepared
def _tiers_query() -> sa.Select:
    return sa.select(TierLabel.code, TierLabel.label).order_by(TierLabel.sort_order)


def tiers() -> dict[str, str]:
    """Tier code to label, in the partnership's order."""
    return dict(db.session.execute(_tiers_query()).all())


def set_tier(user: User, offender: Offender, *, tier: str | None, reason: str | None, on: date | None, version) -> None:
    """Change the management tier, with the reason for the change."""
    editable(user, offender)
    check_version(offender, version)
    errors: list[tuple[str | None, str]] = []
    if not tier or db.session.get(TierLabel, tier) is None:
        errors.append(("tier", "Select the tier"))
    elif tier == offender.tier:
        errors.append(("tier", "Select a different tier from the current one"))
    for check in (
        lambda: required_text(reason, "reason", "Enter the reason for the change"),
        lambda: past_date(on, "changed_on", "date of the change"),
    ):
        try:
            check()
        except ServiceError as exc:
            errors.append((exc.field, str(exc)))
    if errors:
        raise FieldErrors(errors)
    offender.tier = tier
    db.session.add(
        TierChange(case_id=offender.case_id, tier=tier, changed_on=on, reason=reason.strip(), user_id=user.id)
    )
    db.session.flush()
    audit.record("iom.tier.change", object_type="case", object_id=offender.case_id, details={"tier": tier})


def set_supervision(
    user: User,
    offender: Offender,
    *,
    status: str | None,
    from_on: date | None,
    expected_release_on: date | None,
    note: str | None,
    version,
) -> None:
    """Record a supervision or custody status from a date; in custody, the expected release date."""
    editable(user, offender)
    check_version(offender, version)
    errors: list[tuple[str | None, str]] = []
    if status not in SUPERVISION_STATUSES:
        errors.append(("status", "Select the supervision or custody status"))
    try:
        from_on = past_date(from_on, "from_on", "date the status started")
    except ServiceError as exc:
        errors.append((exc.field, str(exc)))
    if status == "custody":
        if expected_release_on is None:
            errors.append(("expected_release_on", "Enter the expected release date"))
        elif from_on and expected_release_on < from_on:
            errors.append(("expected_release_on", "The expected release date must be after the date custody began"))
    else:
        expected_release_on = None
    if errors:
        raise FieldErrors(errors)
    offender.supervision = status
    offender.expected_release_on = expected_release_on
    db.session.add(
        SupervisionChange(
            case_id=offender.case_id,
            status=status,
            from_on=from_on,
            expected_release_on=expected_release_on,
            note=(note or "").strip() or None,
            user_id=user.id,
        )
    )
    db.session.flush()
    audit.record("iom.supervision.change", object_type="case", object_id=offender.case_id, details={"status": status})


# --- the cohort list ------------------------------------------------------------------------


@dataclass
class CohortFilter:
    state: str = "on_cohort"  # on_cohort | nominated | former | all
    strand: str | None = None
    category: str | None = None
    tier: str | None = None
    lead_user_id: int | None = None
    supervision: str | None = None
    pathway: str | None = None  # with a medium or high need on this pathway
    extra: dict[str, Any] = field(default_factory=dict)


STATES = {
    "on_cohort": "On the cohort",
    "nominated": "Nominated",
    "former": "Formerly on the cohort",
    "all": "Everyone",
}


def cohort_query(user: User, flt: CohortFilter) -> sa.Select:
    query = (
        sa.select(Offender)
        .join(Case, Case.id == Offender.case_id)
        .where(Case.kind == KIND, visible_case_clause(user))
        .options(
            # Access is decided in SQL (``visible_case_clause``): the case's links are not read.
            cases.without_access_links(contains_eager(Offender.case)),
            # Only what the list shows is read and decrypted (the row uid checks the binding).
            joinedload(Offender.person).load_only(Person.given_names, Person.surname, Person.row_uid),
            joinedload(Offender.lead_user).load_only(User.display_name, User.row_uid).lazyload(User.role_rows),
            joinedload(Offender.lead_user).lazyload(User.agency),
        )
    )
    if flt.state == "on_cohort":
        query = query.where(Offender.on_cohort.is_(True))
    elif flt.state == "nominated":
        query = query.where(Case.status == "nominated")
    elif flt.state == "former":
        query = query.where(Offender.on_cohort.is_(False), Case.status.in_(("deselected", "closed")))
    for column, value in (
        (Offender.strand, flt.strand),
        (Offender.category, flt.category),
        (Offender.tier, flt.tier),
        (Offender.lead_user_id, flt.lead_user_id),
        (Offender.supervision, flt.supervision),
    ):
        if value:
            query = query.where(column == value)
    if flt.pathway:
        query = query.where(
            sa.exists().where(
                PathwayNeed.case_id == Offender.case_id,
                PathwayNeed.pathway_code == flt.pathway,
                PathwayNeed.need.in_(("medium", "high")),
            )
        )
    return query.order_by(Offender.id.desc())


def cohort_page(user: User, flt: CohortFilter, page: int, per_page: int = 25) -> Page:
    """One page of the filtered cohort, newest record first; the list view is audited."""
    result = paginate(cohort_query(user, flt), page, per_page)
    audit.record("iom.case.list", object_type="case", person_ids=[o.person_id for o in result.items])
    return result


EXPORT_HEADERS = (
    "Reference",
    "Name",
    "Status",
    "Strand",
    "Category",
    "Tier",
    "Supervision",
    "Expected release",
    "Lead officer",
)


def cohort_export(user: User, flt: CohortFilter, limit: int) -> list[Offender]:
    """Every offender of the filtered cohort list the user may see, at most ``limit``
    (``exports.TooManyRows`` beyond it); the caller audits the download."""
    return capped(db.session.scalars(cohort_query(user, flt).limit(limit + 1)).unique(), limit)


def export_row(o: Offender, strands: dict[str, str], categories: dict[str, str], tier_labels: dict[str, str]) -> tuple:
    """The cohort list's columns for one offender (the name as the list shows it)."""
    status = "On the cohort" if o.case.status == "adopted" else o.case.status.replace("_", " ").capitalize()
    return (
        o.case.reference,
        o.person.full_name,
        status,
        strands.get(o.strand, o.strand) if o.strand else None,
        categories.get(o.category, o.category) if o.category else None,
        tier_labels.get(o.tier, o.tier) if o.tier else None,
        o.supervision.replace("_", " ").capitalize() if o.supervision else None,
        o.expected_release_on,
        o.lead_user.display_name if o.lead_user else None,
    )


def caseloads(user: User) -> list[tuple[User, int]]:
    """Offenders on the cohort per lead officer (cases the user may see)."""
    rows = db.session.execute(
        sa.select(Offender.lead_user_id, sa.func.count())
        .join(Case, Case.id == Offender.case_id)
        .where(Offender.on_cohort.is_(True), Offender.lead_user_id.is_not(None), visible_case_clause(user))
        .group_by(Offender.lead_user_id)
    ).all()
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([r[0] for r in rows])))}
    return sorted(((users[uid], n) for uid, n in rows), key=lambda pair: (-pair[1], pair[0].display_name))


def lead_officers() -> list[User]:
    """Active users who may lead an IOM case (for choices)."""
    return [
        u
        for u in db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.display_name))
        if u.can("iom.case.edit")
    ]


def lead_officer_names() -> list[tuple[int, str, str]]:
    """(id, name, agency name) of each user ``lead_officers`` gives, in the same order, in one
    statement: active users of active agencies holding a role that may edit IOM cases."""
    roles = sorted(role for role, caps in modules.capabilities().items() if "iom.case.edit" in caps)
    return [(uid, name, agency) for uid, name, agency in db.session.execute(_lead_officers_query(), {"roles": roles})]


@prepared
def _lead_officers_query() -> sa.Select:
    return (
        sa.select(User.id, User.display_name, Agency.name)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.is_active.is_(True),
            Agency.is_active.is_(True),
            sa.exists().where(UserRole.user_id == User.id, UserRole.role.in_(sa.bindparam("roles", expanding=True))),
        )
        .order_by(User.display_name)
    )


# --- the offender page -------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str
    text: str


def timeline(
    offender: Offender,
    *,
    limit: int = 200,
    nominations: list[Nomination] | None = None,
    spells: list[Spell] | None = None,
    contacts: list[Contact] | None = None,
    offences: list[OffenceRow] | None = None,
    tier_labels: dict[str, str] | None = None,
    pathway_labels: dict[str, str] | None = None,
) -> list[TimelineEntry]:
    """Nominations, spells, tier, supervision and pathway changes, contacts and offences, newest first.

    A page that has already loaded some of these passes them in, so nothing is read twice."""
    case_id = offender.case_id
    entries: list[TimelineEntry] = []
    if nominations is None:
        nominations = list(db.session.scalars(sa.select(Nomination).where(Nomination.case_id == case_id)))
    for n in nominations:
        entries.append(TimelineEntry(n.nominated_on, "Nomination", f"Nominated (selection score {n.score})"))
        if n.decided_on:
            entries.append(TimelineEntry(n.decided_on, "Panel", "Adopted" if n.status == "adopted" else "Not adopted"))
    if spells is None:
        spells = list(db.session.scalars(sa.select(Spell).where(Spell.case_id == case_id)))
    for s in spells:
        entries.append(TimelineEntry(s.start_on, "Cohort", f"Spell on the cohort began ({s.strand})"))
        if s.end_on:
            entries.append(TimelineEntry(s.end_on, "Cohort", "Deselected"))
    tier_labels = tier_labels if tier_labels is not None else tiers()
    if pathway_labels is None:
        pathway_labels = dict(db.session.execute(sa.select(Pathway.code, Pathway.label)).all())
    entries.extend(_history_entries(case_id, tier_labels, pathway_labels))
    if contacts is None:
        contacts = list(db.session.scalars(sa.select(Contact).where(Contact.case_id == case_id)))
    for c in contacts:
        entries.append(TimelineEntry(c.contact_on, "Contact", c.contact_type.replace("_", " ").capitalize()))
    if offences is None:
        offences = offences_for(offender, limit, with_notes=False)
    for o in offences:
        entries.append(TimelineEntry(o.offence_on, "Offending", f"{o.kind.capitalize()}: {o.category.label}"))
    entries.sort(key=lambda e: e.on, reverse=True)
    return entries[:limit]


_TIER, _SUPERVISION, _PATHWAY = 0, 1, 2


@prepared
def _history_query() -> sa.CompoundSelect:
    """Tier, supervision and pathway changes of case ``case_id``, in that order and each in the
    order recorded: (source, id, date, code, need, expected release, tier reason, row uid)."""
    case_id = sa.bindparam("case_id")
    no_text, no_blob = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.LargeBinary)
    no_date = sa.cast(sa.null(), sa.Date)
    return sa.union_all(
        sa.select(
            sa.literal_column(str(_TIER), sa.Integer).label("source"),
            TierChange.id.label("id"),
            TierChange.changed_on.label("changed_on"),
            sa.cast(TierChange.tier, sa.String).label("code"),
            no_text.label("level"),
            no_date.label("release"),
            sa.type_coerce(TierChange.reason, sa.LargeBinary).label("reason"),
            TierChange.row_uid.label("row_uid"),
        ).where(TierChange.case_id == case_id),
        sa.select(
            sa.literal_column(str(_SUPERVISION), sa.Integer),
            SupervisionChange.id,
            SupervisionChange.from_on,
            sa.cast(SupervisionChange.status, sa.String),
            no_text,
            SupervisionChange.expected_release_on,
            no_blob,
            no_text,
        ).where(SupervisionChange.case_id == case_id),
        sa.select(
            sa.literal_column(str(_PATHWAY), sa.Integer),
            PathwayChange.id,
            PathwayChange.changed_on,
            sa.cast(PathwayChange.pathway_code, sa.String),
            sa.cast(PathwayChange.need, sa.String),
            no_date,
            no_blob,
            no_text,
        ).where(PathwayChange.case_id == case_id),
    ).order_by(sa.literal_column("source"), sa.literal_column("id"))


def _history_entries(case_id: int, tier_labels: dict[str, str], pathway_labels: dict[str, str]) -> list[TimelineEntry]:
    """Tier, supervision and pathway changes, in that order and each in the order recorded, read
    in one statement. A tier change's reason is decrypted here and, as an ORM load would,
    reads as unreadable if it is bound to another row."""
    reason_type = TierChange.__table__.c.reason.type
    rows = db.session.execute(_history_query(), {"case_id": case_id})
    ring = crypto.keyring()
    out = []
    for source, _, on, code, level, release, reason, row_uid in rows:
        if source == _TIER:
            text = f"Tier {tier_labels.get(code, code)}: {reason_type.read_raw(reason, row_uid, ring)}"
            out.append(TimelineEntry(on, "Tier", text))
        elif source == _SUPERVISION:
            text = SUPERVISION_STATUSES[code]
            if release:
                text += f", expected release {release:%-d %b %Y}"
            out.append(TimelineEntry(on, "Supervision", text))
        else:
            label = pathway_labels.get(code, code)
            out.append(TimelineEntry(on, "Pathway", f"{label}: need {NEED_LEVELS[level].lower()}"))
    return out


def releases_due(user: User, today: date, days: int = 28, limit: int = 20) -> list[Offender]:
    """Offenders in custody whose expected release falls in the next ``days`` days."""
    return list(
        db.session.scalars(
            sa.select(Offender)
            .join(Case, Case.id == Offender.case_id)
            .where(
                Offender.supervision == "custody",
                Offender.expected_release_on.between(today, today + timedelta(days=days)),
                Case.closed_on.is_(None),
                visible_case_clause(user),
            )
            .options(contains_eager(Offender.case))
            .order_by(Offender.expected_release_on)
            .limit(limit)
        )
    )


ElsewhereLink = cases.ElsewhereLink


@prepared
def _in_another_case_query() -> sa.Select:
    return (
        sa.select(CaseParticipant.id)
        .where(
            CaseParticipant.person_id == sa.bindparam("person_id"),
            CaseParticipant.case_id != sa.bindparam("case_id"),
        )
        .limit(1)
    )


def known_elsewhere(user: User, offender: Offender) -> list[ElsewhereLink]:
    """The other cases this person is in that the user may open (``core/cases.known_elsewhere``).

    Most offenders are in no other case: a look at the person's case links by index answers
    that before the access-checked search is built."""
    params = {"person_id": offender.person_id, "case_id": offender.case_id}
    if db.session.scalar(_in_another_case_query(), params) is None:
        return []
    return cases.known_elsewhere(user, [offender.person_id], offender.case_id)
