"""IOM pages: until its screens are switched on, an honest "not available yet" page."""

from __future__ import annotations

from ..core.views import add_unavailable_routes
from . import bp

add_unavailable_routes(bp, "iom")
