"""Which events each kind of private feed lists, registered by the domain that owns the rows.

A registrant's feed lists the events an address holds a place at, and registrations sit
above calendar: they register that query here (see ``eventhub/registrations/__init__.py``)
rather than calendar importing them. Light on purpose: registering must not pull in
calendar's services, and through them half the application.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import Select


class FeedKind(StrEnum):
    ORGANISATION = "organisation"
    ORGANISER = "organiser"
    REGISTRANT = "registrant"  # the events one email address registered for


# Each kind's query takes its own kind of owner: an id or an email address.
FeedQuery = TypeVar("FeedQuery", bound=Callable[..., Select])

_queries: dict[str, Callable[..., Select]] = {}


def lists_feed(kind: FeedKind) -> Callable[[FeedQuery], FeedQuery]:
    """Register the decorated function as the query of the feeds of ``kind``, given the owner
    (an organisation id, a user id or an email address)."""

    def register(query: FeedQuery) -> FeedQuery:
        _queries[kind] = query
        return query

    return register


def feed_query(kind: str, owner: int | str) -> Select:
    """The events a feed of ``kind`` (a FeedKind or a feed row's stored kind) shows."""
    return _queries[kind](owner)
