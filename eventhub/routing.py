"""How a route changes something: the service acts, one commit, a flash; or a refusal.

Every route that calls a service for a form or a button goes through ``commit_change``, so a
refused change is always rolled back the same way, its message lands beside its field (forms)
or at the top of the next page (buttons), and what the organiser did reaches the audit log
before the commit: the route must say ``audit=`` (``None`` for what is no organiser's action).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import abort, flash
from flask_wtf import FlaskForm
from wtforms import Field

from eventhub.activity import Done
from eventhub.errors import DomainError, NotFoundError
from eventhub.extensions import db

T = TypeVar("T")


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's refusal next to the field it concerns, or at the top of the page."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


@dataclass
class Outcome(Generic[T]):
    """The action's result once committed, or the refusal the user was shown."""

    result: T | None = None
    refusal: DomainError | None = None

    @property
    def done(self) -> bool:
        return self.refusal is None


def commit_change(
    action: Callable[[], T],
    *,
    audit: Done | Callable[[T], Done | None] | None,
    success: str | Callable[[T], str] | None,
    form: FlaskForm | None = None,
    field: Field | None = None,
    keep: Callable[[T], bool] | None = None,
    missing_is_404: bool = False,
) -> Outcome[T]:
    """Run ``action``, record ``audit`` (or what it makes of the result), commit, flash
    ``success`` (``None``: the route says it, in its own category).

    A ``DomainError`` rolls everything back, audit entry included, and is shown beside
    ``field``, beside the field of ``form`` it names, or flashed (a button has no form).
    ``keep`` may look at the result and refuse to keep it (rolled back, nothing said: the
    page shows why). ``missing_is_404``: a row gone between the page and the click answers
    404, as a wrong address would.
    """
    try:
        result = action()
        if keep is not None and not keep(result):
            db.session.rollback()
            return Outcome(result)
        done = audit(result) if callable(audit) else audit
        if done is not None:
            done.log()
    except DomainError as refusal:
        db.session.rollback()
        if missing_is_404 and isinstance(refusal, NotFoundError):
            abort(404)
        if field is not None:
            field.errors = [*field.errors, refusal.message]
        elif form is not None:
            show_domain_error(form, refusal)
        else:
            flash(refusal.message, "error")
        return Outcome(refusal=refusal)
    db.session.commit()
    if success is not None:
        flash(success(result) if callable(success) else success, "success")
    return Outcome(result)
