from datetime import date

from flask import render_template
from flask_login import current_user

from ..core.access import authenticated
from . import bp, services


@bp.route("/")
@authenticated
def index():
    today = date.today()
    return render_template("home/index.html", work=services.my_work(current_user, today), today=today)
