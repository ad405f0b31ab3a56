"""The one disclosure policy for people in MARAC cases: what each agency sees for research.

SafeLives: each agency on the distribution list researches the victim, perpetrator(s) and
children in its own records, and shares proportionately; "the minimum disclosure required
is the maximum permitted" (domain-notes §2, §6). So what an agency is shown is set per
agency kind (``DisclosureRule``, edited by an administrator): by default names, aliases and
dates of birth of everyone researched, and addresses only to the IDVA service and police,
since a victim's address in the wrong hands can put them in danger (DESIGN §5). The
coordinator may release a victim's address for research on one case; the release and its
withdrawal are audited.

Every page that shows a person in a MARAC case asks this module (agenda HTML and PDF,
running order, minutes, case page) or asks core, which asks this module through the
registry's ``person_disclosure`` hook (person page, people list and search). A page in the
context of one case uses that case's rule; a person's own page the strictest rule across
all their MARAC cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context

from ..core import audit
from ..core.disclosure import IDENTITY, Disclosure
from ..core.models import AGENCY_KINDS, Case, CaseParticipant, User
from ..core.permissions import AccessDenied
from ..core.policy import visible_case_clause
from ..core.services import ConflictError, ServiceError, check_version
from ..core.types import utcnow
from ..extensions import db
from .models import DISCLOSURE_FIELDS, DISCLOSURE_ROLES, AddressRelease, DisclosureRule

# Agency kinds that see addresses unless an administrator changes it (DESIGN §5).
DEFAULT_ADDRESS_KINDS = frozenset({"idva_service", "police"})
SETTINGS_CAPABILITY = "marac.disclosure.manage"
RELEASE_CAPABILITY = "marac.disclosure.release"
RULE_COLUMNS = tuple(f"{role}_{field}" for role in DISCLOSURE_ROLES for field in DISCLOSURE_FIELDS)
REASON_LIMIT = 500

Rule = Mapping[str, Disclosure]  # participant role to what is shown


def default_values(agency_kind: str) -> dict[str, bool]:
    """The seeded rule: names, aliases and dates of birth for everyone; addresses only for
    the IDVA service and police."""
    address = agency_kind in DEFAULT_ADDRESS_KINDS
    return {col: (address if col.endswith("_address") else True) for col in RULE_COLUMNS}


def _rule_from(values: Mapping[str, bool]) -> Rule:
    out = {}
    for role in DISCLOSURE_ROLES:
        address = bool(values[f"{role}_address"])
        out[role] = Disclosure(
            name=bool(values[f"{role}_name"]),
            aliases=bool(values[f"{role}_aliases"]),
            dob=bool(values[f"{role}_dob"]),
            address=address,
            # Phone, e-mail, safe-contact and school details go with the address.
            contact=address,
        )
    return out


def _rules() -> dict[str, Rule]:
    """Every stored rule, by agency kind: read once a request (the table has a row a kind)."""
    cache = g.get("_marac_disclosure_rules") if has_app_context() else None
    if cache is None:
        cache = {
            row.agency_kind: _rule_from({c: getattr(row, c) for c in RULE_COLUMNS})
            for row in db.session.scalars(sa.select(DisclosureRule))
        }
        if has_app_context():
            g._marac_disclosure_rules = cache
    return cache


def _forget_rules() -> None:
    if has_app_context():
        g.pop("_marac_disclosure_rules", None)


def rule_for(user: User, role: str) -> Disclosure:
    """What ``user``'s agency kind sees of a person in ``role`` (another role: the strictest
    of the three). The module's roles that see every case (the coordinator) always see
    names, aliases and dates of birth: they run the case list."""
    rule = _rules().get(user.agency.kind) or _rule_from(default_values(user.agency.kind))
    if role in rule:
        shown = rule[role]
    else:
        shown = rule["victim"] & rule["perpetrator"] & rule["child"]
    if user.can("marac.case.view_all"):
        shown = shown | IDENTITY
    return shown


_RELEASED = Disclosure(name=False, aliases=False, dob=False, address=True, contact=False)


def released_case_ids(case_ids: Iterable[int]) -> set[int]:
    ids = list(set(case_ids))
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(AddressRelease.case_id).where(
                AddressRelease.case_id.in_(ids), AddressRelease.withdrawn_at.is_(None)
            )
        )
    )


def _for_participant(user: User, role: str, released: bool) -> Disclosure:
    shown = rule_for(user, role)
    if released and role == "victim":
        shown = shown | _RELEASED
    return shown


def for_cases(user: User, cases: Iterable[Case], released: set[int] | None = None) -> dict[tuple[int, int], Disclosure]:
    """(case id, person id) to what ``user`` sees of that person on that case's pages, for
    cases the caller has already checked the user may open. ``released``: the ids of those
    cases with a live address release, when the caller has already read them."""
    cases = list(cases)
    if released is None:
        released = released_case_ids(c.id for c in cases)
    return {
        (case.id, p.person_id): _for_participant(user, p.role, case.id in released)
        for case in cases
        for p in case.participants
    }


def for_case(user: User, case: Case, release: AddressRelease | None) -> dict[int, Disclosure]:
    """Person id to what ``user`` sees of them on this case's pages, given the case's live
    address release (:func:`active_release`)."""
    released = {case.id} if release is not None else set()
    return {pid: d for (_, pid), d in for_cases(user, [case], released).items()}


def sees_victim_contact(user: User) -> bool:
    """The referral's safe-contact arrangements go where victims' contact details go (never
    by a release, which is of the address alone)."""
    return rule_for(user, "victim").contact


def person_disclosure(user: User, person_ids: list[int]) -> dict[int, Disclosure]:
    """The registry hook: for a person's own page and the people list, the strictest rule
    across every MARAC case they are in. A release counts only on a case the user may open."""
    rows = db.session.execute(
        sa.select(CaseParticipant.person_id, CaseParticipant.case_id, CaseParticipant.role, AddressRelease.id)
        .join(Case, Case.id == CaseParticipant.case_id)
        .outerjoin(
            AddressRelease,
            sa.and_(
                AddressRelease.case_id == CaseParticipant.case_id,
                AddressRelease.withdrawn_at.is_(None),
                CaseParticipant.role == "victim",
            ),
        )
        .where(Case.kind == "marac", CaseParticipant.person_id.in_(person_ids))
    ).all()
    released = {case_id for _, case_id, _, release_id in rows if release_id is not None}
    if released:
        released &= set(db.session.scalars(sa.select(Case.id).where(Case.id.in_(released), visible_case_clause(user))))
    out: dict[int, Disclosure] = {}
    for pid, case_id, role, _ in rows:
        shown = _for_participant(user, role, case_id in released)
        out[pid] = out[pid] & shown if pid in out else shown
    return out


# --- the coordinator's release of a victim's address ---------------------------------------


def active_release(case: Case) -> AddressRelease | None:
    return db.session.scalar(
        sa.select(AddressRelease).where(AddressRelease.case_id == case.id, AddressRelease.withdrawn_at.is_(None))
    )


@dataclass
class ReleasePanel:
    """The case page's panel: whether the victim's address is released, and to which of the
    case's agencies it is otherwise withheld."""

    release: AddressRelease | None
    can_release: bool
    withheld_from: list[str]


