"""Domain errors raised by services, and how they become HTTP responses."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


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

    @app.errorhandler(500)
    def server_error(error):
        return _render(500, _("Server error"), _("Something went wrong on our side."))
