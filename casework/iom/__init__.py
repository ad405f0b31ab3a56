"""IOM (Integrated Offender Management): a cohort of prolific and priority offenders.

Registered on the platform with its roles, capabilities, case and meeting kinds
and menu entry; its screens follow on the shared meetings, actions, plans and
case lifecycle.
"""

from flask import Blueprint

from ..core import modules
from ..core.modules import MenuEntry
from ..core.permissions import PEOPLE_CAPABILITIES

bp = Blueprint("iom", __name__)

_OFFICER = PEOPLE_CAPABILITIES | {"iom.case.view", "iom.case.edit", "iom.nominate"}
_MANAGER = _OFFICER | {"iom.case.view_all", "iom.cohort.manage", "iom.meeting.manage"}

MODULE = modules.register(
    modules.Module(
        name="iom",
        label="IOM",
        case_kind="iom",
        case_label="IOM",
        reference_prefix="IOM",
        roles={"iom_officer": "IOM officer", "iom_manager": "IOM manager"},
        capabilities={"iom_officer": frozenset(_OFFICER), "iom_manager": frozenset(_MANAGER)},
        contact_detail_agency_kinds=frozenset({"police", "probation"}),
        purposes={"iom_panel": "IOM panel"},
        case_endpoint="iom.case_view",
        menu=(MenuEntry("iom.index", "IOM", "iom.case.view"),),
        meeting_kind="iom_panel",
        meeting_label="IOM panel",
        meeting_purpose="iom_panel",
        plan_kinds={"pathway": "Pathway plan"},
        case_statuses={"nominated": "Nominated", "adopted": "On the cohort", "closed": "Closed"},
        demo_users=(
            ("iom@example.org", "Owen Officer", "POL", frozenset({"iom_officer"})),
            ("iommanager@example.org", "Morgan Manager", "PROB", frozenset({"iom_manager"})),
        ),
        blueprint=bp,
        url_prefix="/iom",
    )
)

from . import views  # noqa: E402,F401