def release_panel(
    user: User, release: AddressRelease | None, agency_names: Mapping[int, tuple[str, str]]
) -> ReleasePanel | None:
    """Shown to those who may release (``release``: the case's live release, if any;
    ``agency_names``: agency id to (name, kind) of the agencies that may open the case for
    research). None for everyone else."""
    if not user.can(RELEASE_CAPABILITY):
        return None
    rules = _rules()
    withheld = sorted(
        name
        for name, kind in agency_names.values()
        if not (rules.get(kind) or _rule_from(default_values(kind)))["victim"].address
    )
    return ReleasePanel(release=release, can_release=True, withheld_from=withheld)


def _ensure_release(user: User, case: Case) -> None:
    from ..core.policy import can_view_case

    if not user.can(RELEASE_CAPABILITY) or not can_view_case(user, case):
        raise AccessDenied("case", case.id)


def _victim_ids(case: Case) -> list[int]:
    return [p.person_id for p in case.participants if p.role == "victim"]


def release_address(user: User, case: Case, reason: str | None) -> AddressRelease:
    """Release the victim's address for research on this case, with the reason; audited as a
    disclosure of the victim."""
    _ensure_release(user, case)
    text = (reason or "").strip()
    if not text:
        raise ServiceError("Enter why the address is needed for research", "reason")
    if len(text) > REASON_LIMIT:
        raise ServiceError(f"The reason must be {REASON_LIMIT} characters or fewer (you entered {len(text)})", "reason")
    if active_release(case) is not None:
        raise ServiceError("The victim's address is already released for research on this case")
    release = AddressRelease(case_id=case.id, reason=text, released_by_id=user.id)
    db.session.add(release)
    db.session.flush()
    audit.record(
        "marac.case.release_address",
        object_type="case",
        object_id=case.id,
        person_ids=_victim_ids(case),
        purpose="marac_meeting",
        details={"release": release.id},
    )
    return release


