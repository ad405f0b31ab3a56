"""ASB repeat victims: incidents, repeat-victim detection, risk, support plans, ASB Case Review.

Registered on the platform with its roles, capabilities, case and meeting kinds
and menu entry; its screens follow on the shared meetings, actions, plans and
case lifecycle.
"""

from flask import Blueprint

from ..core import modules
from ..core.modules import MenuEntry
from ..core.permissions import PEOPLE_CAPABILITIES

bp = Blueprint("asb", __name__)

_OFFICER = PEOPLE_CAPABILITIES | {"asb.case.view", "asb.case.edit", "asb.incident.record", "asb.meeting.manage"}

MODULE = modules.register(
    modules.Module(
        name="asb",
        label="ASB",
        case_kind="asb",
        case_label="ASB",
        reference_prefix="ASB",
        roles={"asb_officer": "ASB officer"},
        capabilities={"asb_officer": frozenset(_OFFICER)},
        contact_detail_agency_kinds=frozenset({"council_asb", "police", "housing"}),
        purposes={"asb_case_review": "ASB case review"},
        case_endpoint="asb.case_view",
        menu=(MenuEntry("asb.index", "ASB", "asb.case.view"),),
        meeting_kind="asb_mam",
        meeting_label="ASB multi-agency meeting",
        meeting_purpose="asb_case_review",
        plan_kinds={"support": "Individual support plan"},
        case_statuses={"open": "Open", "closed": "Closed"},
        demo_users=(("asb@example.org", "Ash ASB", "ASB", frozenset({"asb_officer"})),),
        blueprint=bp,
        url_prefix="/asb",
    )
)

from . import models, views  # noqa: E402,F401

# ASB Case Review (Community Trigger): its tables and pages.
from .case_review import models as case_review_models  # noqa: E402,F401
from .case_review import views as case_review_views  # noqa: E402,F401
