"""IOM (Integrated Offender Management): a cohort of prolific and priority offenders.

Everything this module adds to the platform is declared once, below, and read by
core through the module registry (``casework/core/modules.py``). One IOM case per
offender holds every nomination and every spell on the cohort (domain-notes §4).
"""

from flask import Blueprint

from ..core import modules
from ..core.modules import MenuEntry
from ..core.permissions import PEOPLE_CAPABILITIES
from .help import HELP
from .notifications import KINDS as NOTIFICATION_KINDS
from .reports import REPORT_DEFINITIONS

bp = Blueprint("iom", __name__)

# The IOM case's lifecycle: nominated, then adopted onto the cohort or not; a deselected
# offender may be nominated again (a new spell, the old ones kept).
CASE_STATUSES = {
    "nominated": "Nominated",
    "adopted": "On the cohort",
    "not_adopted": "Not adopted",
    "deselected": "Deselected",
    "closed": "Closed",
}

_PARTNER = PEOPLE_CAPABILITIES | {"iom.case.view", "iom.case.edit", "iom.nominate"}
# Police and probation IOM officers: offending notes, not health or substance-misuse details.
_OFFICER = _PARTNER | {"iom.offending.record", "iom.offending.notes"}
_MANAGER = _OFFICER | {
    "iom.case.view_all",
    "iom.cohort.manage",
    "iom.meeting.manage",
    "iom.measure.view",
    "iom.pathway.sensitive",
    "iom.settings.manage",
    "reports.view",
    "iom.import",
    "imports.use",
}


def _my_work(user, today):
    from .work import my_work

    return my_work(user, today)


def _notification_scan(today):
    from .notifications import scan

    return scan(today)


def _seed_demo(context) -> None:
    from .demo import seed

    seed(context)


def _report_figures(periods):
    from .reports import report_figures

    return [report_figures(period) for period in periods]


def _person_sections(user, person, may_act):
    from .personpage import person_sections

    return person_sections(user, person, may_act)


MODULE = modules.register(
    modules.Module(
        name="iom",
        label="IOM",
        case_kind="iom",
        case_label="IOM",
        reference_prefix="IOM",
        roles={
            "iom_officer": "IOM officer",
            "iom_manager": "IOM manager",
            # Partner agency workers in the IOM team (health, drugs and alcohol, housing, ETE):
            # pathway details in their field, no police or probation offending notes.
            "iom_partner": "IOM partner agency worker",
        },
        capabilities={
            "iom_officer": frozenset(_OFFICER),
            "iom_manager": frozenset(_MANAGER),
            "iom_partner": frozenset(_PARTNER | {"iom.pathway.sensitive"}),
            "analyst": frozenset({"iom.measure.view"}),
            # The partnership's IOM lists (tiers, strands, scoring matrix, costs): no offender data.
            "admin": frozenset({"iom.settings.manage"}),
        },
        contact_detail_agency_kinds=frozenset({"police", "probation"}),
        purposes={
            "iom_panel": "IOM panel",
            "iom_performance": "IOM cohort performance reporting",
        },
        case_endpoint="iom.case_view",
        menu=(
            MenuEntry("iom.index", "IOM", "iom.case.view"),
            MenuEntry("iom.measure", "IOM measure", "iom.measure.view"),
            MenuEntry("iom.settings_view", "IOM settings", "iom.settings.manage"),
        ),
        meeting_kind="iom_panel",
        meeting_label="IOM panel",
        meeting_purpose="iom_panel",
        plan_kinds={"pathway": "Pathway plan"},
        case_statuses=CASE_STATUSES,
        status_transitions={
            "nominated": frozenset({"adopted", "not_adopted"}),
            "not_adopted": frozenset({"nominated"}),
            "adopted": frozenset({"deselected"}),
            "deselected": frozenset({"nominated"}),
            # A closed record reopens only with a new nomination (``nominations.nominate``).
            "closed": frozenset({"nominated"}),
        },
        my_work=_my_work,
        person_sections=_person_sections,
        subject_access=modules.lazy("casework.iom.subject_access:records"),
        help=HELP,
        seed_demo=_seed_demo,
        demo_users=(
            ("iom@example.org", "Owen Officer", "POL", frozenset({"iom_officer"})),
            ("iommanager@example.org", "Morgan Manager", "PROB", frozenset({"iom_manager"})),
            ("iompartner@example.org", "Parveen Partner", "HLTH", frozenset({"iom_partner"})),
        ),
        reports=(
            modules.Report(
                key="reoffending",
                title="Reoffending measure and cohort",
                summary="Baseline, actual, difference and % impact by category and strand; cohort size; pathway needs.",
                capability="iom.measure.view",
                build=_report_figures,
                definitions=REPORT_DEFINITIONS,
            ),
        ),
        notification_kinds=NOTIFICATION_KINDS,
        notification_scan=_notification_scan,
        blueprint=bp,
        url_prefix="/iom",
    )
)

from . import imports, models, views  # noqa: E402,F401
