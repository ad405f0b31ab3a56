from flask import Blueprint

bp = Blueprint("people", __name__)

from . import views  # noqa: E402,F401
