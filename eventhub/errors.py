"""Domain errors raised by services, and how they become HTTP responses."""

import contextlib
import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Seconds a client (or the reverse proxy) is told to wait before trying again.
UNAVAILABLE_RETRY_AFTER = 30


class DomainError(Exception):
    """A business rule refused the request; the message is shown to the user."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class PermissionDeniedError(DomainError):
    status_code = 403


def _wants_text() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "text/plain", "application/json"])
    return best not in (None, "text/html")


def _render(status: int, title: str, message: str):
    if _wants_text():
        return f"{title}: {message}\n", status, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    messages = {
        400: lambda: (_("Bad request"), _("The request could not be understood.")),
        403: lambda: (_("Forbidden"), _("You do not have permission to do this.")),
        404: lambda: (_("Not found"), _("There is nothing at this address.")),
        405: lambda: (_("Method not allowed"), _("This address does not accept that method.")),
        409: lambda: (_("Conflict"), _("The request conflicts with the current state.")),
        413: lambda: (_("Too large"), _("The upload is larger than the allowed size.")),
        422: lambda: (_("Unprocessable"), _("The data sent could not be processed.")),
        429: lambda: (_("Too many requests"), _("Too many attempts. Please wait a minute.")),
    }

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _render(
            400,
            _("Form expired or invalid"),
            _(
                "The security token of the form is missing or invalid. "
                "Reload the page and try again."
            ),
        )

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return _render(error.status_code, _("Request refused"), error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code not in messages:
            return error
        title, message = messages[error.code]()
        if error.description and error.description != type(error).description:
            message = error.description
        return _render(error.code, title, message)

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        # The database is down, unreachable or refusing connections: a temporary state, so
        # 503 with a page that says so. The page touches no database (no signed-in user,
        # no menu), or it would fail the same way; pool_pre_ping reconnects afterwards.
        log.error("database unavailable: %s", type(error.orig or error).__name__)
        from eventhub.extensions import db

        # The connection may be gone too; teardown discards the session anyway.
        with contextlib.suppress(Exception):
            db.session.rollback()
        title = _("Temporarily unavailable")
        message = _("The database cannot be reached right now. Please try again in a minute.")
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}
        if _wants_text():
            headers["Content-Type"] = "text/plain; charset=utf-8"
            return f"{title}: {message}\n", 503, headers
        # Straight from the Jinja environment: render_template would run the context
        # processors, and Flask-Login's loads the signed-in user from the database.
        from flask import current_app
        from flask_babel import get_locale

        template = current_app.jinja_env.get_template("unavailable.html")
        page = template.render(title=title, message=message, current_locale=str(get_locale()))
        return page, 503, headers

    @app.errorhandler(500)
    def server_error(error):
        return _render(500, _("Server error"), _("Something went wrong on our side."))
