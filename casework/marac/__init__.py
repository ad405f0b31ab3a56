"""MARAC: referrals, DASH risk assessments, IDVA casework, meetings, agenda, minutes, actions."""

from flask import Blueprint

bp = Blueprint("marac", __name__)

from . import views  # noqa: E402,F401
