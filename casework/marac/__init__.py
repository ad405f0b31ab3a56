"""MARAC: referrals, DASH risk assessments, IDVA casework, meetings, agenda, minutes, actions.

Everything this module adds to the platform is declared once, below, and read by
core through the module registry (``casework/core/modules.py``).
"""

from flask import Blueprint

from ..core import modules
from ..core.modules import MenuEntry
from ..core.permissions import PEOPLE_CAPABILITIES
from .help import HELP
from .notifications import KINDS as NOTIFICATION_KINDS
from .reports import REPORT_DEFINITIONS

bp = Blueprint("marac", __name__)

CASE_STATUSES = {
    "submitted": "Submitted",
    "accepted": "Accepted",
    "declined": "Declined",
    "listed": "Listed for a meeting",
    "heard": "Heard",
    "closed": "Closed",
    "transferred_out": "Transferred out",
}

# SafeLives minutes class outstanding actions one of two ways.
NOT_DONE_REASONS = {
    "circumstances_changed": "Not possible because circumstances changed",
    "agency_not_done": "Not done by the agency",
}

_COORDINATOR = PEOPLE_CAPABILITIES | {
    "marac.case.view",
    "marac.case.view_all",
    "marac.case.edit",
    "marac.referral.create",
    "marac.referral.decide",
    "marac.dash.record",
    "marac.meeting.manage",
    "marac.agenda.generate",
    "marac.minutes.record",
    "marac.actions.view_all",
    "marac.actions.update",
    "marac.research.record",
    "marac.reports.view",
    "marac.agenda.full_names",
    "reports.view",
    "marac.disclosure.release",
    "marac.import",
    "imports.use",
}
_IDVA = PEOPLE_CAPABILITIES | {
    "marac.case.view",
    "marac.case.edit",
    "marac.referral.create",
    "marac.dash.record",
    "marac.idva.casework",
    "marac.research.record",
    "marac.actions.update",
}
_REP = PEOPLE_CAPABILITIES | {
    "marac.case.view",
    "marac.referral.create",
    "marac.dash.record",
    "marac.research.record",
    "marac.actions.update",
}


def _meeting_rules():
    from .meetings import MaracMeetingRules

    return MaracMeetingRules()


def _my_work(user, today):
    from .work import my_work

    return my_work(user, today)


def _person_sections(user, person, may_act):
    from .personpage import person_sections

    return person_sections(user, person, may_act)


def _report_figures(periods):
    from .reports import figures_for

    return figures_for(periods)


def _person_disclosure(user, person_ids):
    from .disclosure import person_disclosure

    return person_disclosure(user, person_ids)


def _notification_scan(today):
    from .notifications import scan

    return scan(today)


def _action_created(action) -> None:
    from .notifications import action_assigned

    action_assigned(action)


def _seed_demo(context) -> None:
    from .demo import seed

    seed(context)


