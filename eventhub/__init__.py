"""EventHub: coordinate round tables, breakfasts, signings and visits."""

import os
from importlib import import_module
from pathlib import Path

from flask import Flask, abort, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from werkzeug.routing import IntegerConverter

from eventhub import config as config_module
from eventhub import files, log_redaction, personal
from eventhub.errors import register_error_handlers
from eventhub.locale import select_locale

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    app.request_class = files.UploadsClosingRequest
    app.config.from_object(config_module.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(config_module.settings_from_environment())
    else:
        app.config.update(test_config)
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        # Served over https (the address in EVENTHUB_BASE_URL): cookies only over https.
        secure = app.config["EVENTHUB_BASE_URL"].startswith("https://")
        app.config["SESSION_COOKIE_SECURE"] = secure
        app.config["REMEMBER_COOKIE_SECURE"] = secure
    config_module.mail_identity(app.config)
    if not app.config.get("MAIL_BACKEND"):
        configured = "MAIL_SERVER" in os.environ or app.config["MAIL_SERVER"] != "localhost"
        app.config["MAIL_BACKEND"] = "smtp" if configured else "sink"
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_uri(
        app.config, Path(app.instance_path)
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.persistent_secret_key(Path(app.instance_path))

    app.url_map.converters["int"] = DatabaseIdConverter
    _trust_proxy_headers(app)
    _init_extensions(app)
    _register_blueprints(app)
    register_error_handlers(app)
    _register_template_helpers(app)
    _register_cli(app)
    log_redaction.install(app.logger.name)

    @app.get("/healthz")
    def healthz():
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/readyz")
    def readyz():
        from eventhub.extensions import db
        from eventhub.readiness import database_problem

        problem = database_problem(db.engine, float(app.config["READINESS_TIMEOUT"]))
        headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
        return (f"not ready: {problem}\n", 503, headers) if problem else ("ok\n", 200, headers)

    return app


def _trust_proxy_headers(app: Flask) -> None:
    """Only as many X-Forwarded-* values as the configured proxies set: a client could
    send its own, so none is trusted by default."""
    hops = {
        name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}") or 0)
        for name in ("for", "proto", "host", "port", "prefix")
    }
    if any(hops.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to add WSGI middleware replaces the method on the instance.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, **{f"x_{name}": n for name, n in hops.items()}
        )


class DatabaseIdConverter(IntegerConverter):
    """Ids beyond a 32-bit key cannot exist: 404 at routing, not an overflow in the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _init_extensions(app: Flask) -> None:
    from eventhub.extensions import babel, csrf, db, limiter, login_manager, migrate
    from eventhub.orm import render_migration_item

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"


@sa_event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL never corrupts the database and survives any process crash; only a
        # power cut can roll back the last commits. FULL would fsync every commit, which was
        # most of the outbox worker's time (one commit per message). Rails chose the same.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


BLUEPRINTS = (
    "main",
    "auth",
    "events",
    "organisations",
    "people",
    "agenda",
    "calendar",
    "invitations",
    "registrations",
    "questions",
    "mail",
    "followup",
    "messages",
    "audit",
    "reminders",
)


def _register_blueprints(app: Flask) -> None:
    from eventhub import pages

    # Composed pages add their routes to the blueprints above: before any is registered.
    for name in pages.MODULES:
        import_module(f"eventhub.pages.{name}")
    for name in BLUEPRINTS:
        routes = import_module(f"eventhub.{name}.routes")
        app.register_blueprint(routes.bp)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import gettext as _

    from eventhub import formatting
    from eventhub.markdown import render_markdown

    app.jinja_env.filters["local_datetime"] = formatting.local_datetime
    app.jinja_env.filters["local_date"] = formatting.local_date
    app.jinja_env.filters["local_time"] = formatting.local_time
    app.jinja_env.filters["calendar_date"] = formatting.calendar_date
    app.jinja_env.filters["format_month"] = formatting.format_month
    app.jinja_env.filters["format_weekday"] = formatting.format_weekday
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["event_time_range"] = formatting.event_time_range

    @app.context_processor
    def inject_globals():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}

    @app.before_request
    def refuse_nul_bytes():
        # No text column may hold NUL (PostgreSQL refuses it); say so instead of failing later.
        values = [*request.args.values(), *request.form.values()]
        if any("\x00" in value for value in values):
            abort(400, description=_("The request contains a NUL character, which is not allowed."))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        try:
            signed_in = bool(current_user) and getattr(current_user, "is_authenticated", False)
        except OperationalError:
            # Loading the user needs the database; when it is down, assume a private page.
            signed_in = True
        if signed_in:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return personal.add_headers(response)


def _register_cli(app: Flask) -> None:
    from eventhub.auth.cli import users_cli
    from eventhub.backup import backup_command
    from eventhub.demo.loader import demo_command
    from eventhub.followup.minutes.cli import materials_cli
    from eventhub.mail.cli import outbox_cli
    from eventhub.main.cli import reminders_cli
    from eventhub.questions.cli import questions_cli
    from eventhub.registrations.cli import registrations_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(materials_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(registrations_cli)
    app.cli.add_command(questions_cli)
