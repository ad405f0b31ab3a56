"""The module registry: each casework module declares what it adds, in one place (DESIGN §1).

Core knows no module by name. A module package (MARAC, IOM, ASB, or one written
later) builds one :class:`Module` and calls :func:`register` when it is imported,
before its views are; the application factory imports the packages named in the
``CASEWORK_MODULES`` setting. Everything core needs to know about a module (its
case and meeting kinds, roles and capabilities, who may see contact details in
its cases, audit purposes, case page, menu, "My work" entries, meeting rules,
the reasons an action may be "not done", demo data) is read from here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover - typing only
    from flask import Blueprint

    from .disclosure import Disclosure
    from .models import Case, Meeting, Person, User


@dataclass(frozen=True)
class MenuEntry:
    """A link in the header menu, shown to users holding ``capability``."""

    endpoint: str
    label: str
    capability: str | None


@dataclass(frozen=True)
class WorkItem:
    """One line on "My work": a link to the page where the work is done."""

    label: str
    url: str
    due_on: date | None = None
    overdue: bool = False
    detail: str | None = None


@dataclass(frozen=True)
class WorkSection:
    """A module's block on "My work" (for example "Referrals awaiting your decision")."""

    title: str
    items: list[WorkItem]
    empty: str = "Nothing waiting."
    more_url: str | None = None
    person_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PersonAction:
    """A next step offered at the top of a person's page (for example "Refer to MARAC")."""

    label: str
    url: str
    primary: bool = False


@dataclass(frozen=True)
class PersonSection:
    """A module's block on a person's page (for example their DASH risk assessments).

    ``items`` are links the user may follow; ``actions`` are buttons shown at the top of
    the page, only to users who may act on the person (not on meeting access alone).
    """

    title: str
    items: list[WorkItem]
    empty: str = "None you can see."
    actions: list[PersonAction] = field(default_factory=list)


@dataclass(frozen=True)
class SubjectAccessRecord:
    """One record a module holds about a person, decrypted, for a subject access pack.

    ``fields`` are (label, value) pairs in display order. ``third_party`` lists the
    labels of fields that are other people's personal data (withheld from the pack,
    each listed for the reviewer); ``third_party_names`` are other people's names
    that are redacted wherever they appear in this record's free text (UK GDPR
    Art 15(4); DPA 2018 Sch 2 para 16).
    """

    module: str
    kind: str
    record_id: int | str
    title: str
    fields: tuple[tuple[str, str], ...]
    third_party: frozenset[str] = frozenset()
    third_party_names: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A stable key for the record within a pack (exemptions are recorded against it)."""
        return f"{self.module}:{self.kind}:{self.record_id}"


@dataclass(frozen=True)
class RoleHelp:
    """The help page's text for one role: what it is for and what to do first."""

    summary: str
    first_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleHelp:
    """What a module adds to the help page: per role, what each case status means, and
    who sees what in its cases."""

    roles: Mapping[str, RoleHelp] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)
    visibility: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotificationKind:
    """One kind of notification a module sends (casework/notifications).

    ``recipients`` documents the rule: ``user`` (named users), ``role`` (holders of a
    capability within an agency, or anywhere) or ``agency`` (an agency's users holding the
    capability, and its shared mailbox). ``one`` and ``many`` are the wording, with
    ``{n}`` (count) and ``{agency}`` (the recipient's agency name) and nothing else: the
    wording goes into e-mails, which must never carry a name, reference or detail.
    ``endpoint`` and ``id_arg`` build the link to the page where the work is done.
    ``visible(user, object_ids)`` answers which objects the user may still see; without
    it the case (``case_id`` of the notification) is checked.
    """

    code: str
    label: str
    recipients: str
    one: str
    many: str
    endpoint: str
    id_arg: str
    object_type: str = "case"
    urgent: bool = False
    default_on: bool = True
    visible: Callable[[Any, list[int]], set[int]] | None = None


@dataclass(frozen=True)
class Reminder:
    """One time-based reminder found by a module's scan: an object, its case, who to tell
    (``user_ids``; ``agency_ids`` with ``capability``) and the occasion (for example the due
    date) that makes it new. The same kind, object, recipient and occasion notify once."""

    kind: str
    object_id: int
    case_id: int | None
    occasion: str
    user_ids: tuple[int, ...] = ()
    agency_ids: tuple[int, ...] = ()
    capability: str | None = None


