"""A module that exists only in the test suite: it proves a module needs no core edit.

Importing it registers it; ``tests/platform/test_registry.py`` loads it into an
app through the ``CASEWORK_MODULES`` setting and removes it afterwards.
"""

from __future__ import annotations

from flask import Blueprint, render_template_string
from flask_login import current_user

from casework.core import cases, modules
from casework.core.modules import MenuEntry, WorkItem, WorkSection
from casework.core.permissions import PEOPLE_CAPABILITIES, require

bp = Blueprint("throwaway", __name__)


def _my_work(user, today):
    if not user.can("throwaway.case.view"):
        return []
    return [WorkSection(title="Throwaway things to do", items=[WorkItem(label="Feed the cat", url="/throwaway/")])]


MODULE = modules.Module(
    name="throwaway",
    label="Throwaway",
    case_kind="throwaway",
    case_label="Throwaway",
    reference_prefix="THROW",
    roles={"throwaway_worker": "Throwaway worker"},
    capabilities={
        "throwaway_worker": frozenset(
            PEOPLE_CAPABILITIES
            | {"throwaway.case.view", "throwaway.case.edit", "throwaway.meeting.manage", "throwaway.case.view_all"}
        ),
    },
    contact_detail_agency_kinds=frozenset({"fire"}),
    purposes={"throwaway_review": "Throwaway review"},
    case_endpoint="throwaway.case_view",
    menu=(MenuEntry("throwaway.index", "Throwaway work", "throwaway.case.view"),),
    meeting_kind="throwaway_panel",
    meeting_label="Throwaway panel",
    meeting_purpose="throwaway_review",
    not_done_reasons={"ran_out_of_time": "Ran out of time"},
    plan_kinds={"throwaway_plan": "Throwaway plan"},
    case_statuses={"open": "Open", "closed": "Closed"},
    my_work=_my_work,
    blueprint=bp,
    url_prefix="/throwaway",
)
modules.register(MODULE)


@bp.route("/")
@require("throwaway.case.view")
def index():
    return render_template_string("<p>Throwaway home for {{ name }}</p>", name=current_user.display_name)


@bp.route("/cases/<int:case_id>")
@require("throwaway.case.view")
def case_view(case_id: int):
    case = cases.load_case(current_user, case_id, kind="throwaway")
    return render_template_string("<h1>{{ case.reference }}</h1>", case=case)
