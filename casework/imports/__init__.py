"""Spreadsheet import pages and the ``flask import`` command, over ``core/imports.py``.

Names no module: the kinds on offer are those the installed modules register.
"""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from . import views  # noqa: E402,F401