class MeetingRules(Protocol):
    """What a module adds to the core meeting mechanism (``core/meetings.py``).

    Every method is optional in spirit: :class:`DefaultMeetingRules` does nothing,
    and a module overrides what its meetings need (MARAC: the referral cut-off,
    automatic listing and the case status changes that follow listing and hearing).
    """

    outcomes: Mapping[str, str]
    listing_reasons: Mapping[str, str]

    def cutoff(self, meeting: Meeting) -> date | None: ...
    def check_listing(self, meeting: Meeting, case: Case, *, urgent: bool) -> None: ...
    def listing_reason(self, case: Case) -> str: ...
    def on_listed(self, case: Case) -> None: ...
    def on_unlisted(self, case: Case) -> None: ...
    def on_heard(self, case: Case) -> None: ...


class DefaultMeetingRules:
    """Meetings with no module-specific rules: any open case may be listed."""

    outcomes: Mapping[str, str] = {
        "actions_agreed": "Actions agreed",
        "no_further_action": "No further action",
        "deferred": "Deferred to next meeting",
    }
    listing_reasons: Mapping[str, str] = {"new": "New", "review": "Review", "urgent": "Urgent"}

    def cutoff(self, meeting: Meeting) -> date | None:
        return None

    def check_listing(self, meeting: Meeting, case: Case, *, urgent: bool) -> None:
        return None

    def listing_reason(self, case: Case) -> str:
        return "new"

    def on_listed(self, case: Case) -> None:
        return None

    def on_unlisted(self, case: Case) -> None:
        return None

    def on_heard(self, case: Case) -> None:
        return None


@dataclass(frozen=True)
class Report:
    """An aggregate report a module offers on the reports hub (``/reports/<module>/<key>``).

    ``build(periods)`` returns the report's figures (``core/reporting.py``) for each of the
    periods given (the period chosen and the one before it, which never overlap), so a
    report can work out both in one pass: counts only, never a person. The hub needs
    ``reports.view`` as well as ``capability``: a module grants both to each role it gives
    the report to (core grants ``reports.view`` to analysts). Who sees exact figures is
    one rule for every report, in ``core/reporting.py`` (``sees_exact``): those who see
    every case of the module's kind; everyone else sees small counts suppressed, on screen
    and in downloads alike.
    """

    key: str
    title: str
    summary: str
    capability: str
    build: Callable[[list[Any]], list[list[Any]]]
    definitions: tuple[str, ...] = ()
    # Period kinds offered (``core/periods.py``); the first is the default.
    period_kinds: tuple[str, ...] = ("calendar_quarter", "financial_year", "calendar_year", "custom")


@dataclass(frozen=True)
class Module:
    """Everything one casework module adds to the platform.

    ``capabilities`` maps a role (the module's own, or a core role such as
    ``analyst``) to the capabilities the module grants it. ``case_statuses``
    lists the statuses a case of this kind can have and ``status_transitions``
    which changes are allowed (``cases.set_status`` enforces them).
    """

    name: str
    label: str
    case_kind: str
    case_label: str
    reference_prefix: str
    roles: Mapping[str, str] = field(default_factory=dict)
    capabilities: Mapping[str, frozenset[str]] = field(default_factory=dict)
    contact_detail_agency_kinds: frozenset[str] = frozenset()
    purposes: Mapping[str, str] = field(default_factory=dict)
    case_endpoint: str | None = None
    menu: tuple[MenuEntry, ...] = ()
    meeting_kind: str | None = None
    meeting_label: str | None = None
    meeting_rules: MeetingRules = field(default_factory=DefaultMeetingRules)
    meeting_endpoint: str | None = None
    # The audit purpose recorded when a meeting's case record is shown or changed.
    meeting_purpose: str | None = None
    not_done_reasons: Mapping[str, str] = field(
        default_factory=lambda: {"not_done": "Not done", "circumstances_changed": "Circumstances changed"}
    )
    plan_kinds: Mapping[str, str] = field(default_factory=dict)
    case_statuses: Mapping[str, str] = field(default_factory=lambda: {"open": "Open", "closed": "Closed"})
    status_transitions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    closed_statuses: frozenset[str] = frozenset({"closed"})
    my_work: Callable[[User, date], list[WorkSection]] | None = None
    # Blocks on a person's page, given (user, person, may_act): shown only what the user may see.
    person_sections: Callable[[User, Person, bool], list[PersonSection]] | None = None
    help: ModuleHelp | None = None
    seed_demo: Callable[[Any], None] | None = None
    # (email, name, agency code, roles) of the module's demo users for ``make run``.
    demo_users: tuple[tuple[str, str, str, frozenset[str]], ...] = ()
    blueprint: Blueprint | None = None
    url_prefix: str | None = None
    on_case_closed: Callable[[Case], None] | None = None
    # Audit action names used before the ``module.object.verb`` scheme, mapped to today's
    # names so governance filters find old and new events alike (the table is never rewritten).
    legacy_audit_actions: Mapping[str, str] = field(default_factory=dict)
    # Aggregate reports shown on the reports hub (/reports), each behind its own capability.
    reports: tuple[Report, ...] = ()
    # What a user may see of people in this module's cases, given (user, person ids): id to
    # core.disclosure.Disclosure, the most the module allows across its cases. Without it,
    # identity for everyone who sees the person, contact details for contact_detail_agency_kinds.
    person_disclosure: Callable[[User, list[int]], Mapping[int, Disclosure]] | None = None
    # Everything the module holds about a person, for a subject access pack (UK GDPR Art 15).
    subject_access: Callable[[Person], list[SubjectAccessRecord]] | None = None
    # Notifications (casework/notifications): the kinds the module sends, and the scan that
    # returns its time-based reminders for a day (``flask notify scan``).
    notification_kinds: tuple[NotificationKind, ...] = ()
    notification_scan: Callable[[date], Iterable[Reminder]] | None = None
    # Called by core/actions.py after an action is created on one of the module's cases.
    on_action_created: Callable[[Any], None] | None = None


