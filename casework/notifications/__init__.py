"""Notifications and reminders: in the app and by e-mail, for every module (issue 12).

Core owns this package and names no module: modules register their notification kinds,
recipient rules and a reminder scan in the module registry (``core/modules.py``) and
call :func:`notify` from their services. ``flask notify scan`` writes the day's
reminders; ``flask notify send`` mails what is waiting (see ``mail.py``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from ..core import modules
from ..core.modules import MenuEntry

bp = Blueprint("notifications", __name__)

modules.register_core(
    capabilities={"admin": frozenset({"admin.notifications.manage"})},
    menu=((15, MenuEntry("notifications.admin_index", "Notifications", "admin.notifications.manage")),),
)


def notify(code: str, **kwargs) -> int:
    """Notify of one event in the current transaction (see ``service.notify``)."""
    from .service import notify as _notify

    return _notify(code, **kwargs)


def init_app(app: Flask) -> None:
    from . import cli, views  # noqa: F401

    app.register_blueprint(bp, url_prefix="/notifications")
    app.cli.add_command(cli.notify_cli)
    app.context_processor(_unread)


def _unread() -> dict:
    """The header's unread count, worked out only when a page shows it."""
    from flask_login import current_user

    def count() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        from .service import unread_count

        return unread_count(current_user)

    return {"notification_unread": count}
