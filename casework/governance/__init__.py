from flask import Blueprint

bp = Blueprint("governance", __name__)

from . import views  # noqa: E402,F401
