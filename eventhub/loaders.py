"""Loading what an address names, the same way for every domain (as flaskr's ``get_post``).

Two shapes recur: a row that belongs to an event (an agenda item, a registration, a
participation, an invitation), whose id may be anyone's; and the row behind a personal link,
which a visitor without an account holds as their key.
"""

from collections.abc import Callable
from typing import Protocol, TypeVar

from flask import abort
from flask_babel import gettext as _

from eventhub import personal
from eventhub.errors import NotFoundError
from eventhub.extensions import db


class _OfAnEvent(Protocol):
    event_id: int


class _Event(Protocol):
    id: int


Child = TypeVar("Child", bound=_OfAnEvent)
Row = TypeVar("Row")


def event_child(model: type[Child], child_id: int, event: _Event, not_found: str) -> Child:
    """The ``model`` row ``child_id`` if it belongs to ``event``; ``not_found`` (a 404) when it
    does not exist or is another event's, so an id reveals nothing across events."""
    child = db.session.get(model, child_id)
    if child is None or child.event_id != event.id:
        raise NotFoundError(not_found)
    return child


def token_link_or_404(
    find: Callable[[str], Row], token: str, language: Callable[[Row], str | None]
) -> Row:
    """The row behind a personal link, its page spoken in the person's language.

    ``find`` raises ``NotFoundError`` for a link that is unknown, tampered with or revoked;
    whoever holds it is told the same for all three, and where to turn.
    """
    try:
        row = find(token)
    except NotFoundError:
        abort(404, description=_("This link is not valid. Ask the organisers for a new one."))
    personal.follow_language(language(row))
    return row