# --- the registry -------------------------------------------------------------------

_CORE_ROLES: dict[str, str] = {}
_CORE_DECLARED: set[str] = set()
_CORE_LEGACY_ACTIONS: dict[str, str] = {}
_CORE_CAPABILITIES: dict[str, frozenset[str]] = {}
_CORE_PURPOSES: dict[str, str] = {}
_CORE_MENU: list[tuple[int, MenuEntry]] = []
_MODULES: dict[str, Module] = {}
_CORE_PERSON_SECTIONS: list[Callable[[User, Person, bool], list[PersonSection]]] = []
# Role → capabilities merged from core and every module, built on first use and dropped
# whenever the registry changes: every permission check reads it, many times a request.
_CAPABILITIES: dict[str, frozenset[str]] | None = None


def _registry_changed() -> None:
    global _CAPABILITIES
    _CAPABILITIES = None


class RegistryError(RuntimeError):
    """A module declared something that clashes with what is already registered."""


def register_core(
    *,
    roles: Mapping[str, str] = {},
    capabilities: Mapping[str, frozenset[str]] = {},
    purposes: Mapping[str, str] = {},
    menu: tuple[tuple[int, MenuEntry], ...] = (),
    declared: frozenset[str] = frozenset(),
    legacy_audit_actions: Mapping[str, str] = {},
) -> None:
    """Core's own roles (administrator, analyst, DPO), capabilities and menu entries.

    ``declared`` names capabilities core checks but grants to no core role (for
    example ``people.view``): modules grant them to their roles.
    """
    _CORE_DECLARED.update(declared)
    _CORE_LEGACY_ACTIONS.update(legacy_audit_actions)
    _CORE_ROLES.update(roles)
    for role, caps in capabilities.items():
        _CORE_CAPABILITIES[role] = _CORE_CAPABILITIES.get(role, frozenset()) | caps
    _CORE_PURPOSES.update(purposes)
    _registry_changed()
    for position, entry in menu:
        if entry not in [e for _, e in _CORE_MENU]:
            _CORE_MENU.append((position, entry))


