"""ASB repeat victims: incidents, repeat-victim detection, victim risk, support plans, perpetrator
actions and multi-agency meetings (domain-notes §5).

Everything this module adds to the platform is declared once, below, and read by core
through the module registry (``casework/core/modules.py``). One ASB case per victim or
household holds its incidents, risk assessments, support plan, contacts and the actions
taken against perpetrators.
"""

from flask import Blueprint

from ..core import modules
from ..core.modules import MenuEntry
from ..core.permissions import PEOPLE_CAPABILITIES
from .help import HELP
from .notifications import KINDS as NOTIFICATION_KINDS
from .report_help import REPORT_DEFINITIONS

bp = Blueprint("asb", __name__)

# Partner agency workers (housing providers, victim services): they see the ASB cases their
# agency is involved in and may report incidents, but not hate-crime or health details.
_PARTNER = PEOPLE_CAPABILITIES | {"asb.case.view", "asb.incident.record"}
# Council and police ASB officers: the casework, with hate-crime and health details.
_OFFICER = _PARTNER | {
    "asb.case.edit",
    "asb.meeting.manage",
    "asb.hate.view",
    "asb.health.view",
    "asb.team.view",
    "asb.import",
    "imports.use",
}


def _my_work(user, today):
    from .work import my_work

    return my_work(user, today)


def _seed_demo(context) -> None:
    from .demo import seed

    seed(context)


def _report_figures(periods):
    from .reports import figures_for

    return figures_for(periods)


def _notification_scan(today):
    from .notifications import scan

    return scan(today)


def _person_sections(user, person, may_act):
    from .personpage import person_sections

    return person_sections(user, person, may_act)


MODULE = modules.register(
    modules.Module(
        name="asb",
        label="ASB",
        case_kind="asb",
        case_label="ASB",
        reference_prefix="ASB",
        roles={
            "asb_officer": "ASB officer",
            "asb_partner": "ASB partner agency worker",
        },
        capabilities={
            "asb_officer": frozenset(_OFFICER | {"asb.reports.view", "reports.view"}),
            "asb_partner": frozenset(_PARTNER),
            "analyst": frozenset({"asb.reports.view"}),
        },
        contact_detail_agency_kinds=frozenset({"council_asb", "police", "housing"}),
        purposes={"asb_case_review": "ASB case review"},
        case_endpoint="asb.case_view",
        menu=(MenuEntry("asb.index", "ASB", "asb.case.view"),),
        meeting_kind="asb_mam",
        meeting_label="ASB multi-agency meeting",
        meeting_endpoint="asb.meeting_view",
        meeting_purpose="asb_case_review",
        plan_kinds={"support": "Individual support plan"},
        case_statuses={"open": "Open", "closed": "Closed"},
        my_work=_my_work,
        person_sections=_person_sections,
        subject_access=modules.lazy("casework.asb.subject_access:records"),
        help=HELP,
        seed_demo=_seed_demo,
        demo_users=(
            ("asb@example.org", "Ash ASB", "ASB", frozenset({"asb_officer"})),
            ("asbpartner@example.org", "Harper Housing", "HOUS", frozenset({"asb_partner"})),
        ),
        reports=(
            modules.Report(
                key="incidents",
                title="Incidents, repeat callers and support",
                summary="Incidents by category, repeat callers, victims by risk level, support plan reviews overdue "
                "and the ASB Case Review figures.",
                capability="asb.reports.view",
                build=_report_figures,
                definitions=REPORT_DEFINITIONS,
            ),
        ),
        notification_kinds=NOTIFICATION_KINDS,
        notification_scan=_notification_scan,
        blueprint=bp,
        url_prefix="/asb",
    )
)

from . import imports, models, views  # noqa: E402,F401

# ASB Case Review (Community Trigger): its tables and pages.
from .case_review import models as case_review_models  # noqa: E402,F401
from .case_review import views as case_review_views  # noqa: E402,F401
