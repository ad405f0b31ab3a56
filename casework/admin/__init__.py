from flask import Blueprint

from ..web import add_nav_item
from . import models  # noqa: F401  (registers the admin tables with the metadata Alembic compares)

bp = Blueprint("admin", __name__)
add_nav_item("admin.approvals", "Pending approvals", "admin.users.manage", position=4)

from . import views  # noqa: E402,F401
