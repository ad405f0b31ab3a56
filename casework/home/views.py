from datetime import date

from flask import render_template
from flask_login import current_user

from ..core import modules
from ..core.access import authenticated
from . import bp, services


@bp.route("/")
@authenticated
def index():
    today = date.today()
    return render_template("home/index.html", work=services.my_work(current_user, today), today=today)


@bp.route("/help")
@authenticated
def help_page():
    """Help for the signed-in user's roles: what to do first, what each status means, who sees what."""
    roles = set(current_user.roles)
    return render_template(
        "home/help.html",
        roles=roles,
        platform_roles=roles & {"admin", "analyst", "dpo"},
        role_labels=[label for role, label in modules.roles().items() if role in roles],
        module_help=modules.help_for(roles),
    )