def withdraw_release(user: User, case: Case, release_id: int | None) -> None:
    """Withdraw the release: the address is withheld again from agencies whose kind may not see it."""
    _ensure_release(user, case)
    release = active_release(case)
    if release is None or release.id != release_id:
        raise ServiceError("This release has already been withdrawn or replaced. Check the case page.")
    release.withdrawn_at = utcnow()
    release.withdrawn_by_id = user.id
    db.session.flush()
    audit.record(
        "marac.case.withdraw_address",
        object_type="case",
        object_id=case.id,
        person_ids=_victim_ids(case),
        purpose="marac_meeting",
        details={"release": release.id},
    )


# --- the administrator's settings ----------------------------------------------------------


@dataclass
class KindRule:
    agency_kind: str
    label: str
    values: dict[str, bool]
    version_id: int | None


def settings_rows() -> list[KindRule]:
    """Every agency kind with its rule (stored, or the default for a kind added since)."""
    stored = {r.agency_kind: r for r in db.session.scalars(sa.select(DisclosureRule))}
    out = []
    for kind, label in AGENCY_KINDS.items():
        row = stored.get(kind)
        values = {c: getattr(row, c) for c in RULE_COLUMNS} if row else default_values(kind)
        out.append(KindRule(kind, label, values, row.version_id if row else None))
    return out


def update_rule(user: User, agency_kind: str, values: Mapping[str, Any], version: int | None) -> list[str]:
    """Save what agencies of one kind see; a stale version is a conflict. Audited by field name."""
    if not user.can(SETTINGS_CAPABILITY):
        raise AccessDenied("marac_settings", "disclosure", hide=False)
    if agency_kind not in AGENCY_KINDS:
        raise ServiceError("Unknown kind of agency")
    row = db.session.scalar(sa.select(DisclosureRule).where(DisclosureRule.agency_kind == agency_kind))
    if row is None:
        if version is not None:
            raise ConflictError(f"no disclosure rule for {agency_kind}", None)
        row = DisclosureRule(agency_kind=agency_kind, **default_values(agency_kind))
        db.session.add(row)
    else:
        check_version(row, version)
    changed = [c for c in RULE_COLUMNS if bool(values.get(c)) != getattr(row, c)]
    for column in changed:
        setattr(row, column, bool(values.get(column)))
    db.session.flush()
    audit.record(
        "marac.settings.update_disclosure",
        object_type="marac_disclosure_rule",
        object_id=agency_kind,
        details={"fields": changed},
    )
    _forget_rules()
    return changed
