"""Access control, in two parts (DESIGN §5).

- ``permissions``: roles, capabilities (read from the module registry) and the view
  decorators ``public``, ``authenticated`` and ``require``; no model imports.
- ``policy``: object-level checks (cases, people, meetings, actions) that services
  call again whenever they load or change a record.

This module re-exports both so callers can keep one import.
"""

from __future__ import annotations

from .permissions import (
    CAPABILITIES,
    PASSWORD_CHANGE_ENDPOINTS,
    PEOPLE_CAPABILITIES,
    PUBLIC_ENDPOINTS,
    ROLES,
    AccessDenied,
    all_capabilities,
    authenticated,
    capabilities_of,
    has_capability,
    init_app,
    public,
    require,
)
from .policy import (
    any_visible_action_clause,
    can_act_on_person,
    can_edit_case,
    can_manage_meeting,
    can_open_meeting,
    can_see_contact_details,
    can_view_case,
    can_view_person,
    case_kinds_viewable,
    ensure_can_edit_case,
    ensure_can_view_case,
    load_meeting,
    person_access,
    visible_action_clause,
    visible_case_clause,
    visible_person_clause,
)

__all__ = [
    "CAPABILITIES",
    "PASSWORD_CHANGE_ENDPOINTS",
    "PEOPLE_CAPABILITIES",
    "PUBLIC_ENDPOINTS",
    "ROLES",
    "AccessDenied",
    "all_capabilities",
    "any_visible_action_clause",
    "authenticated",
    "can_act_on_person",
    "can_edit_case",
    "can_manage_meeting",
    "can_open_meeting",
    "can_see_contact_details",
    "can_view_case",
    "can_view_person",
    "capabilities_of",
    "case_kinds_viewable",
    "ensure_can_edit_case",
    "ensure_can_view_case",
    "has_capability",
    "init_app",
    "load_meeting",
    "person_access",
    "public",
    "require",
    "visible_action_clause",
    "visible_case_clause",
    "visible_person_clause",
]