def register(module: Module) -> Module:
    """Add a module. Registering the same module twice is harmless; a clash is an error."""
    existing = _MODULES.get(module.name)
    if existing is not None:
        if existing == module:
            return module
        raise RegistryError(f"module {module.name!r} is already registered")
    for other in _MODULES.values():
        if other.case_kind == module.case_kind:
            raise RegistryError(f"case kind {module.case_kind!r} already belongs to {other.name!r}")
        if module.meeting_kind and other.meeting_kind == module.meeting_kind:
            raise RegistryError(f"meeting kind {module.meeting_kind!r} already belongs to {other.name!r}")
        if other.reference_prefix == module.reference_prefix:
            raise RegistryError(f"reference prefix {module.reference_prefix!r} already belongs to {other.name!r}")
        clash = set(other.roles) & set(module.roles)
        if clash:
            raise RegistryError(f"roles {sorted(clash)} already belong to {other.name!r}")
    clash = set(_CORE_ROLES) & set(module.roles)
    if clash:
        raise RegistryError(f"roles {sorted(clash)} belong to core")
    unknown = set(module.capabilities) - set(module.roles) - set(_CORE_ROLES) - _all_module_roles()
    if unknown:
        raise RegistryError(f"{module.name}: capabilities for unknown roles {sorted(unknown)}")
    _MODULES[module.name] = module
    _registry_changed()
    return module


def unregister(name: str) -> None:
    """Remove a module (tests that build a throwaway module use this to clean up)."""
    _MODULES.pop(name, None)
    _registry_changed()


@contextlib.contextmanager
def registered(module: Module) -> Iterator[Module]:
    register(module)
    try:
        yield module
    finally:
        unregister(module.name)


def _all_module_roles() -> set[str]:
    return {role for m in _MODULES.values() for role in m.roles}


def modules() -> list[Module]:
    return list(_MODULES.values())


def get(name: str) -> Module:
    return _MODULES[name]


def for_case_kind(kind: str) -> Module | None:
    for module in _MODULES.values():
        if module.case_kind == kind:
            return module
    return None


def for_meeting_kind(kind: str) -> Module | None:
    for module in _MODULES.values():
        if module.meeting_kind == kind:
            return module
    return None


def case_kinds() -> dict[str, str]:
    return {m.case_kind: m.case_label for m in _MODULES.values()}


def meeting_kinds() -> dict[str, str]:
    return {m.meeting_kind: m.meeting_label or m.meeting_kind for m in _MODULES.values() if m.meeting_kind}


def roles() -> dict[str, str]:
    """Every role, core's first, in registration order."""
    out = dict(_CORE_ROLES)
    for module in _MODULES.values():
        out.update(module.roles)
    return out


def capabilities() -> dict[str, frozenset[str]]:
    """Role to capabilities, merged from core and every module (a copy: callers may change it)."""
    global _CAPABILITIES
    if _CAPABILITIES is None:
        out: dict[str, frozenset[str]] = {role: frozenset() for role in roles()}
        for role, caps in _CORE_CAPABILITIES.items():
            out[role] = out.get(role, frozenset()) | caps
        for module in _MODULES.values():
            for role, caps in module.capabilities.items():
                out[role] = out.get(role, frozenset()) | caps
        _CAPABILITIES = out
    return dict(_CAPABILITIES)


def capabilities_of_roles(roles: Iterable[str]) -> frozenset[str]:
    """Every capability the given roles grant together."""
    if _CAPABILITIES is None:
        capabilities()
    assert _CAPABILITIES is not None
    caps: set[str] = set()
    for role in roles:
        caps |= _CAPABILITIES.get(role, frozenset())
    return frozenset(caps)


def all_capabilities() -> frozenset[str]:
    caps: set[str] = set(_CORE_DECLARED)
    for values in capabilities().values():
        caps |= values
    return frozenset(caps)


def purposes() -> dict[str, str]:
    out = dict(_CORE_PURPOSES)
    for module in _MODULES.values():
        out.update(module.purposes)
    return out


def contact_detail_agency_kinds(case_kind: str) -> frozenset[str]:
    module = for_case_kind(case_kind)
    return module.contact_detail_agency_kinds if module else frozenset()


def case_endpoint(case_kind: str) -> str | None:
    module = for_case_kind(case_kind)
    return module.case_endpoint if module else None


def menu() -> list[MenuEntry]:
    """Core entries at their positions, each module's entries after "My work" and "People"."""
    entries = [e for _, e in sorted(_CORE_MENU, key=lambda pe: pe[0])]
    module_entries = [entry for module in _MODULES.values() for entry in module.menu]
    return entries[:2] + module_entries + entries[2:]


def plan_kinds() -> dict[str, str]:
    out: dict[str, str] = {}
    for module in _MODULES.values():
        out.update(module.plan_kinds)
    return out


def reference_prefix(case_kind: str) -> str:
    module = for_case_kind(case_kind)
    if module is None:
        raise RegistryError(f"no module registers case kind {case_kind!r}")
    return module.reference_prefix


