from flask import Blueprint

from . import models  # noqa: F401  (registers the admin tables with the metadata Alembic compares)

bp = Blueprint("admin", __name__)

from . import views  # noqa: E402,F401