MODULE = modules.register(
    modules.Module(
        name="marac",
        label="MARAC",
        case_kind="marac",
        case_label="MARAC",
        reference_prefix="MARAC",
        roles={
            "marac_coordinator": "MARAC coordinator",
            "idva": "IDVA",
            "marac_rep": "MARAC agency representative",
        },
        capabilities={
            "marac_coordinator": frozenset(_COORDINATOR),
            "idva": frozenset(_IDVA),
            "marac_rep": frozenset(_REP),
            "analyst": frozenset({"marac.reports.view"}),
            # The disclosure policy: what each agency kind sees (marac/disclosure.py).
            "admin": frozenset({"marac.disclosure.manage"}),
        },
        purposes={"marac_meeting": "MARAC meeting preparation and record"},
        case_endpoint="marac.case_view",
        menu=(
            MenuEntry("marac.dashboard", "MARAC", "marac.case.view"),
            MenuEntry("marac.disclosure_settings", "MARAC disclosure", "marac.disclosure.manage"),
        ),
        meeting_kind="marac",
        meeting_label="MARAC meeting",
        meeting_rules=_meeting_rules(),
        meeting_endpoint="marac.meeting_view",
        meeting_purpose="marac_meeting",
        not_done_reasons=NOT_DONE_REASONS,
        plan_kinds={"safety": "Safety plan"},
        case_statuses=CASE_STATUSES,
        status_transitions={
            "submitted": frozenset({"accepted"}),
            "accepted": frozenset({"listed"}),
            "listed": frozenset({"accepted", "heard"}),
            "heard": frozenset({"listed"}),
        },
        closed_statuses=frozenset({"closed", "declined", "transferred_out"}),
        my_work=_my_work,
        person_sections=_person_sections,
        subject_access=modules.lazy("casework.marac.subject_access:records"),
        # Who sees which identifiers of people in MARAC cases (names, aliases, dates of
        # birth, addresses): per agency kind, set by an administrator.
        person_disclosure=_person_disclosure,
        help=HELP,
        seed_demo=_seed_demo,
        demo_users=(
            ("coordinator@example.org", "Casey Coordinator", "CSP", frozenset({"marac_coordinator"})),
            ("idva@example.org", "Indira IDVA", "IDVA", frozenset({"idva"})),
            ("police@example.org", "Pat Police", "POL", frozenset({"marac_rep"})),
            ("housing@example.org", "Harper Housing", "HOUS", frozenset({"marac_rep"})),
        ),
        # Before the module platform, case and plan events carried no module name; every
        # one of them was MARAC's (the only module then).
        legacy_audit_actions={
            "marac.case_list": "marac.case.list",
            "marac.meeting_viewed": "marac.meeting.view",
            "marac.meeting_scheduled": "marac.meeting.schedule",
            "marac.meeting_updated": "marac.meeting.update",
            "marac.meeting_held": "marac.meeting.hold",
            "marac.case_listed": "marac.meeting.list_case",
            "marac.case_unlisted": "marac.meeting.unlist_case",
            "marac.attendance_recorded": "marac.meeting.record_attendance",
            "marac.minutes_recorded": "marac.meeting.record_minutes",
            "marac.research_recorded": "marac.research.record",
            "marac.action_created": "marac.action.create",
            "marac.action_updated": "marac.action.update",
            "marac.actions_listed": "marac.action.list",
            "marac.action_viewed": "marac.action.view",
            "marac.referral_created": "marac.referral.create",
            "marac.referral_accepted": "marac.referral.accept",
            "marac.referral_declined": "marac.referral.decline",
            "marac.repeat_confirmed": "marac.referral.confirm_repeat",
            "marac.idva_allocated": "marac.referral.allocate_idva",
            "marac.contact_logged": "marac.contact.create",
            "marac.case_closed": "marac.case.close",
            "marac.dash_viewed": "marac.dash.view",
            "marac.dash_recorded": "marac.dash.record",
            "marac.agenda_generated": "marac.agenda.generate",
            "marac.agenda_downloaded": "marac.agenda.download",
            "marac.agenda_circulated": "marac.agenda.circulate",
            "marac.minutes_downloaded": "marac.minutes.download",
            "share.disclosure": "marac.case.share",
            "case.view": "marac.case.view",
            "case.create": "marac.case.create",
            "case.member_added": "marac.case.name_member",
            "case.member_removed": "marac.case.unname_member",
            "plan.create": "marac.plan.create",
            "plan.item_added": "marac.plan.add_item",
            "plan.item_updated": "marac.plan.update_item",
            "plan.reviewed": "marac.plan.review",
            "report.generated": "marac.report.generate",
        },
        reports=(
            modules.Report(
                key="quarterly",
                title="Quarterly return (SafeLives)",
                summary="Meetings, cases discussed, repeats, referring agencies, victims and children, counted per "
                "meeting as the SafeLives national dataset asks; outstanding actions by agency.",
                capability="marac.reports.view",
                build=_report_figures,
                definitions=REPORT_DEFINITIONS,
            ),
        ),
        notification_kinds=NOTIFICATION_KINDS,
        notification_scan=_notification_scan,
        on_action_created=_action_created,
        blueprint=bp,
        url_prefix="/marac",
    )
)

from . import imports, views  # noqa: E402,F401
