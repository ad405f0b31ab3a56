"""casework: multi-agency case management for Community Safety Partnerships."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from config import PLACEHOLDER_SECRETS, get_config

from .extensions import csrf, db, login_manager, migrate

__version__ = "0.1.0"


class CaseworkFlask(Flask):
    def log_exception(self, exc_info) -> None:
        """Outside development, log the exception type and request id only: exception
        messages (a database error, say) can carry personal data."""
        if self.config.get("NAME") == "development":
            super().log_exception(exc_info)
            return
        from flask import g

        self.logger.error("unhandled %s in request %s", exc_info[0].__name__, g.get("request_id"))


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Application factory: settings, extensions, blueprints, CLI and error handlers."""
    app = CaseworkFlask(__name__, instance_relative_config=True)
    app.config.from_object(get_config(config_name))
    _load_instance_secrets(app)
    if overrides:
        app.config.update(overrides)
    _check_settings(app)

    from . import database

    database.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions are held and checked server-side
    csrf.init_app(app)

    from . import cli, web
    from .core import permissions

    installed = _import_modules(app)
    permissions.init_app(app)
    web.init_app(app)
    _register_blueprints(app, installed)
    from . import notifications

    notifications.init_app(app)
    cli.init_app(app)
    logging.getLogger("casework").setLevel(logging.INFO)
    return app


def _import_modules(app: Flask) -> list:
    """Import each configured casework module; importing one registers it (core/modules.py)."""
    import importlib

    from .core import modules

    for name in app.config["CASEWORK_MODULES"]:
        importlib.import_module(name)
    wanted = {name.rsplit(".", 1)[-1] for name in app.config["CASEWORK_MODULES"]}
    return [m for m in modules.modules() if m.name in wanted]


def _register_blueprints(app: Flask, installed: list) -> None:
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .governance import bp as governance_bp
    from .home import bp as home_bp
    from .people import bp as people_bp
    from .reports import bp as reports_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(people_bp, url_prefix="/people")
    app.register_blueprint(governance_bp, url_prefix="/governance")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    from .imports import bp as imports_bp

    app.register_blueprint(imports_bp, url_prefix="/imports")
    for module in installed:
        if module.blueprint is not None:
            app.register_blueprint(module.blueprint, url_prefix=module.url_prefix or f"/{module.name}")


def _load_instance_secrets(app: Flask) -> None:
    """Development reads the secret key, key ring and database from the instance folder."""
    instance = Path(app.instance_path)
    if app.config.get("NAME") != "development":
        return
    instance.mkdir(parents=True, exist_ok=True)
    secret_file = instance / "secret_key"
    if not app.config.get("SECRET_KEY") and secret_file.exists():
        app.config["SECRET_KEY"] = secret_file.read_text().strip()
    if not app.config.get("KEYRING_JSON") and not app.config.get("KEYRING_FILE"):
        app.config["KEYRING_FILE"] = str(instance / "keyring.json")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'casework.db'}"


def _check_settings(app: Flask) -> None:
    """Fail closed: production refuses to start with missing or placeholder secrets."""
    cfg = app.config
    if cfg.get("NAME") == "production":
        secret = cfg.get("SECRET_KEY") or ""
        if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 32:
            raise RuntimeError("CASEWORK_SECRET_KEY must be set to a random value of at least 32 characters")
        if not cfg.get("SQLALCHEMY_DATABASE_URI"):
            raise RuntimeError("DATABASE_URL must be set in production")
        from .core.crypto import load_keyring

        app.extensions["casework.keyring"] = load_keyring(cfg)
    from .core.periods import PeriodError, zone

    try:
        zone(cfg.get("TIMEZONE") or None)
    except PeriodError:
        raise RuntimeError(
            f"TIMEZONE {cfg.get('TIMEZONE')!r} is not a time zone name; use one such as Europe/London"
        ) from None
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "casework.db")
