"""The reports hub: every aggregate report the user's roles may see, from every module.

Core names no module: each module lists its reports in its registration
(``modules.Report``) and the hub renders, compares, charts and exports them alike
(``core/reporting.py``).
"""

from flask import Blueprint

from ..core import modules
from ..core.modules import MenuEntry

bp = Blueprint("reports", __name__)

# The hub's menu entry; a module grants ``reports.view`` to each role it gives a report to.
modules.register_core(
    declared=frozenset({"reports.view"}),
    capabilities={"analyst": frozenset({"reports.view"})},
    menu=((9, MenuEntry("reports.index", "Reports", "reports.view")),),
)

from . import views  # noqa: E402,F401