def meeting_rules(meeting_kind: str) -> MeetingRules:
    module = for_meeting_kind(meeting_kind)
    return module.meeting_rules if module else DefaultMeetingRules()


def not_done_reasons(case_kind: str) -> Mapping[str, str]:
    module = for_case_kind(case_kind)
    return module.not_done_reasons if module else {}


def legacy_audit_actions() -> dict[str, str]:
    out = dict(_CORE_LEGACY_ACTIONS)
    for module in _MODULES.values():
        out.update(module.legacy_audit_actions)
    return out


def canonical_audit_action(name: str) -> str:
    """Today's ``module.object.verb`` name for an audit action, old or new."""
    return legacy_audit_actions().get(name, name)


def audit_action_aliases(name: str) -> set[str]:
    """Every stored name that means ``name`` (itself and the older names mapped to it)."""
    canonical = canonical_audit_action(name)
    return {canonical} | {old for old, new in legacy_audit_actions().items() if new == canonical}


def person_sections(user: User, person: Person, may_act: bool) -> list[PersonSection]:
    """Every module's blocks for a person's page, in registration order, then the platform's."""
    out: list[PersonSection] = []
    for module in _MODULES.values():
        if module.person_sections is not None:
            out.extend(module.person_sections(user, person, may_act))
    for provider in _CORE_PERSON_SECTIONS:
        out.extend(provider(user, person, may_act))
    return out


def register_person_sections(provider: Callable[[User, Person, bool], list[PersonSection]]) -> None:
    """A platform blueprint (not a casework module) adds blocks to every person's page."""
    if provider not in _CORE_PERSON_SECTIONS:
        _CORE_PERSON_SECTIONS.append(provider)


def lazy(target: str) -> Callable[..., Any]:
    """A hook given as ``"package.module:function"``, imported on first call (so a module's
    ``__init__`` can name a hook in one line without importing its models early)."""
    module_name, _, attribute = target.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module_name), attribute)(*args, **kwargs)

    call.__qualname__ = call.__name__ = f"lazy({target})"
    return call


def subject_access_records(person: Person) -> list[SubjectAccessRecord]:
    """Everything every module holds about ``person``, decrypted (for a subject access pack)."""
    out: list[SubjectAccessRecord] = []
    for module in _MODULES.values():
        if module.subject_access is not None:
            out.extend(module.subject_access(person))
    return out


def help_for(user_roles: set[str]) -> list[tuple[Module, list[tuple[str, RoleHelp]]]]:
    """Each module with help for at least one of ``user_roles``: (module, [(role label, help)])."""
    out = []
    for module in _MODULES.values():
        if module.help is None:
            continue
        mine = [(module.roles.get(r, r), h) for r, h in module.help.roles.items() if r in user_roles]
        if mine:
            out.append((module, mine))
    return out


def reports() -> list[tuple[Module, Report]]:
    """Every module's reports, in registration order."""
    return [(module, report) for module in _MODULES.values() for report in module.reports]


def report(module_name: str, key: str) -> tuple[Module, Report] | None:
    """One report by module name and key, or None."""
    module = _MODULES.get(module_name)
    if module is None:
        return None
    for candidate in module.reports:
        if candidate.key == key:
            return module, candidate
    return None


def notification_kinds() -> dict[str, NotificationKind]:
    """Every registered notification kind by code, in registration order."""
    return {kind.code: kind for module in _MODULES.values() for kind in module.notification_kinds}


def notification_scans() -> list[Callable[[date], Iterable[Reminder]]]:
    return [m.notification_scan for m in _MODULES.values() if m.notification_scan is not None]


# --- spreadsheet import kinds (core/imports.py) ---------------------------------------

_IMPORT_KINDS: dict[str, Any] = {}


def register_import_kind(kind: Any) -> Any:
    """Add a spreadsheet import kind (a ``core.imports.ImportKind``): its column layout,
    the capability it needs and how one row is applied. Registering it twice is harmless."""
    existing = _IMPORT_KINDS.get(kind.name)
    if existing is not None and existing is not kind and existing != kind:
        raise RegistryError(f"import kind {kind.name!r} is already registered")
    _IMPORT_KINDS[kind.name] = kind
    return kind


def import_kinds() -> list[Any]:
    """Every registered import kind, in registration order."""
    return list(_IMPORT_KINDS.values())


def import_kind(name: str) -> Any | None:
    return _IMPORT_KINDS.get(name)
