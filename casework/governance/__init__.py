"""Information governance: the audit log viewer and sharing register, manual disclosures and
data sharing agreements, subject access requests (DESIGN §4; domain-notes §6).

A platform blueprint, not a casework module: it adds its capabilities to the core ``dpo``
role and a block to every person's page through the registry in ``core/modules.py``.
"""

from flask import Blueprint

from ..core import modules
from ..core.modules import MenuEntry

bp = Blueprint("governance", __name__)

modules.register_core(
    capabilities={
        "dpo": frozenset(
            {
                "governance.audit.export",
                "governance.disclosure.manage",
                "governance.agreement.manage",
                "governance.sar.manage",
                "governance.sar.approve",
                "governance.retention.manage",
                "governance.retention.approve",
            }
        )
    },
    menu=((9, MenuEntry("governance.index", "Governance", "governance.audit.view")),),
)


def _person_sections(user, person, may_act):
    from .services import person_access_section

    return person_access_section(user, person, may_act)


modules.register_person_sections(_person_sections)

from . import models, views  # noqa: E402,F401
